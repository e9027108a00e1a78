import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callTool, connect, execute } from "../helpers/mcp.ts";
import { processesIn } from "../helpers/sandbox-processes.ts";
import { execIn, onGvisor } from "../helpers/stack.ts";

const stack = inject("stack");

describe("execute_code", { timeout: 120_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  it("should return what hello world printed", async () => {
    const result = await execute(client, 'console.log("hello")');
    expect(result).toMatchObject({ outcome: "success", exitCode: 0, stdout: "hello\n", stderr: "", isError: false });
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.text).toContain("hello");
  });

  it("should accept TypeScript syntax without type-checking it", async () => {
    const code = `
      interface Point { x: number; y: number }
      const add = (a: Point, b: Point): Point => ({ x: a.x + b.x, y: a.y + b.y });
      const wrong: number = "not checked" as unknown as number;
      console.log(JSON.stringify(add({ x: 1, y: 2 }, { x: 3, y: 4 })), typeof wrong);`;
    const result = await execute(client, code);
    expect(result.stdout).toBe('{"x":4,"y":6} string\n');
  });

  it("should support top-level await", async () => {
    const result = await execute(client, "await new Promise((r) => setTimeout(r, 50)); console.log('later')");
    expect(result.stdout).toBe("later\n");
  });

  it("should report stderr and a non-zero exit code as an error", async () => {
    const result = await execute(client, 'console.log("out"); console.error("went wrong"); Deno.exit(3)');
    expect(result).toMatchObject({ outcome: "error", exitCode: 3, stdout: "out\n", stderr: "went wrong\n", isError: true });
    expect(result.text).toContain("went wrong");
  });

  it("should report an uncaught exception with its message", async () => {
    const result = await execute(client, 'throw new Error("boom")');
    expect(result.outcome).toBe("error");
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("boom");
  });

  it("should stop code at its timeout, keep the partial output and leave no process behind", async () => {
    const result = await execute(client, 'console.log(Deno.cwd()); while (true) {}', 2);
    expect(result.outcome).toBe("timeout");
    expect(result.isError).toBe(true);
    expect(result.message).toContain("timed out after 2 s");
    const dir = result.stdout.trim();
    expect(dir).toMatch(/^\/tmp\/exec\.[A-Za-z0-9]+\/work$/);
    expect(result.durationMs).toBeLessThan(10_000);
    // The lifeline kills Deno at once; nothing may keep running in the execution's folder.
    await expect.poll(() => processesIn(stack, dir.replace(/\/work$/, "")), { timeout: 5000 }).toBe(0);
  });

  it("should stop a busy Worker at the timeout too", async () => {
    const code = `new Worker("data:text/javascript,while(true){}", { type: "module" }); console.log("started")`;
    const result = await execute(client, code, 2);
    expect(result.outcome).toBe("timeout");
  });

  it("should cap an output flood with a visible marker and stop the code", async () => {
    const result = await execute(client, 'const line = "x".repeat(1023) + "\\n"; while (true) console.log(line)', 30);
    expect(result.outcome).toBe("output_limit");
    expect(result.outputTruncated).toBe(true);
    expect(result.stdout).toContain("[airlock: output truncated at 1048576 bytes]");
    expect(result.stdout.length).toBeLessThan(1_100_000);
    expect(result.durationMs).toBeLessThan(20_000);
  });

  it("should report the V8 heap limit as a memory limit", async () => {
    const result = await execute(client, "const keep = []; while (true) keep.push(new Array(1e6).fill(1));", 30);
    expect(result.outcome).toBe("memory_limit");
    // V8's own limit, not the container's (which would also end it, later and for everyone).
    expect(result.message).toContain("V8 heap limit");
  });

  // Not under gVisor: there a fill past the container's memory stalls the sandbox instead of
  // killing one process (SECURITY.md, gVisor), so this limit is not per execution.
  it.skipIf(onGvisor(stack))("should report the container's memory limit (memory outside the V8 heap) as a memory limit", async () => {
    // Typed arrays live outside the V8 heap; filling them pushes the sandbox past its cgroup limit.
    const code = "const keep = []; while (true) { const b = new Uint8Array(64 * 1024 * 1024); b.fill(1); keep.push(b); }";
    const result = await execute(client, code, 30);
    expect(result.outcome).toBe("memory_limit");
    expect(result.message).toContain("memory limit");
    const next = await execute(client, 'console.log("fine")');
    expect(next.stdout).toBe("fine\n");
  });

  it("should not let a second execution read what the first wrote", async () => {
    const first = await execute(client, 'await Deno.writeTextFile("secret.txt", "s3cret"); console.log(Deno.cwd())');
    expect(first.outcome).toBe("success");
    const firstDir = first.stdout.trim();
    const second = await execute(
      client,
      `const tries = [];
       for (const p of [${JSON.stringify(firstDir + "/secret.txt")}, "secret.txt", "/tmp"]) {
         try { tries.push(p + ": " + (p === "/tmp" ? [...Deno.readDirSync(p)].length : Deno.readTextFileSync(p))); }
         catch (e) { tries.push(p + ": " + (e as Error).name); }
       }
       console.log(tries.join("\\n"));`,
    );
    expect(second.stdout).not.toContain("s3cret");
    expect(second.stdout).toContain("secret.txt: NotFound");
    expect(second.stdout).toContain("/tmp: NotCapable");
    // The first run's scratch folder is gone from the container, too.
    const left = await execIn(stack, "sandbox", ["sh", "-c", `test -e ${firstDir} && echo present || echo gone`]);
    expect(left.stdout.trim()).toBe("gone");
  });

  it("should give the code no environment, subprocesses or FFI", async () => {
    const code = `
      const out = [];
      for (const [name, f] of [
        ["env", () => Deno.env.get("AIRLOCK_PROXY_URL")],
        ["run", () => new Deno.Command("id").outputSync()],
        ["ffi", () => Deno.dlopen("libc.so.6", {})],
        ["write-outside", () => Deno.writeTextFileSync("/tmp/x", "y")],
        ["read-etc", () => Deno.readTextFileSync("/etc/passwd")],
      ] as const) {
        try { f(); out.push(name + ": allowed"); } catch (e) { out.push(name + ": " + (e as Error).name); }
      }
      console.log(out.join("\\n"));`;
    const result = await execute(client, code);
    expect(result.stdout).not.toContain("allowed");
    expect(result.stdout.trim().split("\n")).toHaveLength(5);
  });

  it.each([
    ["an empty program", { code: "" }, "code is empty"],
    ["a zero timeout", { code: "1", timeout_seconds: 0 }, "at least 1"],
    ["a negative timeout", { code: "1", timeout_seconds: -5 }, "at least 1"],
    ["a huge timeout", { code: "1", timeout_seconds: 100000 }, "at most 60"],
    ["a fractional timeout", { code: "1", timeout_seconds: 1.5 }, "whole number"],
    ["a missing program", {}, "code"],
  ])("should refuse %s with a clear error", async (_name, args, message) => {
    const result = await callTool(client, "execute_code", args);
    expect(result.isError).toBe(true);
    const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
    expect(text).toContain(message);
  });
});
