import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ResourceListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callTool, connect, execute } from "../helpers/mcp.ts";
import { compose, execIn } from "../helpers/stack.ts";

const stack = inject("stack");

const GREET = `
export default async function (args: { who: string; times?: number }) {
  return Array.from({ length: args.times ?? 1 }, () => "hello " + args.who).join(", ");
}`;

function resourceText(content: { text: string } | { blob: string } | undefined): string {
  return content && "text" in content ? content.text : "";
}

function text(result: { content: Array<{ type: string; text?: string }> }): string {
  return result.content.map((c) => c.text ?? "").join("\n");
}

describe("skills", { timeout: 120_000 }, () => {
  let client: Client;
  let listChanged = 0;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      listChanged++;
    });
  });
  afterAll(async () => {
    await client.close();
  });

  it("should save, list, read as a resource and run a skill with arguments", async () => {
    const before = listChanged;
    const saved = await callTool(client, "save_skill", {
      name: "greet",
      description: "Greets someone",
      code: GREET,
      input_schema: { type: "object", properties: { who: { type: "string" }, times: { type: "integer" } }, required: ["who"] },
    });
    expect(saved.isError).toBeFalsy();
    await expect.poll(() => listChanged).toBeGreaterThan(before);

    const listed = await callTool(client, "list_skills");
    expect((listed.structuredContent as { skills: Array<{ name: string }> }).skills.map((s) => s.name)).toContain("greet");

    const resources = await client.listResources();
    expect(resources.resources.map((r) => r.uri)).toContain("skill://greet");
    const read = await client.readResource({ uri: "skill://greet" });
    expect(read.contents[0]).toMatchObject({ mimeType: "text/x-typescript", text: GREET });
    expect(JSON.parse(resourceText(read.contents[1]))).toMatchObject({
      name: "greet",
      version: 1,
      created: { client: "airlock-tests" },
    });

    const run = await callTool(client, "run_skill", { name: "greet", args: { who: "ada", times: 2 } });
    expect(run.isError).toBeFalsy();
    expect(run.structuredContent).toMatchObject({ outcome: "success", stdout: "hello ada, hello ada\n" });
  });

  it("should refuse arguments that do not match the input schema, without running", async () => {
    const run = await callTool(client, "run_skill", { name: "greet", args: { times: 2 } });
    expect(run.isError).toBe(true);
    expect(text(run)).toContain("must have required property 'who'");
  });

  it("should validate a hostile pattern in linear time and keep the gateway responsive", async () => {
    const saved = await callTool(client, "save_skill", {
      name: "redos",
      description: "A schema whose pattern backtracks catastrophically in ordinary engines",
      code: "export default async (a: { s: string }) => a.s.length;",
      input_schema: { type: "object", properties: { s: { type: "string", pattern: "^(a+)+$" } }, required: ["s"] },
    });
    expect(saved.isError).toBeFalsy();
    const health = fetch(stack.mcpUrl.replace("/mcp", "/health")).then((r) => r.status);
    const run = await callTool(client, "run_skill", { name: "redos", args: { s: "a".repeat(30_000) + "!" } });
    expect(run.isError).toBe(true);
    expect(JSON.stringify(run.content)).toContain("must match pattern");
    expect(await health).toBe(200);
    await callTool(client, "delete_skill", { name: "redos" });
  });

  it("should refuse at save time a pattern the linear engine cannot run", async () => {
    const saved = await callTool(client, "save_skill", {
      name: "lookahead",
      description: "Uses a lookahead",
      code: "export default async () => 1;",
      input_schema: { type: "object", properties: { s: { type: "string", pattern: "^(?=x)x+$" } } },
    });
    expect(saved.isError).toBe(true);
    expect(JSON.stringify(saved.content)).toContain("RE2 syntax");
  });

  it("should update with search/replace, refuse a non-matching edit cleanly, and roll back", async () => {
    const updated = await callTool(client, "update_skill", { name: "greet", edits: [{ search: '"hello "', replace: '"hi "' }] });
    expect(text(updated)).toContain("version 2");
    const bad = await callTool(client, "update_skill", { name: "greet", edits: [{ search: "no such text", replace: "x" }] });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain("not found");
    expect(resourceText((await client.readResource({ uri: "skill://greet" })).contents[0])).toContain('"hi "');

    const versions = await callTool(client, "skill_versions", { name: "greet" });
    expect((versions.structuredContent as { versions: Array<{ version: number }> }).versions.map((v) => v.version)).toEqual([1, 2]);
    const v1 = await client.readResource({ uri: "skill://greet/versions/1" });
    expect(resourceText(v1.contents[0])).toBe(GREET);

    await callTool(client, "rollback_skill", { name: "greet", version: 1 });
    const run = await callTool(client, "run_skill", { name: "greet", args: { who: "bo" } });
    expect(run.structuredContent).toMatchObject({ stdout: "hello bo\n" });
  });

  it("should let execute_code and other skills import a skill", async () => {
    const fromCode = await execute(client, 'import greet from "/skills/greet/skill.ts"; console.log(await greet({ who: "cy" }))');
    expect(fromCode.stdout).toBe("hello cy\n");
    await callTool(client, "save_skill", {
      name: "greet-all",
      description: "Greets everyone",
      code: 'import greet from "../greet/skill.ts";\nexport default async (a: { names: string[] }) => Promise.all(a.names.map((who) => greet({ who })));',
    });
    const run = await callTool(client, "run_skill", { name: "greet-all", args: { names: ["a", "b"] } });
    expect(JSON.parse((run.structuredContent as { stdout: string }).stdout)).toEqual(["hello a", "hello b"]);
  });

  it("should load a skill into the conversation with the review prompt", async () => {
    const prompt = await client.getPrompt({ name: "review_skill", arguments: { name: "greet" } });
    const content = prompt.messages[0]!.content as { text: string };
    expect(content.text).toContain(GREET.trim());
  });

  it("should not let executed code write, overwrite or symlink into the store", async () => {
    const attack = await execute(
      client,
      `const out = [];
       for (const [what, f] of [
         ["write", () => Deno.writeTextFileSync("/skills/greet/skill.ts", "export default () => 'owned'")],
         ["create", () => Deno.writeTextFileSync("/skills/evil.ts", "x")],
         ["mkdir", () => Deno.mkdirSync("/skills/evil")],
         ["symlink", () => Deno.symlinkSync("/etc/passwd", "/skills/link")],
         ["remove", () => Deno.removeSync("/skills/greet", { recursive: true })],
       ] as const) { try { f(); out.push(what + ": allowed"); } catch (e) { out.push(what + ": " + (e as Error).name); } }
       console.log(out.join("\\n"));`,
    );
    expect(attack.stdout).not.toContain("allowed");
    // And below Deno's permissions the mount itself is read-only.
    const raw = await execIn(stack, "sandbox", ["sh", "-c", "echo x > /skills/greet/skill.ts; ln -s /etc/passwd /skills/l; echo rc=$?"]);
    expect(raw.stdout + raw.stderr).toContain("Read-only file system");
    const run = await callTool(client, "run_skill", { name: "greet", args: { who: "dee" } });
    expect(run.structuredContent).toMatchObject({ stdout: "hello dee\n" });
  });

  it.each(["../escape", "a/b", ".hidden", "x".repeat(100)])("should refuse the traversal or bad name %j and change nothing", async (name) => {
    const result = await callTool(client, "save_skill", { name, description: "d", code: "export default () => 1" });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain("invalid skill name");
    const listed = await callTool(client, "list_skills");
    expect((listed.structuredContent as { skills: Array<{ name: string }> }).skills.map((s) => s.name).sort()).toEqual(["greet", "greet-all"]);
  });

  it("should refuse a skill over the size limit", async () => {
    const huge = "// " + "x".repeat(300 * 1024) + "\nexport default () => 1";
    const result = await callTool(client, "save_skill", { name: "huge", description: "d", code: huge });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/at most \d+/);
  });

  it("should keep skills across docker compose restart sandbox", async () => {
    await compose(stack, ["restart", "sandbox"]);
    const run = await callTool(client, "run_skill", { name: "greet", args: { who: "eve" } });
    expect(run.structuredContent).toMatchObject({ outcome: "success", stdout: "hello eve\n" });
  });

  it("should delete a skill and tell clients the list changed", async () => {
    const before = listChanged;
    const deleted = await callTool(client, "delete_skill", { name: "greet-all" });
    expect(deleted.isError).toBeFalsy();
    await expect.poll(() => listChanged).toBeGreaterThan(before);
    const run = await callTool(client, "run_skill", { name: "greet-all", args: { names: [] } });
    expect(run.isError).toBe(true);
    expect(text(run)).toContain("no skill named 'greet-all'");
  });
});
