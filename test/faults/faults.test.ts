/**
 * The fault suite (`npm run test:faults`): with several clients calling in a loop, each part of
 * the stack fails in turn — the launcher, the docker filter, the proxy and the server are
 * SIGKILLed, the sandbox is restarted, a client drops its connection mid-execution. For each:
 * the call in flight ends with a clear, specific error; the next calls succeed within 10 s with
 * no manual step; nothing is left running or on disk in the sandbox; and at the end the audit
 * chain verifies, with a closing line for every execution that started.
 */
import { createHash } from "node:crypto";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { connectFailFast, crash, killLaunchers } from "../helpers/faults.ts";
import { leftovers, sandboxState } from "../helpers/sandbox-processes.ts";
import { startVanishingCall } from "../helpers/mcp.ts";
import { compose, execIn } from "../helpers/stack.ts";

const stack = inject("stack");
const RECOVERY_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Call {
  code: string;
  outcome?: string;
  message?: string;
  stdout?: string;
  stderr?: string;
  /** The client saw no result: the connection or the session was lost. */
  error?: string;
}
/** Every call this suite made, for the audit check at the end. */
const calls: Call[] = [];
let serial = 0;
const unique = (what: string) => `${what}-${process.pid}-${++serial}`;

async function call(client: Client, code: string, timeoutSeconds = 20, onOutput?: (text: string) => void): Promise<Call> {
  const record: Call = { code };
  calls.push(record);
  try {
    const result = await client.callTool(
      { name: "execute_code", arguments: { code, timeout_seconds: timeoutSeconds } },
      CallToolResultSchema,
      { timeout: (timeoutSeconds + 25) * 1000, onprogress: (p) => onOutput?.(p.message ?? "") },
    );
    const structured = result.structuredContent as Record<string, string> | undefined;
    Object.assign(record, {
      outcome: structured?.outcome,
      message: structured?.message,
      stdout: structured?.stdout,
      stderr: structured?.stderr,
    });
  } catch (err) {
    record.error = String(err);
  }
  return record;
}

/** Loads still running when a test ends (it failed midway): stopped before the next test. */
const activeLoads = new Set<() => Promise<void>>();

/** Clients calling short executions in a loop, reconnecting when their session is lost. */
function startLoad(clients = 3) {
  let stopped = false;
  const results: Call[] = [];
  const worker = async (n: number) => {
    let client: Client | undefined;
    while (!stopped) {
      client ??= await connectFailFast(stack.mcpUrl, `load-${n}`).catch(() => undefined);
      if (!client) {
        await sleep(200);
        continue;
      }
      const marker = unique("load");
      const result = await call(client, `console.log(${JSON.stringify(marker)})`);
      results.push(result);
      if (result.error) {
        await client.close().catch(() => {});
        client = undefined;
        await sleep(200);
      }
    }
    await client?.close().catch(() => {});
  };
  const running = Promise.all(Array.from({ length: clients }, (_, n) => worker(n)));
  const stop = async () => {
    stopped = true;
    activeLoads.delete(stop);
    await running;
  };
  activeLoads.add(stop);
  return { results, stop };
}

/** A long execution that reports its scratch folder; resolves once it is running. */
async function startInFlight(client: Client, body: string) {
  let dir = "";
  const done = call(client, `console.log(Deno.cwd()); ${body}`, 40, (text) => (dir ||= /\/tmp\/exec\.\w+/.exec(text)?.[0] ?? ""));
  for (let i = 0; i < 100 && !dir; i++) await sleep(100);
  if (!dir) throw new Error("the in-flight execution never reported its folder");
  return { dir, done };
}

/** Recovery times, printed at the end (README quotes them). */
const recoveries: Record<string, number> = {};

/** Milliseconds from now until a new call (with a request through the proxy) succeeds. */
async function timeToRecover(fault: string): Promise<number> {
  const from = Date.now();
  while (Date.now() - from < 60_000) {
    const client = await connectFailFast(stack.mcpUrl, "probe").catch(() => undefined);
    if (client) {
      const probe = await call(client, `console.log((await fetch("https://api.fake.test/echo")).status) // ${unique("probe")}`, 10);
      await client.close().catch(() => {});
      if (probe.outcome === "success" && probe.stdout === "200\n") return (recoveries[fault] = Date.now() - from);
    }
    await sleep(250);
  }
  throw new Error("the stack did not recover within 60 s");
}

/** Waits until the sandbox holds nothing but live executions and their folders. */
async function expectNothingLeft(dir: string): Promise<void> {
  await expect
    .poll(async () => {
      const state = await sandboxState(stack);
      const problems = leftovers(state);
      if (state.scratch.includes(dir)) problems.push(`the in-flight execution's folder ${dir} is still there`);
      return problems;
    }, { timeout: 10_000, interval: 500 })
    .toEqual([]);
}

/** Load calls may end only as success or as a sandbox error that says what happened. */
function expectCleanLoad(results: Call[], allowLostConnection = false): void {
  expect(results.length).toBeGreaterThan(0);
  for (const r of results) {
    if (r.error !== undefined) {
      expect(allowLostConnection, `unexpected client error: ${r.error}`).toBe(true);
      continue;
    }
    if (r.outcome === "success") continue;
    expect(r.outcome, JSON.stringify(r)).toBe("sandbox_error");
    expect(r.message).toMatch(/sandbox|launcher/);
  }
}

describe("fault injection", { timeout: 240_000 }, () => {
  afterEach(async () => {
    for (const stop of [...activeLoads]) await stop();
  });
  afterAll(async () => {
    console.log(`time until a new call succeeded (ms): ${JSON.stringify(recoveries)}`);
    // Leave the stack as the next suite expects it, whatever failed here.
    await compose(stack, ["up", "-d", "--wait", "--no-recreate"]).catch(() => {});
  });

  // Faults that end the sandbox side of a call: the launcher's process, or the exec stream it
  // lives on (the filter relays it; a sandbox restart ends it).
  it.each([
    { fault: "the launcher is killed", inject: async () => void (await killLaunchers(stack)) },
    { fault: "the docker filter is killed", inject: () => crash(stack, "docker-filter") },
    { fault: "the sandbox restarts", inject: async () => void (await compose(stack, ["restart", "sandbox"])) },
  ])("should recover when $fault", async ({ fault, inject }) => {
    const client = await connectFailFast(stack.mcpUrl, "in-flight");
    const load = startLoad();
    const inFlight = await startInFlight(client, "await new Promise((r) => setTimeout(r, 30_000));");
    const injected = inject();
    const recovery = await timeToRecover(fault);
    await injected;
    await load.stop();
    const ended = await inFlight.done;
    expect(ended.outcome).toBe("sandbox_error");
    expect(ended.message).toMatch(/the sandbox stopped during the execution \(it was restarted or crashed\)/);
    expect(ended.message).toContain("side effects");
    expect(recovery).toBeLessThan(RECOVERY_MS);
    expectCleanLoad(load.results);
    await expectNothingLeft(inFlight.dir);
    await client.close();
  });

  it("should survive the proxy being killed", async () => {
    const client = await connectFailFast(stack.mcpUrl, "in-flight");
    const load = startLoad();
    // Requests every 50 ms: one is bound to meet the dead proxy.
    const inFlight = await startInFlight(
      client,
      'for (let i = 0; i < 600; i++) { await (await fetch("https://api.fake.test/echo?n=" + i)).text(); await new Promise((r) => setTimeout(r, 50)); }',
    );
    await sleep(300);
    await crash(stack, "proxy");
    const recovery = await timeToRecover("proxy");
    await load.stop();
    const ended = await inFlight.done;
    // The code's own request failed; it did not catch that, so it ended with its error.
    expect(ended.outcome).toBe("error");
    // Where the kill lands decides the wording: a request that cannot connect, or a body cut off.
    expect(ended.stderr).toMatch(/TypeError: (fetch failed|error reading a body from connection)/);
    expect(recovery).toBeLessThan(RECOVERY_MS);
    // Executions that do not use the network never noticed.
    expect(load.results.filter((r) => r.outcome !== "success")).toEqual([]);
    await expectNothingLeft(inFlight.dir);
    await client.close();
  });

  it("should survive the server being killed, closing what it started in the audit log", async () => {
    const client = await connectFailFast(stack.mcpUrl, "in-flight");
    const load = startLoad();
    const inFlight = await startInFlight(client, "await new Promise((r) => setTimeout(r, 30_000));");
    await crash(stack, "server");
    // The client's connection is gone: its pending call fails at once (it does not wait 40 s).
    const ended = await inFlight.done;
    expect(ended.error).toMatch(/Connection closed/i);
    const recovery = await timeToRecover("server");
    await load.stop();
    expect(recovery).toBeLessThan(RECOVERY_MS);
    expectCleanLoad(load.results, true);
    await expectNothingLeft(inFlight.dir);
    // A client still holding the old session is told what to do.
    const stale = await fetch(stack.mcpUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-session-id": "0".repeat(32) },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(stale.status).toBe(404);
    expect(await stale.text()).toMatch(/initialize/);
  });

  it("should stop the execution of a client that drops its connection", async () => {
    const load = startLoad();
    const code = `console.log(Deno.cwd(), ${JSON.stringify(unique("vanishing"))}); while (true) {}`;
    calls.push({ code, outcome: "cancelled" });
    const { dir, vanish } = await startVanishingCall(stack.mcpUrl, code);
    vanish();
    // Its process and folder go at once, while the others keep running.
    await expect.poll(async () => (await sandboxState(stack)).scratch.includes(dir), { timeout: 5000 }).toBe(false);
    await load.stop();
    expect(load.results.filter((r) => r.outcome !== "success")).toEqual([]);
    await expectNothingLeft(dir);
  });

  it("should end with an audit chain that verifies and closes every execution that started", async () => {
    const verify = await execIn(stack, "server", ["node", "server/src/audit/verify-audit.ts", "/audit"], "1000:1000");
    expect(verify.stdout).toContain("hash chain intact");
    const text = (await execIn(stack, "server", ["sh", "-c", "cat /audit/audit.[0-9]*.jsonl /audit/audit.jsonl 2>/dev/null"], "1000:1000")).stdout;
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const closing = new Map<unknown, Record<string, unknown>[]>();
    for (const l of lines) {
      if (l.phase === "ended" || l.phase === "interrupted") closing.set(l.execution, [...(closing.get(l.execution) ?? []), l]);
    }
    // Exactly one closing line for every execution that started.
    for (const started of lines.filter((l) => l.phase === "started")) {
      expect(closing.get(started.execution)?.length, `execution ${started.execution}`).toBe(1);
    }
    // Every call of ours that got a result has its line, with the outcome the client saw.
    const sha = (code: string) => createHash("sha256").update(code).digest("hex");
    for (const c of calls.filter((c) => c.outcome)) {
      const ended = lines.find((l) => l.phase === "ended" && l.codeSha256 === sha(c.code));
      expect(ended?.outcome, c.code).toBe(c.outcome);
    }
    // The one the server's crash cut off was closed by the next server.
    const interrupted = lines.filter((l) => l.phase === "interrupted");
    expect(interrupted.length).toBeGreaterThan(0);
    for (const l of interrupted) expect(l.message).toMatch(/gateway stopped/);
  });
});
