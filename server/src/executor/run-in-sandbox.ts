/**
 * @module Runs one execution in the sandbox container through the docker-socket filter: exec
 * create, a hijacked exec start carrying the code on stdin, then the demultiplexed output under a
 * byte budget. The open stdin is the runner's lifeline: closing the connection kills Deno, which
 * is how timeouts, the output cap and cancellation are enforced (Docker has no exec-kill call).
 */
import type Docker from "dockerode";
import type { Duplex } from "node:stream";
import { createDemuxer } from "./demux.ts";
import { createOutputCapture } from "./output-capture.ts";
import type { ExecutionResult, Outcome } from "./execution-result.ts";

export interface SandboxTarget {
  docker: Docker;
  /** The container name the filter maps to the real sandbox. */
  container: string;
  runner: string;
  user: string;
}

/** A started exec of the runner, waiting for its code (Deno already running in it). */
export interface OpenedExec {
  exec: Docker.Exec;
  stream: Duplex;
  executionId: string;
  /** Hosts its Deno was started with; it may only run code meant for exactly these. */
  hostsKey: string;
  /** Anything it printed while waiting in the pool (normally nothing). */
  early?: Buffer[];
}

export interface OpenRequest {
  executionId: string;
  allowedHosts: string[];
  /** The runner's backstop; the server enforces the real timeout. */
  backstopSeconds: number;
  /** Keep retrying while the sandbox is down, until then. */
  deadline: number;
  signal?: AbortSignal;
}

export interface RunRequest {
  code: string;
  timeoutSeconds: number;
  outputLimitBytes: number;
  signal?: AbortSignal;
  onOutput?: (tail: string) => void;
}

type Cut = "timeout" | "output_limit" | "cancelled";

// Exit statuses as sandbox/run.sh reports them.
const RUNNER_KILLED = 137; // the runner itself was SIGKILLed: the container stopped under it
const DENO_KILLED = 124; // Deno was SIGKILLed from outside the runner: the memory limit
const RUNNER_FAILURE = 125;
const V8_OOM = /out of memory|heap limit|Allocation failed/i;

export type SandboxRun = Omit<ExecutionResult, "egress">;

export const hostsKey = (hosts: string[]) => hosts.join(",") || "-";

/** Creates and starts a runner exec. Its Deno starts at once and waits for code. */
export async function openExec(target: SandboxTarget, req: OpenRequest): Promise<OpenedExec> {
  const key = hostsKey(req.allowedHosts);
  // While the sandbox is restarting, wait for it (up to the deadline) rather than fail: nothing
  // ran yet, so waiting is always safe.
  const exec = await retryWhileUnavailable(
    () =>
      target.docker.getContainer(target.container).exec({
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        User: target.user,
        Cmd: [target.runner, String(req.backstopSeconds), key, req.executionId],
      }),
    req.deadline,
    req.signal,
  );
  const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: false })) as Duplex;
  return { exec, stream, executionId: req.executionId, hostsKey: key };
}

/** Hands code to an opened exec and collects what it prints, under the byte budget. */
export async function runOnExec(opened: OpenedExec, req: RunRequest): Promise<SandboxRun> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { exec, stream } = opened;
  const capture = createOutputCapture(req.outputLimitBytes);
  let cut: Cut | undefined;
  const cutLifeline = (why: Cut) => {
    if (cut) return;
    cut = why;
    stream.destroy();
  };
  let tail = "";
  const demux = createDemuxer(({ stream: which, data }) => {
    if (req.onOutput) {
      tail = (tail + data.toString("utf8")).slice(-1000);
      req.onOutput(tail);
    }
    if (!capture.push(which, data)) cutLifeline("output_limit");
  });

  const ended = new Promise<void>((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      if (!cut) demux(chunk);
    });
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
    if (stream.destroyed) resolve();
  });
  for (const chunk of opened.early ?? []) demux(chunk);
  stream.resume();
  const codeBytes = Buffer.from(req.code, "utf8");
  stream.write(Buffer.concat([Buffer.from(`${codeBytes.length}\n`), codeBytes]));

  // The timeout counts from when the code has been handed over, not from queueing or exec set-up.
  const timer = setTimeout(() => cutLifeline("timeout"), req.timeoutSeconds * 1000);
  const onAbort = () => cutLifeline("cancelled");
  req.signal?.addEventListener("abort", onAbort, { once: true });
  await ended;
  clearTimeout(timer);
  req.signal?.removeEventListener("abort", onAbort);
  stream.destroy();

  const output = capture.result();
  const base = { stdout: output.stdout, stderr: output.stderr, outputTruncated: output.truncated, durationMs: elapsed() };
  if (cut) return { ...base, exitCode: null, outcome: cut, message: cutMessage(cut, req) };

  let exitCode: number | null;
  try {
    exitCode = await waitForExit(exec);
  } catch (err) {
    return { ...sandboxUnavailable(err, elapsed(), true), ...base, durationMs: elapsed() };
  }
  return { ...base, exitCode, ...classify(exitCode, output.stderr) };
}

/** Opens an exec and runs the code on it: the path when no pre-started execution is at hand. */
export async function runInSandbox(target: SandboxTarget, open: OpenRequest, req: RunRequest): Promise<SandboxRun> {
  const started = performance.now();
  let opened: OpenedExec;
  try {
    opened = await openExec(target, open);
  } catch (err) {
    return sandboxUnavailable(err, Math.round(performance.now() - started), false);
  }
  return runOnExec(opened, req);
}

function classify(exitCode: number | null, stderr: string): { outcome: Outcome; message?: string } {
  if (exitCode === 0) return { outcome: "success" };
  if (exitCode === null || exitCode === RUNNER_KILLED) {
    return {
      outcome: "sandbox_error",
      message: "the sandbox stopped during the execution (it was restarted or crashed); the code may have had side effects. Retry once it is back",
    };
  }
  if (exitCode === RUNNER_FAILURE) return { outcome: "sandbox_error", message: `the sandbox runner failed: ${stderr.trim().slice(-500)}` };
  if (V8_OOM.test(stderr.slice(-4096)) && exitCode >= 128) {
    return { outcome: "memory_limit", message: "the execution ran out of memory (V8 heap limit)" };
  }
  if (exitCode === 128 + 25) {
    return { outcome: "error", message: "killed for writing a file larger than the per-file limit (SIGXFSZ)" };
  }
  if (/No space left on device/.test(stderr)) {
    return { outcome: "error", message: `exited with code ${exitCode}: the sandbox's scratch disk (/tmp) is full — the disk limit` };
  }
  if (/Resource temporarily unavailable|failed to spawn thread|Cannot allocate|pthread_create/i.test(stderr) && exitCode >= 128) {
    return { outcome: "error", message: `exited with code ${exitCode}: the sandbox's process/thread limit was reached` };
  }
  if (exitCode === DENO_KILLED) {
    return { outcome: "memory_limit", message: "the execution was killed by the sandbox's memory limit" };
  }
  return { outcome: "error", message: `exited with code ${exitCode}` };
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

/** Statuses meaning "the sandbox is not there right now" (the filter's 503, Docker's 409/404). */
function isUnavailable(err: unknown): boolean {
  const status = (err as { statusCode?: number }).statusCode;
  const code = (err as NodeJS.ErrnoException).code;
  return status === 503 || status === 409 || status === 404 || code === "ECONNREFUSED" || code === "ECONNRESET";
}

async function retryWhileUnavailable<T>(attempt: () => Promise<T>, deadline: number, signal?: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isUnavailable(err) || Date.now() + 500 > deadline || signal?.aborted) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The stream can end a moment before Docker records the exit code; poll briefly for it. */
async function waitForExit(exec: Docker.Exec): Promise<number | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

function sandboxUnavailable(err: unknown, durationMs: number, started: boolean): SandboxRun {
  const detail = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
  return {
    outcome: "sandbox_error",
    exitCode: null,
    stdout: "",
    stderr: "",
    durationMs,
    outputTruncated: false,
    message: started
      ? `lost the sandbox during the execution (${detail}); the code may have had side effects`
      : `the sandbox is not available (${detail}); the code did not run. If it persists: docker compose restart sandbox`,
  };
}
