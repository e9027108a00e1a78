import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { mintProxyToken, proxyUrl } from "../helpers/proxy-token.ts";
import { execIn } from "../helpers/stack.ts";

const stack = inject("stack");

/** Runs a Deno snippet inside the sandbox container with ALL permissions, bypassing the launcher:
 *  what hostile code could do if Deno's own permission layer were broken. */
function denoUnrestricted(code: string) {
  return execIn(stack, "sandbox", [
    "env",
    "DENO_DIR=/tmp/deno-test",
    "deno",
    "eval",
    "--quiet",
    code,
  ]);
}

describe("network egress", { timeout: 60_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  it("should reach an allowlisted API through the proxy, over HTTPS and on a listed plain-HTTP port", async () => {
    for (const url of ["https://api.fake.test/hello?x=1", "http://api.fake.test:8000/hello?x=1"]) {
      const result = await execute(
        client,
        `const r = await fetch("${url}"); const j = await r.json(); console.log(r.status, j.method, j.path + j.query)`,
      );
      expect(result.stdout).toBe("200 GET /hello?x=1\n");
    }
  });

  it("should narrow Deno's allowlist to the API's ports", async () => {
    for (const url of ["https://api.fake.test:8443/", "http://api.fake.test/", "https://other.fake.test:8000/"]) {
      const result = await execute(client, `await fetch("${url}")`);
      expect(result.stderr).toContain("NotCapable");
    }
  });

  it("should refuse a host no API lists, at Deno's permission layer", async () => {
    const result = await execute(client, 'await fetch("http://unlisted.fake.test:8000/")');
    expect(result.outcome).toBe("error");
    expect(result.stderr).toContain("NotCapable");
  });

  it("should refuse a raw socket to a host no API lists", async () => {
    const result = await execute(client, 'await Deno.connect({ hostname: "proxy", port: 8080 })');
    expect(result.stderr).toContain("NotCapable");
  });

  it("should refuse remote module imports", async () => {
    const result = await execute(client, 'await import("http://api.fake.test:8000/mod.ts")');
    expect(result.outcome).toBe("error");
  });

  it("should have the proxy refuse a client that holds no execution token", async () => {
    const result = await denoUnrestricted(
      `const c = Deno.createHttpClient({ proxy: { url: "${proxyUrl()}" } });
       const r = await fetch("http://api.fake.test:8000/", { client: c });
       console.log(r.status);`,
    );
    expect(result.stdout.trim()).toBe("407");
  });

  it("should have the proxy refuse a non-allowlisted host even when Deno would allow it", async () => {
    const { token } = await mintProxyToken(stack);
    const result = await denoUnrestricted(
      `const c = Deno.createHttpClient({ proxy: { url: "${proxyUrl(token)}" } });
       const r = await fetch("http://unlisted.fake.test:8000/", { client: c });
       console.log(r.status, await r.text());`,
    );
    expect(result.stdout).toContain("403");
    expect(result.stdout).toContain("not allowed");
  });

  it("should have the proxy refuse a CONNECT tunnel to a non-allowlisted host", async () => {
    const { token } = await mintProxyToken(stack);
    const auth = Buffer.from(`airlock:${token}`).toString("base64");
    const result = await denoUnrestricted(
      `const conn = await Deno.connect({ hostname: "proxy", port: 8080 });
       await conn.write(new TextEncoder().encode("CONNECT unlisted.fake.test:8000 HTTP/1.1\\r\\nHost: unlisted.fake.test:8000\\r\\nProxy-Authorization: Basic ${auth}\\r\\n\\r\\n"));
       const buf = new Uint8Array(512); const n = await conn.read(buf);
       console.log(new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\\r\\n")[0]);`,
    );
    expect(result.stdout).toMatch(/^HTTP\/1\.1 403/);
  });

  it("should have the proxy judge the real destination, not a spoofed Host header", async () => {
    const { token } = await mintProxyToken(stack);
    const result = await denoUnrestricted(
      `const c = Deno.createHttpClient({ proxy: { url: "${proxyUrl(token)}" } });
       const r = await fetch("http://unlisted.fake.test:8000/", { client: c, headers: { Host: "api.fake.test" } });
       console.log(r.status);`,
    );
    expect(result.stdout.trim()).toBe("403");
  });

  it("should resolve no name outside the sandbox network, so DNS is no way out", async () => {
    // The proxy (on the egress network) resolves the fake API; from the sandbox, Docker's resolver
    // answers only for the sandbox network's own members and forwards nothing.
    const fromProxy = await execIn(stack, "proxy", ["python3", "-c", "import socket; print(socket.gethostbyname('api.fake.test'))"]);
    expect(fromProxy.stdout.trim()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    for (const name of ["api.fake.test", "server", "docker-filter"]) {
      const fromSandbox = await execIn(stack, "sandbox", ["getent", "hosts", name]);
      expect(fromSandbox.code).not.toBe(0);
      expect(fromSandbox.stdout).toBe("");
    }
    expect((await execIn(stack, "sandbox", ["getent", "hosts", "proxy"])).stdout).toContain("proxy");
  });

  it("should give the sandbox no route to anything but the proxy", async () => {
    const result = await denoUnrestricted(
      `const targets = [["fake-api", 8000], ["server", 8080], ["docker-filter", 2375], ["1.1.1.1", 53]] as const;
       for (const [hostname, port] of targets) {
         try {
           const conn = await Promise.race([
             Deno.connect({ hostname, port }),
             new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 3000)),
           ]);
           conn.close();
           console.log(hostname, "reachable");
         } catch (e) { console.log(hostname, "unreachable", (e as Error).name); }
       }`,
    );
    expect(result.stdout).not.toMatch(/ reachable$/m);
    expect(result.stdout.match(/unreachable/g)).toHaveLength(4);
  });
});
