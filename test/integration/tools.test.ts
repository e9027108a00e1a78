import { rm } from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callTool, connect } from "../helpers/mcp.ts";
import { writeApiConfig } from "../helpers/stack.ts";

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
    expect(payload.apis.map((a) => a.name)).toEqual(["fake", "other"]);
    expect(payload.apis[0]).toMatchObject({
      name: "fake",
      description: "The fake upstream API of the test suite (echoes requests).",
      domains: ["api.fake.test"],
      referenceUrl: "https://api.fake.test/docs",
      restrictedMethods: ["DELETE"],
    });
    const credentials = payload.apis[0]!.credentials as Array<{ name: string; usage: string; methods?: string[] }>;
    expect(credentials.map((c) => c.name)).toEqual(["FAKE_API_TOKEN", "FAKE_FILE_TOKEN", "FAKE_SCOPED_TOKEN"]);
    expect(credentials[0]!.usage).toContain('"Bearer FAKE_API_TOKEN"');
    expect(credentials[2]).toMatchObject({ methods: ["GET"], paths: ["/v1/charges*"] });
    // Where values come from, and the redaction list, are the proxy's business only.
    const text = JSON.stringify(payload);
    for (const hidden of ['"value"', "FAKE_API_SECRET", "fake_file_token", "jane.doe", '"redact"']) expect(text).not.toContain(hidden);
  });

  it("should report a malformed config with its file and field while the others still load", async () => {
    const result = await callTool(client, "list_apis");
    const payload = result.structuredContent as { configProblems: Array<{ file: string; field: string; message: string }> };
    expect(payload.configProblems).toHaveLength(1);
    expect(payload.configProblems[0]!.file).toBe("/apis/broken/config.json");
    expect(payload.configProblems[0]!.field).toMatch(/domain/);
  });

  it("should say which API the proxy could not load because its secret is missing", async () => {
    await writeApiConfig(stack.apisDir, "unset", {
      description: "Its secret is in no environment",
      domains: ["unset.fake.test"],
      credentials: { UNSET_API_TOKEN: { headers: ["Authorization"], value: { env: "NOWHERE_SECRET" } } },
    });
    try {
      await expect
        .poll(async () => {
          const payload = (await callTool(client, "list_apis")).structuredContent as {
            apis: Array<{ name: string; usable?: boolean }>;
            configProblems: Array<{ file: string; message: string; reportedBy?: string }>;
          };
          return {
            usable: payload.apis.find((a) => a.name === "unset")?.usable,
            problem: payload.configProblems.find((p) => p.file === "/apis/unset/config.json"),
          };
        }, { timeout: 10_000 })
        .toEqual({
          usable: false,
          problem: expect.objectContaining({ message: "proxy environment variable NOWHERE_SECRET is not set", reportedBy: "proxy" }),
        });
      // The APIs whose secrets are there stay usable.
      const payload = (await callTool(client, "list_apis")).structuredContent as { apis: Array<{ name: string; usable?: boolean }> };
      expect(payload.apis.find((a) => a.name === "fake")?.usable).toBeUndefined();
    } finally {
      await rm(path.join(stack.apisDir, "unset"), { recursive: true, force: true });
    }
  });

  it("should serve the same primer as the server's MCP instructions", async () => {
    const result = await callTool(client, "get_instructions");
    const text = result.content[0]!.type === "text" ? result.content[0]!.text : "";
    expect(text).toContain("credential");
    expect(text).toBe(client.getInstructions());
  });
});
