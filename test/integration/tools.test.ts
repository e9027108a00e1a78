import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callTool, connect } from "../helpers/mcp.ts";

const stack = inject("stack");

describe("list_apis and get_instructions", { timeout: 60_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  it("should list the configured API with credential names and nothing about where values live", async () => {
    const result = await callTool(client, "list_apis");
    const payload = result.structuredContent as { apis: Array<Record<string, unknown>>; configProblems: unknown[] };
    expect(payload.apis).toEqual([
      {
        name: "fake",
        description: "The fake upstream API of the test suite (echoes requests).",
        domains: ["api.fake.test"],
        credentials: [{ name: "FAKE_API_TOKEN", header: "Authorization" }],
        referenceUrl: "https://api.fake.test/docs",
        restrictedMethods: ["DELETE"],
      },
    ]);
    expect(JSON.stringify(payload.apis)).not.toContain('"env"');
  });

  it("should report a malformed config with its file and field while the others still load", async () => {
    const result = await callTool(client, "list_apis");
    const payload = result.structuredContent as { configProblems: Array<{ file: string; field: string; message: string }> };
    expect(payload.configProblems).toHaveLength(1);
    expect(payload.configProblems[0]!.file).toBe("/apis/broken/config.json");
    expect(payload.configProblems[0]!.field).toMatch(/domain/);
  });

  it("should serve the same primer as the server's MCP instructions", async () => {
    const result = await callTool(client, "get_instructions");
    const text = result.content[0]!.type === "text" ? result.content[0]!.text : "";
    expect(text).toContain("credential");
    expect(text).toBe(client.getInstructions());
  });
});
