// The MCP layer in-process: the SDK's own client against createMcpServer over the SDK's in-memory
// transport pair, with a fake executor and a temporary skills store. No Docker, no network.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { ResourceListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { LoadedApis } from "../config/load-apis.ts";
import { OUTCOMES, type ExecutionResult, type Outcome } from "../executor/execution-result.ts";
import type { ExecuteRequest } from "../executor/executor.ts";
import { createSchemaCompiler } from "../skills/input-schema.ts";
import { createSkillEvents } from "../skills/skill-events.ts";
import { createSkillStore } from "../skills/skill-store.ts";
import { createMcpServer } from "./create-server.ts";

const LIMITS = { defaultTimeoutSeconds: 30, maxTimeoutSeconds: 60, maxCodeBytes: 1000 };
const APIS: LoadedApis = {
  apis: [{
    name: "stripe", description: "Payments", domains: ["api.stripe.test"], active: true, ports: [443], plainHttpPorts: [],
    credentials: { STRIPE_KEY: { headers: ["Authorization"], query: [], basicAuth: false, value: { env: "X" } } },
    restrictedMethods: ["DELETE"], redact: [],
    approvals: [{ methods: ["POST"], paths: ["/v1/refunds*"] }], limits: { requestsPerMinute: 10 },
  } as unknown as LoadedApis["apis"][number]],
  problems: [{ file: "/apis/broken/config.json", field: "domains", message: "Required" }],
};

function result(outcome: Outcome, extra: Partial<ExecutionResult> = {}): ExecutionResult {
  return {
    outcome,
    exitCode: outcome === "success" ? 0 : outcome === "error" ? 1 : null,
    stdout: outcome === "success" ? "42\n" : "",
    stderr: outcome === "error" ? "Error: boom\n" : "",
    durationMs: 12,
    outputTruncated: outcome === "output_limit",
    ...(outcome === "success" ? {} : { message: `why: ${outcome}` }),
    executionId: "a".repeat(32),
    egress: { requests: [{ decision: "inject", method: "GET", host: "api.stripe.test", path: "/v1", status: 200, api: "stripe", credentials: ["STRIPE_KEY"] }], denied: 0, omitted: 0 },
    ...extra,
  };
}

describe("the MCP server, in-process", () => {
  let dir: string;
  let client: Client;
  let calls: ExecuteRequest[];
  let next: ExecutionResult;
  let listChanged: number;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "skills-"));
    calls = [];
    next = result("success");
    listChanged = 0;
    const server = createMcpServer({
      execute: async (req) => {
        calls.push(req);
        return next;
      },
      loadApis: async () => APIS,
      instructions: "how to use Airlock",
      limits: LIMITS,
      version: "test",
      skills: createSkillStore(dir, { maxCodeBytes: 10_000, maxStoreBytes: 1_000_000 }, () => {}),
      skillEvents: createSkillEvents(),
      schemas: createSchemaCompiler(),
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    client = new Client({ name: "unit-client", version: "1" });
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => void listChanged++);
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    // Listing the tools makes the client check every structured result against its outputSchema.
    await client.listTools();
  });
  afterEach(async () => {
    await client.close();
    await rm(dir, { recursive: true, force: true });
  });

  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

  it.each(Object.keys(OUTCOMES) as Outcome[])("should answer a run that ended as %s with isError exactly when it failed", async (outcome) => {
    next = result(outcome);
    const r = await call("execute_code", { code: "console.log(42)" });
    expect(r.isError ?? false).toBe(outcome !== "success");
    expect(r.structuredContent).toMatchObject({ outcome, executionId: "a".repeat(32) });
    expect(text(r)).toContain(outcome === "success" ? "exit code 0" : `${outcome}: why: ${outcome}`);
    // The egress listing is in the text too, names only.
    expect(text(r)).toContain("inject GET api.stripe.test/v1 -> 200");
  });

  it("should pass the code, the timeout and who asked to the executor", async () => {
    await call("execute_code", { code: "console.log(1)", timeout_seconds: 7 });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ code: "console.log(1)", timeoutSeconds: 7, caller: { tool: "execute_code", client: "unit-client" } });
    await call("execute_code", { code: "console.log(2)" });
    expect(calls[1]!.timeoutSeconds).toBe(LIMITS.defaultTimeoutSeconds);
  });

  it("should refuse code over the size limit without running it, saying the limit", async () => {
    const r = await call("execute_code", { code: "x".repeat(LIMITS.maxCodeBytes + 1) });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(`the limit is ${LIMITS.maxCodeBytes}`);
    expect(calls).toHaveLength(0);
    // Bytes, not characters: 334 three-byte characters are over 1000 bytes.
    expect((await call("execute_code", { code: "€".repeat(334) })).isError).toBe(true);
    expect((await call("execute_code", { code: "x".repeat(LIMITS.maxCodeBytes) })).isError ?? false).toBe(false);
  });

  it.each([
    [{ code: "" }, "code is empty"],
    [{ code: "1", timeout_seconds: 0 }, "at least 1"],
    [{ code: "1", timeout_seconds: 61 }, "at most 60"],
    [{ code: "1", timeout_seconds: 1.5 }, "whole number"],
    [{}, "code"],
  ])("should answer bad arguments %j with an error the model can act on", async (args, says) => {
    const r = await call("execute_code", args);
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(says);
    expect(calls).toHaveLength(0);
  });

  it("should check run_skill arguments against the skill's schema before running anything", async () => {
    const saved = await call("save_skill", {
      name: "charge",
      description: "Looks up a charge",
      code: "export default async function (args: { id: string }) { return args.id; }",
      input_schema: { type: "object", properties: { id: { type: "string", pattern: "^ch_[a-z0-9]+$" } }, required: ["id"] },
    });
    expect(saved.isError ?? false).toBe(false);
    for (const [args, says] of [
      [{}, "must have required property 'id'"],
      [{ id: 7 }, "args.id must be string"],
      [{ id: "nope" }, "args.id must match pattern"],
    ] as const) {
      const r = await call("run_skill", { name: "charge", args });
      expect(r.isError).toBe(true);
      expect(text(r)).toContain(says);
    }
    expect(calls).toHaveLength(0);
    const ran = await call("run_skill", { name: "charge", args: { id: "ch_1" } });
    expect(ran.structuredContent).toMatchObject({ outcome: "success" });
    expect(calls[0]!.code).toContain('import run from "/skills/charge/skill.ts"');
    expect(calls[0]!.code).toContain('{"id":"ch_1"}');
    expect(calls[0]!.caller).toMatchObject({ tool: "run_skill", skill: "charge" });
    // An unknown skill is a tool error naming it, not a protocol error.
    const missing = await call("run_skill", { name: "nothing" });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toContain("nothing");
  });

  it("should refuse a schema with a catastrophic pattern at save_skill, before touching the store", async () => {
    const r = await call("save_skill", {
      name: "evil", description: "x", code: "export default async function () {}",
      input_schema: { type: "object", properties: { s: { type: "string", pattern: "(?=a)a" } } },
    });
    expect(r.isError).toBe(true);
    expect((await call("list_skills", {})).structuredContent).toEqual({ skills: [] });
  });

  it("should tell the client when the skills change, and serve them as resources and a prompt", async () => {
    await call("save_skill", { name: "hello", description: "Says hello", code: "export default async function () { return 'hi'; }" });
    await expect.poll(() => listChanged).toBe(1);
    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toEqual(["skill://hello"]);
    const read = await client.readResource({ uri: "skill://hello" });
    expect(read.contents[0]).toMatchObject({ mimeType: "text/x-typescript", text: "export default async function () { return 'hi'; }" });
    await call("update_skill", { name: "hello", edits: [{ search: "'hi'", replace: "'hello'" }] });
    await expect.poll(() => listChanged).toBe(2);
    const v1 = await client.readResource({ uri: "skill://hello/versions/1" });
    expect(v1.contents[0]).toMatchObject({ text: expect.stringContaining("'hi'") });
    const prompts = await client.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toEqual(["review_skill"]);
    const prompt = await client.getPrompt({ name: "review_skill", arguments: { name: "hello" } });
    expect(JSON.stringify(prompt.messages)).toContain("'hello'");
  });

  it("should list the APIs with credential names only, and the broken config with its file and field", async () => {
    const r = await call("list_apis", {});
    expect(r.structuredContent).toMatchObject({
      apis: [{
        name: "stripe", domains: ["api.stripe.test"], credentials: [{ name: "STRIPE_KEY" }], restrictedMethods: ["DELETE"],
        // What will wait for a person, and the budgets: the model can plan around both.
        approvalsRequiredFor: [{ methods: ["POST"], paths: ["/v1/refunds*"] }], limits: { requestsPerMinute: 10 },
      }],
      configProblems: [{ file: "/apis/broken/config.json", field: "domains" }],
    });
    expect(text(r)).not.toContain('"env"');
  });

  it("should give its instructions on initialize and through get_instructions", async () => {
    expect(client.getInstructions()).toBe("how to use Airlock");
    expect(text(await call("get_instructions", {}))).toContain("how to use Airlock");
  });
});
