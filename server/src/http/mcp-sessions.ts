/**
 * @module Streamable HTTP sessions: a fresh MCP server and transport per session, found again by
 * the `Mcp-Session-Id` header. Unknown session ids get 404 (the spec's signal to re-initialise),
 * and a session is forgotten when its transport closes.
 */
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface McpSessions {
  handle(req: Request): Promise<Response>;
  count(): number;
  closeAll(): Promise<void>;
}

function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

export function createMcpSessions(makeServer: () => McpServer): McpSessions {
  const sessions = new Map<string, WebStandardStreamableHTTPServerTransport>();

  async function startSession(req: Request): Promise<Response> {
    if (req.method !== "POST") return rpcError(400, -32000, "No Mcp-Session-Id header: start with an initialize POST");
    const declared = Number(req.headers.get("content-length") ?? "0");
    if (declared > MAX_BODY_BYTES) return rpcError(413, -32000, "Request body too large");
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return rpcError(400, -32700, "Parse error: the body is not valid JSON");
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, -32000, "No Mcp-Session-Id header: the first request of a session must be initialize");
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await makeServer().connect(transport);
    return transport.handleRequest(req, { parsedBody: body });
  }

  return {
    async handle(req) {
      const id = req.headers.get("mcp-session-id");
      if (id === null) return startSession(req);
      const transport = sessions.get(id);
      if (!transport) return rpcError(404, -32001, "Session not found: it expired or the server restarted; initialize again");
      return transport.handleRequest(req);
    },
    count: () => sessions.size,
    async closeAll() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
    },
  };
}
