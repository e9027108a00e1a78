import { describe, expect, it } from "vitest";
import { applyEdits } from "./apply-edits.ts";

describe("applyEdits", () => {
  it("should apply blocks in order", () => {
    expect(applyEdits("a b c", [{ search: "b", replace: "B" }, { search: "B c", replace: "X" }])).toEqual({ ok: true, code: "a X" });
  });

  it.each([
    ["a missing search", [{ search: "zzz", replace: "" }], "edit 1: search text not found"],
    ["an ambiguous search", [{ search: "a", replace: "" }], "edit 1: search text occurs more than once"],
    ["an empty search", [{ search: "", replace: "x" }], "edit 1: search text is empty"],
    ["a later failing block", [{ search: "one", replace: "1" }, { search: "two", replace: "2" }], "edit 2: search text not found"],
  ])("should refuse %s", (_name, edits, message) => {
    const result = applyEdits("one a a", edits);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});
