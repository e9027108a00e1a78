/**
 * @module The history list (filterable by outcome, client, API and time) and one execution in
 * full: its code, output, outcome and limit, egress, and its lines from the audit chain.
 */
import { html } from "hono/html";
import { LIMIT_OUTCOMES, type Outcome } from "../../executor/execution-result.ts";
import type { HistoryFilter, HistoryRecord, HistorySummary } from "../history-store.ts";
import { historyRows } from "./live.ts";
import { capped, egressTable, ms, outcomeBadge, short, when, type Fragment } from "./layout.ts";

function select(name: string, label: string, values: string[], chosen: string | undefined): Fragment {
  return html`<label>${label} <select name="${name}"><option value="">any</option>${values.map(
    (v) => html`<option value="${v}"${v === chosen ? html` selected` : ""}>${v}</option>`,
  )}</select></label>`;
}

export function historyBody(
  enabled: boolean,
  rows: HistorySummary[],
  filter: HistoryFilter,
  facets: { clients: string[]; apis: string[]; outcomes: string[] },
): Fragment {
  if (!enabled) {
    return html`<p class="empty">History is off (AIRLOCK_HISTORY=off): ended executions are not kept. The live page still shows the latest.</p>`;
  }
  return html`<form method="get" action="/history" class="filters">
${select("outcome", "Outcome", facets.outcomes, filter.outcome)}
${select("client", "Client", facets.clients, filter.client)}
${select("api", "API", facets.apis, filter.api)}
<label>From <input type="datetime-local" name="since" value="${filter.since?.slice(0, 16) ?? ""}"></label>
<label>To <input type="datetime-local" name="until" value="${filter.until?.slice(0, 16) ?? ""}"></label>
<button type="submit">Filter</button> <a href="/history">Clear</a>
</form>
${historyRows(rows)}
${rows.length === filter.limit ? html`<p class="note">Showing the newest ${rows.length}; narrow the filter to see older ones.</p>` : ""}`;
}

export function executionBody(r: HistoryRecord, audit: Array<Record<string, unknown>>): Fragment {
  const limit = LIMIT_OUTCOMES.has(r.outcome as Outcome) ? r.outcome : "none";
  return html`<dl class="facts">
<dt>Outcome</dt><dd>${outcomeBadge(r.outcome)}${r.cancelledBy ? " (cancelled by an operator)" : ""}</dd>
${r.message ? html`<dt>Message</dt><dd>${r.message}</dd>` : ""}
<dt>Limit hit</dt><dd>${limit}</dd>
<dt>Exit code</dt><dd>${r.exitCode ?? "—"}</dd>
<dt>Duration</dt><dd>${ms(r.durationMs)} (timeout ${r.timeoutSeconds} s)</dd>
<dt>Received</dt><dd>${when(r.receivedAt)}</dd>
<dt>Tool</dt><dd>${r.tool}${r.skill ? html` · skill <a href="/skills/${r.skill}">${r.skill}</a>` : ""}</dd>
<dt>Client</dt><dd>${r.client ?? "unknown"} · session ${short(r.session)}</dd>
<dt>Execution id</dt><dd><code>${r.executionId ?? "— (never reached the sandbox)"}</code></dd>
<dt>Code SHA-256</dt><dd><code>${r.codeSha256}</code></dd>
</dl>
${capped("Code", r.code, "code")}
${r.outputTruncated ? html`<p class="note">The output passed the output limit and was cut.</p>` : ""}
<div class="streams">${capped("stdout", r.stdout, "stdout")}${capped("stderr", r.stderr, "stderr")}</div>
<h2>Egress</h2>
${egressTable(r.egress)}
<h2>Audit chain</h2>
${audit.length === 0
    ? html`<p class="empty">${r.executionId ? "No audit lines for this execution in the newest audit files (audit off, or it is older: verify-audit.ts reads them all)." : "The code never ran, so the audit line has no execution id."}</p>`
    : html`<pre class="audit">${audit.map((l) => JSON.stringify(withShortSession(l))).join("\n")}</pre>`}`;
}

/** An MCP session id is a bearer capability on `/mcp`: pages show only its head, never all of it
 *  (the audit file itself keeps it whole). */
function withShortSession(line: Record<string, unknown>): Record<string, unknown> {
  return typeof line.session === "string" ? { ...line, session: `${short(line.session)}…` } : line;
}
