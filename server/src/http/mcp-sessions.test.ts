import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { describe, expect, it } from "vitest";
import { createMcpSessions } from "./mcp-sessions.ts";

// The cap README promises, written out: a test that read the module's constant would follow it anywhere.
const PROMISED_CAP = 4 * 1024 * 1024;

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
    ["an oversized body", post(" ".repeat(PROMISED_CAP + 1)), 413],
    ["an unknown session id", post(JSON.stringify(init), { "mcp-session-id": "client-chosen-id" }), 404],
    ["a GET without a session", new Request("http://127.0.0.1/mcp"), 400],
  ])("should answer %s with the status the spec names", async (_name, req, status) => {
    const s = sessions();
    expect((await s.handle(req)).status).toBe(status);
    expect(s.count()).toBe(0);
  });

  const list = (id: string) => post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": id });
  /** Sends and reads the whole answer, as a client does: until then the call is in flight. */
  const call = async (s: ReturnType<typeof sessions>, req: Request) => {
    const res = await s.handle(req);
    await res.text();
    return res;
  };
  const open = async (s: ReturnType<typeof sessions>) => (await call(s, post(JSON.stringify(init)))).headers.get("mcp-session-id")!;

  it("should make room at the bound by evicting a session that never did more than initialise", async () => {
    const s = sessions({ idleSeconds: 60, maxSessions: 2 });
    const worker = await open(s);
    await call(s, list(worker));
    await call(s, list(worker));
    for (let i = 0; i < 10; i++) expect((await call(s, post(JSON.stringify(init)))).status).toBe(200);
    expect(s.count()).toBe(2);
    expect(s.evicted()).toBe(9);
    // The session that was working survived the flood of bare initialisations.
    expect((await call(s, list(worker))).status).toBe(200);
  });

  it("should evict the least recently used when every session has been used", async () => {
    const s = sessions({ idleSeconds: 60, maxSessions: 2 });
    const older = await open(s);
    const newer = await open(s);
    for (const id of [older, older, newer, newer]) await call(s, list(id));
    await open(s);
    expect((await call(s, list(older))).status).toBe(404);
    expect((await call(s, list(newer))).status).toBe(200);
  });

  it("should never evict a session with a call in flight, and say why it refuses", async () => {
    const s = createMcpSessions(() => {
      const server = new McpServer({ name: "t", version: "1" });
      server.registerTool("wait", {}, async () => {
        await new Promise((r) => setTimeout(r, 300));
        return { content: [] };
      });
      return server;
    }, { idleSeconds: 60, maxSessions: 1 });
    const busy = await open(s);
    await s.handle(post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), { "mcp-session-id": busy }));
    const call = s.handle(post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "wait", arguments: {} } }), { "mcp-session-id": busy }));
    await new Promise((r) => setTimeout(r, 50));
    const refused = await s.handle(post(JSON.stringify(init)));
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain("in flight");
    expect((await call).status).toBe(200);
  });

  it("should expire idle sessions, after which their id is unknown", async () => {
    const s = sessions({ idleSeconds: 60, maxSessions: 5 });
    const id = (await s.handle(post(JSON.stringify(init)))).headers.get("mcp-session-id")!;
    expect(await s.sweep(Date.now() + 30_000)).toBe(0);
    expect(await s.sweep(Date.now() + 61_000)).toBe(1);
    const res = await s.handle(post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": id }));
    expect(res.status).toBe(404);
  });

  it("should cancel the calls of a client whose connection goes away before their answer", async () => {
    let aborted = false;
    const s = createMcpSessions(() => {
      const server = new McpServer({ name: "t", version: "1" });
      server.registerTool("wait", {}, async (extra) => {
        await new Promise<void>((resolve) => {
          extra.signal.addEventListener("abort", () => {
            aborted = true;
            resolve();
          });
          setTimeout(resolve, 5_000);
        });
        return { content: [] };
      });
      return server;
    }, { idleSeconds: 60, maxSessions: 2 });
    const res = await s.handle(post(JSON.stringify(init)));
    await res.text();
    const id = res.headers.get("mcp-session-id")!;
    await (await s.handle(post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), { "mcp-session-id": id }))).text();
    const answer = await s.handle(post(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "wait", arguments: {} } }), { "mcp-session-id": id }));
    await new Promise((r) => setTimeout(r, 50));
    expect(aborted).toBe(false);
    await answer.body!.cancel(); // what the HTTP server does when the client's connection closes
    await new Promise((r) => setTimeout(r, 50));
    expect(aborted).toBe(true);
  });

  it("should cap request bodies inside a session too", async () => {
    const s = sessions();
    const res = await s.handle(post(JSON.stringify(init)));
    await res.text();
    const id = res.headers.get("mcp-session-id")!;
    const big = await s.handle(post(" ".repeat(PROMISED_CAP + 1), { "mcp-session-id": id }));
    expect(big.status).toBe(413);
  });
});
