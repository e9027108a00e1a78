/**
 * @module The approvals page: requests an API's approval rule held, waiting for an operator
 * because their client could not be asked directly. Each decision is bound to one request (its
 * id) and is a form post with the page's CSRF token.
 */
import { html } from "hono/html";
import { target, visible, type PendingApproval } from "../../approvals/approval-broker.ts";
import { ms, short, when, type Fragment } from "./layout.ts";

export function approvalsBody(pending: PendingApproval[], csrf: string | undefined, now: number, canDecide: boolean): Fragment {
  if (pending.length === 0) {
    return html`<p class="empty" id="no-approvals">No request is waiting for approval.</p>
<p class="note">Requests wait here when an API's <code>approvals</code> rule holds them and the client that runs the code cannot be asked directly (MCP elicitation).</p>`;
  }
  return html`${pending.map(
    (p) => html`<article class="approval" data-approval="${p.id}">
<h2><span class="badge state-queued">waiting</span> ${visible(p.method)} <code>${visible(target(p))}</code></h2>
<dl class="facts">
${p.actsAs.length ? html`<dt>Acts as</dt><dd class="warning">${p.actsAs.map(visible).join(", ")} (a method override in the request)</dd>` : ""}
${p.destination ? html`<dt>Also acts on</dt><dd><code>${visible(p.destination)}</code> (Destination header)</dd>` : ""}
<dt>API</dt><dd>${p.api} (approval rule ${p.rule + 1})</dd>
<dt>Credentials</dt><dd>${p.credentials.length ? p.credentials.join(", ") : "none"}</dd>
<dt>Asked by</dt><dd>${visible(p.who.tool)} · client ${visible(p.who.client ?? "unknown")} · session ${short(p.who.session)} · <a href="/">live</a></dd>
<dt>Asked</dt><dd>${when(p.askedAt)}; refused unless decided within ${ms(Math.max(0, p.deadline - now))}</dd>
<dt>Execution</dt><dd><code>${p.execution}</code></dd>
</dl>
${p.excerpt ? html`<h3>Body (first bytes${p.encoded ? "; sent compressed, decoded here" : ""})</h3><pre class="code">${visible(p.excerpt)}</pre>` : ""}
${canDecide ? html`<form method="post" action="/console/approvals/${p.id}" class="decide">
<input type="hidden" name="csrf" value="${csrf ?? ""}">
<button type="submit" name="decision" value="approve" class="approve" disabled data-wake>Approve this request</button>
<button type="submit" name="decision" value="decline" class="decline" disabled data-wake>Decline</button>
</form>` : html`<p class="note">Deciding here needs <code>AIRLOCK_CONSOLE_TOKEN</code> (the operator's own token): without it every MCP client can reach this page.</p>`}
</article>`,
  )}`;
}
