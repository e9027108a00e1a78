/**
 * @module What one execution produced, and how it ended. The outcome names which limit stopped
 * it, so the model can tell its own bug from a limit from an infrastructure problem.
 */
/** Every way an execution can end: the one list the result schema, the audit log and the
 *  model's instructions are built from. */
export const OUTCOMES = {
  success: "the code exited with code 0",
  error: "the code's own failure: it exited non-zero",
  timeout: "stopped at its time limit",
  memory_limit: "stopped at the memory limit (V8 heap or the sandbox's memory)",
  output_limit: "stopped for printing more than the output limit",
  disk_limit: "the sandbox's scratch disk (/tmp) was full",
  file_size_limit: "it wrote a file larger than the per-file limit",
  process_limit: "the sandbox's process/thread limit was reached",
  cancelled: "the client cancelled the call or went away",
  sandbox_error: "infrastructure: the sandbox failed or restarted under the execution; retry",
} as const;

export type Outcome = keyof typeof OUTCOMES;

/** The outcomes that mean a limit stopped the run (the audit log records which). */
export const LIMIT_OUTCOMES: ReadonlySet<Outcome> = new Set([
  "timeout", "memory_limit", "output_limit", "disk_limit", "file_size_limit", "process_limit",
]);

import type { EgressSummary } from "./egress-summary.ts";

export interface ExecutionResult {
  /** The execution's one id: in this result, its audit line and every proxy log line of its
   *  requests (the id its proxy token carries). Absent when the code never ran. */
  executionId?: string;
  outcome: Outcome;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  outputTruncated: boolean;
  /** Human-readable explanation when the outcome is not success. */
  message?: string;
  /** What the execution sent through the egress proxy (names only). */
  egress: EgressSummary;
  /** How long its requests waited for a person's approval, in all (absent: none waited). */
  approvalWaitMs?: number;
}
