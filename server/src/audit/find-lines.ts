/**
 * @module The audit lines of one execution, for the console's history page (the history and the
 * audit chain share the execution id). Reads the chain newest file first, line by line, and stops
 * at the file where the execution's first line is: an execution's lines are never far apart. At
 * most the newest `maxFiles` files are read, so a page view never scans the whole history.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { chainFiles } from "./audit-log.ts";

export async function findAuditLines(dir: string | undefined, executionId: string, maxFiles = 3): Promise<Array<Record<string, unknown>>> {
  if (!dir || !/^[0-9a-f]{16,64}$/.test(executionId)) return [];
  const needle = `"execution":"${executionId}"`;
  const found: Array<Record<string, unknown>> = [];
  for (const file of (await chainFiles(dir)).reverse().slice(0, maxFiles)) {
    const inFile: Array<Record<string, unknown>> = [];
    const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
    try {
      for await (const line of lines) {
        if (!line.includes(needle)) continue;
        try {
          inFile.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // A torn last line (a crash mid-write) is the verifier's to report, not ours.
        }
      }
    } catch {
      continue; // rotated away while we read
    }
    found.unshift(...inFile);
    if (found.some((l) => l.phase === "started")) break;
  }
  return found;
}
