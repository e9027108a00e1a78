// SECURITY.md names a test as the proof of each defence: every file it names must exist, and a
// test it quotes by name ("› should ...") must be in that file, so the document cannot drift
// from the suites it points to.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SEARCHED = ["test", "server/src", "sandbox", "proxy/tests"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}
const ALL = SEARCHED.flatMap((d) => files(path.join(ROOT, d))).map((f) => path.relative(ROOT, f));

/** The one repository file a short reference like `integration/x.test.ts` stands for. */
function resolve(reference: string): string[] {
  return ALL.filter((f) => f === reference || f.endsWith(`/${reference}`));
}

/** Each test column's references: the file, and the test names quoted after it. */
function references(): Array<{ file: string; names: string[] }> {
  const text = readFileSync(path.join(ROOT, "SECURITY.md"), "utf8");
  const found: Array<{ file: string; names: string[] }> = [];
  for (const row of text.split("\n").filter((l) => l.startsWith("|"))) {
    const cells = row.split("|");
    const proof = cells[cells.length - 2] ?? "";
    // `file` optionally followed by " › names" up to the next file (names separated by " / " or ";").
    for (const m of proof.matchAll(/`([\w./-]+\.(?:test\.ts|py))`(?:\s*›\s*([^`]+))?/g)) {
      const names = (m[2] ?? "").split(/;| \/ /).map((n) => n.trim()).filter((n) => n.startsWith("should "));
      found.push({ file: m[1]!, names });
    }
  }
  return found;
}

describe("SECURITY.md's tests", () => {
  const refs = references();

  it("should name test files", () => {
    expect(refs.length).toBeGreaterThan(40);
  });

  it.each(refs.map((r) => [r.file, r]))("should point at a file that exists: %s", (_file, ref) => {
    expect(resolve(ref.file), `SECURITY.md names ${ref.file}`).toHaveLength(1);
  });

  it.each(refs.filter((r) => r.names.length).flatMap((r) => r.names.map((n) => [r.file, n])))(
    "should quote a test that %s has: %s",
    (file, name) => {
      const source = readFileSync(path.join(ROOT, resolve(file)[0] ?? file), "utf8");
      // Quoted up to an ellipsis or a parenthesis; the test's own title may go on.
      const quoted = name.replace(/[….]+$/, "").replace(/\s*\(.*$/, "").trim();
      // A table-driven test's title is a template ("should refuse to %s"): it matches as a pattern.
      const templates = [...source.matchAll(/\)\(\s*"((?:[^"\\]|\\.)*(?:%s|\$\w+)(?:[^"\\]|\\.)*)"/g)].map(
        (m) => new RegExp(`^${m[1]!.replace(/[.*+?^{}()|[\]\\]/g, "\\$&").replace(/%s|\\\$\w+/g, ".+")}`),
      );
      const found = source.includes(quoted) || templates.some((t) => t.test(quoted));
      expect(found, `${file} has no test "${quoted}"`).toBe(true);
    },
  );
});
