/**
 * @module The audit log: one JSON line per execution in a persistent volume. Tamper-evident: every
 * line carries the SHA-256 of the line before it (`prev`), so editing, removing or reordering a
 * line breaks the chain from there on (verify-audit.ts checks it). Rotated by size; the chain
 * continues across files. Never holds a secret value (the gateway never has one) nor the code
 * itself unless the operator turns that on.
 */
import { createHash } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rename, stat } from "node:fs/promises";
import path from "node:path";

export const CURRENT_FILE = "audit.jsonl";
/** `prev` of the very first line. */
export const GENESIS = "0".repeat(64);

export interface AuditEntry {
  [key: string]: unknown;
}

export interface AuditStatus {
  /** False while the newest write failed (after retries): /health then says degraded. */
  ok: boolean;
  /** Entries that could not be written since start. */
  failures: number;
  lastError?: string;
}

export interface AuditLog {
  /** Appends one entry, retrying a failed write; rejects if it still fails. */
  append(entry: AuditEntry): Promise<void>;
  status(): AuditStatus;
}

const RETRIES = 3;

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Rotated files sort by name in chain order: audit.<zero-padded sequence>.jsonl. */
export async function chainFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^audit\.\d{8}\.jsonl$/.test(n)).sort();
  const current = await stat(path.join(dir, CURRENT_FILE)).then(() => [CURRENT_FILE], () => []);
  return [...names, ...current].map((n) => path.join(dir, n));
}

async function lastLineHash(files: string[]): Promise<string> {
  for (const file of [...files].reverse()) {
    const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
    if (lines.length) return sha256(lines[lines.length - 1]!);
  }
  return GENESIS;
}

export async function createAuditLog(
  dir: string,
  maxBytes: number,
  now = () => new Date(),
  write: (file: string, data: string) => Promise<void> = (file, data) => appendFile(file, data, { mode: 0o640 }),
): Promise<AuditLog> {
  await mkdir(dir, { recursive: true });
  let prev = await lastLineHash(await chainFiles(dir));
  let size = await stat(path.join(dir, CURRENT_FILE)).then((s) => s.size, () => 0);
  let queue: Promise<void> = Promise.resolve();
  const state: AuditStatus = { ok: true, failures: 0 };

  async function writeWithRetries(line: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write(path.join(dir, CURRENT_FILE), line + "\n");
        return;
      } catch (err) {
        if (attempt >= RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  async function rotate(): Promise<void> {
    const rotated = (await chainFiles(dir)).length - 1;
    await rename(path.join(dir, CURRENT_FILE), path.join(dir, `audit.${String(rotated + 1).padStart(8, "0")}.jsonl`));
    size = 0;
  }

  return {
    append(entry) {
      // Serialised: the chain needs a strict order, and concurrent executions finish together.
      // One failed entry must not reject every later one: each starts from a settled queue.
      const next = queue.catch(() => {}).then(async () => {
        const line = JSON.stringify({ time: now().toISOString(), ...entry, prev });
        try {
          if (size > 0 && size + line.length + 1 > maxBytes) await rotate();
          await writeWithRetries(line);
        } catch (err) {
          state.ok = false;
          state.failures++;
          state.lastError = (err as Error).message;
          throw err;
        }
        // Only a written line extends the chain.
        size += Buffer.byteLength(line) + 1;
        prev = sha256(line);
        state.ok = true;
      });
      queue = next;
      return next;
    },
    status: () => ({ ...state }),
  };
}
