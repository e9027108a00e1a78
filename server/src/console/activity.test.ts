import { describe, expect, it } from "vitest";
import type { Execute } from "../executor/executor.ts";
import { EMPTY_EGRESS } from "../executor/egress-summary.ts";
import { createActivity } from "./activity.ts";
import { createHistoryStore } from "./history-store.ts";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** An executor that starts, prints, then waits until released or cancelled. */
function fakeExecutor() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const execute: Execute = async (req) => {
    req.onStarted?.("ab".repeat(16));
    req.onChunk?.("stdout", new TextEncoder().encode("hello "));
    // A character split across two chunks must come out whole.
    const euro = new TextEncoder().encode("€");
    req.onChunk?.("stdout", euro.subarray(0, 1));
    req.onChunk?.("stdout", euro.subarray(1));
    req.onChunk?.("stderr", new TextEncoder().encode("warn"));
    const cancelled = new Promise<void>((r) => req.signal?.addEventListener("abort", () => r()));
    const how = await Promise.race([released.then(() => "done"), cancelled.then(() => "cancelled")]);
    return how === "done"
      ? { outcome: "success", exitCode: 0, stdout: "hello €", stderr: "warn", durationMs: 5, outputTruncated: false, executionId: "ab".repeat(16), egress: EMPTY_EGRESS }
      : { outcome: "cancelled", exitCode: null, stdout: "", stderr: "", durationMs: 5, outputTruncated: false, message: "cancelled by the client", egress: EMPTY_EGRESS };
  };
  return { execute, release };
}

async function setup() {
  const history = await createHistoryStore(await mkdtemp(path.join(tmpdir(), "activity-")), { maxEntries: 10, maxAgeDays: 1, outputBytes: 1024 }, () => {});
  const fake = fakeExecutor();
  const activity = createActivity({ execute: fake.execute, history, followEgress: { read: async () => EMPTY_EGRESS, forget: () => {} }, outputBytes: 1024, log: () => {} });
  return { history, fake, activity };
}

const call = { code: "console.log('hello')", timeoutSeconds: 10, caller: { tool: "execute_code", client: "test-client", session: "sess-1" } };

describe("console activity", () => {
  it("should show a running call with its output as it arrives, then keep it in the history", async () => {
    const { history, fake, activity } = await setup();
    const running = activity.execute(call);
    await new Promise((r) => setTimeout(r, 10));
    const [live] = await activity.live();
    expect(live).toMatchObject({ state: "running", executionId: "ab".repeat(16), stdout: "hello €", stderr: "warn", client: "test-client" });
    fake.release();
    expect((await running).outcome).toBe("success");
    expect(await activity.live()).toEqual([]);
    const [summary] = history.list();
    expect(summary).toMatchObject({ outcome: "success", client: "test-client", tool: "execute_code" });
    expect(activity.recent()[0]?.id).toBe(summary!.id);
    expect((await history.get(summary!.id))?.code.text).toBe(call.code);
  });

  it("should cancel a call for an operator and tell the model who did", async () => {
    const { history, activity } = await setup();
    const running = activity.execute(call);
    await new Promise((r) => setTimeout(r, 10));
    const [live] = await activity.live();
    expect(activity.cancel("0".repeat(32))).toBe(false);
    expect(activity.cancel(live!.id)).toBe(true);
    const result = await running;
    expect(result).toMatchObject({ outcome: "cancelled", message: "cancelled by an operator from the Airlock console" });
    expect(history.list()[0]).toMatchObject({ outcome: "cancelled", cancelledBy: "operator" });
  });
});
