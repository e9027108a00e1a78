/**
 * @module Verifies the audit log's hash chain across its rotated files. Run it in the server
 * container: `docker compose exec server node server/src/audit/verify-audit.ts /audit`.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chainFiles, GENESIS, sha256 } from "./audit-log.ts";

export interface VerifyResult {
  ok: boolean;
  lines: number;
  files: number;
  /** Where the chain first breaks. */
  problem?: string;
}

export async function verifyAudit(dir: string): Promise<VerifyResult> {
  // A folder that cannot be read must not pass as an empty, intact chain.
  try {
    await readdir(dir);
  } catch (err) {
    return { ok: false, lines: 0, files: 0, problem: `cannot read ${dir}: ${(err as Error).message}` };
  }
  const files = await chainFiles(dir);
  let expected = GENESIS;
  let lines = 0;
  for (const file of files) {
    const text = await readFile(file, "utf8");
    const rows = text.split("\n");
    for (const [i, line] of rows.entries()) {
      if (line === "") {
        if (i === rows.length - 1) continue;
        return { ok: false, lines, files: files.length, problem: `${path.basename(file)}:${i + 1}: empty line` };
      }
      let prev: unknown;
      try {
        prev = (JSON.parse(line) as { prev?: unknown }).prev;
      } catch {
        return { ok: false, lines, files: files.length, problem: `${path.basename(file)}:${i + 1}: not JSON` };
      }
      if (prev !== expected) {
        return {
          ok: false,
          lines,
          files: files.length,
          problem: `${path.basename(file)}:${i + 1}: chain broken (a line before it was changed, removed or reordered)`,
        };
      }
      expected = sha256(line);
      lines++;
    }
  }
  return { ok: true, lines, files: files.length };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? "/audit";
  const result = await verifyAudit(dir);
  console.log(
    result.ok
      ? `audit log OK: ${result.lines} entries in ${result.files} file(s), hash chain intact`
      : `audit log TAMPERED: ${result.problem}`,
  );
  process.exit(result.ok ? 0 : 1);
}
