import { describe, expect, it } from "vitest";
import { parseFilterSettings } from "./filter-settings.ts";

describe("docker filter settings", () => {
  it("should default every setting", () => {
    expect(parseFilterSettings({})).toMatchObject({ AIRLOCK_FILTER_PORT: 2375, AIRLOCK_SANDBOX_USER: "10001:10001" });
  });

  it.each([
    ["AIRLOCK_FILTER_PORT", "twenty"],
    ["AIRLOCK_FILTER_PORT", "70000"],
    ["AIRLOCK_SANDBOX_USER", "root"],
    ["AIRLOCK_SANDBOX_LAUNCHER", "relative/path"],
  ])("should stop on a bad %s with the variable's name", (name, value) => {
    expect(() => parseFilterSettings({ [name]: value })).toThrow(new RegExp(`invalid setting ${name}`));
  });
});
