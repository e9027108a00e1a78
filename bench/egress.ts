/**
 * @module The egress benchmark: what the proxy costs an execution's HTTP traffic, measured against
 * a direct client — the same Deno code in a sandbox-image container on the egress network, with
 * the sandbox's CPU and memory limits, talking to the same fake upstream with no proxy. Fan-out
 * (many parallel small requests) and bulk (1/10/50 MiB, plain and gzip), with the proxy's CPU
 * time and peak memory growth per case. Figures only: it asserts nothing.
 *
 * Standalone: `npm run bench:egress` (starts the test stack unless BENCH_STACK_INFO names one).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connect, execute } from "../test/helpers/mcp.ts";
import { compose, startStack, type StackInfo } from "../test/helpers/stack.ts";
import { table } from "./stats.ts";

const run = promisify(execFile);
const MiB = 1 << 20;
const TARGETS = { fanOut100Ratio: 3, bulkMiBps: 50, linearity: 1.2, memoryGrowthMiB: 64 };

/** Deno code that runs `body` (which sets `n`, the bytes read) and prints its wall time in ms. */
const timedCode = (body: string, prelude = "") => `${prelude}
  const t0 = performance.now(); let n = 0;
  ${body}
  console.log(JSON.stringify({ ms: performance.now() - t0, n }));`;

const fanOutCode = (count: number, client: string) => `
  const rs = await Promise.allSettled(Array.from({ length: ${count} }, (_, i) => fetch("https://api.fake.test/small?i=" + i${client}).then((r) => r.text())));
  n = rs.filter((r) => r.status === "fulfilled").length;`;

const bulkCode = (bytes: number, coding: string | null, client: string) => `
  const r = await fetch("https://api.fake.test/bytes?n=${bytes}${coding ? `&coding=${coding}` : ""}"${client});
  n = (await r.arrayBuffer()).byteLength;
  if (r.status !== 200) throw new Error("status " + r.status);`;

type BulkRow = {
  coding: string;
  MiB: number;
  proxiedMs: number;
  directMs: number;
  "MiB/s": number;
  proxyCpuMs: number;
  proxyMemGrowthMiB: number;
};

interface Timing {
  ms: number;
  n: number;
}

async function proxied(client: Client, code: string): Promise<Timing> {
  const r = await execute(client, timedCode(code), 60);
  if (r.outcome !== "success") throw new Error(`proxied run failed: ${r.text.slice(0, 500)}`);
  return JSON.parse(r.stdout) as Timing;
}

async function direct(stack: StackInfo, code: string): Promise<Timing> {
  const ca = (await readFile(stack.env.AIRLOCK_UPSTREAM_CA_FILE!, "utf8")).replace(/\n/g, "\\n");
  const prelude = `const c = Deno.createHttpClient({ caCerts: ["${ca}"] });`;
  const { stdout } = await run("docker", [
    "run", "--rm", "--network", `${stack.projectName}_egress`, "--cpus", "1.5", "--memory", "1g",
    "-e", "DENO_DIR=/tmp/d", "--tmpfs", "/tmp", `${stack.projectName}-sandbox`,
    "deno", "eval", "--quiet", timedCode(code, prelude),
  ], { maxBuffer: 16 * MiB });
  return JSON.parse(stdout.trim()) as Timing;
}

/** The proxy container's cgroup files as the host sees them (cgroup v1 or v2), when readable here:
 *  reading them costs nothing, where a `docker exec` per sample took CPU from the run measured. */
async function hostCgroup(stack: StackInfo): Promise<{ cpu: string; cpuUnit: "ns" | "usec"; mem: string } | null> {
  const id = (await run("docker", ["inspect", "-f", "{{.Id}}", (await compose(stack, ["ps", "-q", "proxy"])).trim()])).stdout.trim();
  const candidates = [
    { cpu: `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, cpuUnit: "ns" as const, mem: `/sys/fs/cgroup/memory/docker/${id}/memory.usage_in_bytes` },
    { cpu: `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, cpuUnit: "usec" as const, mem: `/sys/fs/cgroup/system.slice/docker-${id}.scope/memory.current` },
    { cpu: `/sys/fs/cgroup/docker/${id}/cpu.stat`, cpuUnit: "usec" as const, mem: `/sys/fs/cgroup/docker/${id}/memory.current` },
  ];
  for (const c of candidates) {
    try {
      await readFile(c.cpu);
      await readFile(c.mem);
      return c;
    } catch {
      // not this layout
    }
  }
  return null;
}

/** The proxy container's CPU time (ms) and memory (MiB), read from its cgroup. */
async function proxyUsage(stack: StackInfo): Promise<{ cpuMs: number; memMiB: number }> {
  const files = await cgroupFiles(stack);
  if (files) {
    const cpu = await readFile(files.cpu, "utf8");
    const cpuMs = files.cpuUnit === "ns" ? Number(cpu.trim()) / 1e6 : Number(/usage_usec (\d+)/.exec(cpu)?.[1]) / 1e3;
    return { cpuMs, memMiB: Number((await readFile(files.mem, "utf8")).trim()) / MiB };
  }
  const id = (await compose(stack, ["ps", "-q", "proxy"])).trim();
  const { stdout } = await run("docker", ["exec", id, "sh", "-c",
    "cat /sys/fs/cgroup/cpuacct/cpuacct.usage /sys/fs/cgroup/memory/memory.usage_in_bytes 2>/dev/null || " +
    "{ sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat | awk '{print $1*1000}'; cat /sys/fs/cgroup/memory.current; }"]);
  const [cpuNs, memBytes] = stdout.trim().split("\n").map(Number) as [number, number];
  return { cpuMs: cpuNs / 1e6, memMiB: memBytes / MiB };
}

let cgroupLookup: Promise<Awaited<ReturnType<typeof hostCgroup>>> | undefined;
const cgroupFiles = (stack: StackInfo) => (cgroupLookup ??= hostCgroup(stack));

/** Runs `fn` while sampling the proxy's memory; returns its result, CPU used and peak growth. */
async function withProxyUsage<T>(stack: StackInfo, fn: () => Promise<T>) {
  const before = await proxyUsage(stack);
  let peak = before.memMiB;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, (await proxyUsage(stack)).memMiB);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    const value = await fn();
    return { value, cpuMs: (await proxyUsage(stack)).cpuMs - before.cpuMs, growthMiB: peak - before.memMiB };
  } finally {
    done = true;
    await sampler;
  }
}

const best = async (times: number, fn: () => Promise<Timing>) => {
  const samples: Timing[] = [];
  for (let i = 0; i < times; i++) samples.push(await fn());
  return samples.sort((a, b) => a.ms - b.ms)[0]!;
};

export async function measureEgress(stack: StackInfo) {
  const client = await connect(stack.mcpUrl, "bench-egress");
  try {
    const fanOut: Array<Record<string, number>> = [];
    for (const count of [1, 10, 100, 500]) {
      const { value: via, cpuMs } = await withProxyUsage(stack, () => best(3, () => proxied(client, fanOutCode(count, ""))));
      const straight = await best(3, () => direct(stack, fanOutCode(count, ", { client: c }")));
      fanOut.push({ requests: count, failed: count - via.n, proxiedMs: Math.round(via.ms), directMs: Math.round(straight.ms),
        ratio: Math.round((via.ms / straight.ms) * 100) / 100, proxyCpuMsPerRequest: Math.round((cpuMs / 3 / count) * 100) / 100 });
    }
    const bulk: BulkRow[] = [];
    // BENCH_EGRESS=fanout measures only the fan-out (a quicker loop while tuning).
    for (const coding of process.env.BENCH_EGRESS === "fanout" ? [] : [null, "gzip"]) {
      for (const mib of [1, 10, 50]) {
        const bytes = mib * MiB;
        const { value: via, cpuMs: cpuTotal, growthMiB } = await withProxyUsage(stack, () => best(2, () => proxied(client, bulkCode(bytes, coding, ""))));
        const cpuMs = cpuTotal / 2;
        if (via.n !== bytes) throw new Error(`proxied read ${via.n} bytes, expected ${bytes}`);
        const straight = await best(2, () => direct(stack, bulkCode(bytes, coding, ", { client: c }")));
        bulk.push({ coding: coding ?? "identity", MiB: mib, proxiedMs: Math.round(via.ms), directMs: Math.round(straight.ms),
          "MiB/s": Math.round((mib / via.ms) * 1000 * 10) / 10, proxyCpuMs: Math.round(cpuMs), proxyMemGrowthMiB: Math.round(growthMiB) });
      }
    }
    const plain = bulk.filter((b) => b.coding === "identity");
    const perMiB = (b: BulkRow) => b.proxiedMs / b.MiB;
    const linearity = plain.length > 1 ? Math.round((perMiB(plain.at(-1)!) / perMiB(plain[1]!)) * 100) / 100 : NaN;
    return { fanOut, bulk, linearity, targets: TARGETS };
  } finally {
    await client.close();
  }
}

export function printEgress(result: Awaited<ReturnType<typeof measureEgress>>): void {
  console.log(`\nEgress through the proxy vs direct (targets: 100 parallel <= ${TARGETS.fanOut100Ratio}x direct; ` +
    `>= ${TARGETS.bulkMiBps} MiB/s; 10->50 MiB cost <= ${TARGETS.linearity}x linear; proxy memory growth <= ${TARGETS.memoryGrowthMiB} MiB)\n`);
  console.log(table(result.fanOut));
  if (result.bulk.length) console.log("\n" + table(result.bulk));
  console.log(`\ncost per MiB at 50 MiB / at 10 MiB (plain): ${result.linearity}`);
}

if (import.meta.main) {
  const reuse = process.env.BENCH_STACK_INFO;
  const started = reuse ? undefined : await startStack({ AIRLOCK_MAX_CONCURRENCY: "8", AIRLOCK_MAX_TIMEOUT_SECONDS: "300" });
  const stack: StackInfo = reuse ? JSON.parse(await readFile(reuse, "utf8")) : started!.info;
  try {
    printEgress(await measureEgress(stack));
  } finally {
    await started?.stop();
  }
}
