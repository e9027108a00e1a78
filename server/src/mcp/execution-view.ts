/**
 * @module How an execution is shown to the model, for every tool that runs code (execute_code,
 * run_skill): the result as structured content (checked against one output schema) and as text,
 * `isError` with a message saying why whenever it did not succeed; progress while it runs.
 */
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import { ElicitResultSchema, type CallToolResult, type ServerNotification, type ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { ElicitAction } from "../approvals/approval-broker.ts";
import { z } from "zod";
import type { Execute, ExecuteRequest } from "../executor/executor.ts";
import { OUTCOMES, type ExecutionResult, type Outcome } from "../executor/execution-result.ts";
import { startProgress } from "./progress.ts";

export const executionResultShape = {
  outcome: z
    .enum(Object.keys(OUTCOMES) as [Outcome, ...Outcome[]])
    .describe("How the execution ended"),
  exitCode: z.number().int().nullable().describe("Deno's exit code; null when the run was stopped or lost"),
  stdout: z.string().describe("What the code printed to stdout (possibly truncated)"),
  stderr: z.string().describe("What the code printed to stderr"),
  durationMs: z.number().describe("Wall-clock time of the execution in milliseconds"),
  outputTruncated: z.boolean().describe("True when output passed the byte limit and was cut"),
  message: z.string().optional().describe("Why the execution did not succeed"),
  approvalWaitMs: z.number().optional().describe("How long requests of this run waited for a person's approval, in all"),
  executionId: z
    .string()
    .optional()
    .describe("The execution's id, as in the audit log and the egress proxy's log (absent when the code never ran)"),
  egress: z
    .object({
      requests: z
        .array(
          z.object({
            decision: z.string().describe("allow, inject, redact, scrub, deny, restrict, block, error, limit or unapproved"),
            method: z.string().optional(),
            host: z.string().optional(),
            path: z.string().optional(),
            status: z.number().optional(),
            api: z.string().nullable().optional(),
            credentials: z.array(z.string()).optional().describe("Credential names injected"),
            reason: z.string().optional(),
            budgets: z
              .array(z.object({ what: z.string(), used: z.number(), limit: z.number(), per: z.enum(["execution", "minute"]) }))
              .optional()
              .describe("Request budgets this request counted against, and how much of each is used"),
            approval: z
              .object({ outcome: z.string(), by: z.string(), waitedMs: z.number() })
              .optional()
              .describe("A person's decision on a request that needed approval"),
          }),
        )
        .describe("Requests made through the egress proxy"),
      denied: z.number().describe("Requests the proxy refused or blocked"),
      omitted: z.number().describe("Requests past the listing cap"),
    })
    .describe("What the execution sent out (credential names only)"),
};

/** Runs one execution for a tool call: progress notifications while it runs (when the client
 *  asked), the call's cancellation passed on, and the result as the tool's answer. */
export async function runAsTool(
  execute: Execute,
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  request: Omit<ExecuteRequest, "signal" | "onOutput" | "elicit" | "notice">,
  client: { elicitation: boolean } = { elicitation: false },
): Promise<CallToolResult> {
  const progress = startProgress(extra, request.timeoutSeconds);
  try {
    return toToolResult(
      await execute({
        ...request,
        signal: extra.signal,
        onOutput: progress.onOutput,
        notice: progress.note,
        elicit: client.elicitation ? (message, timeoutMs, signal) => askByElicitation(extra, message, timeoutMs, signal) : undefined,
      }),
    );
  } finally {
    progress.stop();
  }
}

/** One yes/no question to the user of the client whose call this is, on that call's stream. */
async function askByElicitation(
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>,
  message: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ElicitAction> {
  const result = await extra.sendRequest(
    {
      method: "elicitation/create",
      params: {
        message,
        requestedSchema: {
          type: "object",
          properties: { approve: { type: "boolean", title: "Approve", description: "Send this one request", default: false } },
          required: ["approve"],
        },
      },
    },
    ElicitResultSchema,
    { timeout: timeoutMs, signal: AbortSignal.any([signal, extra.signal]) },
  );
  // Accepting the form is not enough: the box must say yes.
  if (result.action === "accept") return result.content?.approve === true ? "accept" : "decline";
  return result.action;
}

export function toToolResult(result: ExecutionResult): CallToolResult {
  const waited = result.approvalWaitMs ? `; waited ${result.approvalWaitMs} ms for a person's approval` : "";
  const head =
    result.outcome === "success"
      ? `exit code 0 in ${result.durationMs} ms${waited}`
      : `${result.outcome}: ${result.message ?? "failed"} (${result.durationMs} ms${waited})`;
  const sections = [head];
  if (result.egress.requests.length > 0) {
    const lines = result.egress.requests.map(
      (r) => `${r.decision} ${r.method ?? ""} ${r.host ?? ""}${r.path ?? ""}${r.status ? ` -> ${r.status}` : ""}${r.reason ? ` (${r.reason})` : ""}`,
    );
    sections.push(`--- egress ---\n${lines.join("\n")}${result.egress.omitted ? `\n(+${result.egress.omitted} more)` : ""}`);
  }
  if (result.stdout) sections.push(`--- stdout ---\n${result.stdout}`);
  if (result.stderr) sections.push(`--- stderr ---\n${result.stderr}`);
  return {
    isError: result.outcome !== "success",
    content: [{ type: "text", text: sections.join("\n") }],
    structuredContent: { ...result },
  };
}
