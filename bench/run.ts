/**
 * `npm run bench`: Airlock's speed, measured against the raw floor, in one run, plus a soak of
 * mixed executions (bench/soak.ts) and the egress figures (bench/egress.ts). Starts the test
 * stack (the real compose stack plus the fake upstream API) unless BENCH_STACK_INFO names a
 * running one, prints a table and writes bench-results/latest.json. Figures only: it asserts
 * nothing.
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { promisify } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connect, execute } from "../test/helpers/mcp.ts";
import { compose, REPO_ROOT, startStack, type StackInfo } from "../test/helpers/stack.ts";
import { measureEgress, printEgress } from "./egress.ts";
import { concurrent, N, TRIVIAL, trivialLatency } from "./calls.ts";
import { measureFloors } from "./floors.ts";
import { perRuntime, printRuntimes, runscRegistered } from "./runtimes.ts";
import { measureSoak, printSoak } from "./soak.ts";
import { summarise, table, timed, type Summary } from "./stats.ts";

const run = promisify(execFile);

async function proxyCost(client: Client, stack: StackInfo) {
  const loop = (url: string, extra = "") => `${extra}
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await (await fetch(${JSON.stringify(url)} + "?i=" + i${extra ? ", { client: c }" : ""})).text();
    console.log(((performance.now() - t0) / 20).toFixed(2));`;
  const proxied: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await execute(client, loop("https://api.fake.test/echo"));
    if (r.outcome !== "success") throw new Error(`proxied fetch loop failed: ${r.text}`);
    proxied.push(Number(r.stdout));
  }
  // Direct: the same Deno code in a sandbox-image container on the egress network, no proxy.
  const project = stack.projectName;
  const direct: number[] = [];
  const ca = (await readFile(stack.env.AIRLOCK_UPSTREAM_CA_FILE!, "utf8")).replace(/\n/g, "\\n");
  for (let i = 0; i < 5; i++) {
    const code = loop("https://api.fake.test/echo", `const c = Deno.createHttpClient({ caCerts: ["${ca}"] });`);
    const { stdout } = await run("docker", [
      "run", "--rm", "--network", `${project}_egress`, "-e", "DENO_DIR=/tmp/d", "--tmpfs", "/tmp", `${project}-sandbox`,
      "deno", "eval", "--quiet", code,
    ]);
    direct.push(Number(stdout.trim()));
  }
  const p = summarise(proxied).p50;
  const d = summarise(direct).p50;
  return { proxiedMsPerRequest: p, directMsPerRequest: d, proxyCostMs: Math.round((p - d) * 100) / 100 };
}

async function serverMemoryDuringFlood(client: Client, stack: StackInfo) {
  const container = (await compose(stack, ["ps", "-q", "server"])).trim();
  const memory = async () => {
    const { stdout } = await run("docker", ["stats", "--no-stream", "--format", "{{.MemUsage}}", container]);
    const [value, unit] = /([\d.]+)\s*([KMG]i?B)/.exec(stdout)!.slice(1) as [string, string];
    return Number(value) * ({ KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1000, MB: 1, GB: 1000 } as Record<string, number>)[unit]!;
  };
  const before = await memory();
  let peak = before;
  let done = false;
  const sampler = (async () => {
    while (!done) peak = Math.max(peak, await memory());
  })();
  const [ms, r] = await timed(() => execute(client, 'const s = "y".repeat(1 << 20); for (let i = 0; i < 1024; i++) console.log(s);', 60));
  done = true;
  await sampler;
  return { outcome: r.outcome, durationMs: Math.round(ms), beforeMiB: Math.round(before), peakMiB: Math.round(peak), growthMiB: Math.round(peak - before) };
}

async function upToFirstCall(stack: StackInfo) {
  const project = `${stack.projectName}-up`;
  const env = { ...process.env, ...stack.env, COMPOSE_FILE: "compose.yaml", AIRLOCK_PORT: "0" };
  const args = (...a: string[]) => ["compose", "-p", project, ...a];
  await run("docker", args("down", "-v"), { cwd: REPO_ROOT, env }).catch(() => {});
  await run("docker", args("build", "-q"), { cwd: REPO_ROOT, env, maxBuffer: 64 * 1024 * 1024 });
  const port = String(20000 + Math.floor(Math.random() * 20000));
  const started = performance.now();
  await run("docker", args("up", "-d"), { cwd: REPO_ROOT, env: { ...env, AIRLOCK_PORT: port } });
  let firstOk = 0;
  for (;;) {
    try {
      const c = await connect(`http://127.0.0.1:${port}/mcp`);
      const r = await execute(c, TRIVIAL);
      await c.close();
      if (r.outcome === "success") {
        firstOk = performance.now() - started;
        break;
      }
    } catch {
      // not up yet: a client connecting early retries
    }
    if (performance.now() - started > 120_000) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await run("docker", args("down", "-v"), { cwd: REPO_ROOT, env: { ...env, AIRLOCK_PORT: port } });
  return { upToFirstCallMs: Math.round(firstOk) };
}

async function main() {
  const reuse = process.env.BENCH_STACK_INFO;
  const started = reuse ? undefined : await startStack({ AIRLOCK_MAX_CONCURRENCY: "8" });
  const stack: StackInfo = reuse ? JSON.parse(await readFile(reuse, "utf8")) : started!.info;
  let stopped = false;
  try {
    const client = await connect(stack.mcpUrl, "bench");
    const trivial = await trivialLatency(client, N, 0);
    const spaced = await trivialLatency(client, N, 250);
    const sandbox = (await compose(stack, ["ps", "-q", "sandbox"])).trim();
    const floors = await measureFloors(sandbox, 30);
    const levels = [];
    for (const clients of [1, 4, 8, 16]) levels.push(await concurrent(stack, clients, 8));
    const soak = await measureSoak(stack, Number(process.env.BENCH_SOAK_N ?? 10_000), 16);
    const proxy = await proxyCost(client, stack);
    const flood = await serverMemoryDuringFlood(client, stack);
    await client.close();
    const egress = await measureEgress(stack);
    const up = await upToFirstCall(stack);
    const runtimes: Record<string, Awaited<ReturnType<typeof perRuntime>>> = { runc: await perRuntime(stack) };
    if (!reuse && process.env.BENCH_RUNSC !== "0" && (await runscRegistered())) {
      // One stack at a time: the runc one goes before the runsc one starts.
      await started?.stop();
      stopped = true;
      const gvisor = await startStack({ AIRLOCK_MAX_CONCURRENCY: "8", AIRLOCK_SANDBOX_RUNTIME: "runsc" });
      try {
        runtimes.runsc = await perRuntime(gvisor.info);
      } finally {
        await gvisor.stop();
      }
    }

    const machine = { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release() };
    const result = { date: new Date().toISOString(), machine, trivial, spaced, floors, concurrency: levels, soak, proxy, flood, up, egress, runtimes };
    await mkdir(`${REPO_ROOT}/bench-results`, { recursive: true });
    await writeFile(`${REPO_ROOT}/bench-results/latest.json`, JSON.stringify(result, null, 2) + "\n");

    const floor = floors.execDeno.p50;
    console.log(`\nAirlock benchmark — ${machine.cpus} CPUs (${machine.cpu}), ${machine.memoryGiB} GiB\n`);
    console.log(table([
      { measure: "execute_code console.log(1), calls 250 ms apart", ...spaced, "x floor (p50)": (spaced.p50 / floor).toFixed(2) },
      { measure: "execute_code console.log(1), back to back", ...trivial, "x floor (p50)": (trivial.p50 / floor).toFixed(2) },
      { measure: "floor: docker exec true (Docker API)", ...floors.execTrue, "x floor (p50)": (floors.execTrue.p50 / floor).toFixed(2) },
      { measure: "floor: docker exec + deno run", ...floors.execDeno, "x floor (p50)": "1.00" },
    ]));
    console.log("\n" + table(levels.map((l) => ({ clients: l.clients, calls: l.calls, "calls/s": l.perSecond, wrong: l.wrong, p50: l.latency.p50, p95: l.latency.p95, p99: l.latency.p99 }))));
    console.log("\n" + table([
      { measure: "HTTPS request via proxy (ms, kept alive)", value: proxy.proxiedMsPerRequest },
      { measure: "HTTPS request direct (ms)", value: proxy.directMsPerRequest },
      { measure: "proxy cost per request (ms)", value: proxy.proxyCostMs },
      { measure: `server memory growth while code prints 1 GB (MiB; outcome ${flood.outcome})`, value: flood.growthMiB },
      { measure: "docker compose up -> first successful execute_code (ms)", value: up.upToFirstCallMs },
    ]));
    printSoak(soak);
    printEgress(egress);
    printRuntimes(runtimes);
    console.log("\nwrote bench-results/latest.json");
  } finally {
    if (!stopped) await started?.stop();
  }
}

await main();
