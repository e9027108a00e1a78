import { describe, expect, it } from "vitest";
import type { Launcher, LauncherEvent } from "./launcher-client.ts";
import { runOnLauncher, type RunRequest } from "./run-on-launcher.ts";

/** A launcher that reports what `script` says when a run starts, and answers a kill (or not). */
function fakeLauncher(script: (emit: (e: LauncherEvent) => void) => void, confirmsKill: boolean) {
  const calls = { kills: 0, abandoned: [] as string[] };
  let emit: (e: LauncherEvent) => void = () => {};
  const launcher: Launcher = {
    fault: () => undefined,
    restarts: () => 0,
    async run(_message, onEvent) {
      emit = onEvent;
      queueMicrotask(() => script(onEvent));
    },
    kill() {
      calls.kills++;
      if (confirmsKill) emit({ ev: "exit", code: 137, signal: "SIGKILL", killed: "request" });
    },
    abandon(id) {
      calls.abandoned.push(id);
    },
    close() {},
  };
  return { launcher, calls };
}

const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  executionId: "e".repeat(32), hosts: [], code: "x", timeoutSeconds: 1, outputLimitBytes: 1000, deadline: Date.now() + 5000, ...over,
});

describe("running on the launcher", () => {
  it("should report output and a clean exit", async () => {
    const { launcher } = fakeLauncher((emit) => {
      emit({ ev: "started", egressId: "f".repeat(32) });
      emit({ ev: "out", fd: 1, data: Buffer.from("hi\n") });
      emit({ ev: "exit", code: 0, signal: null, killed: null });
    }, true);
    expect(await runOnLauncher(launcher, request())).toMatchObject({ outcome: "success", stdout: "hi\n", egressId: "f".repeat(32) });
  });

  it("should end at the timeout once the sandbox confirms the kill", async () => {
    const { launcher, calls } = fakeLauncher((emit) => emit({ ev: "started", egressId: "f".repeat(32) }), true);
    const result = await runOnLauncher(launcher, request(), 5000);
    expect(result).toMatchObject({ outcome: "timeout", message: "timed out after 1 s; the process was killed" });
    expect(calls).toMatchObject({ kills: 1, abandoned: [] });
  });

  it("should still end when the sandbox never confirms the kill, saying so", async () => {
    const { launcher, calls } = fakeLauncher((emit) => emit({ ev: "started", egressId: "f".repeat(32) }), false);
    const started = Date.now();
    const result = await runOnLauncher(launcher, request(), 200);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.outcome).toBe("timeout");
    expect(result.message).toMatch(/did not confirm within 0\.2 s that it stopped the execution, so it may still be running/);
    expect(calls.abandoned).toEqual(["e".repeat(32)]);
  });
});

describe("cancelling", () => {
  it("should stop an execution whose call was cancelled while the sandbox was being reached", async () => {
    const controller = new AbortController();
    const { launcher, calls } = fakeLauncher((emit) => emit({ ev: "started", egressId: "f".repeat(32) }), true);
    const reaching = launcher.run.bind(launcher);
    launcher.run = async (...args) => {
      controller.abort(); // the client gave up before the run was handed over
      return reaching(...args);
    };
    const result = await runOnLauncher(launcher, request({ timeoutSeconds: 30, signal: controller.signal }), 5000);
    expect(result.outcome).toBe("cancelled");
    expect(calls.kills).toBe(1);
  });
});
