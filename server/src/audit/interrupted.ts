/**
 * @module Closes the audit lines of executions that a previous gateway process started but did
 * not live to end (it was killed, or the machine went down): each gets an `interrupted` line, so
 * every execution that reached the sandbox has exactly one closing line. Its sandbox process died
 * with the launcher connection of the dead gateway; what it did before is unknown.
 */
import { readFile } from "node:fs/promises";
import { chainFiles, type AuditLog } from "./audit-log.ts";
import type { AuditPhase } from "./audit-entry.ts";

/** Only the newest two files are read: an execution lives minutes, and rotation is by size. */
const FILES_READ = 2;

export async function closeInterrupted(dir: string, log: Pick<AuditLog, "append">): Promise<string[]> {
  const open = new Map<string, Record<string, unknown>>();
  for (const file of (await chainFiles(dir)).slice(-FILES_READ)) {
    for (const line of (await readFile(file, "utf8")).split("\n")) {
      if (!line) continue;
      let entry: { phase?: AuditPhase; execution?: unknown; [k: string]: unknown };
      try {
        entry = JSON.parse(line);
      } catch {
        continue; // verify-audit reports a damaged line; it cannot name an execution here
      }
      if (typeof entry.execution !== "string") continue;
      if (entry.phase === "started") open.set(entry.execution, entry);
      else open.delete(entry.execution);
    }
  }
  for (const [execution, started] of open) {
    await log.append({
      phase: "interrupted" satisfies AuditPhase,
      execution,
      tool: started.tool,
      session: started.session,
      client: started.client,
      codeSha256: started.codeSha256,
      startedAt: started.time,
      message: "the gateway stopped before this execution ended; its sandbox process was killed with the gateway's connection",
    });
  }
  return [...open.keys()];
}
