/**
 * @module The console's page frame and the pieces several pages share. Every value is put into
 * the page through hono's `html` template, which escapes it: code, output, paths, skill text and
 * anything else executed code could have written are shown as text, never as markup. No inline
 * script or style anywhere (the Content-Security-Policy forbids both); behaviour lives in
 * /assets/console.js.
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { EgressSummary } from "../../executor/egress-summary.ts";
import type { CappedText } from "../history-store.ts";

export type Fragment = HtmlEscapedString | Promise<HtmlEscapedString>;

const NAV = [
  ["/", "Live"],
  ["/history", "History"],
  ["/approvals", "Approvals"],
  ["/apis", "APIs"],
  ["/skills", "Skills"],
  ["/status", "Health"],
] as const;

export interface PageFrame {
  title: string;
  /** The nav entry to mark as current. */
  section: string;
  csrf?: string;
}

export function page(frame: PageFrame, body: Fragment): Fragment {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${frame.csrf ? html`<meta name="airlock-csrf" content="${frame.csrf}">` : ""}
<title>${frame.title} · Airlock</title>
<link rel="stylesheet" href="/assets/console.css">
<script src="/assets/console.js" defer></script>
</head>
<body>
<header class="top">
  <a class="brand" href="/">Airlock</a>
  <nav>${NAV.map(([href, label]) => html`<a href="${href}"${frame.section === href ? html` aria-current="page"` : ""}>${label}</a>`)}</nav>
</header>
<main>
<h1>${frame.title}</h1>
${body}
</main>
</body>
</html>`;
}

export function when(date: string | number | undefined): Fragment {
  if (date === undefined) return html``;
  const d = new Date(date);
  return html`<time datetime="${d.toISOString()}">${d.toISOString().replace("T", " ").slice(0, 19)}</time>`;
}

export function ms(value: number): string {
  return value < 1000 ? `${value} ms` : `${(value / 1000).toFixed(1)} s`;
}

export function outcomeBadge(outcome: string): Fragment {
  return html`<span class="badge outcome-${outcome}">${outcome}</span>`;
}

export function capped(label: string, value: CappedText | string, cls: string): Fragment {
  const text = typeof value === "string" ? value : value.text;
  const omitted = typeof value === "string" ? 0 : value.omittedBytes;
  return html`<section class="stream"><h3>${label}</h3>${text
    ? html`<pre class="${cls}">${text}</pre>`
    : html`<p class="empty">(nothing)</p>`}${omitted ? html`<p class="note">${omitted} more bytes not kept</p>` : ""}</section>`;
}

export function egressTable(egress: EgressSummary): Fragment {
  if (egress.requests.length === 0) return html`<p class="empty">No requests through the proxy.</p>`;
  return html`<table class="egress">
<thead><tr><th>Decision</th><th>Method</th><th>Host</th><th>Path</th><th>Status</th><th>API</th><th>Credentials</th><th>Budgets</th><th>Reason</th></tr></thead>
<tbody>${egress.requests.map(
    (r) => html`<tr class="decision-${r.decision}"><td>${r.decision}</td><td>${r.method ?? ""}</td><td>${r.host ?? ""}</td><td class="path">${r.path ?? ""}</td><td>${r.status ?? ""}</td><td>${r.api ?? ""}</td><td>${(r.credentials ?? []).join(", ")}</td><td>${(r.budgets ?? []).map((b) => `${b.what} ${b.used}/${b.limit} per ${b.per}`).join("; ")}</td><td>${r.approval ? `${r.approval.outcome} by ${r.approval.by} after ${ms(r.approval.waitedMs)}${r.reason ? "; " : ""}` : ""}${r.reason ?? ""}</td></tr>`,
  )}</tbody>
</table>
<p class="note">${egress.denied} refused or blocked${egress.omitted ? html`; ${egress.omitted} more not listed` : ""}</p>`;
}

/** A session id is long; its head is enough to tell sessions apart on a page. */
export function short(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : "—";
}
