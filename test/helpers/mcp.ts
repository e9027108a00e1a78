/** @module MCP client helpers for the integration suites: the official SDK client, over HTTP. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema, type CallToolResult, type ElicitRequest, type ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { ExecutionResult } from "../../server/src/executor/execution-result.ts";

/** What execute_code returns as structured content: the server's own result type. */
export type Execution = ExecutionResult;

/** Connects; closing the client also ends its session on the server (HTTP DELETE), as a
 *  well-behaved client does, so the suites do not pile up idle sessions. */
export async function connect(url: string, name = "airlock-tests", token?: string): Promise<Client> {
  return connectClient(new Client({ name, version: "1.0.0" }), url, token);
}

/** A client that declares elicitation and answers each request with `answer` (as Claude Code
 *  asks its user). */
export async function connectWithElicitation(
  url: string,
  name: string,
  answer: (request: ElicitRequest) => Promise<ElicitResult>,
  token?: string,
): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(ElicitRequestSchema, (request) => answer(request));
  return connectClient(client, url, token);
}

async function connectClient(client: Client, url: string, token?: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
  });
  await client.connect(transport);
  const close = client.close.bind(client);
  client.close = async () => {
    await transport.terminateSession().catch(() => {});
    await close();
  };
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as CallToolResult;
}

export async function execute(client: Client, code: string, timeoutSeconds?: number): Promise<Execution & { isError: boolean; text: string }> {
  const result = await callTool(client, "execute_code", {
    code,
    ...(timeoutSeconds === undefined ? {} : { timeout_seconds: timeoutSeconds }),
  });
  const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
  if (!result.structuredContent) throw new Error(`execute_code returned no structured content: ${text}`);
  return { ...(result.structuredContent as unknown as Execution), isError: result.isError === true, text };
}

/** A raw client that starts execute_code and can then simply drop its connection, as a killed
 *  process would: no `notifications/cancelled`, no DELETE. Resolves once the code runs, with the
 *  execution's scratch folder (the code must print its `Deno.cwd()` first). */
export async function startVanishingCall(url: string, code: string): Promise<{ dir: string; vanish: () => void }> {
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  const rpc = (body: unknown, extra: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(url, { method: "POST", headers: { ...headers, ...extra }, body: JSON.stringify(body), signal });
  const init = await rpc({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "vanishing", version: "1" } } });
  const session = { "mcp-session-id": init.headers.get("mcp-session-id")! };
  await init.text();
  await (await rpc({ jsonrpc: "2.0", method: "notifications/initialized" }, session)).text();
  const controller = new AbortController();
  const call = await rpc({
    jsonrpc: "2.0", id: 2, method: "tools/call",
    params: { name: "execute_code", arguments: { code, timeout_seconds: 60 }, _meta: { progressToken: "p" } },
  }, session, controller.signal);
  const reader = call.body!.getReader();
  let seen = "";
  let dir = "";
  while (!dir) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the call ended before its code printed its folder: ${seen}`);
    seen += new TextDecoder().decode(value);
    dir = /\/tmp\/exec\.\w+/.exec(seen)?.[0] ?? "";
  }
  return { dir, vanish: () => controller.abort() };
}
