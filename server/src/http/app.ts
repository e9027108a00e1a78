/**
 * @module The gateway's HTTP surface: `/mcp` (Streamable HTTP, behind the request guards) and
 * `/health`. Any unexpected error becomes a plain 500 so internals never leak to a client.
 */
import { Hono } from "hono";
import type { McpSessions } from "./mcp-sessions.ts";
import { requestGuards, type GuardSettings } from "./request-guards.ts";
import type { Metrics } from "./metrics.ts";
import { healthReport, type HealthSources } from "./health.ts";

export interface AppDeps {
  sessions: McpSessions;
  health: HealthSources;
  guards: GuardSettings;
  /** Prometheus metrics at /metrics, behind the same guards and token as /mcp. */
  metrics?: Metrics;
  /** Mounts the operator console's routes (console/console-routes.ts), when there is one. */
  console?: (app: Hono) => void;
  log: (entry: Record<string, unknown>) => void;
}

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  // Always 200 while the gateway itself serves (health.ts says what "degraded" means).
  // Host and Origin guard /health too (a rebinding page must not read it); no token, so that
  // Docker's healthcheck and monitoring on the machine keep working.
  app.use("/health", requestGuards(deps.guards, deps.log, { requireToken: false }));
  app.get("/health", async (c) => c.json(await healthReport(deps.health)));
  const metrics = deps.metrics;
  if (metrics) {
    app.use("/metrics", requestGuards(deps.guards, deps.log));
    app.get("/metrics", async (c) => c.body(await metrics.render(), 200, { "content-type": metrics.contentType }));
  }
  app.use("/mcp", requestGuards(deps.guards, deps.log));
  app.all("/mcp", (c) => deps.sessions.handle(c.req.raw));
  deps.console?.(app);
  app.onError((err, c) => {
    deps.log({ level: "error", event: "unhandled", message: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}
