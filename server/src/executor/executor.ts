/**
 * @module The execution service the MCP tools call: waits for a concurrency slot (up to the
 * call's own timeout), reads the current API allowlist, and runs the code in the sandbox.
 */
import type { LoadedApis } from "../config/load-apis.ts";
import { allowedHosts } from "../config/load-apis.ts";
import type { ExecutionResult } from "./execution-result.ts";
import { QueueFullError, type Limiter } from "./limiter.ts";
import type { RunRequest } from "./run-in-sandbox.ts";

export interface ExecuteRequest {
  code: string;
  timeoutSeconds: number;
  signal?: AbortSignal;
}

export interface ExecutorDeps {
  limiter: Limiter;
  loadApis: () => Promise<LoadedApis>;
  run: (req: RunRequest) => Promise<ExecutionResult>;
  outputLimitBytes: number;
}

export type Execute = (req: ExecuteRequest) => Promise<ExecutionResult>;

export function createExecutor(deps: ExecutorDeps): Execute {
  return async ({ code, timeoutSeconds, signal }) => {
    const queuedAt = performance.now();
    const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
    const waitSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let release: () => void;
    try {
      release = await deps.limiter.acquire(waitSignal);
    } catch (err) {
      const cancelled = signal?.aborted === true;
      return {
        outcome: cancelled ? "cancelled" : err instanceof QueueFullError ? "sandbox_error" : "timeout",
        exitCode: null,
        stdout: "",
        stderr: "",
        durationMs: Math.round(performance.now() - queuedAt),
        outputTruncated: false,
        message: cancelled
          ? "cancelled by the client before it started"
          : `${(err as Error).message}; the code did not run. Try again shortly.`,
      };
    }
    try {
      const { apis } = await deps.loadApis();
      return await deps.run({
        code,
        timeoutSeconds,
        allowedHosts: allowedHosts(apis),
        outputLimitBytes: deps.outputLimitBytes,
        signal,
      });
    } finally {
      release();
    }
  };
}
