/**
 * @module The console's execution history: every call that ended, with its code, capped output,
 * outcome and egress, kept in a volume so it survives restarts, bounded by count and by age.
 *
 *   <dir>/<key>.json           the whole record (read when one execution is opened)
 *   <dir>/<key>.summary.json   what the list shows (read once, at start, for every record)
 *
 * The key starts with the time the call arrived, so names sort oldest first. Files are written
 * whole and renamed into place; a record that cannot be read is skipped and logged, never fatal.
 * Everything here is untrusted text written by executed code: the pages escape it.
 */
import { mkdir, readdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import type { EgressSummary } from "../executor/egress-summary.ts";
import type { Outcome } from "../executor/execution-result.ts";

export interface HistorySummary {
  /** The call's id in the console (known before the code runs; see activity.ts). */
  id: string;
  /** The execution's id, as in the audit log and the proxy's records; absent if it never ran. */
  executionId?: string;
  tool: string;
  skill?: string;
  client: string | null;
  session: string | null;
  /** When the call arrived (ISO). */
  receivedAt: string;
  durationMs: number;
  outcome: Outcome;
  /** The APIs its requests went to. */
  apis: string[];
  requests: number;
  denied: number;
  /** Set when an operator cancelled it from the console. */
  cancelledBy?: "operator";
}

export interface CappedText {
  text: string;
  /** Bytes left out at the end (the history keeps at most AIRLOCK_HISTORY_OUTPUT_BYTES). */
  omittedBytes: number;
}

export interface HistoryRecord extends HistorySummary {
  timeoutSeconds: number;
  codeSha256: string;
  code: CappedText;
  stdout: CappedText;
  stderr: CappedText;
  /** The gateway cut the output at its output limit. */
  outputTruncated: boolean;
  exitCode: number | null;
  message?: string;
  egress: EgressSummary;
}

export interface HistoryFilter {
  outcome?: string;
  client?: string;
  api?: string;
  /** ISO times; either may be absent. */
  since?: string;
  until?: string;
  limit?: number;
}

export interface HistoryStore {
  /** False when the operator switched history off (AIRLOCK_HISTORY=off). */
  readonly enabled: boolean;
  add(record: HistoryRecord): Promise<void>;
  /** Newest first. */
  list(filter?: HistoryFilter): HistorySummary[];
  get(id: string): Promise<HistoryRecord | undefined>;
  /** The values the filters can take (clients, APIs and outcomes seen). */
  facets(): { clients: string[]; apis: string[]; outcomes: string[] };
  /** Drops what is past the count or age bound. */
  prune(): Promise<void>;
}

export interface HistoryBounds {
  maxEntries: number;
  maxAgeDays: number;
  outputBytes: number;
}

const ID = /^[0-9a-f]{32}$/;
const KEY = /^(\d{13})-([0-9a-f]{32})\.summary\.json$/;

/** Keeps the first `maxBytes` of a text (on a character boundary) and says how much was left. */
export function capText(text: string, maxBytes: number): CappedText {
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return { text, omittedBytes: 0 };
  const kept = Buffer.from(text).subarray(0, maxBytes).toString("utf8").replace(/\uFFFD$/, "");
  return { text: kept, omittedBytes: bytes - Buffer.byteLength(kept) };
}

export function summaryOf(r: HistoryRecord): HistorySummary {
  const { id, executionId, tool, skill, client, session, receivedAt, durationMs, outcome, apis, requests, denied, cancelledBy } = r;
  return { id, executionId, tool, skill, client, session, receivedAt, durationMs, outcome, apis, requests, denied, cancelledBy };
}

function keyOf(s: HistorySummary): string {
  return `${String(Date.parse(s.receivedAt)).padStart(13, "0")}-${s.id}`;
}

export async function createHistoryStore(
  dir: string | undefined,
  bounds: HistoryBounds,
  log: (e: Record<string, unknown>) => void,
  now: () => number = Date.now,
): Promise<HistoryStore> {
  // Oldest first, as the keys sort.
  const summaries: HistorySummary[] = [];
  if (dir) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith(".tmp")) {
        // A write that failed half-way (disk full, a crash): nothing points at it.
        await unlink(path.join(dir, name)).catch(() => {});
        continue;
      }
      const match = KEY.exec(name);
      if (!match) continue;
      try {
        const summary = JSON.parse(await readFile(path.join(dir, name), "utf8")) as HistorySummary;
        if (summary.id !== match[2] || !Array.isArray(summary.apis) || typeof summary.receivedAt !== "string") {
          throw new Error("not a history summary");
        }
        summaries.push(summary);
      } catch (err) {
        log({ level: "warn", event: "history-unreadable", file: name, message: (err as Error).message });
      }
    }
  }
  let writes: Promise<void> = Promise.resolve();
  const serial = (work: () => Promise<void>) => (writes = writes.then(work, work));

  const remove = async (s: HistorySummary) => {
    if (!dir) return;
    const key = keyOf(s);
    await Promise.all([`${key}.json`, `${key}.summary.json`].map((n) => unlink(path.join(dir, n)).catch(() => {})));
  };

  const prune = () =>
    serial(async () => {
      const oldest = now() - bounds.maxAgeDays * 86_400_000;
      while (summaries.length > 0 && (summaries.length > bounds.maxEntries || Date.parse(summaries[0]!.receivedAt) < oldest)) {
        await remove(summaries.shift()!);
      }
    });

  const store: HistoryStore = {
    enabled: dir !== undefined,
    async add(record) {
      if (!dir) return;
      const summary = summaryOf(record);
      const key = keyOf(summary);
      await serial(async () => {
        try {
          // The record first: a summary never points at a record that is not there.
          for (const [name, value] of [[`${key}.json`, record], [`${key}.summary.json`, summary]] as const) {
            const file = path.join(dir, name);
            await writeFile(`${file}.tmp`, JSON.stringify(value), { mode: 0o600 });
            await rename(`${file}.tmp`, file);
          }
          summaries.push(summary);
          // Arrival order is nearly end order; keep the list sorted by key all the same.
          summaries.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
        } catch (err) {
          log({ level: "error", event: "history-write-failed", id: record.id, message: (err as Error).message });
        }
      });
      await prune();
    },
    list(filter = {}) {
      const since = filter.since ? Date.parse(filter.since) : -Infinity;
      const until = filter.until ? Date.parse(filter.until) : Infinity;
      const out: HistorySummary[] = [];
      for (let i = summaries.length - 1; i >= 0 && out.length < (filter.limit ?? 200); i--) {
        const s = summaries[i]!;
        const at = Date.parse(s.receivedAt);
        if (filter.outcome && s.outcome !== filter.outcome) continue;
        if (filter.client && s.client !== filter.client) continue;
        if (filter.api && !s.apis.includes(filter.api)) continue;
        if (at < since || at > until) continue;
        out.push(s);
      }
      return out;
    },
    async get(id) {
      if (!dir || !ID.test(id)) return undefined;
      const summary = summaries.find((s) => s.id === id);
      if (!summary) return undefined;
      try {
        return JSON.parse(await readFile(path.join(dir, `${keyOf(summary)}.json`), "utf8")) as HistoryRecord;
      } catch {
        return undefined;
      }
    },
    facets() {
      const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
      return {
        clients: sorted(summaries.flatMap((s) => (s.client ? [s.client] : []))),
        apis: sorted(summaries.flatMap((s) => s.apis)),
        outcomes: sorted(summaries.map((s) => s.outcome)),
      };
    },
    prune,
  };
  await prune();
  return store;
}
