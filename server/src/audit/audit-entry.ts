/**
 * @module What the audit log records about one execution: who, a hash of the code (the code
 * only if the operator opted in), how it ended, how much it printed, which limit it hit, and where
 * it sent requests (hosts and credential *names*). Two lines per execution that reached the
 * sandbox: `phase: "started"` when the code was handed over, `phase: "ended"` with the outcome
 * (a call that never ran has only the latter); `phase: "interrupted"` closes a started one
 * whose end the gateway did not live to write (see interrupted.ts).
 */
import { createHash } from "node:crypto";
import type { ExecuteRequest } from "../executor/executor.ts";
import { LIMIT_OUTCOMES, type ExecutionResult } from "../executor/execution-result.ts";
import type { AuditEntry } from "./audit-log.ts";

export type AuditPhase = "started" | "ended" | "interrupted";

/** Who asked and for what: common to both lines of an execution. */
function callFields(req: ExecuteRequest, includeCode: boolean): AuditEntry {
  return {
    tool: req.caller?.tool ?? "execute_code",
    ...(req.caller?.skill ? { skill: req.caller.skill } : {}),
    session: req.caller?.session ?? null,
    client: req.caller?.client ?? null,
    codeSha256: createHash("sha256").update(req.code).digest("hex"),
    ...(includeCode ? { code: req.code } : {}),
    timeoutSeconds: req.timeoutSeconds,
  };
}

export function auditStartEntry(req: ExecuteRequest, executionId: string): AuditEntry {
  return { phase: "started" satisfies AuditPhase, execution: executionId, ...callFields(req, false) };
}

export function auditEntry(req: ExecuteRequest, result: ExecutionResult, includeCode: boolean): AuditEntry {
  const requests = result.egress.requests;
  return {
    phase: "ended" satisfies AuditPhase,
    ...callFields(req, includeCode),
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
      // Every request a person was asked about, and what they decided.
      approvals: requests
        .filter((r) => r.approval)
        .map((r) => ({ method: r.method, host: r.host, path: r.path, outcome: r.approval!.outcome, by: r.approval!.by })),
    },
    ...(result.approvalWaitMs ? { approvalWaitMs: result.approvalWaitMs } : {}),
  };
}
