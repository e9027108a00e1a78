import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSkillStore, type SkillStore } from "./skill-store.ts";

const who = { client: "test-client", session: "s1" };
const code = "export default async function (args: { n: number }) { return args.n * 2; }";

describe("skill store", () => {
  let root: string;
  let store: SkillStore;
  const events: Array<Record<string, unknown>> = [];
  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "skills-"));
    events.length = 0;
    store = createSkillStore(root, { maxCodeBytes: 4096, maxStoreBytes: 64 * 1024 }, (e) => events.push(e));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("should save a skill with metadata and provenance, and list and read it", async () => {
    await store.save({ name: "double", description: "Doubles n", code, inputSchema: { type: "object" } }, who);
    const skill = await store.get("double");
    expect(skill).toMatchObject({ name: "double", version: 1, code, created: { client: "test-client", session: "s1" } });
    expect((await store.list()).map((s) => s.name)).toEqual(["double"]);
    expect(await readFile(path.join(root, "double", "skill.ts"), "utf8")).toBe(code);
    expect(events).toContainEqual(expect.objectContaining({ event: "skill-saved", skill: "double" }));
  });

  it("should keep every version and roll back as a new version", async () => {
    await store.save({ name: "double", description: "v1", code, inputSchema: {} }, who);
    await store.update("double", { code: code.replace("* 2", "* 3"), description: "v2" }, who);
    expect((await store.get("double")).code).toContain("* 3");
    expect((await store.versions("double")).map((v) => v.version)).toEqual([1, 2]);
    expect((await store.version("double", 1)).code).toBe(code);
    const rolled = await store.rollback("double", 1, who);
    expect(rolled).toMatchObject({ version: 3, description: "v1", code });
    expect((await store.versions("double")).map((v) => v.description)).toEqual(["v1", "v2", "v1"]);
  });

  it.each(["../evil", "a/b", ".hidden", "", "UPPER", "x".repeat(65), "a\u0000b", "-dash"])(
    "should refuse the name %j and write nothing",
    async (name) => {
      await expect(store.save({ name, description: "d", code, inputSchema: {} }, who)).rejects.toThrow(/invalid skill name/);
      expect(await store.list()).toEqual([]);
    },
  );

  it("should refuse code over the size limit and a store that would overflow", async () => {
    await expect(store.save({ name: "big", description: "d", code: "x".repeat(5000), inputSchema: {} }, who)).rejects.toThrow(
      /at most 4096/,
    );
    await writeFile(path.join(root, "filler.bin"), Buffer.alloc(63 * 1024));
    await expect(store.save({ name: "small", description: "d", code, inputSchema: {} }, who)).rejects.toThrow(/store is full/);
  });

  it("should refuse to save over an existing skill, and to touch a missing one", async () => {
    await store.save({ name: "double", description: "d", code, inputSchema: {} }, who);
    await expect(store.save({ name: "double", description: "d", code, inputSchema: {} }, who)).rejects.toThrow(/exists already/);
    await expect(store.update("nope", { code }, who)).rejects.toThrow(/no skill named 'nope'/);
    await expect(store.version("double", 7)).rejects.toThrow(/no version 7/);
  });

  it("should not follow a symlink planted in the store", async () => {
    await store.save({ name: "double", description: "d", code, inputSchema: {} }, who);
    await rm(path.join(root, "double", "skill.ts"));
    await symlink("/etc/passwd", path.join(root, "double", "skill.ts"));
    await expect(store.get("double")).rejects.toThrow();
  });

  it("should move a deleted skill aside rather than destroy it", async () => {
    await store.save({ name: "double", description: "d", code, inputSchema: {} }, who);
    await store.remove("double");
    expect(await store.list()).toEqual([]);
    await expect(store.get("double")).rejects.toThrow(/no skill/);
  });
});
