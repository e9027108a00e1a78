/**
 * @module The health page: each component's state (the same report as `/health`), concurrency
 * and queue, sessions, and whether the history is kept.
 */
import { html } from "hono/html";
import type { HealthReport } from "../../http/health.ts";
import type { Fragment } from "./layout.ts";

const GOOD = new Set(["ok", "running", "healthy", "serving", "kept", "writing"]);

function row(component: string, state: string, detail: string): Fragment {
  return html`<tr data-component="${component}"><td>${component}</td><td><span class="badge ${GOOD.has(state) ? "ok" : "missing"}">${state}</span></td><td>${detail}</td></tr>`;
}

export function statusBody(
  health: HealthReport,
  limits: { maxConcurrency: number; maxQueue: number },
  history: { enabled: boolean; maxEntries: number; maxAgeDays: number },
): Fragment {
  const audit = health.audit;
  return html`<p class="summary">Overall: <span class="badge ${health.status === "ok" ? "ok" : "missing"}" id="overall">${health.status}</span></p>
<table class="components"><thead><tr><th>Component</th><th>State</th><th>Detail</th></tr></thead><tbody>
${row("server", "serving", "this gateway: MCP, console and metrics")}
${row("docker filter", health.sandbox === "unknown" ? "unreachable" : "ok", health.sandbox === "unknown" ? "the gateway cannot ask the docker-socket filter" : "answers the gateway")}
${row("sandbox", health.sandboxFault ? "fault" : health.sandbox, health.sandboxFault ?? "where code runs")}
${row("proxy", health.proxy, "the egress proxy: the only way out, holds the secrets")}
${row("audit", audit ? (audit.ok ? "writing" : "failing") : "off", audit ? `${audit.failures} failed writes since start${audit.lastError ? `; last: ${audit.lastError}` : ""}` : "AIRLOCK_AUDIT_DIR is not set")}
${row("history", history.enabled ? "kept" : "off", history.enabled ? `newest ${history.maxEntries} executions, at most ${history.maxAgeDays} days` : "AIRLOCK_HISTORY=off")}
</tbody></table>
<h2>Executions</h2>
<dl class="facts">
<dt>Running</dt><dd id="running">${health.executions.running} of ${limits.maxConcurrency}</dd>
<dt>Queued</dt><dd id="queued">${health.executions.queued} (queue holds ${limits.maxQueue})</dd>
<dt>MCP sessions</dt><dd>${health.sessions.open} open, ${health.sessions.evicted} evicted since start</dd>
</dl>
<p class="note">Prometheus metrics are at <code>/metrics</code> (with the bearer token when one is set; README, Metrics).</p>`;
}
