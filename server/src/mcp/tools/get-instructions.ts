/** @module The `get_instructions` tool: the same primer the server sends as MCP `instructions`. */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

export function registerGetInstructions(server: McpServer, instructions: string): void {
  server.registerTool(
    "get_instructions",
    {
      title: "How to use Airlock",
      description: "A short primer: how network access and credential names work, the filesystem, and the limits.",
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async () => ({ content: [{ type: "text", text: instructions }] }),
  );
}
