/**
 * @module Skill input schemas, safe to evaluate on the gateway's event loop. A schema is written
 * by the same untrusted party that writes skill code, and validation runs in the server process:
 * one `pattern` with catastrophic backtracking once froze every session for 18 s. So every regular
 * expression a schema holds (`pattern`, `patternProperties`) runs on RE2's linear-time engine
 * (lookaround and backreferences are refused at save time); a schema has a size and depth limit;
 * each schema gets its own compiler (no shared `$id` registry to collide in), and compiled
 * validators live in a bounded cache keyed by the schema's text.
 */
import { createHash } from "node:crypto";
import { Ajv, type ValidateFunction } from "ajv";
import { RE2JS } from "re2js";
import { SkillError } from "./skill-store.ts";

export const MAX_SCHEMA_BYTES = 64 * 1024;
export const MAX_SCHEMA_DEPTH = 32;

/** Ajv's `code.regExp` engine: RE2 semantics, linear in the input, same `test()` contract. */
const re2 = Object.assign(
  (pattern: string, flags: string) => {
    try {
      const compiled = RE2JS.compile(pattern, flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0);
      return { test: (input: string) => compiled.test(input) };
    } catch (err) {
      throw new SkillError(
        `input_schema pattern ${JSON.stringify(pattern)} is not supported: ${(err as Error).message}. ` +
          "Patterns use RE2 syntax (no lookahead, lookbehind or backreferences).",
      );
    }
  },
  // Ajv names the engine in generated code; it is never used standalone here.
  { code: "re2" },
);

function depth(value: unknown, level = 0): number {
  if (level > MAX_SCHEMA_DEPTH) return level;
  if (Array.isArray(value)) return Math.max(level, ...value.map((v) => depth(v, level + 1)));
  if (value && typeof value === "object") return Math.max(level, ...Object.values(value).map((v) => depth(v, level + 1)));
  return level;
}

export interface SchemaCompiler {
  /** A validator for `schema`; throws SkillError naming what is wrong with it. */
  compile(schema: Record<string, unknown>): ValidateFunction;
  /** Compilations done so far (cache misses), for tests and metrics. */
  readonly compiled: number;
}

export function createSchemaCompiler(cacheSize = 256): SchemaCompiler {
  const cache = new Map<string, ValidateFunction>();
  let compiled = 0;
  return {
    get compiled() {
      return compiled;
    },
    compile(schema) {
      const text = JSON.stringify(schema);
      if (Buffer.byteLength(text) > MAX_SCHEMA_BYTES) {
        throw new SkillError(`input_schema is larger than ${MAX_SCHEMA_BYTES} bytes`);
      }
      if (depth(schema) > MAX_SCHEMA_DEPTH) throw new SkillError(`input_schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`);
      const key = createHash("sha256").update(text).digest("hex");
      const hit = cache.get(key);
      if (hit) {
        // Most recently used last: the first key is the one to evict.
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      let validate: ValidateFunction;
      try {
        // A compiler per schema: a `$id` in one skill's schema can never clash with another's.
        const ajv = new Ajv({ allErrors: false, strict: false, code: { regExp: re2 } });
        validate = ajv.compile(schema);
      } catch (err) {
        if (err instanceof SkillError) throw err;
        throw new SkillError(`input_schema is not a valid JSON Schema: ${(err as Error).message}`);
      }
      compiled++;
      cache.set(key, validate);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
      return validate;
    },
  };
}
