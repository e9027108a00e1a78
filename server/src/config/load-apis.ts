/**
 * @module Loads every `apis/<name>/config.json`. One bad file never hides the others: each problem
 * is reported with the file's path and the offending field, and the rest load normally.
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
}

export interface LoadedApis {
  apis: LoadedApi[];
  problems: ConfigProblem[];
}

export async function loadApis(dir: string): Promise<LoadedApis> {
  const apis: LoadedApi[] = [];
  const problems: ConfigProblem[] = [];
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { apis, problems };
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
      problems.push({ file, field: "(file)", message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const problem = parseOne(name, file, text);
    if ("message" in problem) problems.push(problem);
    else apis.push(problem);
  }
  return { apis, problems };
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

/** Hostnames that executions may reach: the domains of every active API, deduplicated. */
export function allowedHosts(apis: LoadedApi[]): string[] {
  return [...new Set(apis.filter((a) => a.active).flatMap((a) => a.domains))].sort();
}
