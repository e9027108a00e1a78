import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";

const stack = inject("stack");

describe("concurrency", { timeout: 120_000 }, () => {
  it("should serve several sessions at once, each getting its own results", async () => {
    const clients: Client[] = await Promise.all(Array.from({ length: 6 }, (_, i) => connect(stack.mcpUrl, `client-${i}`)));
    try {
      const results = await Promise.all(
        clients.flatMap((client, i) =>
          [0, 1].map(async (j) => ({ i, j, result: await execute(client, `console.log("client ${i} call ${j}")`) })),
        ),
      );
      for (const { i, j, result } of results) {
        expect(result.outcome).toBe("success");
        expect(result.stdout).toBe(`client ${i} call ${j}\n`);
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  it("should queue calls past the concurrency limit instead of failing them", async () => {
    // The test stack allows 3 executions at once; 7 calls of ~1.5 s each must all succeed and
    // take at least three rounds.
    const client = await connect(stack.mcpUrl);
    try {
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 7 }, (_, i) =>
          execute(client, `await new Promise((r) => setTimeout(r, 1500)); console.log(${i})`, 20),
        ),
      );
      const elapsed = performance.now() - started;
      results.forEach((r, i) => expect(r).toMatchObject({ outcome: "success", stdout: `${i}\n` }));
      expect(elapsed).toBeGreaterThan(3 * 1500);
    } finally {
      await client.close();
    }
  });

  it("should keep serving after a session disappears mid-execution", async () => {
    const leaving = await connect(stack.mcpUrl);
    const pending = execute(leaving, "await new Promise((r) => setTimeout(r, 3000))", 10).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    await leaving.close();
    await pending;
    const client = await connect(stack.mcpUrl);
    try {
      expect((await execute(client, "console.log('still here')")).stdout).toBe("still here\n");
    } finally {
      await client.close();
    }
  });
});
