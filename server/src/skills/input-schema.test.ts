import { describe, expect, it } from "vitest";
import { createSchemaCompiler, MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH } from "./input-schema.ts";

describe("skill input schemas", () => {
  it("should match a catastrophic-backtracking pattern in linear time", () => {
    const validate = createSchemaCompiler().compile({ type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } } });
    const started = performance.now();
    // With a backtracking engine 30 characters take ~18 s; RE2 answers at once, and so for 100k.
    expect(validate({ s: "a".repeat(100_000) + "!" })).toBe(false);
    expect(validate({ s: "aaaa" })).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("should use the linear engine for patternProperties too", () => {
    const validate = createSchemaCompiler().compile({ type: "object", patternProperties: { "^(x+x+)+y$": { type: "number" } } });
    expect(validate({ ["x".repeat(50_000)]: "not checked: the key does not match" })).toBe(true);
    expect(validate({ xxy: "a string" })).toBe(false);
  });

  it.each([["(?=a)b", "lookahead"], ["(a)\\1", "backreference"], ["(?<!a)b", "lookbehind"]])(
    "should refuse a pattern RE2 cannot run (%s: %s) when the schema is saved",
    (pattern) => {
      expect(() => createSchemaCompiler().compile({ type: "string", pattern })).toThrow(/RE2 syntax/);
    },
  );

  it("should let two skills use the same $id", () => {
    const compiler = createSchemaCompiler();
    compiler.compile({ $id: "https://example.test/args", type: "object" });
    expect(() => compiler.compile({ $id: "https://example.test/args", type: "object", required: ["x"] })).not.toThrow();
  });

  it("should compile each schema once and keep a bounded cache", () => {
    const compiler = createSchemaCompiler(2);
    const schema = { type: "object", properties: { n: { type: "number" } } };
    for (let i = 0; i < 5; i++) compiler.compile(schema);
    expect(compiler.compiled).toBe(1);
    compiler.compile({ type: "string" });
    compiler.compile({ type: "number" });
    compiler.compile(schema); // evicted by the two above
    expect(compiler.compiled).toBe(4);
  });

  it("should refuse a schema too large or too deep", () => {
    const compiler = createSchemaCompiler();
    expect(() => compiler.compile({ description: "x".repeat(MAX_SCHEMA_BYTES) })).toThrow(/larger than/);
    let deep: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < MAX_SCHEMA_DEPTH + 1; i++) deep = { type: "object", properties: { a: deep } };
    expect(() => compiler.compile(deep)).toThrow(/deeper than/);
  });

  it("should name an invalid schema", () => {
    expect(() => createSchemaCompiler().compile({ type: "nonsense" })).toThrow(/not a valid JSON Schema/);
  });
});
