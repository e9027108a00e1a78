/**
 * Long and interrupted executions: progress reaches the client, a cancel kills the code, a
 * sandbox outage is reported as "degraded" and queued work proceeds once the sandbox is back,
 * and the audit log records every execution in a verifiable chain.
 */
import { createHash } from "node:crypto";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CallToolResultSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, inject, it } from "vitest";
import { verifyAudit } from "../../server/src/audit/verify-audit.ts";
import { connect, execute, startVanishingCall } from "../helpers/mcp.ts";
import { processesIn } from "../helpers/sandbox-processes.ts";
import { compose, execIn, TEST_SECRETS } from "../helpers/stack.ts";

const stack = inject("stack");
const healthUrl = new URL("/health", stack.mcpUrl);

type Health = { status: string; sandbox: string; proxy: string };
const health = async () => (await (await fetch(healthUrl)).json()) as Health;


describe("execution lifecycle", { timeout: 180_000 }, () => {
  it("should send progress notifications carrying recent output", async () => {
    const client = await connect(stack.mcpUrl);
    const messages: string[] = [];
    const result = await client.callTool(
      { name: "execute_code", arguments: { code: 'for (let i = 0; i < 4; i++) { console.log("step " + i); await new Promise((r) => setTimeout(r, 700)); }' } },
      CallToolResultSchema,
      { onprogress: (p) => messages.push(p.message ?? ""), timeout: 60_000 },
    );
    expect(result.isError).toBeFalsy();
    expect(messages.length).toBeGreaterThan(0);
    expect(messages.join("\n")).toMatch(/step \d/);
    await client.close();
  });

  it("should kill the code when the client cancels", async () => {
    const client = await connect(stack.mcpUrl);
    const controller = new AbortController();
    let dir = "";
    const call = client
      .callTool(
        { name: "execute_code", arguments: { code: "console.log(Deno.cwd()); while (true) {}", timeout_seconds: 60 } },
        CallToolResultSchema,
        { signal: controller.signal, onprogress: (p) => (dir ||= /\/tmp\/exec\.\w+/.exec(p.message ?? "")?.[0] ?? ""), timeout: 60_000 },
      )
      .catch((err: Error) => err);
    await expect.poll(() => dir, { timeout: 10_000 }).not.toBe("");
    expect(await processesIn(stack, dir)).toBeGreaterThan(0);
    controller.abort();
    expect(await call).toBeInstanceOf(Error);
    await expect.poll(() => processesIn(stack, dir), { timeout: 5000 }).toBe(0);
    await client.close();
  });

  it("should kill the code when the client vanishes without cancelling", async () => {
    const { dir, vanish } = await startVanishingCall(stack.mcpUrl, "console.log(Deno.cwd()); while (true) {}");
    expect(await processesIn(stack, dir)).toBeGreaterThan(0);
    vanish(); // the connection closes; no notifications/cancelled is ever sent
    await expect.poll(() => processesIn(stack, dir), { timeout: 5000 }).toBe(0);
  });

  it("should report degraded while the sandbox is down, and run queued work once it is back", async () => {
    const client = await connect(stack.mcpUrl);
    await compose(stack, ["stop", "sandbox"]);
    try {
      await expect.poll(async () => (await health()).status, { timeout: 10_000 }).toBe("degraded");
      expect((await health()).sandbox).toBe("down");
      const waiting = execute(client, 'console.log("ran after the outage")', 40);
      await new Promise((r) => setTimeout(r, 2000));
      await compose(stack, ["start", "sandbox"]);
      expect(await waiting).toMatchObject({ outcome: "success", stdout: "ran after the outage\n" });
    } finally {
      await compose(stack, ["up", "-d", "--wait", "sandbox"]);
    }
    await expect.poll(async () => (await health()).status, { timeout: 10_000 }).toBe("ok");
    await client.close();
  });

  it("should end executions with a clear error when the proxy restarts under them, and recover", async () => {
    const client = await connect(stack.mcpUrl);
    const running = execute(
      client,
      `console.log("fetching"); for (let i = 0; i < 200; i++) { await fetch("https://api.fake.test/echo?n=" + i).then((r) => r.text()); await new Promise((r) => setTimeout(r, 100)); }
       console.log("done");`,
      40,
    );
    await new Promise((r) => setTimeout(r, 800));
    // Down for longer than a connection attempt waits for an address that is gone (a quick
    // restart can come back within it, and the request then simply succeeds late).
    await compose(stack, ["stop", "proxy"]);
    await new Promise((r) => setTimeout(r, 5000));
    await compose(stack, ["start", "proxy"]);
    const result = await running;
    // A request every 100 ms meets the proxy while it is down.
    expect(result.outcome, result.text).toBe("error");
    expect(result.stderr).toMatch(/TypeError: (fetch failed|error reading a body from connection)/);
    // The server was never restarted: once the proxy is back, calls work again.
    const fetchStatus = async () =>
      (await execute(client, 'console.log((await fetch("https://api.fake.test/echo")).status)')).stdout;
    await expect.poll(fetchStatus, { timeout: 30_000, interval: 1000 }).toBe("200\n");
    // /health follows Docker's healthcheck, which may lag a moment behind the first served request.
    await expect.poll(async () => (await health()).proxy, { timeout: 30_000 }).toBe("healthy");
    await client.close();
  });

  it("should audit every execution in a hash chain that verifies, with no secret in it", async () => {
    const client = await connect(stack.mcpUrl, "auditor");
    const code = `console.log("audit-${Date.now()}"); await fetch("https://api.fake.test/echo", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });`;
    await execute(client, code);
    const codeSha256 = createHash("sha256").update(code).digest("hex");
    await client.close();

    // As the gateway's user, who owns the log (README's command does the same).
    const verify = await execIn(stack, "server", ["node", "server/src/audit/verify-audit.ts", "/audit"], "1000:1000");
    expect(verify.stdout).toContain("hash chain intact");
    expect(verify.stdout).not.toMatch(/OK: 0 entries/);

    // Copy the log out and inspect and tamper with it on the host.
    const dir = await mkdtemp(path.join(os.tmpdir(), "audit-copy-"));
    try {
      const container = (await compose(stack, ["ps", "-q", "server"])).trim();
      const { execFile } = await import("node:child_process");
      await new Promise<void>((ok, bad) => execFile("docker", ["cp", `${container}:/audit/.`, dir], (e) => (e ? bad(e) : ok())));
      const text = await readFile(path.join(dir, "audit.jsonl"), "utf8");
      const lines = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      const mine = lines.find((l) => l.codeSha256 === codeSha256 && l.phase === "ended")!;
      expect(mine).toMatchObject({ tool: "execute_code", client: "auditor", outcome: "success", limitHit: null });
      // Its start was written first, under the same execution id.
      const start = lines.findIndex((l) => l.phase === "started" && l.execution === mine.execution);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(start).toBeLessThan(lines.indexOf(mine));
      expect(lines[start]).toMatchObject({ client: "auditor", codeSha256 });
      expect(mine).not.toHaveProperty("code");
      expect(mine.egress).toMatchObject({ hosts: ["api.fake.test"], credentials: ["FAKE_API_TOKEN"] });
      for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
      expect(text).not.toContain("jane.doe");

      const tampered = `${dir}-tampered`;
      await cp(dir, tampered, { recursive: true });
      const rows = text.trim().split("\n");
      rows[0] = rows[0]!.replace('"time":"2', '"time":"1'); // every line has a time
      await writeFile(path.join(tampered, "audit.jsonl"), rows.join("\n") + "\n");
      expect((await verifyAudit(dir)).ok).toBe(true);
      expect((await verifyAudit(tampered)).ok).toBe(false);
      await rm(tampered, { recursive: true, force: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
