/** @module The call-level measures: one client's trivial calls (latency) and many clients at once
 *  (throughput), each result checked. */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connect, execute } from "../test/helpers/mcp.ts";
import type { StackInfo } from "../test/helpers/stack.ts";
import { summarise, timed, type Summary } from "./stats.ts";

export const N = Number(process.env.BENCH_N ?? 60);
export const TRIVIAL = "console.log(1)";

/** Back-to-back calls (gapMs 0) keep the warm pool's refill on the CPU during the next call;
 *  spaced calls, like an agent's (which thinks between calls), find the pool refilled. */
export async function trivialLatency(client: Client, n: number, gapMs: number): Promise<Summary> {
  for (let i = 0; i < 5; i++) await execute(client, TRIVIAL);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    const [ms, r] = await timed(() => execute(client, TRIVIAL));
    if (r.stdout !== "1\n") throw new Error(`wrong result: ${r.text}`);
    samples.push(ms);
  }
  return summarise(samples);
}

export async function concurrent(stack: StackInfo, clients: number, seconds: number) {
  const conns = await Promise.all(Array.from({ length: clients }, (_, i) => connect(stack.mcpUrl, `bench-${i}`)));
  const samples: number[] = [];
  let wrong = 0;
  const wrongSamples: string[] = [];
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    conns.map(async (c, i) => {
      while (performance.now() < until) {
        const [ms, r] = await timed(() => execute(c, `console.log(${i})`));
        if (r.stdout !== `${i}\n`) {
          wrong++;
          if (wrongSamples.length < 3) wrongSamples.push(r.text.slice(0, 300));
        }
        samples.push(ms);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(conns.map((c) => c.close()));
  for (const w of wrongSamples) console.error(`wrong result with ${clients} clients: ${w}`);
  return { clients, calls: samples.length, perSecond: Math.round((samples.length / elapsed) * 10) / 10, wrong, latency: summarise(samples) };
}

