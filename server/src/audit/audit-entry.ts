/**
 * @module What the audit log records about one execution: who, a hash of the code (the code
 * only if the operator opted in), how it ended, how much it printed, which limit it hit, and where
 * it sent requests (hosts and credential *names*).
 */
import { createHash } from "node:crypto";
import type { ExecuteRequest } from "../executor/executor.ts";
import { LIMIT_OUTCOMES, type ExecutionResult } from "../executor/execution-result.ts";
import type { AuditEntry } from "./audit-log.ts";


export function auditEntry(req: ExecuteRequest, result: ExecutionResult, includeCode: boolean): AuditEntry {
  const requests = result.egress.requests;
  return {
    tool: req.caller?.tool ?? "execute_code",
    ...(req.caller?.skill ? { skill: req.caller.skill } : {}),
    session: req.caller?.session ?? null,
    client: req.caller?.client ?? null,
    codeSha256: createHash("sha256").update(req.code).digest("hex"),
    ...(includeCode ? { code: req.code } : {}),
    timeoutSeconds: req.timeoutSeconds,
    execution: result.executionId ?? null,
    outcome: result.outcome,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    outputBytes: Buffer.byteLength(result.stdout) + Buffer.byteLength(result.stderr),
    limitHit: LIMIT_OUTCOMES.has(result.outcome) ? result.outcome : null,
    egress: {
      requests: requests.length + result.egress.omitted,
      hosts: [...new Set(requests.map((r) => r.host).filter(Boolean))].sort(),
      credentials: [...new Set(requests.flatMap((r) => r.credentials ?? []))].sort(),
      denied: result.egress.denied,
    },
  };
}
