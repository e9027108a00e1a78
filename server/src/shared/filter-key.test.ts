import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureFilterKey, keyMatches, readFilterKey } from "./filter-key.ts";

describe("the docker filter's key", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "filter-key-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should be made once, at the filter's first start, and then kept", async () => {
    const file = path.join(dir, "key");
    const first = await ensureFilterKey(file);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(await ensureFilterKey(file)).toBe(first);
    expect(await readFilterKey(file)).toBe(first);
  });

  it("should refuse a key file too short to be a secret, naming it", async () => {
    const file = path.join(dir, "short");
    await writeFile(file, "abc\n");
    await expect(readFilterKey(file)).rejects.toThrow(file);
  });

  it("should match only the exact key", async () => {
    const key = await ensureFilterKey(path.join(dir, "key"));
    expect(keyMatches(key, key)).toBe(true);
    for (const wrong of [undefined, "", key.slice(0, -1), key + "0", key.toUpperCase(), `${key.slice(0, -1)}x`, [key], [key, key]]) {
      expect(keyMatches(wrong, key)).toBe(false);
    }
    expect((await readFile(path.join(dir, "key"), "utf8")).trim()).toBe(key);
  });
});
