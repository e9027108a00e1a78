/**
 * @module The sandbox's runtime side by side: the same per-call figures and throughput on a
 * runc stack and, where Docker has it registered, a gVisor (runsc) one. Part of `npm run bench`;
 * alone: `npm run bench:runtimes` (starts its stacks one after the other).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { connect } from "../test/helpers/mcp.ts";
import { compose, startStack, type StackInfo } from "../test/helpers/stack.ts";
import { concurrent, N, trivialLatency } from "./calls.ts";
import { denoStartMs, measureFloors } from "./floors.ts";
import { table } from "./stats.ts";

const run = promisify(execFile);

/** Whether Docker here has gVisor's runtime registered (README, gVisor). */
export async function runscRegistered(): Promise<boolean> {
  const { stdout } = await run("docker", ["info", "--format", "{{range $name, $_ := .Runtimes}}{{$name}} {{end}}"]);
  return stdout.split(" ").includes("runsc");
}

/** What the sandbox's runtime changes: the per-call figures and throughput, on a stack of its own. */
export async function perRuntime(stack: StackInfo) {
  const client = await connect(stack.mcpUrl, "bench-runtime");
  const trivial = await trivialLatency(client, N, 0);
  const spaced = await trivialLatency(client, N, 250);
  await client.close();
  const sandbox = (await compose(stack, ["ps", "-q", "sandbox"])).trim();
  const floors = await measureFloors(sandbox, 20);
  const denoStart = await denoStartMs(sandbox);
  const levels = [];
  for (const clients of [1, 8]) levels.push(await concurrent(stack, clients, 8));
  return { trivial, spaced, floors, denoStartMs: denoStart, concurrency: levels };
}

export function printRuntimes(runtimes: Record<string, Awaited<ReturnType<typeof perRuntime>>>): void {
  const names = Object.keys(runtimes);
  const row = (measure: string, pick: (r: Awaited<ReturnType<typeof perRuntime>>) => number) => ({
    measure,
    ...Object.fromEntries(names.map((n) => [n, pick(runtimes[n]!)])),
    ...(names.length > 1 ? { "runsc / runc": (pick(runtimes.runsc!) / pick(runtimes.runc!)).toFixed(2) } : {}),
  });
  console.log(`\nThe sandbox's runtime side by side (${names.join(", ")}; ms unless said)\n`);
  console.log(table([
    row("deno run of console.log(1), inside the sandbox (no docker exec)", (r) => r.denoStartMs),
    row("floor: docker exec true, p50", (r) => r.floors.execTrue.p50),
    row("floor: docker exec + deno run, p50", (r) => r.floors.execDeno.p50),
    row("execute_code console.log(1), calls 250 ms apart, p50", (r) => r.spaced.p50),
    row("execute_code console.log(1), back to back, p50", (r) => r.trivial.p50),
    row("1 client: calls/s", (r) => r.concurrency[0]!.perSecond),
    row("8 clients: calls/s", (r) => r.concurrency[1]!.perSecond),
    row("8 clients: p50", (r) => r.concurrency[1]!.latency.p50),
  ]));
}


if (import.meta.main) {
  const runtimes: Record<string, Awaited<ReturnType<typeof perRuntime>>> = {};
  for (const runtime of ["runc", ...((await runscRegistered()) ? ["runsc"] : [])]) {
    const started = await startStack({ AIRLOCK_MAX_CONCURRENCY: "8", AIRLOCK_SANDBOX_RUNTIME: runtime });
    try {
      runtimes[runtime] = await perRuntime(started.info);
    } finally {
      await started.stop();
    }
  }
  printRuntimes(runtimes);
}
