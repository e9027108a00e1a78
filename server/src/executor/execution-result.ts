/**
 * @module What one execution produced, and how it ended. The outcome names which limit stopped
 * it, so the model can tell its own bug from a limit from an infrastructure problem.
 */
export type Outcome =
  | "success" // exit code 0
  | "error" // the code's own failure: non-zero exit
  | "timeout"
  | "memory_limit"
  | "output_limit"
  | "cancelled"
  | "sandbox_error"; // the sandbox failed or restarted under the execution

import type { EgressSummary } from "./egress-summary.ts";

export interface ExecutionResult {
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
}
