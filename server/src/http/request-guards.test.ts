import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { hostAllowed, originAllowed, requestGuards, type GuardSettings } from "./request-guards.ts";

const open: GuardSettings = { allowedHosts: ["airlock.internal"], allowedOrigins: ["https://app.example.com"], authToken: undefined };

function app(settings = open) {
  const a = new Hono();
  a.use("/mcp", requestGuards(settings, () => {}));
  a.post("/mcp", (c) => c.text("reached"));
  return a;
}

describe("request guards", () => {
  it.each([
    ["127.0.0.1:8080", true],
    ["localhost:8080", true],
    ["LOCALHOST", true],
    ["[::1]:8080", true],
    ["airlock.internal:9000", true],
    ["evil.example:8080", false],
    ["127.0.0.1.evil.example", false],
    ["localhost:8080@evil", false],
    ["", false],
    [undefined, false],
  ])("should judge Host %j as allowed=%s", (host, allowed) => {
    expect(hostAllowed(host, open)).toBe(allowed);
  });

  it.each([
    [undefined, true],
    ["http://localhost:3000", true],
    ["http://127.0.0.1:8080", true],
    ["https://app.example.com", true],
    ["https://evil.example", false],
    ["null", false],
    ["file://", false],
    ["http://localhost.evil.example", false],
  ])("should judge Origin %j as allowed=%s", (origin, allowed) => {
    expect(originAllowed(origin, open)).toBe(allowed);
  });

  it("should answer a rebinding request with 403 before the endpoint", async () => {
    const res = await app().request("http://evil.example:8080/mcp", { method: "POST", headers: { host: "evil.example:8080" } });
    expect(res.status).toBe(403);
  });

  it("should answer a foreign Origin with 403", async () => {
    const res = await app().request("http://127.0.0.1:8080/mcp", {
      method: "POST",
      headers: { host: "127.0.0.1:8080", origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
  });

  it("should require the bearer token when one is set", async () => {
    const guarded = app({ ...open, authToken: "s3cret-token-value" });
    const base = { method: "POST", headers: { host: "127.0.0.1:8080" } };
    expect((await guarded.request("http://127.0.0.1:8080/mcp", base)).status).toBe(401);
    const wrong = await guarded.request("http://127.0.0.1:8080/mcp", { ...base, headers: { ...base.headers, authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const right = await guarded.request("http://127.0.0.1:8080/mcp", {
      ...base,
      headers: { ...base.headers, authorization: "Bearer s3cret-token-value" },
    });
    expect(await right.text()).toBe("reached");
  });
});
