/**
 * The credential boundary attacked from outside the happy path: a raw client in the sandbox that
 * speaks to the proxy itself (as code whose Deno permissions failed could), a client on the Docker
 * host, and plain HTTP, other ports and redirects from ordinary code. Each attack is paired with a
 * control that shows the same request, done right, does get the credential injected.
 */
import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import path from "node:path";
import net from "node:net";
import { promisify } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { mintProxyToken } from "../helpers/proxy-token.ts";
import { execIn, TEST_SECRETS, writeApiConfig } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");
const SECRET = TEST_SECRETS.FAKE_API_TOKEN;
const run = promisify(execFile);

interface RawRequest {
  connect: string;
  sni?: string;
  host: string;
  path: string;
  token?: string;
  tls?: boolean;
}

/** Speaks to the proxy by hand from inside the sandbox container: CONNECT, then TLS with any SNI,
 *  then one HTTP/1.1 request with any Host header. Prints the first status line it gets. */
async function rawThroughProxy(r: RawRequest): Promise<string> {
  const auth = r.token ? `Proxy-Authorization: Basic ${Buffer.from(`airlock:${r.token}`).toString("base64")}\\r\\n` : "";
  const code = `
    const enc = new TextEncoder(), dec = new TextDecoder();
    async function head(conn) {
      let text = ""; const buf = new Uint8Array(4096);
      while (!text.includes("\\r\\n\\r\\n")) { const n = await conn.read(buf); if (n === null) break; text += dec.decode(buf.subarray(0, n)); }
      return text.split("\\r\\n")[0];
    }
    let conn = await Deno.connect({ hostname: "proxy", port: 8080 });
    await conn.write(enc.encode("CONNECT ${r.connect} HTTP/1.1\\r\\nHost: ${r.connect}\\r\\n${auth}\\r\\n"));
    const status = await head(conn);
    if (!status.includes(" 200")) { console.log("CONNECT " + status); Deno.exit(0); }
    if (${r.tls !== false}) {
      conn = await Deno.startTls(conn, { hostname: "${r.sni}", caCerts: [Deno.readTextFileSync("/etc/airlock/proxy-ca/airlock-proxy-ca.pem")] });
    }
    await conn.write(enc.encode("GET ${r.path} HTTP/1.1\\r\\nHost: ${r.host}\\r\\nAuthorization: Bearer FAKE_API_TOKEN\\r\\nConnection: close\\r\\n\\r\\n"));
    console.log(await head(conn));`;
  const result = await execIn(stack, "sandbox", ["env", "DENO_DIR=/tmp/deno-test", "deno", "eval", "--quiet", code]);
  if (result.code !== 0) throw new Error(`raw client failed: ${result.stderr}`);
  return result.stdout.trim();
}

describe("the credential boundary", { timeout: 120_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  describe("a raw client in the sandbox network", () => {
    it("should get the credential injected when SNI, Host and CONNECT agree (control)", async () => {
      const { token } = await mintProxyToken(stack);
      const m = marker();
      const status = await rawThroughProxy({ connect: "api.fake.test:443", sni: "api.fake.test", host: "api.fake.test", path: `/echo?${m}`, token });
      expect(status).toBe("HTTP/1.1 200 OK");
      const [seen] = await receivedWith(stack, m);
      expect(seen!.headers.authorization).toBe(`Bearer ${SECRET}`);
    });

    it("should be refused without an execution token", async () => {
      const m = marker();
      const status = await rawThroughProxy({ connect: "api.fake.test:443", sni: "api.fake.test", host: "api.fake.test", path: `/echo?${m}` });
      expect(status).toMatch(/^CONNECT HTTP\/1\.1 407/);
      expect(await receivedWith(stack, m)).toEqual([]);
    });

    it.each([
      ["another SNI", "other.fake.test", "api.fake.test"],
      ["another Host header", "api.fake.test", "other.fake.test"],
      ["another port in the Host header", "api.fake.test", "api.fake.test:8443"],
    ])("should refuse a tunnel to the API that names %s (421, nothing sent)", async (_what, sni, host) => {
      const { token } = await mintProxyToken(stack);
      const m = marker();
      const status = await rawThroughProxy({ connect: "api.fake.test:443", sni, host, path: `/echo?${m}`, token });
      expect(status).toMatch(/^HTTP\/1\.1 421/);
      expect(await receivedWith(stack, m)).toEqual([]);
    });

    it("should refuse a tunnel to a port the API does not list", async () => {
      const { token } = await mintProxyToken(stack);
      const status = await rawThroughProxy({ connect: "api.fake.test:8443", sni: "api.fake.test", host: "api.fake.test", path: "/", token });
      expect(status).toMatch(/^CONNECT HTTP\/1\.1 403/);
    });

    it("should refuse a credential over plain HTTP through a tunnel to a plain port", async () => {
      const { token } = await mintProxyToken(stack);
      const m = marker();
      const status = await rawThroughProxy({ connect: "api.fake.test:8000", host: "api.fake.test:8000", path: `/echo?${m}`, token, tls: false });
      expect(status).toMatch(/^HTTP\/1\.1 403/);
      expect(await receivedWith(stack, m)).toEqual([]);
    });
  });

  describe("a client on the Docker host", () => {
    async function proxyAddresses(): Promise<Record<string, string>> {
      const { stdout: id } = await run("docker", ["compose", "-p", stack.projectName, "ps", "-q", "proxy"], { env: { ...process.env, ...stack.env } });
      const { stdout } = await run("docker", ["inspect", "-f", "{{json .NetworkSettings.Networks}}", id.trim()]);
      const networks = JSON.parse(stdout) as Record<string, { IPAddress: string }>;
      return Object.fromEntries(Object.entries(networks).map(([name, n]) => [name.replace(`${stack.projectName}_`, ""), n.IPAddress]));
    }

    function firstLine(host: string, request: string): Promise<string> {
      return new Promise((resolve) => {
        const socket = net.connect({ host, port: 8080 });
        let data = "";
        socket.setTimeout(5000, () => socket.destroy());
        socket.on("connect", () => socket.write(request));
        socket.on("data", (d) => {
          data += d.toString();
          if (data.includes("\r\n")) socket.destroy();
        });
        socket.on("error", (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
        socket.on("close", () => resolve(data.split("\r\n")[0] || "closed"));
      });
    }

    it("should find no listener on the proxy's egress-network address", async () => {
      const { egress } = await proxyAddresses();
      expect(egress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(await firstLine(egress!, "GET http://api.fake.test:8000/ HTTP/1.1\r\nHost: api.fake.test:8000\r\n\r\n")).toBe("error ECONNREFUSED");
    });

    it("should get no credential through the sandbox-network address without a token", async () => {
      const { sandbox } = await proxyAddresses();
      const m = marker();
      const line = await firstLine(sandbox!, `CONNECT api.fake.test:443 HTTP/1.1\r\nHost: api.fake.test:443\r\n\r\n`);
      expect(line).toMatch(/^HTTP\/1\.1 407/);
      const plain = await firstLine(sandbox!, `GET http://api.fake.test:8000/echo?${m} HTTP/1.1\r\nHost: api.fake.test:8000\r\n\r\n`);
      expect(plain).toMatch(/^HTTP\/1\.1 407/);
      expect(await receivedWith(stack, m)).toEqual([]);
    });
  });

  describe("ordinary code", () => {
    function fetchCode(url: string, init: Record<string, unknown>) {
      return `const r = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
        console.log(JSON.stringify({ status: r.status, body: await r.text() }));`;
    }

    it("should be refused a credential over plain HTTP, with the rule named", async () => {
      const m = marker();
      const result = await execute(client, fetchCode(`http://api.fake.test:8000/echo?${m}`, { headers: { Authorization: "Bearer FAKE_API_TOKEN" } }));
      const response = JSON.parse(result.stdout);
      expect(response.status).toBe(403);
      expect(response.body).toContain("only over HTTPS");
      expect(await receivedWith(stack, m)).toEqual([]);
      expect(result.egress.requests).toContainEqual(expect.objectContaining({ decision: "deny", reason: "credential over plain HTTP" }));
    });

    it("should judge every redirect hop anew: no credential follows a redirect to plain HTTP", async () => {
      const m = marker();
      const target = `http://api.fake.test:8000/landed?${m}`;
      const result = await execute(
        client,
        fetchCode(`https://api.fake.test/redirect?to=${encodeURIComponent(target)}&${m}`, { headers: { "X-File-Token": "FAKE_FILE_TOKEN" } }),
      );
      expect(JSON.parse(result.stdout).status).toBe(403);
      const seen = await receivedWith(stack, m);
      expect(seen.map((r) => r.path)).toEqual(["/redirect"]);
      expect(seen[0]!.headers["x-file-token"]).toBe(TEST_SECRETS.FAKE_FILE_TOKEN);
    });

    it("should refuse a restricted method hidden in a JSON body's _method, before anything is sent", async () => {
      const m = marker();
      const result = await execute(client, fetchCode(`https://api.fake.test/v1/items?${m}`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ _method: "DELETE" }),
      }));
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 403, body: expect.stringContaining("DELETE is restricted") });
      expect(await receivedWith(stack, m)).toEqual([]);
    });

    it.each([
      ["an encoded slash", "/v1/charges%2F..%2Frefunds"],
      ["a ';' parameter", "/v1/charges;jsessionid=1"],
    ])("should refuse a scoped credential on a path with %s", async (_what, path) => {
      const m = marker();
      const result = await execute(client, fetchCode(`https://api.fake.test${path}?${m}`, { headers: { "X-Scoped-Token": "FAKE_SCOPED_TOKEN" } }));
      expect(JSON.parse(result.stdout)).toMatchObject({ status: 403, body: expect.stringContaining("ambiguous") });
      expect(await receivedWith(stack, m)).toEqual([]);
    });

    it("should not inject a scoped credential one character past its scope's segment", async () => {
      const m = marker();
      await execute(client, fetchCode(`https://api.fake.test/v1/charges-admin?${m}`, { headers: { "X-Scoped-Token": "FAKE_SCOPED_TOKEN" } }));
      const [seen] = await receivedWith(stack, m);
      expect(seen!.headers["x-scoped-token"]).toBe("FAKE_SCOPED_TOKEN");
    });
  });

  describe("a mirror that echoes the credential back", () => {
    const SECRET_FORMS = (v: string): string[] => {
      const bytes = Buffer.from(v);
      return [
        v,
        bytes.toString("hex"),
        bytes.toString("base64").slice(4, 24),
        Buffer.from("pad:" + v).toString("base64").slice(8, 28),
        Array.from(v, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")).join(""),
        Array.from(bytes, (b) => "%" + b.toString(16).padStart(2, "0")).join(""),
        Array.from(v, (c) => `&#${c.charCodeAt(0)};`).join(""),
        // As they appear inside the JSON the test reads: UTF-16 bytes, and a header name's folding.
        JSON.stringify(v.replace(/(.)/g, "$1\u0000")).slice(1, -1),
        v.toLowerCase().replace(/_/g, "-"),
      ];
    };

    /** Fetches an echo and prints what the code saw: status, headers, and the body (filler lines
     *  of the streamed forms dropped), or the error reading it. */
    async function echo(form: string) {
      const result = await execute(client, `
        const r = await fetch("https://api.fake.test/echo-as?form=${form}", { headers: { Authorization: "Bearer FAKE_API_TOKEN" }, redirect: "manual" });
        let body = "", error = null;
        try { body = new TextDecoder().decode(await r.arrayBuffer()).split("\\n").filter((l) => l !== '{"id":1,"note":"plain"}').join("\\n"); }
        catch (e) { error = String(e); }
        console.log(JSON.stringify({ status: r.status, headers: [...r.headers], body, error }));`);
      expect(result.stderr).toBe("");
      return { seen: JSON.parse(result.stdout) as { status: number; headers: [string, string][]; body: string; error: string | null }, result };
    }

    it.each([
      // form, what the code gets: "name" (rewritten in place), "blocked" (502), "broken" (body cut off)
      ["plain", "name"],
      ["json-unicode", "blocked"],
      ["percent-upper", "blocked"],
      ["percent-half", "blocked"],
      ["hex-upper", "name"],
      ["base64-lines", "blocked"],
      ["html-entities", "blocked"],
      ["utf16", "name"],
      ["header-name", "blocked"],
      ["set-cookie", "name"],
      ["location", "name"],
      ["gzip-two-members", "blocked"],
      ["gzip-trailing", "blocked"],
      ["label-base64", "blocked"],
      ["label-rot13", "blocked"],
      ["streamed-plain", "name"],
      ["streamed-base64", "broken"],
    ])("should never hand back the value echoed as %s (%s)", async (form, outcome) => {
      const { seen, result } = await echo(form);
      const everything = JSON.stringify(seen);
      for (const f of SECRET_FORMS(SECRET)) expect(everything).not.toContain(f);
      if (outcome === "name") {
        expect(seen.status).toBeLessThan(400);
        expect(everything).toContain(form === "utf16" ? "F\\u0000A\\u0000K\\u0000E" : form === "hex-upper" ? "46414B45" : "FAKE_API_TOKEN");
      } else if (outcome === "blocked") {
        expect(seen.status).toBe(502);
        expect(result.egress.requests).toContainEqual(expect.objectContaining({ decision: "block" }));
      } else {
        expect(seen.error).toMatch(/error/i);
        expect(result.egress.requests).toContainEqual(expect.objectContaining({ decision: "block" }));
      }
    });
  });

  describe("an upstream whose certificate does not vouch for it", () => {
    beforeAll(async () => {
      await writeApiConfig(stack.apisDir, "tls-wrong", {
        description: "Served with a certificate for other names, and with a self-signed one",
        domains: ["wrongname.fake.test", "untrusted.fake.test"],
        ports: [443, 8443],
        credentials: { TLS_TEST_TOKEN: { headers: ["Authorization"], value: { env: "FAKE_API_SECRET" } } },
      });
      await new Promise((r) => setTimeout(r, 1500)); // live reload on both sides
    });
    afterAll(async () => {
      await rm(path.join(stack.apisDir, "tls-wrong"), { recursive: true, force: true });
    });

    it.each([
      ["a certificate for other names", "https://wrongname.fake.test/echo"],
      ["a certificate no trusted CA signed", "https://untrusted.fake.test:8443/echo"],
    ])("should send nothing, credential least of all, to %s", async (_what, url) => {
      const m = marker();
      const result = await execute(client, `const r = await fetch("${url}?${m}", { headers: { Authorization: "Bearer TLS_TEST_TOKEN" } });
        console.log(r.status);`);
      expect(result.stdout.trim()).toBe("502");
      expect(await receivedWith(stack, m)).toEqual([]);
    });

    it("should reach the same server under a name its certificate vouches for (control)", async () => {
      const m = marker();
      const result = await execute(client, `console.log((await fetch("https://api.fake.test/echo?${m}")).status)`);
      expect(result.stdout.trim()).toBe("200");
      expect(await receivedWith(stack, m)).toHaveLength(1);
    });
  });

  describe("the proxy's own keys", () => {
    it("should keep the CA's private key in the proxy and show the sandbox only the certificate", async () => {
      const grep = (service: string, dir: string) => execIn(stack, service, ["sh", "-c", `grep -l "PRIVATE KEY" ${dir}/* 2>/dev/null; true`]);
      // Control: the key is there, in the proxy's own volume.
      expect((await grep("proxy", "/var/lib/airlock-proxy/ca")).stdout).toContain("mitmproxy-ca.pem");
      expect((await grep("sandbox", "/etc/airlock/proxy-ca")).stdout.trim()).toBe("");
      expect((await execIn(stack, "sandbox", ["cat", "/etc/airlock/proxy-ca/airlock-proxy-ca.pem"])).stdout).toContain("BEGIN CERTIFICATE");
    });
  });
});
