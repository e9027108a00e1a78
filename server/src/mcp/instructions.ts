/**
 * @module The primer the model reads: the server's MCP `instructions` and `get_instructions`.
 * Built from the live settings so the limits it states are the limits in force.
 */
import type { Settings } from "../config/settings.ts";
import { OUTCOMES } from "../executor/execution-result.ts";

export function buildInstructions(s: Settings): string {
  return `Airlock runs TypeScript for you in an isolated Deno sandbox and returns what it printed.

How to use it
- Call execute_code with a complete TypeScript program. Print results with console.log; only what
  you print comes back, so filter and summarise inside the code to keep your context small.
- Top-level await works. Types are accepted but not type-checked. No npm: or remote imports.
- Call list_apis first to see which REST APIs you may call, with their domains and credential names.

Network and credentials
- Use plain fetch() to https://<domain>/... for a listed API. Every other host is refused.
- You never see real secrets. Where an API needs a credential, write its NAME where the value
  would go, e.g. headers: { Authorization: "Bearer STRIPE_AUTH_TOKEN" }. The egress proxy swaps
  the name for the real value on the wire, only for that API's own hosts, and swaps it back in responses.

Sandbox
- Each call runs in a fresh process with its own empty working directory (read/write). Nothing
  survives between calls: no files, no globals, no cache. No environment variables, no
  subprocesses, no FFI. Skills are readable under /skills.
- Limits: timeout ${s.defaultTimeoutSeconds} s by default (timeout_seconds up to ${s.maxTimeoutSeconds}),
  ${s.outputLimitBytes} bytes of output (stdout+stderr; past it the run is stopped), a V8 heap cap,
  and ${s.maxConcurrency} executions at once (more wait in a queue).
Skills
- Save code that worked with save_skill: a module whose \`export default async function (args)\`
  returns (or prints) its result, plus an input_schema (JSON Schema) for args. Run it later with
  run_skill({ name, args }); list_skills shows what exists. Change one with update_skill
  (search/replace edits); every version is kept (skill_versions, rollback_skill).
- Skills can import each other ("../other/skill.ts") and execute_code can import one
  ("/skills/<name>/skill.ts"). Executed code cannot change the store.

Results
- The result's outcome tells how it ended:
${Object.entries(OUTCOMES).map(([name, meaning]) => `  ${name}: ${meaning}`).join("\n")}`;
}
