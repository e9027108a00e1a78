import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chainFiles, createAuditLog, CURRENT_FILE } from "./audit-log.ts";
import { closeInterrupted } from "./interrupted.ts";
import { verifyAudit } from "./verify-audit.ts";

describe("closing executions a dead gateway left open", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "audit-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async () =>
    (await readFile(path.join(dir, CURRENT_FILE), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);

  it("should add one interrupted line for each started execution without an end, once", async () => {
    const before = await createAuditLog(dir, 1_000_000);
    await before.append({ phase: "started", execution: "a", client: "x", codeSha256: "1" });
    await before.append({ phase: "started", execution: "b", client: "y", codeSha256: "2" });
    await before.append({ phase: "ended", execution: "a", outcome: "success" });
    await before.append({ phase: "ended", execution: null, outcome: "cancelled" }); // never ran
    // The process dies here; the next one opens the same folder.
    const after = await createAuditLog(dir, 1_000_000);
    expect(await closeInterrupted(dir, after)).toEqual(["b"]);
    const closing = (await lines()).at(-1)!;
    expect(closing).toMatchObject({ phase: "interrupted", execution: "b", client: "y", codeSha256: "2" });
    expect(closing.startedAt).toEqual(expect.any(String));
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, lines: 5 });
    // A later restart finds nothing left open.
    expect(await closeInterrupted(dir, await createAuditLog(dir, 1_000_000))).toEqual([]);
  });

  it("should find a start in the file before a rotation", async () => {
    const log = await createAuditLog(dir, 350); // two lines a file
    await log.append({ phase: "started", execution: "old" });
    await log.append({ phase: "started", execution: "new" });
    await log.append({ phase: "ended", execution: "new" });
    expect(await chainFiles(dir)).toHaveLength(2); // the start and its end are in different files
    expect(await closeInterrupted(dir, await createAuditLog(dir, 350))).toEqual(["old"]);
    expect(await verifyAudit(dir)).toMatchObject({ ok: true });
  });
});
