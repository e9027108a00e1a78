/**
 * @module Collects an execution's stdout and stderr under one byte budget. Past the budget the
 * bytes are dropped, never buffered, so memory stays bounded whatever the code prints.
 */

export interface CapturedOutput {
  stdout: string;
  stderr: string;
  truncated: boolean;
  /** Bytes the code produced in all, including those dropped. */
  totalBytes: number;
}

export interface OutputCapture {
  /** Returns false once the budget is exhausted. */
  push(stream: "stdout" | "stderr", chunk: Buffer): boolean;
  result(): CapturedOutput;
}

export function createOutputCapture(limitBytes: number): OutputCapture {
  const parts = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let kept = 0;
  let total = 0;
  let truncated = false;
  return {
    push(stream, chunk) {
      total += chunk.length;
      const room = limitBytes - kept;
      if (chunk.length > room) {
        truncated = true;
        if (room > 0) parts[stream].push(chunk.subarray(0, room));
        kept = limitBytes;
        return false;
      }
      parts[stream].push(chunk);
      kept += chunk.length;
      return true;
    },
    result() {
      const marker = `\n[airlock: output truncated at ${limitBytes} bytes]\n`;
      const stdout = Buffer.concat(parts.stdout).toString("utf8");
      return { stdout: truncated ? stdout + marker : stdout, stderr: Buffer.concat(parts.stderr).toString("utf8"), truncated, totalBytes: total };
    },
  };
}
