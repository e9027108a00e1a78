/**
 * @module The skills store on disk. Only the gateway writes it (the sandbox mounts it read-only):
 *
 *   <root>/<name>/skill.ts            the current code (what `/skills/<name>/skill.ts` imports)
 *   <root>/<name>/skill.json          its metadata: description, input schema, provenance, version
 *   <root>/<name>/versions/<n>.ts     every earlier version, with <n>.json beside it
 *   <root>/.deleted/<name>-<time>/    deleted skills, kept so a delete can be undone by hand
 *
 * Every change is validated (name, sizes, the store's total size) before anything is written,
 * files are replaced atomically (write, then rename), symlinks are never followed, and changes
 * are serialised so two calls cannot interleave.
 */
import { lstat, mkdir, open, readdir, rename, stat } from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";

export const SKILL_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export class SkillError extends Error {}

export interface Provenance {
  at: string;
  client: string;
  session: string;
}

export interface SkillMeta {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  version: number;
  created: Provenance;
  updated: Provenance;
}

export interface Skill extends SkillMeta {
  code: string;
}

export interface SkillLimits {
  maxCodeBytes: number;
  maxStoreBytes: number;
}

export interface SkillStore {
  list(): Promise<SkillMeta[]>;
  get(name: string): Promise<Skill>;
  save(input: { name: string; description: string; code: string; inputSchema: Record<string, unknown> }, who: Omit<Provenance, "at">): Promise<Skill>;
  update(name: string, change: { code?: string; description?: string; inputSchema?: Record<string, unknown> }, who: Omit<Provenance, "at">): Promise<Skill>;
  remove(name: string): Promise<void>;
  versions(name: string): Promise<Array<Pick<SkillMeta, "version" | "updated" | "description">>>;
  version(name: string, version: number): Promise<Skill>;
  rollback(name: string, version: number, who: Omit<Provenance, "at">): Promise<Skill>;
}

export function checkName(name: string): void {
  if (!SKILL_NAME.test(name)) {
    throw new SkillError(
      `invalid skill name '${name.slice(0, 80)}': use 1-64 lower-case letters, digits, '-' or '_', starting with a letter`,
    );
  }
}

export function createSkillStore(root: string, limits: SkillLimits, log: (e: Record<string, unknown>) => void): SkillStore {
  let queue: Promise<unknown> = Promise.resolve();
  const serialised = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const dirOf = (name: string) => path.join(root, name);

  async function readMeta(name: string, file = path.join(dirOf(name), "skill.json")): Promise<SkillMeta> {
    return JSON.parse(await readRegular(file)) as SkillMeta;
  }

  async function exists(name: string): Promise<boolean> {
    try {
      const s = await lstat(dirOf(name));
      return s.isDirectory();
    } catch {
      return false;
    }
  }

  async function requireSkill(name: string): Promise<void> {
    checkName(name);
    if (!(await exists(name))) throw new SkillError(`no skill named '${name}' (list_skills shows the saved ones)`);
  }

  function checkCode(code: string): void {
    const bytes = Buffer.byteLength(code, "utf8");
    if (bytes === 0) throw new SkillError("code is empty");
    if (bytes > limits.maxCodeBytes) throw new SkillError(`code is ${bytes} bytes; a skill may be at most ${limits.maxCodeBytes}`);
  }

  async function checkRoom(extraBytes: number): Promise<void> {
    const used = await treeSize(root);
    if (used + extraBytes > limits.maxStoreBytes) {
      throw new SkillError(
        `the skills store is full (${used} of ${limits.maxStoreBytes} bytes used): delete skills you no longer need`,
      );
    }
  }

  async function write(name: string, meta: SkillMeta, code: string): Promise<void> {
    const dir = dirOf(name);
    await mkdir(path.join(dir, "versions"), { recursive: true });
    await atomicWrite(path.join(dir, "skill.ts"), code);
    await atomicWrite(path.join(dir, "skill.json"), JSON.stringify(meta, null, 2) + "\n");
  }

  async function archiveCurrent(name: string): Promise<SkillMeta> {
    const dir = dirOf(name);
    const meta = await readMeta(name);
    const code = await readRegular(path.join(dir, "skill.ts"));
    await atomicWrite(path.join(dir, "versions", `${meta.version}.ts`), code);
    await atomicWrite(path.join(dir, "versions", `${meta.version}.json`), JSON.stringify(meta, null, 2) + "\n");
    return meta;
  }

  const now = () => new Date().toISOString();

  const store: SkillStore = {
    async list() {
      let names: string[];
      try {
        names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && SKILL_NAME.test(d.name)).map((d) => d.name);
      } catch {
        return [];
      }
      const metas: SkillMeta[] = [];
      for (const name of names.sort()) {
        try {
          metas.push(await readMeta(name));
        } catch {
          // A folder an operator made by hand without metadata is not a skill.
        }
      }
      return metas;
    },

    async get(name) {
      await requireSkill(name);
      const meta = await readMeta(name);
      return { ...meta, code: await readRegular(path.join(dirOf(name), "skill.ts")) };
    },

    save(input, who) {
      return serialised(async () => {
        checkName(input.name);
        checkCode(input.code);
        if (await exists(input.name)) {
          throw new SkillError(`a skill named '${input.name}' exists already: use update_skill, or delete_skill first`);
        }
        await checkRoom(Buffer.byteLength(input.code) + 4096);
        const at = { ...who, at: now() };
        const meta: SkillMeta = {
          name: input.name,
          description: input.description,
          inputSchema: input.inputSchema,
          version: 1,
          created: at,
          updated: at,
        };
        await write(input.name, meta, input.code);
        log({ event: "skill-saved", skill: input.name, version: 1, client: who.client, session: who.session });
        return { ...meta, code: input.code };
      });
    },

    update(name, change, who) {
      return serialised(async () => {
        await requireSkill(name);
        const current = await store.get(name);
        const code = change.code ?? current.code;
        checkCode(code);
        await checkRoom(2 * Buffer.byteLength(code) + 8192);
        await archiveCurrent(name);
        const meta: SkillMeta = {
          name,
          description: change.description ?? current.description,
          inputSchema: change.inputSchema ?? current.inputSchema,
          version: current.version + 1,
          created: current.created,
          updated: { ...who, at: now() },
        };
        await write(name, meta, code);
        log({ event: "skill-updated", skill: name, version: meta.version, client: who.client, session: who.session });
        return { ...meta, code };
      });
    },

    remove(name) {
      return serialised(async () => {
        await requireSkill(name);
        const trash = path.join(root, ".deleted");
        await mkdir(trash, { recursive: true });
        await rename(dirOf(name), path.join(trash, `${name}-${Date.now()}`));
        log({ event: "skill-deleted", skill: name });
      });
    },

    async versions(name) {
      await requireSkill(name);
      const current = await readMeta(name);
      const files = (await readdir(path.join(dirOf(name), "versions"))).filter((f) => /^\d+\.json$/.test(f));
      const older = await Promise.all(files.map((f) => readMeta(name, path.join(dirOf(name), "versions", f))));
      return [...older, current]
        .sort((a, b) => a.version - b.version)
        .map(({ version, updated, description }) => ({ version, updated, description }));
    },

    async version(name, version) {
      await requireSkill(name);
      const current = await readMeta(name);
      if (version === current.version) return store.get(name);
      const base = path.join(dirOf(name), "versions", String(version));
      try {
        return { ...(await readMeta(name, `${base}.json`)), code: await readRegular(`${base}.ts`) };
      } catch {
        throw new SkillError(`skill '${name}' has no version ${version} (skill_versions lists them)`);
      }
    },

    async rollback(name, version, who) {
      const old = await store.version(name, version);
      const updated = await store.update(name, { code: old.code, description: old.description, inputSchema: old.inputSchema }, who);
      log({ event: "skill-rolled-back", skill: name, to: version, version: updated.version });
      return updated;
    },
  };
  return store;
}

/** Writes a file by rename, refusing to follow a symlink planted at the temp path. */
async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

/** Reads a regular file; a symlink (or anything else) is refused, never followed. */
async function readRegular(file: string): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    if (!(await handle.stat()).isFile()) throw new SkillError(`${path.basename(file)} is not a regular file`);
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await treeSize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
