/**
 * @module The gateway's HTTP surface: `/mcp` (Streamable HTTP, behind the request guards) and
 * `/health`. Any unexpected error becomes a plain 500 so internals never leak to a client.
 */
import { Hono } from "hono";
import type { McpSessions } from "./mcp-sessions.ts";
import { requestGuards, type GuardSettings } from "./request-guards.ts";
import type { StackStatus } from "./stack-status.ts";
import type { Metrics } from "./metrics.ts";

export interface AppDeps {
  sessions: McpSessions;
  stats: () => { running: number; queued: number };
  stackStatus: () => Promise<StackStatus>;
  /** Why the sandbox refuses new runs, if it does (its launcher cannot clean its scratch disk). */
  sandboxFault?: () => string | undefined;
  /** The audit log's state, when there is one. */
  audit?: () => { ok: boolean; failures: number; lastError?: string };
  guards: GuardSettings;
  /** Prometheus metrics at /metrics, behind the same guards and token as /mcp. */
  metrics?: Metrics;
  log: (entry: Record<string, unknown>) => void;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // Always 200 while the gateway itself serves: "degraded" tells that executions will fail until
  // the sandbox or proxy is back, which a restart of the gateway would not fix.
  // Host and Origin guard /health too (a rebinding page must not read it); no token, so that
  // Docker's healthcheck and monitoring on the machine keep working.
  app.use("/health", requestGuards(deps.guards, deps.log, { requireToken: false }));
  app.get("/health", async (c) => {
    const stack = await deps.stackStatus();
    const audit = deps.audit?.();
    const fault = deps.sandboxFault?.();
    const healthy = stack.sandbox === "running" && stack.proxy === "healthy" && audit?.ok !== false && !fault;
    return c.json({ status: healthy ? "ok" : "degraded", ...stack, ...(fault ? { sandboxFault: fault } : {}), ...(audit ? { audit } : {}), sessions: { open: deps.sessions.count(), evicted: deps.sessions.evicted() }, executions: deps.stats() });
  });
  const metrics = deps.metrics;
  if (metrics) {
    app.use("/metrics", requestGuards(deps.guards, deps.log));
    app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
  }
  app.use("/mcp", requestGuards(deps.guards, deps.log));
  app.all("/mcp", (c) => deps.sessions.handle(c.req.raw));
  app.onError((err, c) => {
    deps.log({ level: "error", event: "unhandled", message: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
