/**
 * @module Prometheus metrics for `/metrics` (text format, prom-client): what executions did (by
 * outcome, how long, how long they queued), what they sent out (egress requests by API and
 * decision, names only), and the state of the parts they depend on (queue, sessions, audit,
 * sandbox). Counters are fed as executions end; gauges are read from their owners at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ExecutionResult } from "../executor/execution-result.ts";

export interface MetricsSources {
  executions: () => { running: number; queued: number };
  sessions: () => { open: number; evicted: number };
  audit?: () => { ok: boolean; failures: number };
  /** Times the gateway lost its connection to the sandbox's launcher (restarts, crashes). */
  sandboxRestarts: () => number;
  sandboxFault: () => string | undefined;
  /** Requests waiting for a person on the console now. */
  approvalsPending?: () => number;
}

export interface Metrics {
  /** An execution ended (any tool, any outcome). */
  executionEnded(tool: string, result: ExecutionResult): void;
  /** How long a call waited for a concurrency slot. */
  queueWaited(ms: number): void;
  /** The text a Prometheus scrape gets. */
  render(): Promise<string>;
  contentType: string;
}

// Seconds: trivial calls take tens of milliseconds, timeouts up to the configured maximum.
const DURATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const executions = new Counter({
    name: "airlock_executions_total",
    help: "Executions that ended, by tool and outcome",
    labelNames: ["tool", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "airlock_execution_duration_seconds",
    help: "Wall-clock time of executions, by outcome",
    labelNames: ["outcome"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const queueWait = new Histogram({
    name: "airlock_queue_wait_seconds",
    help: "Time calls waited for a concurrency slot",
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60],
    registers: [registry],
  });
  const egress = new Counter({
    name: "airlock_egress_requests_total",
    help: "Requests executions made through the egress proxy, by API and the proxy's decision (unlisted past the per-execution listing cap)",
    labelNames: ["api", "decision"] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: "airlock_egress_refused_total",
    help: "Egress requests the proxy refused or whose response it blocked",
    registers: [registry],
  });
  const approvals = new Counter({
    name: "airlock_approvals_total",
    help: "Requests an approval rule held, by API and what a person decided (approved, declined, timeout, unavailable)",
    labelNames: ["api", "outcome"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  gauge("airlock_executions_running", "Executions running now", () => sources.executions().running);
  gauge("airlock_executions_queued", "Calls waiting for a concurrency slot now", () => sources.executions().queued);
  gauge("airlock_mcp_sessions_open", "Open MCP sessions", () => sources.sessions().open);
  gauge("airlock_mcp_sessions_evicted", "MCP sessions evicted to make room since start", () => sources.sessions().evicted);
  gauge("airlock_sandbox_restarts", "Times the launcher connection was lost since start (sandbox restarted or crashed)", sources.sandboxRestarts);
  gauge("airlock_sandbox_fault", "1 while the sandbox refuses new runs (a scratch folder it cannot remove)", () => (sources.sandboxFault() ? 1 : 0));
  if (sources.approvalsPending) {
    gauge("airlock_approvals_pending", "Requests waiting for a person on the console now", sources.approvalsPending);
  }
  if (sources.audit) {
    const audit = sources.audit;
    gauge("airlock_audit_write_failures", "Audit entries that could not be written since start", () => audit().failures);
    gauge("airlock_audit_ok", "1 while the audit log is being written, 0 after a write failed", () => (audit().ok ? 1 : 0));
  }

  return {
    executionEnded(tool, result) {
      executions.inc({ tool, outcome: result.outcome });
      duration.observe({ outcome: result.outcome }, result.durationMs / 1000);
      for (const r of result.egress.requests) {
        egress.inc({ api: r.api ?? "", decision: r.decision });
        if (r.approval) approvals.inc({ api: r.api ?? "", outcome: r.approval.outcome });
      }
      if (result.egress.omitted) egress.inc({ api: "", decision: "unlisted" }, result.egress.omitted);
      if (result.egress.denied) refused.inc(result.egress.denied);
    },
    queueWaited(ms) {
      queueWait.observe(ms / 1000);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
