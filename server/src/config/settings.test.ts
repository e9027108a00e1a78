import { describe, expect, it } from "vitest";
import { isLoopback, parseSettings } from "./settings.ts";

describe("settings", () => {
  it("should apply defaults and treat empty values as unset", () => {
    const s = parseSettings({ AIRLOCK_MAX_QUEUE: "" });
    expect(s).toMatchObject({ maxConcurrency: 4, maxQueue: 64, defaultTimeoutSeconds: 30, bindAddress: "127.0.0.1" });
  });

  it.each([
    [{ AIRLOCK_MAX_CONCURRENCY: "0" }, "AIRLOCK_MAX_CONCURRENCY"],
    [{ AIRLOCK_MAX_CONCURRENCY: "lots" }, "AIRLOCK_MAX_CONCURRENCY"],
    [{ AIRLOCK_OPEN_EGRESS: "yes" }, "AIRLOCK_OPEN_EGRESS"],
    [{ AIRLOCK_AUTH_TOKEN: "short" }, "AIRLOCK_AUTH_TOKEN"],
    [{ AIRLOCK_DEFAULT_TIMEOUT_SECONDS: "600", AIRLOCK_MAX_TIMEOUT_SECONDS: "60" }, "AIRLOCK_DEFAULT_TIMEOUT_SECONDS"],
  ])("should refuse %j naming the variable", (env, name) => {
    expect(() => parseSettings(env)).toThrow(name);
  });

  it("should refuse a network bind without a token", () => {
    expect(() => parseSettings({ AIRLOCK_BIND_ADDRESS: "0.0.0.0" })).toThrow(/refusing to start.*AIRLOCK_AUTH_TOKEN/);
  });

  it("should start on the network with a token, or with the loud override", () => {
    expect(parseSettings({ AIRLOCK_BIND_ADDRESS: "0.0.0.0", AIRLOCK_AUTH_TOKEN: "a-long-enough-token" }).authToken).toBe("a-long-enough-token");
    expect(parseSettings({ AIRLOCK_BIND_ADDRESS: "0.0.0.0", AIRLOCK_INSECURE_NO_AUTH_ON_NETWORK: "true" }).insecureNoAuthOnNetwork).toBe(true);
  });

  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["::1", true],
    ["[::1]", true],
    ["localhost", true],
    ["0.0.0.0", false],
    ["192.168.1.10", false],
    ["::", false],
  ])("should judge %s loopback=%s", (address, loopback) => {
    expect(isLoopback(address)).toBe(loopback);
  });
  it("should refuse a console token that is the MCP clients' token", () => {
    const same = "the-same-token-of-sixteen";
    expect(() => parseSettings({ AIRLOCK_AUTH_TOKEN: same, AIRLOCK_CONSOLE_TOKEN: same })).toThrow(/AIRLOCK_CONSOLE_TOKEN: must differ/);
    expect(parseSettings({ AIRLOCK_AUTH_TOKEN: same, AIRLOCK_CONSOLE_TOKEN: `${same}-op` }).consoleToken).toBe(`${same}-op`);
  });
});
