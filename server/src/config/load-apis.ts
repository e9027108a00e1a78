/**
 * @module Loads every `apis/<name>/config.json`. One bad file never hides the others: each problem
 * is reported with the file's path and the offending field, and the rest load normally. A file
 * that breaks keeps its last good version in force, as the proxy does, so a typo made while
 * editing never switches an API off (or on) by surprise.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { apiConfigSchema, apiName, type ApiConfig } from "./api-config.ts";

export interface LoadedApi extends ApiConfig {
  name: string;
}

export interface ConfigProblem {
  file: string;
  field: string;
  message: string;
  /** True when an earlier valid version of this API is still in force. */
  keptLastGood?: boolean;
}

export interface LoadedApis {
  apis: LoadedApi[];
  problems: ConfigProblem[];
}

export interface ApiRegistry {
  /** Reads the folder afresh; cheap enough to call on every tool call (that is the live reload). */
  load(): Promise<LoadedApis>;
}

export function createApiRegistry(dir: string): ApiRegistry {
  const lastGood = new Map<string, LoadedApi>();
  return {
    async load() {
      const { apis, problems, present } = await readFolder(dir);
      for (const name of [...lastGood.keys()]) if (!present.has(name)) lastGood.delete(name);
      for (const api of apis) lastGood.set(api.name, api);
      for (const problem of problems) {
        const name = path.basename(path.dirname(problem.file));
        problem.keptLastGood = lastGood.has(name);
      }
      return { apis: [...lastGood.values()].sort((a, b) => a.name.localeCompare(b.name)), problems };
    },
  };
}

async function readFolder(dir: string): Promise<LoadedApis & { present: Set<string> }> {
  const apis: LoadedApi[] = [];
  const problems: ConfigProblem[] = [];
  const present = new Set<string>();
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { apis, problems, present };
    throw err;
  }
  for (const name of entries.sort()) {
    const file = path.join(dir, name, "config.json");
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      // A folder without config.json (e.g. only the shipped example) is not an API yet.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") continue;
      present.add(name);
      problems.push({ file, field: "(file)", message: `cannot read: ${(err as Error).message}`, keptLastGood: false });
      continue;
    }
    present.add(name);
    const result = parseOne(name, file, text);
    if ("message" in result) problems.push({ ...result, keptLastGood: false });
    else apis.push(result);
  }
  return { apis, problems, present };
}

export function parseOne(name: string, file: string, text: string): LoadedApi | ConfigProblem {
  if (!apiName.safeParse(name).success) {
    return { file, field: "(folder name)", message: "must be lower-case letters, digits, '-' or '_' (max 63)" };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { file, field: "(file)", message: `not valid JSON: ${(err as Error).message}` };
  }
  const parsed = apiConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // For an unknown key the useful "field" is the key itself (often a typo of a real one).
    const path = issue.code === "unrecognized_keys" ? [...issue.path, ...issue.keys] : issue.path;
    return { file, field: path.map(String).join(".") || "(root)", message: issue.message };
  }
  return { name, ...parsed.data };
}

/** The `host:port` pairs executions may reach (Deno's --allow-net): every active API's domains on
 *  its HTTPS and plain-HTTP ports, deduplicated. Deno would otherwise allow every port of a host. */
export function allowedHosts(apis: LoadedApi[]): string[] {
  const pairs = apis
    .filter((a) => a.active)
    .flatMap((a) => a.domains.flatMap((d) => [...a.ports, ...a.plainHttpPorts].map((p) => `${d}:${p}`)));
  return [...new Set(pairs)].sort();
}
