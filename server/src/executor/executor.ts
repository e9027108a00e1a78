/**
 * @module The execution service the MCP tools call: waits for a concurrency slot (up to the
 * call's own timeout), reads the current API allowlist, and runs the code in the sandbox.
 */
import type { LoadedApis } from "../config/load-apis.ts";
import { allowedHosts } from "../config/load-apis.ts";
import type { ExecutionResult } from "./execution-result.ts";
import { QueueFullError, type Limiter } from "./limiter.ts";
import { randomBytes } from "node:crypto";
import type { RunRequest, SandboxRun } from "./run-on-launcher.ts";
import { EMPTY_EGRESS, type ReadEgress } from "./egress-summary.ts";
import type { ElicitAction } from "../approvals/approval-broker.ts";

export interface ExecuteRequest {
  code: string;
  timeoutSeconds: number;
  signal?: AbortSignal;
  /** Who asked, for the audit log. */
  caller?: { tool: string; session?: string; client?: string; skill?: string };
  /** Called with the output so far while the code runs (progress notifications). */
  onOutput?: (tail: string) => void;
  /** Every piece of output as it arrives, by stream (the console's live view). */
  onChunk?: (stream: "stdout" | "stderr", data: Uint8Array) => void;
  /** The code reached the sandbox under this execution id. */
  onStarted?: (executionId: string) => void;
  /** Asks the calling client's user (MCP elicitation), when the client declared it. */
  elicit?: (message: string, timeoutMs: number, signal: AbortSignal) => Promise<ElicitAction>;
  /** Tells the model, while the code runs, what it waits for (progress messages). */
  notice?: (message: string) => void;
}

export interface ExecutorDeps {
  limiter: Limiter;
  loadApis: () => Promise<LoadedApis>;
  run: (req: RunRequest) => Promise<SandboxRun>;
  readEgress: ReadEgress;
  audit: (req: ExecuteRequest, result: ExecutionResult) => Promise<void>;
  /** Records that an execution began (not awaited): a crash of the gateway mid-run then still
   *  leaves a line for it, closed as interrupted by the next start (audit/interrupted.ts). */
  auditStart?: (req: ExecuteRequest, executionId: string) => void;
  /** How long a call waited for its concurrency slot (metrics). */
  queueWaited?: (ms: number) => void;
  outputLimitBytes: number;
  /** Any host may be reached (the proxy still injects credentials only for configured APIs). */
  openEgress: boolean;
}

export type Execute = (req: ExecuteRequest) => Promise<ExecutionResult>;

export function createExecutor(deps: ExecutorDeps): Execute {
  const execute: Execute = async (req) => {
    const { code, timeoutSeconds, signal, onOutput, onChunk } = req;
    const queuedAt = performance.now();
    const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
    const waitSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let release: () => void;
    try {
      release = await deps.limiter.acquire(waitSignal);
      deps.queueWaited?.(performance.now() - queuedAt);
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
        egress: EMPTY_EGRESS,
      };
    }
    try {
      const { apis } = await deps.loadApis();
      const { egressId, ...result } = await deps.run({
        executionId: randomBytes(16).toString("hex"),
        hosts: deps.openEgress ? ["*"] : allowedHosts(apis),
        code,
        timeoutSeconds,
        outputLimitBytes: deps.outputLimitBytes,
        deadline: Date.now() + timeoutSeconds * 1000,
        signal,
        onOutput,
        onChunk,
        onStarted: (id) => {
          deps.auditStart?.(req, id);
          req.onStarted?.(id);
        },
      });
      return { ...result, executionId: egressId, egress: await deps.readEgress(egressId) };
    } finally {
      release();
    }
  };
  return async (req) => {
    const result = await execute(req);
    await deps.audit(req, result);
    return result;
  };
}
