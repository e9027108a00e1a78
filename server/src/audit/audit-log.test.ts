import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createAuditLog, CURRENT_FILE } from "./audit-log.ts";
import { verifyAudit } from "./verify-audit.ts";

describe("audit log", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "audit-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should chain entries and verify them, also after a restart", async () => {
    const log = await createAuditLog(dir, 1_000_000);
    await log.append({ n: 1 });
    await log.append({ n: 2 });
    const reopened = await createAuditLog(dir, 1_000_000);
    await reopened.append({ n: 3 });
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, lines: 3 });
  });

  it("should rotate by size and keep the chain across files", async () => {
    const log = await createAuditLog(dir, 300);
    for (let n = 0; n < 12; n++) await log.append({ n, filler: "x".repeat(50) });
    const result = await verifyAudit(dir);
    expect(result).toMatchObject({ ok: true, lines: 12 });
    expect(result.files).toBeGreaterThan(2);
  });

  it.each([
    ["an edited line", (lines: string[]) => lines.map((l, i) => (i === 1 ? l.replace('"n":1', '"n":9') : l))],
    ["a removed line", (lines: string[]) => lines.filter((_, i) => i !== 1)],
    ["reordered lines", (lines: string[]) => [lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)]],
  ])("should detect %s", async (_name, tamper) => {
    const log = await createAuditLog(dir, 1_000_000);
    for (let n = 0; n < 4; n++) await log.append({ n });
    const file = path.join(dir, CURRENT_FILE);
    const lines = (await readFile(file, "utf8")).split("\n").filter(Boolean);
    await writeFile(file, tamper(lines).join("\n") + "\n");
    const result = await verifyAudit(dir);
    expect(result.ok).toBe(false);
    expect(result.problem).toContain("chain broken");
  });

  it("should retry a failed write, and keep writing after one that failed for good", async () => {
    let failNext = 0;
    const flaky = async (file: string, data: string) => {
      if (failNext > 0) {
        failNext--;
        throw new Error("disk full");
      }
      await writeFile(file, data, { flag: "a" });
    };
    const log = await createAuditLog(dir, 1_000_000, () => new Date(), flaky);
    failNext = 2; // two failures, then the third attempt succeeds
    await log.append({ n: 1 });
    expect(log.status()).toMatchObject({ ok: true, failures: 0 });
    failNext = 3; // every attempt fails
    await expect(log.append({ n: 2 })).rejects.toThrow("disk full");
    expect(log.status()).toMatchObject({ ok: false, failures: 1, lastError: "disk full" });
    await log.append({ n: 3 });
    expect(log.status()).toMatchObject({ ok: true, failures: 1 });
    // The lost entry is not in the chain, and the chain still verifies.
    expect(await verifyAudit(dir)).toMatchObject({ ok: true, lines: 2 });
  });

  it("should not call a folder it cannot read an intact, empty chain", async () => {
    expect(await verifyAudit(path.join(dir, "missing"))).toMatchObject({ ok: false, problem: expect.stringContaining("cannot read") });
  });
});
