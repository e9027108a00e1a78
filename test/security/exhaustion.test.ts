/**
 * Resource exhaustion: each attack is stopped with an error naming the limit, and the next
 * execution runs normally.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { sandboxState } from "../helpers/sandbox-processes.ts";
import { compose, onGvisor } from "../helpers/stack.ts";

const stack = inject("stack");

describe("resource exhaustion", { timeout: 120_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl, "exhaustion");
  });
  afterAll(async () => {
    await client.close();
  });

  async function expectNextWorks() {
    const next = await execute(client, "console.log(6 * 7)");
    expect(next).toMatchObject({ outcome: "success", stdout: "42\n" });
  }

  // Not under gVisor: its threads are not the host's, so the pids limit does not bind them and
  // the Workers exhaust the sandbox's memory instead (SECURITY.md, gVisor).
  it.skipIf(onGvisor(stack))("should stop a thousand Workers at the process limit", async () => {
    // Each Worker is a thread and ~8 MiB: under this stack's 512 MiB the memory limit would stop
    // them first. With 40 pids (the idle sandbox uses ~15) the thread limit is reached at ~20
    // Workers, well within memory, so this attacks the pids limit and nothing else.
    await compose(stack, ["up", "-d", "--wait", "--no-deps", "sandbox"], { AIRLOCK_SANDBOX_PIDS: "40" });
    try {
      const result = await execute(
        client,
        `const ws = []; for (let i = 0; i < 1000; i++) ws.push(new Worker("data:text/javascript,setInterval(()=>{},1000)", { type: "module" }));
         console.log("spawned", ws.length);`,
        20,
      );
      expect(result.outcome, result.text).toBe("process_limit");
      expect(result.message).toMatch(/process\/thread limit was reached/);
      await expectNextWorks();
    } finally {
      await compose(stack, ["up", "-d", "--wait", "--no-deps", "sandbox"]);
    }
  });

  it("should stop a disk fill at the execution's share of the scratch disk", async () => {
    const result = await execute(
      client,
      `const chunk = new Uint8Array(8 * 1024 * 1024).fill(65);
       for (let i = 0; ; i++) { Deno.writeFileSync("fill-" + i, chunk); await new Promise((r) => setTimeout(r, 50)); }`,
      30,
    );
    // 8 MiB files stay under the per-file limit; the 128 MiB share is reached before the 256 MiB disk.
    expect(result.outcome).toBe("disk_limit");
    expect(result.message).toMatch(/share of the scratch disk/);
    await expectNextWorks();
  });

  it("should stop a 1 GB print at the output limit without the gateway holding it", async () => {
    const result = await execute(client, 'const s = "y".repeat(1 << 20); for (let i = 0; i < 1024; i++) console.log(s);', 60);
    expect(result.outcome).toBe("output_limit");
    expect(result.stdout.length).toBeLessThan(1_100_000);
    await expectNextWorks();
  });

  it("should stop a heap bomb inside a Worker", async () => {
    const result = await execute(
      client,
      `new Worker("data:text/javascript,const k=[];while(true)k.push(new Array(1e6).fill(1))", { type: "module" });
       await new Promise((r) => setTimeout(r, 20000));`,
      30,
    );
    // The Worker's isolate has the same heap limit as the main one: V8 aborts the process.
    expect(result.outcome, result.text).toBe("memory_limit");
    await expectNextWorks();
  });

  it("should stop a file larger than the per-file limit", async () => {
    // A sandbox with an 8 MiB per-file limit, so the scratch-disk share (128 MiB) cannot stop it first.
    await compose(stack, ["up", "-d", "--wait", "--no-deps", "sandbox"], { AIRLOCK_MAX_FILE_MB: "8" });
    try {
      const result = await execute(client, 'Deno.writeFileSync("big", new Uint8Array(16 << 20)); console.log("wrote")', 20);
      expect(result.outcome, result.text).toBe("file_size_limit");
      expect(result.stdout).toBe("");
      const small = await execute(client, 'Deno.writeFileSync("small", new Uint8Array(4 << 20)); console.log(Deno.statSync("small").size)');
      expect(small).toMatchObject({ outcome: "success", stdout: `${4 << 20}\n` });
    } finally {
      await compose(stack, ["up", "-d", "--wait", "--no-deps", "sandbox"]);
    }
  });

  it("should stop an execution at its open-file limit", async () => {
    const result = await execute(
      client,
      `const files = []; try { for (let i = 0; i < 2000; i++) files.push(Deno.openSync("f" + i, { create: true, write: true })); }
       catch (e) { console.log(files.length, (e as Error).message); }`,
    );
    expect(result.outcome, result.text).toBe("success");
    const [opened, ...message] = result.stdout.trim().split(" ");
    // 512 descriptors per execution, some taken by the runtime itself.
    expect(Number(opened)).toBeGreaterThan(400);
    expect(Number(opened)).toBeLessThan(512);
    expect(message.join(" ")).toMatch(/Too many open files/);
    await expectNextWorks();
  });

  it("should make the kernel pick an execution, never the launcher, when memory runs out", async () => {
    // The OOM-score ordering: executions start with oom_score_adj 1000, the launcher keeps 0.
    const running = execute(client, 'console.log("up"); await new Promise((r) => setTimeout(r, 3000));', 10);
    await new Promise((r) => setTimeout(r, 1000));
    const { launchers, executions } = await sandboxState(stack);
    await running;
    expect(launchers.map((l) => l.oom)).toEqual([0]);
    expect(executions.length).toBeGreaterThanOrEqual(2); // the running one and the pre-started
    expect(new Set(executions.map((e) => e.oom))).toEqual(new Set([1000]));
  });
});
