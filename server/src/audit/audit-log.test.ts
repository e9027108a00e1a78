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
});
