/**
 * @module The `execute_code` tool: argument validation; the result is shown as execution-view.ts
 * shows every execution (run_skill's too).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { Execute } from "../../executor/executor.ts";
import { executionResultShape, runAsTool } from "../execution-view.ts";

export interface ExecuteCodeLimits {
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  maxCodeBytes: number;
}

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
      return runAsTool(execute, extra, {
        code,
        timeoutSeconds: timeout_seconds ?? limits.defaultTimeoutSeconds,
        caller: { tool: "execute_code", session: extra.sessionId, client: server.server.getClientVersion()?.name },
      }, { elicitation: server.server.getClientCapabilities()?.elicitation !== undefined });
    },
  );
}
