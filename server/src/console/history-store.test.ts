import { mkdtemp, readdir, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { capText, createHistoryStore, type HistoryRecord } from "./history-store.ts";

const bounds = { maxEntries: 100, maxAgeDays: 7, outputBytes: 1024 };
const DAY = 86_400_000;

function record(n: number, at: number, extra: Partial<HistoryRecord> = {}): HistoryRecord {
  return {
    id: n.toString(16).padStart(32, "0"),
    executionId: "e".repeat(32),
    tool: "execute_code",
    client: n % 2 ? "claude-code" : "desktop",
    session: "s1",
    receivedAt: new Date(at).toISOString(),
    durationMs: 12,
    outcome: n % 3 ? "success" : "error",
    apis: n % 2 ? ["stripe"] : [],
    requests: 1,
    denied: 0,
    timeoutSeconds: 30,
    codeSha256: "0".repeat(64),
    code: { text: "console.log(1)", omittedBytes: 0 },
    stdout: { text: "1\n", omittedBytes: 0 },
    stderr: { text: "", omittedBytes: 0 },
    outputTruncated: false,
    exitCode: 0,
    egress: { requests: [], denied: 0, omitted: 0 },
    ...extra,
  };
}

async function dir() {
  return mkdtemp(path.join(tmpdir(), "history-"));
}

describe("history store", () => {
  it("should keep records across a restart and open each in full", async () => {
    const d = await dir();
    const now = Date.now();
    const first = await createHistoryStore(d, bounds, () => {});
    await first.add(record(1, now - 2000, { stdout: { text: "<script>alert(1)</script>", omittedBytes: 0 } }));
    await first.add(record(2, now - 1000));
    const again = await createHistoryStore(d, bounds, () => {});
    expect(again.list().map((s) => s.id)).toEqual([record(2, 0).id, record(1, 0).id]);
    expect((await again.get(record(1, 0).id))?.stdout.text).toBe("<script>alert(1)</script>");
    // Only the gateway's user may read what executions printed.
    for (const name of await readdir(d)) expect((await stat(path.join(d, name))).mode & 0o077).toBe(0);
  });

  it("should drop the oldest past the count bound and anything past the age bound", async () => {
    const d = await dir();
    const now = Date.now();
    const store = await createHistoryStore(d, { ...bounds, maxEntries: 3 }, () => {});
    await store.add(record(1, now - 8 * DAY));
    expect(store.list()).toEqual([]);
    for (let n = 2; n <= 6; n++) await store.add(record(n, now - 1000 + n));
    expect(store.list().map((s) => s.id)).toEqual([6, 5, 4].map((n) => record(n, 0).id));
    expect((await readdir(d)).length).toBe(6);
    expect(await store.get(record(2, 0).id)).toBeUndefined();
  });

  it("should filter by outcome, client, API and time, newest first", async () => {
    const store = await createHistoryStore(await dir(), bounds, () => {});
    const now = Date.now();
    for (let n = 1; n <= 6; n++) await store.add(record(n, now - 10_000 + n * 1000));
    expect(store.list({ outcome: "error" }).map((s) => s.outcome)).toEqual(["error", "error"]);
    expect(store.list({ client: "desktop" }).every((s) => s.client === "desktop")).toBe(true);
    expect(store.list({ api: "stripe" }).length).toBe(3);
    expect(store.list({ since: new Date(now - 5500).toISOString() }).length).toBe(2);
    expect(store.list({ until: new Date(now - 7500).toISOString() }).length).toBe(2);
    expect(store.facets()).toEqual({ clients: ["claude-code", "desktop"], apis: ["stripe"], outcomes: ["error", "success"] });
  });

  it("should keep nothing when switched off, and refuse ids that are not ids", async () => {
    const off = await createHistoryStore(undefined, bounds, () => {});
    await off.add(record(1, Date.now()));
    expect(off.enabled).toBe(false);
    expect(off.list()).toEqual([]);
    const on = await createHistoryStore(await dir(), bounds, () => {});
    expect(await on.get("../../etc/passwd")).toBeUndefined();
  });

  it("should skip a record it cannot read at start, say so, and keep the rest", async () => {
    const d = await dir();
    const now = Date.now();
    const first = await createHistoryStore(d, bounds, () => {});
    await first.add(record(1, now - 2000));
    await first.add(record(2, now - 1000));
    const { writeFile } = await import("node:fs/promises");
    const broken = (await readdir(d)).find((n) => n.endsWith(`${record(1, 0).id}.summary.json`))!;
    await writeFile(path.join(d, broken), "{torn");
    const logged: Array<Record<string, unknown>> = [];
    const again = await createHistoryStore(d, bounds, (e) => logged.push(e));
    expect(again.list().map((s) => s.id)).toEqual([record(2, 0).id]);
    expect(logged).toMatchObject([{ level: "warn", event: "history-unreadable", file: broken }]);
  });

  it("should cap text on a character boundary and say how much it left out", () => {
    expect(capText("héllo", 2)).toEqual({ text: "h", omittedBytes: 5 });
    expect(capText("abc", 3)).toEqual({ text: "abc", omittedBytes: 0 });
  });
});
