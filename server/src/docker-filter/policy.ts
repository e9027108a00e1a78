/**
 * @module The docker-socket filter's whole decision. A pure function from a request to allow or
 * deny: exec create on the sandbox, exec start and inspect of execs this filter created, the
 * filter's own status (answered by the filter, never forwarded), and nothing else. Every branch
 * that is not an explicit allow is a deny with a reason.
 */
import { normalizeTarget } from "./normalize-path.ts";
import {
  CANONICAL_EXEC_START,
  canonicalExecCreate,
  execCreateSchema,
  execStartSchema,
  type ExecRules,
} from "./exec-body.ts";
import { SANDBOX_ALIAS, STATUS_PATH } from "../shared/filter-contract.ts";


export interface FilterRequest {
  method: string;
  target: string;
  /** Raw body bytes as text; empty string when there is none. */
  body: string;
  contentType: string | undefined;
  /** True for `Connection: Upgrade` requests (a hijacked exec start). */
  upgrade: boolean;
}

export type Decision =
  | { allow: true; action: "exec-create"; path: string; body: string }
  | { allow: true; action: "exec-start"; execId: string; path: string; body: string }
  | { allow: true; action: "exec-inspect"; execId: string; path: string }
  | { allow: true; action: "status"; path: string }
  | { allow: false; reason: string };

const EXEC_ID = /^[0-9a-f]{64}$/;

function deny(reason: string): Decision {
  return { allow: false, reason };
}

function parseJson(req: FilterRequest): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (!/^application\/json(\s*;.*)?$/i.test(req.contentType ?? "")) {
    return { ok: false, reason: "body must be application/json" };
  }
  let value: unknown;
  try {
    value = JSON.parse(req.body);
  } catch {
    return { ok: false, reason: "body is not valid JSON" };
  }
  // Parsers disagree on a key given twice (first or last wins): a body that could mean two
  // things is refused, even though the forwarded body is rebuilt from the parsed one.
  const keys = [...req.body.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)].map((m) => m[1]);
  if (new Set(keys).size !== keys.length) return { ok: false, reason: "body is not valid JSON: a key appears twice" };
  return { ok: true, value };
}

export function decide(req: FilterRequest, rules: ExecRules, knownExec: (id: string) => boolean): Decision {
  const target = normalizeTarget(req.target);
  if (!target.ok) return deny(target.reason);
  if (target.hasQuery) return deny("query strings are not allowed");
  const parts = target.path.split("/").slice(1);

  if (target.path === STATUS_PATH) {
    if (req.method !== "GET" || req.upgrade || req.body !== "") return deny("the status endpoint takes a plain GET");
    return { allow: true, action: "status", path: STATUS_PATH };
  }

  if (req.method === "POST" && parts.length === 3 && parts[0] === "containers" && parts[2] === "exec") {
    if (parts[1] !== SANDBOX_ALIAS) return deny(`exec is only allowed on the '${SANDBOX_ALIAS}' container`);
    if (req.upgrade) return deny("exec create cannot be upgraded");
    const json = parseJson(req);
    if (!json.ok) return deny(json.reason);
    const parsed = execCreateSchema(rules).safeParse(json.value);
    if (!parsed.success) return deny(`exec-create body rejected: ${describeIssue(parsed.error.issues[0])}`);
    return { allow: true, action: "exec-create", path: target.path, body: canonicalExecCreate(parsed.data) };
  }

  if (parts.length === 3 && parts[0] === "exec") {
    const execId = parts[1]!;
    if (!EXEC_ID.test(execId)) return deny("exec id is malformed");
    if (!knownExec(execId)) return deny("exec was not created through this filter");
    if (req.method === "POST" && parts[2] === "start") {
      const json = parseJson(req);
      if (!json.ok) return deny(json.reason);
      const parsed = execStartSchema.safeParse(json.value);
      if (!parsed.success) return deny(`exec-start body rejected: ${describeIssue(parsed.error.issues[0])}`);
      return { allow: true, action: "exec-start", execId, path: target.path, body: CANONICAL_EXEC_START };
    }
    if (req.method === "GET" && parts[2] === "json") {
      if (req.upgrade) return deny("exec inspect cannot be upgraded");
      if (req.body !== "") return deny("exec inspect takes no body");
      return { allow: true, action: "exec-inspect", execId, path: target.path };
    }
  }
  return deny("endpoint is not on the allowlist");
}

function describeIssue(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (!issue) return "invalid";
  const field = issue.path.map(String).join(".") || "(body)";
  return `${field}: ${issue.message}`;
}
