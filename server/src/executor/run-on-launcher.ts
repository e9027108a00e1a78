/**
 * @module Runs one execution through the launcher: sends the code, collects the output under
 * one byte budget, and enforces the timeout, the output cap and cancellation by asking the
 * launcher to kill the process (Docker has no exec-kill; the launcher does it for us).
 */
import { createOutputCapture } from "./output-capture.ts";
import type { ExecutionResult } from "./execution-result.ts";
import type { Launcher, LauncherEvent } from "./launcher-client.ts";
import { classify, type ExitReport } from "./outcome.ts";

export type SandboxRun = Omit<ExecutionResult, "egress"> & { egressId: string };

export interface RunRequest {
  executionId: string;
  hosts: string[];
  code: string;
  timeoutSeconds: number;
  outputLimitBytes: number;
  /** Keep waiting for the sandbox (restarting, say) until then. */
  deadline: number;
  signal?: AbortSignal;
  onOutput?: (tail: string) => void;
  /** Every piece of output as it arrives, by stream (the console's live view). */
  onChunk?: (stream: "stdout" | "stderr", data: Uint8Array) => void;
  /** Called once the code is in the sandbox, with the id its egress and audit lines carry. */
  onStarted?: (executionId: string) => void;
}

type Cut = "timeout" | "output_limit" | "cancelled";

/** How long a kill may go unconfirmed before the call ends anyway: a sandbox that cannot even
 *  stop a process (memory exhausted under gVisor, say) must not hold the call forever. */
export const KILL_GRACE_MS = 10_000;

export async function runOnLauncher(launcher: Launcher, req: RunRequest, killGraceMs = KILL_GRACE_MS): Promise<SandboxRun> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const capture = createOutputCapture(req.outputLimitBytes);
  let egressId = req.executionId;
  let cut: Cut | undefined;
  let tail = "";
  let finish!: (end: { exit?: ExitReport; lost?: string }) => void;
  const ended = new Promise<{ exit?: ExitReport; lost?: string }>((resolve) => (finish = resolve));
  let unconfirmed: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: Cut) => {
    if (cut) return;
    cut = why;
    launcher.kill(req.executionId);
    unconfirmed = setTimeout(() => {
      launcher.abandon(req.executionId);
      finish({ lost: `the sandbox did not confirm within ${killGraceMs / 1000} s that it stopped the execution` });
    }, killGraceMs);
  };

  const onEvent = (e: LauncherEvent) => {
    if (e.ev === "started") {
      egressId = e.egressId;
      req.onStarted?.(egressId);
    }
    else if (e.ev === "out") {
      if (req.onOutput) {
        tail = (tail + e.data.toString("utf8")).slice(-1000);
        req.onOutput(tail);
      }
      req.onChunk?.(e.fd === 2 ? "stderr" : "stdout", e.data);
      if (!capture.push(e.fd === 2 ? "stderr" : "stdout", e.data)) stop("output_limit");
    } else if (e.ev === "exit") finish({ exit: e });
    else finish({ lost: e.reason });
  };

  try {
    // One byte over the limit reaches us, so we can tell "exactly at the limit" from "past it".
    await launcher.run(
      { id: req.executionId, hosts: req.hosts, timeoutSeconds: req.timeoutSeconds, outputLimitBytes: req.outputLimitBytes + 1, code: req.code },
      onEvent,
      req.deadline,
      req.signal,
    );
  } catch (err) {
    return {
      outcome: "sandbox_error",
      exitCode: null,
      stdout: "",
      stderr: "",
      durationMs: elapsed(),
      outputTruncated: false,
      egressId,
      message: `the sandbox is not available (${(err as Error).message}); the code did not run. If it persists: docker compose restart sandbox`,
    };
  }

  // The timeout counts from when the run was sent to the launcher, not from queueing or from
  // reaching the sandbox (taking a pre-started process and writing the code come after).
  const timer = setTimeout(() => stop("timeout"), req.timeoutSeconds * 1000);
  const onAbort = () => stop("cancelled");
  req.signal?.addEventListener("abort", onAbort, { once: true });
  // Cancelled while the sandbox was being reached: a listener added now would never fire.
  if (req.signal?.aborted) onAbort();
  const end = await ended;
  clearTimeout(timer);
  clearTimeout(unconfirmed);
  req.signal?.removeEventListener("abort", onAbort);

  const output = capture.result();
  const base = { stdout: output.stdout, stderr: output.stderr, outputTruncated: output.truncated, durationMs: elapsed(), egressId };
  if (cut) {
    // Stopped as asked; if the sandbox never confirmed it, say so: the process may still run.
    const unsure = end.lost ? `; ${end.lost}, so it may still be running until the sandbox recovers` : "";
    return { ...base, exitCode: null, outcome: cut, message: cutMessage(cut, req) + unsure };
  }
  if (end.lost) {
    return { ...base, exitCode: null, outcome: "sandbox_error", message: `${end.lost}; the code may have had side effects. Retry once it is back` };
  }
  const exit = end.exit!;
  return { ...base, exitCode: exit.code, ...classify(exit, output.stderr) };
}

function cutMessage(cut: Cut, req: RunRequest): string {
  switch (cut) {
    case "timeout":
      return `timed out after ${req.timeoutSeconds} s; the process was killed`;
    case "output_limit":
      return `output exceeded the ${req.outputLimitBytes}-byte limit; the process was killed`;
    case "cancelled":
      return "cancelled by the client; the process was killed";
  }
}
