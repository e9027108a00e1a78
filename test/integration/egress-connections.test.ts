/**
 * How fetch() in an execution reaches the proxy (sandbox/bootstrap.js): parallel requests to one
 * API share one connection once the first is answered, a slow first request does not hold the
 * others back, and every form of call fetch() takes still arrives exactly as written.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { execIn } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");

/** Established connections to the proxy's listening port (8080), read from its TCP table. */
async function proxyClientConnections(): Promise<number> {
  const { stdout } = await execIn(stack, "proxy", ["cat", "/proc/net/tcp", "/proc/net/tcp6"]);
  // Columns: sl local_address rem_address st ...; ports in hex, state 01 = ESTABLISHED.
  return stdout.split("\n").filter((line) => {
    const [, local, , state] = line.trim().split(/\s+/);
    return local?.endsWith(":1F90") && state === "01";
  }).length;
}

describe("egress connections", { timeout: 60_000 }, () => {
  let client: Client;
  beforeAll(async () => {
    client = await connect(stack.mcpUrl);
  });
  afterAll(async () => {
    await client.close();
  });

  it("should send parallel fetches to one API over one connection", async () => {
    const m = marker();
    // The code keeps its connections open (fetch pools them) while the test counts them from the
    // proxy's side: without the shared connection each parallel request opened its own tunnel,
    // and the proxy paid a TLS handshake for each, even where fetch then sent them all on one.
    let most = 0;
    let running = true;
    const counting = (async () => {
      while (running) {
        most = Math.max(most, await proxyClientConnections());
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    const result = await execute(client, `
      const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch("https://api.fake.test/parallel?${m}&i=" + i)));
      console.log(rs.map((r) => r.status).join(","));
      await Promise.all(rs.map((r) => r.body?.cancel()));
      await new Promise((r) => setTimeout(r, 2500));`);
    running = false;
    await counting;
    expect(result.stdout.trim()).toBe(Array(20).fill(200).join(","));
    expect(most).toBe(1);
    const seen = await receivedWith(stack, m);
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((r) => r.peerPort)).size).toBe(1);
  });

  it("should not hold parallel fetches behind a slow first one", async () => {
    const m = marker();
    const result = await execute(client, `
      const order = [];
      const slow = fetch("https://api.fake.test/slow?ms=3000&${m}").then(() => order.push("slow"));
      const fast = fetch("https://api.fake.test/fast?${m}").then(() => order.push("fast"));
      await Promise.all([slow, fast]);
      console.log(order.join(","));`);
    expect(result.stdout.trim()).toBe("fast,slow");
  });

  it("should pass every form of call through unchanged: a Request, a URL, a body, a client of the code's own", async () => {
    const m = marker();
    const result = await execute(client, `
      const own = Deno.createHttpClient({});
      const calls = [
        fetch(new Request("https://api.fake.test/as-request?${m}", { method: "POST", body: "from a Request", headers: { "x-form": "request" } })),
        fetch(new URL("https://api.fake.test/as-url?${m}"), { method: "PUT", body: "from a URL", headers: { "x-form": "url" } }),
        fetch("https://api.fake.test/as-string?${m}", { method: "PATCH", body: new Blob(["from a string"]), headers: { "x-form": "string" } }),
        fetch("https://api.fake.test/own-client?${m}", { client: own, headers: { "x-form": "own" } }),
        fetch("http://api.fake.test:8000/plain?${m}", { headers: { "x-form": "plain" } }),
        fetch(new Request("https://api.fake.test/get-request?${m}", { headers: { "x-form": "get-request" } })),
      ];
      console.log((await Promise.all(calls)).map((r) => r.status).join(","));`);
    expect(result.stdout.trim()).toBe("200,200,200,200,200,200");
    const seen = Object.fromEntries((await receivedWith(stack, m)).map((r) => [r.headers["x-form"], [r.method, r.path, r.body]]));
    expect(seen).toEqual({
      request: ["POST", "/as-request", "from a Request"],
      url: ["PUT", "/as-url", "from a URL"],
      string: ["PATCH", "/as-string", "from a string"],
      own: ["GET", "/own-client", ""],
      plain: ["GET", "/plain", ""],
      "get-request": ["GET", "/get-request", ""],
    });
  });

  it("should follow redirects as fetch() does: url, redirected, and credentials kept only for the same host", async () => {
    const m = marker();
    const hop = (to: string) => `https://api.fake.test/redirect?to=${encodeURIComponent(to)}&${m}`;
    const result = await execute(client, `
      const auth = { headers: { authorization: "Bearer not-a-secret", "x-form": "" } };
      const same = await fetch(${JSON.stringify(hop(`https://api.fake.test/landed-same?${m}`))}, { headers: { ...auth.headers, "x-form": "same" } });
      const other = await fetch(${JSON.stringify(hop(`https://other.fake.test/landed-other?${m}`))}, { headers: { ...auth.headers, "x-form": "other" } });
      const manual = await fetch(${JSON.stringify(hop(`https://api.fake.test/never?${m}`))}, { redirect: "manual" });
      let error = "none";
      try { await fetch(${JSON.stringify(hop(`https://api.fake.test/never?${m}`))}, { redirect: "error" }); } catch (e) { error = e.constructor.name; }
      console.log(JSON.stringify({
        same: [same.status, same.redirected, new URL(same.url).pathname],
        other: [other.status, other.redirected, new URL(other.url).pathname],
        manual: [manual.status, manual.redirected, manual.headers.get("location")?.includes("/never")],
        error,
      }));`);
    expect(JSON.parse(result.stdout)).toEqual({
      same: [200, true, "/landed-same"],
      other: [200, true, "/landed-other"],
      manual: [302, false, true],
      error: "TypeError",
    });
    const landed = Object.fromEntries((await receivedWith(stack, m)).filter((r) => r.path.startsWith("/landed"))
      .map((r) => [r.path, r.headers.authorization ?? null]));
    expect(landed).toEqual({ "/landed-same": "Bearer not-a-secret", "/landed-other": null });
    expect((await receivedWith(stack, m)).some((r) => r.path === "/never")).toBe(false);
  });

  it("should follow at most 20 redirects, as fetch() does", async () => {
    const m = marker();
    const result = await execute(client, `
      const twenty = await fetch("https://api.fake.test/hops?n=20&${m}");
      let past = "none";
      try { await fetch("https://api.fake.test/hops?n=21&${m}"); } catch (e) { past = e.constructor.name + ": " + e.message; }
      console.log(JSON.stringify([twenty.status, twenty.redirected, past]));`);
    const [status, redirected, past] = JSON.parse(result.stdout) as [number, boolean, string];
    expect([status, redirected]).toEqual([200, true]);
    expect(past).toMatch(/^TypeError: .*Maximum number of redirects \(20\)/);
  });
});
