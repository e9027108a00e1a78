/**
 * @module Streamable HTTP sessions: a fresh MCP server and transport per session, found again by
 * the `Mcp-Session-Id` header. The server assigns session ids; an unknown or expired id gets 404
 * (the spec's signal to initialise again). Sessions idle for too long are closed, and the number
 * of live sessions is bounded. At the bound a new session takes the place of an idle one — one
 * that never did more than initialise first, then the least recently used — so a flood of bare
 * initialize requests cannot lock everyone out; a session with a call in flight is never evicted.
 */
import { randomUUID } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface SessionLimits {
  idleSeconds: number;
  maxSessions: number;
}

export interface McpSessions {
  handle(req: Request): Promise<Response>;
  count(): number;
  /** Sessions evicted to make room since start (pressure on the bound). */
  evicted(): number;
  /** Closes sessions idle past the limit; returns how many. */
  sweep(now?: number): Promise<number>;
  closeAll(): Promise<void>;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
  /** Requests still being answered (an execution can take minutes). */
  inFlight: number;
  /** Requests after the initialize one: a session that made none is the cheapest to evict. */
  used: number;
}

function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

/** Reads at most `limit` bytes of body; undefined when it is larger. */
async function readLimited(req: Request, limit: number): Promise<string | undefined> {
  if (Number(req.headers.get("content-length") ?? "0") > limit) return undefined;
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function done(session: Session): void {
  session.inFlight--;
  session.lastSeen = Date.now();
}

/** The ids of the JSON-RPC requests (not notifications) in a POST body. */
function idsOf(body: unknown): Array<string | number> {
  const messages = Array.isArray(body) ? body : [body];
  return messages
    .filter((m): m is { id: string | number; method: string } =>
      typeof m === "object" && m !== null && "method" in m && "id" in m && (typeof m.id === "string" || typeof m.id === "number"))
    .map((m) => m.id);
}

/** The same stream, calling `onEnd` once when it finishes, fails or is cancelled by the client
 *  (and `onCancel` too in that last case). */
function untilEnd(body: ReadableStream<Uint8Array>, onEnd: () => void, onCancel: () => void = () => {}): ReadableStream<Uint8Array> {
  let ended = false;
  const end = () => {
    if (!ended) {
      ended = true;
      onEnd();
    }
  };
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        end();
        controller.error(err);
      }
    },
    async cancel(reason) {
      if (!ended) onCancel();
      end();
      await reader.cancel(reason);
    },
  });
}

export function createMcpSessions(makeServer: () => McpServer, limits: SessionLimits): McpSessions {
  const sessions = new Map<string, Session>();
  let evictions = 0;

  /** Closes the idle session that is least worth keeping; false when every session is busy. */
  async function evictOne(): Promise<boolean> {
    const idle = [...sessions.values()].filter((s) => s.inFlight === 0);
    if (idle.length === 0) return false;
    idle.sort((a, b) => Number(a.used > 1) - Number(b.used > 1) || a.lastSeen - b.lastSeen);
    await idle[0]!.transport.close();
    evictions++;
    return true;
  }

  async function startSession(req: Request): Promise<Response> {
    if (req.method !== "POST") return rpcError(400, -32000, "No Mcp-Session-Id header: start with an initialize POST");
    if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) {
      return rpcError(415, -32000, "Unsupported Media Type: Content-Type must be application/json");
    }
    const text = await readLimited(req, MAX_BODY_BYTES);
    if (text === undefined) return rpcError(413, -32000, `Request body larger than ${MAX_BODY_BYTES} bytes`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return rpcError(400, -32700, "Parse error: the body is not valid JSON");
    }
    if (!isInitializeRequest(body)) {
      return rpcError(400, -32600, "Invalid Request: no Mcp-Session-Id header, so this must be an initialize request");
    }
    if (sessions.size >= limits.maxSessions && !(await evictOne())) {
      return rpcError(503, -32000, "Too many sessions with calls in flight; try again when one finishes");
    }
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, lastSeen: Date.now(), inFlight: 0, used: 0 });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await makeServer().connect(transport);
    return transport.handleRequest(new Request(req.url, { method: "POST", headers: req.headers, body: text }), {
      parsedBody: body,
    });
  }

  return {
    async handle(req) {
      const id = req.headers.get("mcp-session-id");
      if (id === null) return startSession(req);
      const session = sessions.get(id);
      if (!session) return rpcError(404, -32001, "Session not found: it expired or the server restarted; initialize again");
      let forwarded = req;
      let parsedBody: unknown;
      let requestIds: Array<string | number> = [];
      if (req.method === "POST") {
        // The same body cap as at initialize, inside sessions too.
        const text = await readLimited(req, MAX_BODY_BYTES);
        if (text === undefined) return rpcError(413, -32000, `Request body larger than ${MAX_BODY_BYTES} bytes`);
        try {
          parsedBody = JSON.parse(text);
        } catch {
          return rpcError(400, -32700, "Parse error: the body is not valid JSON");
        }
        requestIds = idsOf(parsedBody);
        forwarded = new Request(req.url, { method: "POST", headers: req.headers, body: text });
      }
      session.lastSeen = Date.now();
      session.inFlight++;
      session.used++;
      let response: Response;
      try {
        response = await session.transport.handleRequest(forwarded, parsedBody === undefined ? undefined : { parsedBody });
      } catch (err) {
        done(session);
        throw err;
      }
      // A tool call answers with an SSE stream that stays open until the call ends: the call is
      // in flight until then, not until the headers are out. A client that goes away before the
      // end (its connection closed) cancels the calls it was waiting for: nothing would read
      // their results, and an execution must not run on for nobody.
      const cancel = () => {
        for (const requestId of requestIds) {
          session.transport.onmessage?.({
            jsonrpc: "2.0",
            method: "notifications/cancelled",
            params: { requestId, reason: "the client disconnected" },
          });
        }
      };
      return response.body
        ? new Response(untilEnd(response.body, () => done(session), cancel), response)
        : (done(session), response);
    },
    count: () => sessions.size,
    evicted: () => evictions,
    async sweep(now = Date.now()) {
      const idle = [...sessions.values()].filter((s) => s.inFlight === 0 && now - s.lastSeen > limits.idleSeconds * 1000);
      await Promise.all(idle.map((s) => s.transport.close()));
      return idle.length;
    },
    async closeAll() {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    },
  };
}
