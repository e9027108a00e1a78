import { describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose } from "../helpers/stack.ts";

const stack = inject("stack");

describe("recovery with docker compose restart sandbox", { timeout: 180_000 }, () => {
  it("should end a running execution with a clear error and run the next call normally", async () => {
    const client = await connect(stack.mcpUrl);
    try {
      const running = execute(client, 'console.log("started"); await new Promise((r) => setTimeout(r, 30_000))', 60);
      await new Promise((r) => setTimeout(r, 1500));
      await compose(stack, ["restart", "sandbox"]);
      const interrupted = await running;
      expect(interrupted.outcome).toBe("sandbox_error");
      expect(interrupted.isError).toBe(true);
      expect(interrupted.message).toMatch(/restarted|lost the sandbox|stopped/);
      expect(interrupted.message).toContain("side effects");

      // The server was not restarted: the same session keeps working.
      const next = await execute(client, 'console.log("back")');
      expect(next).toMatchObject({ outcome: "success", stdout: "back\n" });
    } finally {
      await client.close();
    }
  });
});
