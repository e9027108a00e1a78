/** @module MCP client helpers for the integration suites: the official SDK client, over HTTP. */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ExecutionResult } from "../../server/src/executor/execution-result.ts";

/** What execute_code returns as structured content: the server's own result type. */
export type Execution = ExecutionResult;

/** Connects; closing the client also ends its session on the server (HTTP DELETE), as a
 *  well-behaved client does, so the suites do not pile up idle sessions. */
export async function connect(url: string, name = "airlock-tests"): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
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
