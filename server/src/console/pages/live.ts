/**
 * @module The live page: calls queued and running now, with their output and egress as they
 * happen, and the latest that ended. The same fragment is rendered into the page and sent on the
 * live stream, so there is one way it is drawn (and escaped).
 */
import { html } from "hono/html";
import type { LiveExecution } from "../activity.ts";
import type { HistorySummary } from "../history-store.ts";
import { target, visible, type PendingApproval } from "../../approvals/approval-broker.ts";
import { capped, egressTable, ms, outcomeBadge, page, short, when, type Fragment, type PageFrame } from "./layout.ts";

function liveEntry(e: LiveExecution, now: number, waiting: PendingApproval[]): Fragment {
  const since = Date.parse(e.startedAt ?? e.receivedAt);
  return html`<article class="execution" data-id="${e.id}">
<header>
  <span class="badge state-${e.state}">${e.cancelling ? "cancelling" : e.state}</span>
  <strong>${e.tool}${e.skill ? html` · ${e.skill}` : ""}</strong>
  <span class="who">client ${e.client ?? "unknown"} · session ${short(e.session)}</span>
  <span class="elapsed">${e.state === "queued" ? "waiting" : "running"} ${ms(Math.max(0, now - since))} of ${e.timeoutSeconds} s</span>
  ${e.cancelling ? "" : html`<button type="button" class="cancel" data-id="${e.id}">Cancel</button>`}
</header>
${waiting.map(
    (p) => html`<p class="waiting" data-waiting="${p.id}"><span class="badge state-queued">waiting for a person</span> ${visible(p.method)} <code>${visible(target(p))}</code> needs approval: <a href="/approvals">decide on the Approvals page</a></p>`,
  )}
<details data-key="code-${e.id}"><summary>Code</summary><pre class="code">${e.code.text}</pre></details>
${e.droppedBytes ? html`<p class="note">${e.droppedBytes} bytes of earlier output not shown (the history keeps the start)</p>` : ""}
<div class="streams">${capped("stdout", e.stdout, "stdout")}${capped("stderr", e.stderr, "stderr")}</div>
<h3>Egress</h3>
${egressTable(e.egress)}
</article>`;
}

export function historyRows(rows: HistorySummary[]): Fragment {
  if (rows.length === 0) return html`<p class="empty">No executions.</p>`;
  return html`<table class="history">
<thead><tr><th>Received</th><th>Tool</th><th>Client</th><th>Outcome</th><th>Duration</th><th>APIs</th><th>Requests</th></tr></thead>
<tbody>${rows.map(
    (s) => html`<tr>
<td><a href="/history/${s.id}">${when(s.receivedAt)}</a></td>
<td>${s.tool}${s.skill ? html` · ${s.skill}` : ""}</td>
<td>${s.client ?? "unknown"}</td>
<td>${outcomeBadge(s.outcome)}${s.cancelledBy ? html` <span class="note">by operator</span>` : ""}</td>
<td>${ms(s.durationMs)}</td>
<td>${s.apis.join(", ")}</td>
<td>${s.requests}${s.denied ? html` <span class="denied">(${s.denied} refused)</span>` : ""}</td>
</tr>`,
  )}</tbody>
</table>`;
}

export function liveFragment(
  live: LiveExecution[],
  recent: HistorySummary[],
  stats: { running: number; queued: number },
  now: number,
  pending: PendingApproval[] = [],
): Fragment {
  return html`<p class="summary">${stats.running} running · ${stats.queued} queued${pending.length ? html` · <a href="/approvals">${pending.length} waiting for approval</a>` : ""}</p>
${live.length === 0 ? html`<p class="empty" id="idle">Nothing is running.</p>` : live.map((e) => liveEntry(e, now, pending.filter((p) => p.who.callId === e.id)))}
<h2>Just ended</h2>
${historyRows(recent.slice(0, 10))}`;
}

export function livePage(frame: PageFrame, fragment: Fragment): Fragment {
  return page(frame, html`<div id="live" data-stream="/console/live">${fragment}</div>`);
}
