/**
 * @module How an execution ended, from the launcher's exit report and the code's stderr. The
 * outcome names the limit that stopped it, so the model can tell its own bug from a limit from
 * an infrastructure problem.
 */
import type { Outcome } from "./execution-result.ts";

export interface ExitReport {
  code: number;
  signal: string | null;
  /** Why the launcher killed it, if it did. */
  killed: "request" | "backstop" | "output" | "disk" | null;
  error?: string;
}

const V8_OOM = /out of memory|heap limit|Allocation failed/i;
// What Deno throws when `new Worker` cannot get a thread (EAGAIN at the pids limit), uncaught.
// Deno may quote the offending source line (and a caret) between the error and its stack.
const NO_THREAD = /Uncaught (?:\(in promise\) )?WouldBlock: Resource temporarily unavailable \(os error 11\)\n(?:.*\n){0,2}?\s+at createWorker /;

export function classify(exit: ExitReport, stderr: string): { outcome: Outcome; message?: string } {
  if (exit.error) return { outcome: "sandbox_error", message: `the sandbox launcher refused the run: ${exit.error}` };
  if (exit.code === 0 && !exit.signal) return { outcome: "success" };
  if (exit.killed === "backstop") return { outcome: "timeout", message: "timed out (stopped by the sandbox's backstop)" };
  if (exit.killed === "output") return { outcome: "output_limit", message: "output exceeded the limit; the process was killed" };
  if (exit.killed === "disk") {
    return { outcome: "disk_limit", message: "used more than its share of the scratch disk (AIRLOCK_SCRATCH_QUOTA_MB); the process was killed" };
  }
  const signalled = exit.signal !== null || exit.code >= 128;
  if (V8_OOM.test(stderr.slice(-4096)) && signalled) {
    return { outcome: "memory_limit", message: "the execution ran out of memory (V8 heap limit)" };
  }
  if (exit.signal === "SIGKILL" && exit.killed === null) {
    // Nobody we know of killed it: the kernel's OOM killer at the sandbox's memory limit.
    return { outcome: "memory_limit", message: "the execution was killed by the sandbox's memory limit" };
  }
  if (exit.signal === "SIGXFSZ") {
    return { outcome: "file_size_limit", message: "killed for writing a file larger than the per-file limit (SIGXFSZ)" };
  }
  if (/No space left on device/.test(stderr)) {
    return { outcome: "disk_limit", message: `exited with code ${exit.code}: the sandbox's scratch disk (/tmp) is full — the disk limit` };
  }
  if (/Resource temporarily unavailable|failed to spawn thread|Cannot allocate|pthread_create/i.test(stderr) && signalled) {
    return { outcome: "process_limit", message: `exited with code ${exit.code}: the sandbox's process/thread limit was reached` };
  }
  if (NO_THREAD.test(stderr.slice(-4096))) {
    return { outcome: "process_limit", message: `exited with code ${exit.code}: new Worker got no thread: the sandbox's process/thread limit was reached` };
  }
  return { outcome: "error", message: exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}` };
}
