/**
 * @module The gateway's HTTP surface: `/mcp` (Streamable HTTP) and `/health`. Any unexpected
 * error becomes a plain 500 so internals never leak to a client.
 */
import { Hono } from "hono";
import type { McpSessions } from "./mcp-sessions.ts";

export interface AppDeps {
  sessions: McpSessions;
  stats: () => { running: number; queued: number };
  log: (entry: Record<string, unknown>) => void;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok", sessions: deps.sessions.count(), executions: deps.stats() }));
  app.all("/mcp", (c) => deps.sessions.handle(c.req.raw));
  app.onError((err, c) => {
    deps.log({ level: "error", event: "unhandled", message: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
