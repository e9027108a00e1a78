import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose, execIn, TEST_SECRETS } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");
const SECRET = TEST_SECRETS.FAKE_API_TOKEN;

/** Runs code that fetches and prints the response status and body as JSON. */
function fetchCode(url: string, init: Record<string, unknown> = {}) {
  return `const r = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
    console.log(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() }));`;
}

describe("credentials on the wire", { timeout: 60_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  async function run(url: string, init: Record<string, unknown> = {}) {
    const result = await execute(client, fetchCode(url, init));
    expect(result.stderr).toBe("");
    return { result, response: JSON.parse(result.stdout) as { status: number; headers: Record<string, string>; body: string } };
  }

  it("should put the real value in a configured header and show the code only the name", async () => {
    const m = marker();
    const { result, response } = await run(`https://api.fake.test/echo?${m}`, { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
    const [seen] = await receivedWith(stack, m);
    expect(seen!.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).headers.authorization).toBe("Bearer FAKE_API_TOKEN");
    expect(result.stdout).not.toContain(SECRET);
    expect(result.egress.requests).toContainEqual(
      expect.objectContaining({ decision: "scrub", host: "api.fake.test", path: "/echo", status: 200, credentials: ["FAKE_API_TOKEN"] }),
    );
    // One id joins the result, the proxy's log and the audit line.
    expect(result.executionId).toMatch(/^[0-9a-f]{32}$/);
    const proxyLog = await compose(stack, ["logs", "--no-log-prefix", "proxy"]);
    expect(proxyLog.split("\n").filter((l) => l.includes(`"execution":"${result.executionId}"`) && l.includes('"path":"/echo"'))).toHaveLength(1);
    const audit = (await execIn(stack, "server", ["cat", "/audit/audit.jsonl"], "1000:1000")).stdout;
    expect(audit).toContain(`"execution":"${result.executionId}"`);
  });

  it("should put the real value in a configured query parameter", async () => {
    const m = marker();
    const { response } = await run(`https://api.fake.test/echo?api_key=FAKE_API_TOKEN&${m}`);
    const [seen] = await receivedWith(stack, m);
    expect(seen!.query).toContain(`api_key=${SECRET}`);
    expect(response.body).toContain("api_key=FAKE_API_TOKEN");
  });

  it("should put the real value in a Basic-auth password", async () => {
    const m = marker();
    await run(`https://api.fake.test/echo?${m}`, { headers: { Authorization: `Basic ${btoa("bob:FAKE_API_TOKEN")}` } });
    const [seen] = await receivedWith(stack, m);
    expect(atob(seen!.headers.authorization!.split(" ")[1]!)).toBe(`bob:${SECRET}`);
  });

  it("should read a value from a secret file", async () => {
    const m = marker();
    await run(`https://api.fake.test/echo?${m}`, { headers: { "X-File-Token": "FAKE_FILE_TOKEN" } });
    const [seen] = await receivedWith(stack, m);
    expect(seen!.headers["x-file-token"]).toBe(TEST_SECRETS.FAKE_FILE_TOKEN);
  });

  it("should leave a name in the body, in another header or to another host as the literal name", async () => {
    const m = marker();
    await run(`https://api.fake.test/echo?${m}`, {
      method: "POST",
      headers: { "X-Note": "FAKE_API_TOKEN" },
      body: JSON.stringify({ comment: "token FAKE_API_TOKEN" }),
    });
    await run(`https://other.fake.test/echo?${m}`, { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
    const seen = await receivedWith(stack, m);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.body).toBe('{"comment":"token FAKE_API_TOKEN"}');
    expect(seen[0]!.headers["x-note"]).toBe("FAKE_API_TOKEN");
    expect(seen[1]!.headers.authorization).toBe("Bearer FAKE_API_TOKEN");
    expect(JSON.stringify(seen)).not.toContain(SECRET);
  });

  it("should decide on the real destination, not a spoofed Host header", async () => {
    const m = marker();
    await run(`https://other.fake.test/echo?${m}`, { headers: { Host: "api.fake.test", Authorization: "Bearer FAKE_API_TOKEN" } });
    const seen = await receivedWith(stack, m);
    expect(JSON.stringify(seen)).not.toContain(SECRET);
  });

  it("should not carry the value across a redirect to another host", async () => {
    const m = marker();
    const target = `https://other.fake.test/landed?${m}`;
    await run(`https://api.fake.test/redirect?to=${encodeURIComponent(target)}&${m}`, {
      headers: { Authorization: "Bearer FAKE_API_TOKEN", "X-Api": "FAKE_API_TOKEN" },
    });
    const seen = await receivedWith(stack, m);
    const landed = seen.find((r) => r.path === "/landed");
    expect(landed).toBeDefined();
    expect(JSON.stringify(landed)).not.toContain(SECRET);
  });

  it("should scrub an echoed secret from a gzip-compressed body and from response headers", async () => {
    const { response: gz } = await run(`https://api.fake.test/echo-gzip?${marker()}`, { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
    expect(JSON.parse(gz.body).headers.authorization).toBe("Bearer FAKE_API_TOKEN");
    const { response: hdr } = await run(`https://api.fake.test/echo-header?${marker()}`, { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
    expect(hdr.headers["x-echo-authorization"]).toBe("Bearer FAKE_API_TOKEN");
  });

  it("should give back the Basic-auth header as the code wrote it when the API echoes it", async () => {
    const written = `Basic ${btoa("bob:FAKE_API_TOKEN")}`;
    const { response } = await run(`https://api.fake.test/echo-header?${marker()}`, { headers: { Authorization: written } });
    expect(response.headers["x-echo-authorization"]).toBe(written);
  });

  it("should block a response that carries the secret in an encoding it cannot rewrite", async () => {
    const { result, response } = await run(`https://api.fake.test/echo-base64?${marker()}`, {
      headers: { Authorization: "Bearer FAKE_API_TOKEN" },
    });
    expect(response.status).toBe(502);
    expect(response.body).toContain("encoded credential");
    expect(result.egress.denied).toBeGreaterThan(0);
  });

  it("should refuse a restricted method, also behind an override header, as permanent", async () => {
    const m = marker();
    const { response: direct } = await run(`https://api.fake.test/echo?${m}`, { method: "DELETE" });
    const { response: sneaky, result } = await run(`https://api.fake.test/echo?${m}`, {
      method: "POST",
      headers: { "X-HTTP-Method-Override": "DELETE" },
    });
    for (const r of [direct, sneaky]) {
      expect(r.status).toBe(403);
      expect(r.headers["x-airlock-decision"]).toBe("restrict");
      expect(r.body).toContain("permanent");
    }
    expect(await receivedWith(stack, m)).toEqual([]);
    expect(result.egress.requests).toContainEqual(expect.objectContaining({ decision: "restrict", reason: "DELETE is restricted" }));
  });

  it("should redact configured strings and normalise the User-Agent", async () => {
    const m = marker();
    await run(`https://api.fake.test/echo?${m}`, {
      method: "POST",
      headers: { "User-Agent": "evil-fingerprint/1.0" },
      body: "contact: jane.doe@example.com",
    });
    const [seen] = await receivedWith(stack, m);
    expect(seen!.body).toBe("contact: [REDACTED]");
    expect(seen!.headers["user-agent"]).toBe("airlock-proxy");
  });

  it.each([
    ["GET", "/v1/charges", true],
    ["GET", "/v1/charges/ch_1", true],
    ["POST", "/v1/charges", false],
    ["GET", "/v1/refunds", false],
  ])("should scope a credential by method and path (%s %s injected: %s)", async (method, path, injected) => {
    const m = marker();
    await run(`https://api.fake.test${path}?${m}`, { method, headers: { "X-Scoped-Token": "FAKE_SCOPED_TOKEN" } });
    const [seen] = await receivedWith(stack, m);
    expect(seen!.headers["x-scoped-token"]).toBe(injected ? TEST_SECRETS.FAKE_SCOPED_TOKEN : "FAKE_SCOPED_TOKEN");
  });
});
