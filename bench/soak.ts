/**
 * @module The soak: many mixed executions (success, the code's own error, timeout, memory limit,
 * output cap) from many clients at once, each result checked against what its code must produce,
 * with every service's memory before and after. A leak, a slot that is never given back or a
 * result delivered to the wrong call shows here. Figures only: it asserts nothing.
 *
 * Standalone: `npm run bench:soak` (BENCH_SOAK_N executions, default 10,000; BENCH_SOAK_CLIENTS,
 * default 16; starts the test stack unless BENCH_STACK_INFO names one).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { connect, execute } from "../test/helpers/mcp.ts";
import { compose, startStack, type StackInfo } from "../test/helpers/stack.ts";
import { summarise, table, timed } from "./stats.ts";

const run = promisify(execFile);

/** One kind of execution: its code (given a unique marker), timeout and the result it must give. */
interface Kind {
  name: string;
  /** Out of 100 executions. */
  share: number;
  timeoutSeconds: number;
  code: (marker: string) => string;
  expected: { outcome: string; stdout?: (marker: string) => string };
}

export const KINDS: Kind[] = [
  { name: "success", share: 70, timeoutSeconds: 10, code: (m) => `console.log(${JSON.stringify(m)})`,
    expected: { outcome: "success", stdout: (m) => `${m}\n` } },
  { name: "error", share: 10, timeoutSeconds: 10, code: (m) => `throw new Error(${JSON.stringify(m)})`,
    expected: { outcome: "error" } },
  { name: "output cap", share: 10, timeoutSeconds: 10, code: () => 'const s = "z".repeat(65536); while (true) console.log(s);',
    expected: { outcome: "output_limit" } },
  { name: "timeout", share: 5, timeoutSeconds: 1, code: () => "await new Promise(() => setInterval(() => {}, 1000));",
    expected: { outcome: "timeout" } },
  { name: "memory limit", share: 5, timeoutSeconds: 20, code: () => "const a = []; while (true) a.push(new Array(1 << 20).fill(1.5));",
    expected: { outcome: "memory_limit" } },
];

/** Memory of each of the stack's services (MiB), as `docker stats` reports it. */
export async function serviceMemory(stack: StackInfo): Promise<Record<string, number>> {
  const ids = (await compose(stack, ["ps", "-q"])).trim().split("\n").filter(Boolean);
  const { stdout } = await run("docker", ["stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", ...ids]);
  const units: Record<string, number> = { B: 1 / 2 ** 20, KiB: 1 / 1024, MiB: 1, GiB: 1024, kB: 1 / 1000, MB: 1, GB: 1000 };
  const memory: Record<string, number> = {};
  for (const line of stdout.trim().split("\n")) {
    const match = /^(\S+) ([\d.]+)\s*([KMG]?i?B)/.exec(line);
    if (!match) continue;
    const service = match[1]!.slice(stack.projectName.length + 1).replace(/-\d+$/, "");
    memory[service] = Math.round(Number(match[2]) * units[match[3]!]! * 10) / 10;
  }
  return memory;
}

export async function measureSoak(stack: StackInfo, total: number, clients: number) {
  // "Before" is a warmed-up stack (launcher running, pool filled), so growth means growth.
  const warm = await connect(stack.mcpUrl, "soak-warm-up");
  for (let i = 0; i < 20; i++) await execute(warm, KINDS[0]!.code(`warm-${i}`));
  await warm.close();
  await new Promise((r) => setTimeout(r, 2000));
  const before = await serviceMemory(stack);
  const plan: Kind[] = [];
  for (let i = 0; plan.length < total; i++) {
    // Interleaved, so every client meets every kind throughout the run.
    for (const kind of KINDS) if (i % 100 < kind.share && plan.length < total) plan.push(kind);
  }
  const perKind = new Map(KINDS.map((k) => [k.name, { calls: 0, wrong: 0, ms: [] as number[] }]));
  const wrongSamples: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const client = await connect(stack.mcpUrl, `soak-${c}`);
      try {
        while (next < plan.length) {
          const n = next++;
          const kind = plan[n]!;
          const marker = `soak-${c}-${n}`;
          const stats = perKind.get(kind.name)!;
          const [ms, r] = await timed(() => execute(client, kind.code(marker), kind.timeoutSeconds));
          stats.calls++;
          stats.ms.push(ms);
          const right = r.outcome === kind.expected.outcome && (!kind.expected.stdout || r.stdout === kind.expected.stdout(marker));
          if (!right) {
            stats.wrong++;
            if (wrongSamples.length < 5) wrongSamples.push(`${kind.name}: ${r.outcome} ${r.text.slice(0, 200)}`);
          }
        }
      } finally {
        await client.close();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  // Give pre-started executions a moment to settle before reading memory again.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await serviceMemory(stack);
  const kinds = KINDS.map((k) => {
    const s = perKind.get(k.name)!;
    return { kind: k.name, calls: s.calls, wrong: s.wrong, ...summarise(s.ms) };
  });
  return {
    executions: plan.length,
    clients,
    seconds: Math.round(seconds),
    perSecond: Math.round((plan.length / seconds) * 10) / 10,
    wrong: kinds.reduce((sum, k) => sum + k.wrong, 0),
    wrongSamples,
    kinds,
    memoryMiB: Object.keys(after).map((service) => ({ service, before: before[service] ?? NaN, after: after[service]! })),
  };
}

export function printSoak(result: Awaited<ReturnType<typeof measureSoak>>): void {
  console.log(`\nSoak: ${result.executions} mixed executions from ${result.clients} clients in ${result.seconds} s ` +
    `(${result.perSecond}/s), wrong results: ${result.wrong}\n`);
  console.log(table(result.kinds.map(({ kind, calls, wrong, p50, p95, p99, max }) => ({ kind, calls, wrong, p50, p95, p99, max }))));
  console.log("\n" + table(result.memoryMiB.map((m) => ({ service: m.service, "MiB before": m.before, "MiB after": m.after }))));
  for (const w of result.wrongSamples) console.error(`wrong result: ${w}`);
}

if (import.meta.main) {
  const reuse = process.env.BENCH_STACK_INFO;
  const started = reuse ? undefined : await startStack({ AIRLOCK_MAX_CONCURRENCY: "8" });
  const stack: StackInfo = reuse ? JSON.parse(await readFile(reuse, "utf8")) : started!.info;
  try {
    printSoak(await measureSoak(stack, Number(process.env.BENCH_SOAK_N ?? 10_000), Number(process.env.BENCH_SOAK_CLIENTS ?? 16)));
  } finally {
    await started?.stop();
  }
}
