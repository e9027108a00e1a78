/**
 * Hostile clients against the MCP endpoint: each gets the status the spec names, nothing reaches
 * a session it does not own, and the gateway keeps serving.
 */
import { describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose } from "../helpers/stack.ts";

const stack = inject("stack");
const url = new URL(stack.mcpUrl);

const init = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};
const json = { "content-type": "application/json", accept: "application/json, text/event-stream" };

async function post(body: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: "POST", headers: { ...json, ...headers }, body });
}

/** A raw HTTP request with a Host header of our choosing (fetch will not let us set Host). */
async function rawStatus(host: string, extra = ""): Promise<number> {
  const net = await import("node:net");
  const body = JSON.stringify(init);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), "127.0.0.1", () => {
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\n` +
          `${extra}Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    // The status line is all we need; do not wait for the server to close the connection.
    socket.once("data", (c) => {
      resolve(Number(c.toString().split(" ")[1]));
      socket.destroy();
    });
    socket.on("error", reject);
  });
}

describe("MCP endpoint under attack", { timeout: 60_000 }, () => {
  it("should refuse a DNS-rebinding Host header", async () => {
    expect(await rawStatus(`attacker.example:${url.port}`)).toBe(403);
    expect(await rawStatus(`127.0.0.1:${url.port}`)).toBe(200);
  });

  it("should refuse a foreign browser Origin", async () => {
    expect((await post(JSON.stringify(init), { origin: "https://attacker.example" })).status).toBe(403);
    expect((await post(JSON.stringify(init), { origin: `http://localhost:${url.port}` })).status).toBe(200);
  });

  it.each([
    ["an oversized body", () => post(" ".repeat(5 * 1024 * 1024)), 413],
    ["malformed JSON", () => post("{"), 400],
    ["a wrong content type", () => post(JSON.stringify(init), { "content-type": "text/plain" }), 415],
    ["an unknown session id", () => post(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list" }), { "mcp-session-id": "00000000-0000-0000-0000-000000000000" }), 404],
    ["a client-chosen session id on initialize", () => post(JSON.stringify(init), { "mcp-session-id": "my-own-id" }), 404],
    ["a non-initialize first request", () => post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "execute_code", arguments: { code: "1" } } })), 400],
  ])("should answer %s with its status and keep serving", async (_name, send, status) => {
    expect((await send()).status).toBe(status);
    const client = await connect(stack.mcpUrl);
    expect((await execute(client, "console.log('ok')")).stdout).toBe("ok\n");
    await client.close();
  });

  it("should not let one session use another's id to read its results", async () => {
    const a = await post(JSON.stringify(init));
    const idA = a.headers.get("mcp-session-id")!;
    const b = await post(JSON.stringify(init));
    const idB = b.headers.get("mcp-session-id")!;
    expect(idA).not.toBe(idB);
    expect(idA).toMatch(/^[0-9a-f-]{36}$/);
    // Without the exact id there is no way in: ids are random UUIDs, and a near miss is unknown.
    const guess = idA.slice(0, -1) + (idA.endsWith("0") ? "1" : "0");
    expect((await post(JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" }), { "mcp-session-id": guess })).status).toBe(404);
  });

  it("should keep a long-lived SSE stream alive with keep-alive comments", async () => {
    const a = await post(JSON.stringify(init));
    const id = a.headers.get("mcp-session-id")!;
    await post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }), { "mcp-session-id": id });
    const controller = new AbortController();
    const res = await fetch(url, { headers: { accept: "text/event-stream", "mcp-session-id": id }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !seen.includes(":")) {
      const { value, done } = await Promise.race([
        reader.read(),
        new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), deadline - Date.now())),
      ]);
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(seen).toMatch(/^:/m);
  });

  it("should refuse to start on a network address without a token", async () => {
    let output = "";
    try {
      await compose(stack, ["run", "--rm", "--no-deps", "-T", "-e", "AIRLOCK_BIND_ADDRESS=0.0.0.0", "server"]);
    } catch (err) {
      output = String((err as { stdout?: string }).stdout) + String((err as { stderr?: string }).stderr);
    }
    expect(output).toContain("refusing to start");
    expect(output).toContain("AIRLOCK_AUTH_TOKEN");
  });
});
