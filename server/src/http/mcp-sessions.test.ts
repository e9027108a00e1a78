import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { createMcpSessions, MAX_BODY_BYTES } from "./mcp-sessions.ts";

const init = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } },
};
const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };

function sessions(limits = { idleSeconds: 60, maxSessions: 2 }) {
  return createMcpSessions(() => new McpServer({ name: "t", version: "1" }), limits);
}

const post = (body: string, extra: Record<string, string> = {}) =>
  new Request("http://127.0.0.1/mcp", { method: "POST", headers: { ...headers, ...extra }, body });

describe("MCP sessions", () => {
  it("should assign a session id on initialize", async () => {
    const s = sessions();
    const res = await s.handle(post(JSON.stringify(init)));
    expect(res.status).toBe(200);
    expect(res.headers.get("mcp-session-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.count()).toBe(1);
  });

  it.each([
    ["malformed JSON", post("{nope"), 400],
    ["a non-initialize first request", post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" })), 400],
    ["a wrong content type", post(JSON.stringify(init), { "content-type": "text/plain" }), 415],
    ["an oversized body", post(" ".repeat(MAX_BODY_BYTES + 1)), 413],
    ["an unknown session id", post(JSON.stringify(init), { "mcp-session-id": "client-chosen-id" }), 404],
    ["a GET without a session", new Request("http://127.0.0.1/mcp"), 400],
  ])("should answer %s with the status the spec names", async (_name, req, status) => {
    const s = sessions();
    expect((await s.handle(req)).status).toBe(status);
    expect(s.count()).toBe(0);
  });

  it("should bound the number of sessions", async () => {
    const s = sessions({ idleSeconds: 60, maxSessions: 1 });
    await s.handle(post(JSON.stringify(init)));
    expect((await s.handle(post(JSON.stringify(init)))).status).toBe(503);
  });

  it("should expire idle sessions, after which their id is unknown", async () => {
    const s = sessions({ idleSeconds: 60, maxSessions: 5 });
    const id = (await s.handle(post(JSON.stringify(init)))).headers.get("mcp-session-id")!;
    expect(await s.sweep(Date.now() + 30_000)).toBe(0);
    expect(await s.sweep(Date.now() + 61_000)).toBe(1);
    const res = await s.handle(post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": id }));
    expect(res.status).toBe(404);
  });
});
