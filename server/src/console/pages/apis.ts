/**
 * @module The APIs page: every config with its domains, ports, credential names and where their
 * secrets come from, whether the proxy actually has each secret, restricted methods and scopes,
 * and every config problem with its file and field (the gateway's and the proxy's). Secret values
 * never reach the gateway, so none can be shown; `redact` strings are counted, not shown.
 */
import { html } from "hono/html";
import type { LoadedApis } from "../../config/load-apis.ts";
import type { ProxyStatus } from "../../config/proxy-status.ts";
import type { Fragment } from "./layout.ts";

function secretCell(proxy: ProxyStatus | undefined, api: string, credential: string): Fragment {
  const present = proxy?.secrets[api]?.[credential];
  if (present === true) return html`<span class="badge ok">present</span>`;
  if (present === false) return html`<span class="badge missing" data-missing-secret="${credential}">missing</span>`;
  return html`<span class="badge unknown">unknown (no word from the proxy)</span>`;
}

function budget(limits: { requestsPerExecution?: number; requestsPerMinute?: number } | undefined): string {
  const parts = [
    ...(limits?.requestsPerExecution ? [`${limits.requestsPerExecution} per execution`] : []),
    ...(limits?.requestsPerMinute ? [`${limits.requestsPerMinute} per minute`] : []),
  ];
  return parts.join(", ") || "none";
}

function source(value: { env?: string; file?: string } | undefined): string {
  if (value?.env) return `env ${value.env}`;
  if (value?.file) return `file ${value.file}`;
  return "";
}

export function apisBody({ apis, problems }: LoadedApis, proxy: ProxyStatus | undefined): Fragment {
  const proxyProblems = (proxy?.problems ?? []).filter((p) => !problems.some((q) => q.file === p.file));
  const allProblems = [...problems.map((p) => ({ ...p, by: "gateway" })), ...proxyProblems.map((p) => ({ ...p, by: "proxy" }))];
  return html`${allProblems.length
    ? html`<section class="problems"><h2>Config problems</h2><table>
<thead><tr><th>File</th><th>Field</th><th>Problem</th><th>Seen by</th><th>In force</th></tr></thead>
<tbody>${allProblems.map(
        (p) => html`<tr><td><code>${p.file}</code></td><td><code>${p.field}</code></td><td>${p.message}</td><td>${p.by}</td><td>${p.keptLastGood ? "last good version" : "nothing"}</td></tr>`,
      )}</tbody></table></section>`
    : ""}
${apis.length === 0 ? html`<p class="empty">No APIs are configured. Add one under <code>apis/&lt;name&gt;/config.json</code>.</p>` : ""}
${apis.map((api) => {
    const loadedByProxy = proxy === undefined ? undefined : proxy.loaded.includes(api.name);
    return html`<article class="api" data-api="${api.name}">
<h2>${api.name} ${api.active ? "" : html`<span class="badge unknown">inactive</span>`}
${loadedByProxy === false ? html`<span class="badge missing">not loaded by the proxy: requests get no credential and no passage</span>` : ""}</h2>
<p>${api.description}</p>
<dl class="facts">
<dt>Domains</dt><dd>${api.domains.join(", ")}</dd>
<dt>HTTPS ports</dt><dd>${api.ports.join(", ")}</dd>
${api.plainHttpPorts.length ? html`<dt>Plain HTTP ports</dt><dd>${api.plainHttpPorts.join(", ")} (never with a credential)</dd>` : ""}
<dt>Restricted methods</dt><dd>${api.restrictedMethods.length ? api.restrictedMethods.join(", ") : "none"}</dd>
<dt>Needs approval</dt><dd>${api.approvals.length
      ? api.approvals.map((r) => `${r.methods?.join("/") ?? "any method"} on ${r.paths?.join(", ") ?? "any path"}`).join("; ")
      : "nothing"}</dd>
<dt>Budget</dt><dd>${budget(api.limits)}</dd>
<dt>Redacted strings</dt><dd>${api.redact.length}</dd>
${api.referenceUrl ? html`<dt>Reference</dt><dd>${api.referenceUrl}</dd>` : ""}
</dl>
${Object.keys(api.credentials).length === 0
      ? html`<p class="empty">No credentials.</p>`
      : html`<table class="credentials"><thead><tr><th>Credential</th><th>Secret</th><th>From</th><th>Injected in</th><th>Methods</th><th>Paths</th><th>Budget</th></tr></thead>
<tbody>${Object.entries(api.credentials).map(
          ([name, c]) => html`<tr><td><code>${name}</code>${c.description ? html`<br><span class="note">${c.description}</span>` : ""}</td>
<td>${secretCell(proxy, api.name, name)}</td>
<td><code>${source(c.value as { env?: string; file?: string })}</code></td>
<td>${[...c.headers.map((h) => `header ${h}`), ...c.query.map((q) => `query ${q}`), ...(c.basicAuth ? ["basic auth"] : [])].join(", ") || "nowhere"}</td>
<td>${c.methods?.join(", ") ?? "all"}</td>
<td>${c.paths?.join(", ") ?? "all"}</td>
<td>${budget(c.limits)}</td></tr>`,
        )}</tbody></table>`}
</article>`;
  })}`;
}
