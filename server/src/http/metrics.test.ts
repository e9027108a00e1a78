import { describe, expect, it } from "vitest";
import type { ExecutionResult } from "../executor/execution-result.ts";
import { createApp } from "./app.ts";
import type { McpSessions } from "./mcp-sessions.ts";
import { createMetrics } from "./metrics.ts";

const result = (over: Partial<ExecutionResult> = {}): ExecutionResult => ({
  outcome: "success", exitCode: 0, stdout: "", stderr: "", durationMs: 40, outputTruncated: false,
  egress: { requests: [{ decision: "inject", api: "stripe", host: "api.stripe.test" }, { decision: "deny", host: "evil.test" }], denied: 1, omitted: 3 },
  ...over,
});

function metrics(fault?: string) {
  return createMetrics({
    executions: () => ({ running: 2, queued: 5 }),
    sessions: () => ({ open: 7, evicted: 1 }),
    audit: () => ({ ok: false, failures: 4 }),
    sandboxRestarts: () => 3,
    sandboxFault: () => fault,
    approvalsPending: () => 2,
  });
}

describe("metrics", () => {
  it("should count executions, their time and their egress, with names only", async () => {
    const m = metrics();
    m.executionEnded("execute_code", result());
    m.executionEnded("run_skill", result({ outcome: "timeout", durationMs: 30_000 }));
    m.queueWaited(250);
    const text = await m.render();
    expect(text).toContain('airlock_executions_total{tool="execute_code",outcome="success"} 1');
    expect(text).toContain('airlock_executions_total{tool="run_skill",outcome="timeout"} 1');
    expect(text).toContain('airlock_execution_duration_seconds_bucket{le="0.05",outcome="success"} 1');
    expect(text).toContain('airlock_execution_duration_seconds_count{outcome="timeout"} 1');
    expect(text).toContain('airlock_egress_requests_total{api="stripe",decision="inject"} 2');
    expect(text).toContain('airlock_egress_requests_total{api="",decision="deny"} 2');
    expect(text).toContain('airlock_egress_requests_total{api="",decision="unlisted"} 6');
    expect(text).toContain("airlock_egress_refused_total 2");
    expect(text).toContain("airlock_queue_wait_seconds_count 1");
  });

  it("should count what people decided on held requests, and how many wait now", async () => {
    const m = metrics();
    const held = (outcome: "approved" | "declined") => ({ decision: outcome === "approved" ? "inject" as const : "unapproved" as const, api: "stripe", approval: { outcome, by: "console (operator)", waitedMs: 900 } });
    m.executionEnded("execute_code", result({ egress: { requests: [held("approved"), held("declined"), held("declined")], denied: 2, omitted: 0 } }));
    const text = await m.render();
    expect(text).toContain('airlock_approvals_total{api="stripe",outcome="approved"} 1');
    expect(text).toContain('airlock_approvals_total{api="stripe",outcome="declined"} 2');
    expect(text).toContain("airlock_approvals_pending 2");
  });

  it("should read the gauges from their owners at scrape time", async () => {
    const text = await metrics("cannot remove /tmp/exec.x").render();
    for (const line of [
      "airlock_executions_running 2", "airlock_executions_queued 5", "airlock_mcp_sessions_open 7",
      "airlock_mcp_sessions_evicted 1", "airlock_sandbox_restarts 3", "airlock_sandbox_fault 1",
      "airlock_audit_write_failures 4", "airlock_audit_ok 0",
    ]) expect(text).toContain(line);
  });

  it("should serve /metrics behind the same guards and token as /mcp", async () => {
    const app = createApp({
      sessions: { count: () => 0, evicted: () => 0 } as unknown as McpSessions,
      health: {
        stats: () => ({ running: 0, queued: 0 }),
        sessions: () => ({ open: 0, evicted: 0 }),
        stackStatus: async () => ({ sandbox: "running", proxy: "healthy" }) as never,
      },
      metrics: metrics(),
      guards: { allowedHosts: [], allowedOrigins: [], authToken: "a-token-of-sixteen-chars" },
      log: () => {},
    });
    const get = (headers: Record<string, string>) => app.request("http://127.0.0.1:8080/metrics", { headers });
    expect((await get({ host: "evil.example" })).status).toBe(403);
    expect((await get({ host: "127.0.0.1:8080" })).status).toBe(401);
    expect((await get({ host: "127.0.0.1:8080", authorization: "Bearer wrong-token-of-sixteen" })).status).toBe(401);
    const ok = await get({ host: "127.0.0.1:8080", authorization: "Bearer a-token-of-sixteen-chars" });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toContain("text/plain");
    expect(await ok.text()).toContain("airlock_executions_running 2");
  });
});
