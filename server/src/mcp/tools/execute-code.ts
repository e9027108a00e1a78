/**
 * @module The `execute_code` tool: argument validation, and the execution result as both
 * structured content and text. A run that did not succeed is `isError` with a message saying why.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Execute } from "../../executor/executor.ts";
import { OUTCOMES, type ExecutionResult, type Outcome } from "../../executor/execution-result.ts";
import { startProgress } from "../progress.ts";

export interface ExecuteCodeLimits {
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  maxCodeBytes: number;
}

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
  executionId: z
    .string()
    .optional()
    .describe("The execution's id, as in the audit log and the egress proxy's log (absent when the code never ran)"),
  egress: z
    .object({
      requests: z
        .array(
          z.object({
            decision: z.string().describe("allow, inject, redact, scrub, deny, restrict, block or error"),
            method: z.string().optional(),
            host: z.string().optional(),
            path: z.string().optional(),
            status: z.number().optional(),
            api: z.string().nullable().optional(),
            credentials: z.array(z.string()).optional().describe("Credential names injected"),
            reason: z.string().optional(),
          }),
        )
        .describe("Requests made through the egress proxy"),
      denied: z.number().describe("Requests the proxy refused or blocked"),
      omitted: z.number().describe("Requests past the listing cap"),
    })
    .describe("What the execution sent out (credential names only)"),
};

export function registerExecuteCode(server: McpServer, execute: Execute, limits: ExecuteCodeLimits): void {
  server.registerTool(
    "execute_code",
    {
      title: "Execute TypeScript in the sandbox",
      description:
        "Run a TypeScript program in a fresh, isolated Deno process and return its stdout, stderr and exit code. " +
        "fetch() may reach only the APIs from list_apis; write credential NAMES where secrets go.",
      inputSchema: {
        code: z
          .string()
          .min(1, "code is empty: pass a TypeScript program")
          .describe("A complete TypeScript program; print results with console.log"),
        timeout_seconds: z
          .number()
          .int("timeout_seconds must be a whole number of seconds")
          .min(1, "timeout_seconds must be at least 1")
          .max(limits.maxTimeoutSeconds, `timeout_seconds may be at most ${limits.maxTimeoutSeconds}`)
          .optional()
          .describe(`Wall-clock limit in seconds (default ${limits.defaultTimeoutSeconds}, max ${limits.maxTimeoutSeconds})`),
      },
      outputSchema: executionResultShape,
      annotations: { openWorldHint: true, destructiveHint: true, idempotentHint: false },
    },
    async ({ code, timeout_seconds }, extra): Promise<CallToolResult> => {
      const size = Buffer.byteLength(code, "utf8");
      if (size > limits.maxCodeBytes) {
        return {
          isError: true,
          content: [{ type: "text", text: `code is ${size} bytes; the limit is ${limits.maxCodeBytes}. Send a shorter program.` }],
        };
      }
      const timeoutSeconds = timeout_seconds ?? limits.defaultTimeoutSeconds;
      const progress = startProgress(extra, timeoutSeconds);
      try {
        const result = await execute({
          code,
          timeoutSeconds,
          signal: extra.signal,
          onOutput: progress.onOutput,
          caller: { tool: "execute_code", session: extra.sessionId, client: server.server.getClientVersion()?.name },
        });
        return toToolResult(result);
      } finally {
        progress.stop();
      }
    },
  );
}

export function toToolResult(result: ExecutionResult): CallToolResult {
  const head =
    result.outcome === "success"
      ? `exit code 0 in ${result.durationMs} ms`
      : `${result.outcome}: ${result.message ?? "failed"} (${result.durationMs} ms)`;
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
