/**
 * @module The skills pages: every skill with its version and who saved it last; one skill with
 * its versions (who saved each, when) and a line diff between any two of them.
 */
import { structuredPatch } from "diff";
import { html } from "hono/html";
import type { Skill, SkillMeta } from "../../skills/skill-store.ts";
import { short, when, type Fragment } from "./layout.ts";

export function skillsBody(skills: SkillMeta[]): Fragment {
  if (skills.length === 0) return html`<p class="empty">No skills yet. An agent saves one with <code>save_skill</code>.</p>`;
  return html`<table class="skills"><thead><tr><th>Skill</th><th>Description</th><th>Version</th><th>Saved</th><th>By</th></tr></thead>
<tbody>${skills.map(
    (s) => html`<tr><td><a href="/skills/${s.name}">${s.name}</a></td><td>${s.description}</td><td>${s.version}</td><td>${when(s.updated.at)}</td><td>${s.updated.client} · ${short(s.updated.session)}</td></tr>`,
  )}</tbody></table>`;
}

export interface VersionRow {
  version: number;
  updated: SkillMeta["updated"];
  description: string;
}

export function diffView(from: Skill, to: Skill): Fragment {
  const patch = structuredPatch(`v${from.version}`, `v${to.version}`, from.code, to.code, "", "", { context: 3 });
  if (patch.hunks.length === 0) return html`<p class="empty">Versions ${from.version} and ${to.version} have the same code.</p>`;
  return html`<pre class="diff">${patch.hunks.map(
    (h) => html`<span class="hunk">@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@</span>
${h.lines.map((l) => html`<span class="${l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "ctx"}">${l}</span>
`)}`,
  )}</pre>`;
}

export function skillBody(skill: Skill, versions: VersionRow[], shown: Skill, diff: { from: Skill; to: Skill } | undefined): Fragment {
  // The store lists the current version among the others; a skill just saved may list only it.
  const rows = [...versions.filter((v) => v.version !== skill.version), { version: skill.version, updated: skill.updated, description: skill.description }].sort(
    (a, b) => b.version - a.version,
  );
  const all = rows.map((r) => r.version);
  const pick = (name: string, chosen: number) => html`<select name="${name}">${all.map(
    (v) => html`<option value="${v}"${v === chosen ? html` selected` : ""}>v${v}</option>`,
  )}</select>`;
  return html`<p>${skill.description}</p>
<h2>Versions</h2>
<table class="versions"><thead><tr><th>Version</th><th>Saved</th><th>By client</th><th>Session</th><th>Description</th></tr></thead>
<tbody>
${rows.map(
    (v) => html`<tr><td><a href="/skills/${skill.name}?version=${v.version}">v${v.version}</a>${v.version === skill.version ? " (current)" : ""}</td><td>${when(v.updated.at)}</td><td>${v.updated.client}</td><td>${short(v.updated.session)}</td><td>${v.description}</td></tr>`,
  )}
</tbody></table>
<h2>Compare</h2>
<form method="get" action="/skills/${skill.name}" class="filters">
<label>From ${pick("from", diff?.from.version ?? Math.max(1, skill.version - 1))}</label>
<label>To ${pick("to", diff?.to.version ?? skill.version)}</label>
<button type="submit">Diff</button>
</form>
${diff ? diffView(diff.from, diff.to) : ""}
<h2>Code of v${shown.version}</h2>
<pre class="code">${shown.code}</pre>
<h2>Input schema</h2>
<pre class="code">${JSON.stringify(shown.inputSchema, null, 2)}</pre>`;
}
