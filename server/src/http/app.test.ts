import { describe, expect, it } from "vitest";
import { createApp } from "./app.ts";
import type { McpSessions } from "./mcp-sessions.ts";

function app(audit?: { ok: boolean; failures: number }, sandboxFault?: string) {
  const sessions = { count: () => 0, evicted: () => 0 } as unknown as McpSessions;
  return createApp({
    sessions,
    health: {
      stats: () => ({ running: 0, queued: 0 }),
      sessions: () => ({ open: sessions.count(), evicted: sessions.evicted() }),
      stackStatus: async () => ({ sandbox: "running", proxy: "healthy" }) as never,
      audit: audit ? () => audit : undefined,
      sandboxFault: () => sandboxFault,
    },
    guards: { allowedHosts: [], allowedOrigins: [], authToken: "a-token-of-sixteen-chars" },
    log: () => {},
  });
}

describe("/health", () => {
  it("should answer the machine's own monitoring without the token", async () => {
    const res = await app().request("http://127.0.0.1:8080/health", { headers: { host: "127.0.0.1:8080" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", sessions: { open: 0, evicted: 0 } });
  });

  it.each([
    ["a rebinding Host", { host: "evil.example:8080" }],
    ["a foreign Origin", { host: "127.0.0.1:8080", origin: "https://evil.example" }],
  ])("should refuse %s like /mcp does", async (_what, headers) => {
    expect((await app().request("http://127.0.0.1:8080/health", { headers })).status).toBe(403);
  });

  it("should say degraded while the audit log cannot be written", async () => {
    const res = await app({ ok: false, failures: 2 }).request("http://127.0.0.1:8080/health", { headers: { host: "localhost" } });
    expect(await res.json()).toMatchObject({ status: "degraded", audit: { ok: false, failures: 2 } });
  });

  it("should say degraded, and why, while the sandbox cannot clean its scratch disk", async () => {
    const res = await app(undefined, "cannot remove scratch folder /tmp/exec.x: EBUSY").request("http://127.0.0.1:8080/health", { headers: { host: "localhost" } });
    expect(await res.json()).toMatchObject({ status: "degraded", sandboxFault: "cannot remove scratch folder /tmp/exec.x: EBUSY" });
  });
});
