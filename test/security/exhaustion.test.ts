/**
 * Resource exhaustion: each attack is stopped with an error naming the limit, and the next
 * execution runs normally.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose } from "../helpers/stack.ts";

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

  it("should stop a thousand Workers at the process limit", async () => {
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
    expect(["memory_limit", "error"]).toContain(result.outcome);
    await expectNextWorks();
  });
});
