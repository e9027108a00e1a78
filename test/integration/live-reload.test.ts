import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { callTool, connect, execute } from "../helpers/mcp.ts";
import { mintProxyToken } from "../helpers/proxy-token.ts";
import { execIn, writeApiConfig } from "../helpers/stack.ts";

const stack = inject("stack");
const LATE = { description: "Added while the gateway runs.", domains: ["late.fake.test"] };

/** Retries `check` until it passes or `ms` elapse: reload is asynchronous by nature. */
async function eventually(check: () => Promise<void>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

describe("live reload of apis/", { timeout: 90_000 }, () => {
  let client: Client;
  const listed = async () =>
    (await callTool(client, "list_apis")).structuredContent as {
      apis: Array<{ name: string }>;
      configProblems: Array<{ file: string; field: string; keptLastGood: boolean }>;
    };
  const status = async (url: string) => (await execute(client, `console.log((await fetch(${JSON.stringify(url)})).status)`)).stdout.trim();

  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await rm(path.join(stack.apisDir, "late"), { recursive: true, force: true });
    await client.close();
  });

  it("should pick up an added API without a restart, in the server, the sandbox and the proxy", async () => {
    expect((await execute(client, 'await fetch("https://late.fake.test/echo")')).stderr).toContain("NotCapable");
    await writeApiConfig(stack.apisDir, "late", LATE);
    expect((await listed()).apis.map((a) => a.name)).toContain("late");
    await eventually(async () => expect(await status("https://late.fake.test/echo")).toBe("200"));
  });

  it("should keep the last good version in force when the file breaks, and report the file and field", async () => {
    await writeFile(path.join(stack.apisDir, "late", "config.json"), JSON.stringify({ ...LATE, domains: "late.fake.test" }));
    const { apis, configProblems } = await listed();
    expect(apis.map((a) => a.name)).toContain("late");
    expect(configProblems).toContainEqual(
      expect.objectContaining({ file: "/apis/late/config.json", field: "domains", keptLastGood: true }),
    );
    // The proxy also kept it: a request still goes through after its reload interval.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await status("https://late.fake.test/echo")).toBe("200");
  });

  it("should apply a fixed file, and a disabled API stops working", async () => {
    await writeApiConfig(stack.apisDir, "late", { ...LATE, active: false });
    expect((await listed()).apis.map((a) => a.name)).not.toContain("late");
    expect((await execute(client, 'await fetch("https://late.fake.test/echo")')).stderr).toContain("NotCapable");
  });

  it("should forget a removed API everywhere, including the proxy", async () => {
    await writeApiConfig(stack.apisDir, "late", LATE);
    await eventually(async () => expect(await status("https://late.fake.test/echo")).toBe("200"));
    await rm(path.join(stack.apisDir, "late"), { recursive: true });
    expect((await listed()).apis.map((a) => a.name)).not.toContain("late");
    // Bypass Deno's layer to see the proxy's own decision (with a token, as a broken Deno could mint).
    const { token } = await mintProxyToken(stack);
    const auth = Buffer.from(`airlock:${token}`).toString("base64");
    await eventually(async () => {
      const r = await execIn(stack, "sandbox", ["env", "DENO_DIR=/tmp/deno-test", "deno", "eval", "--quiet",
        `const conn = await Deno.connect({ hostname: "proxy", port: 8080 });
         await conn.write(new TextEncoder().encode("CONNECT late.fake.test:443 HTTP/1.1\\r\\nHost: late.fake.test:443\\r\\nProxy-Authorization: Basic ${auth}\\r\\n\\r\\n"));
         const buf = new Uint8Array(512); const n = await conn.read(buf);
         console.log(new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\\r\\n")[0]);`]);
      expect(r.stdout).toMatch(/^HTTP\/1\.1 403/);
    });
  });
});
