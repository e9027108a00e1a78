/** /metrics on the real stack: Prometheus text that follows what executions did. */
import http from "node:http";
import { describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";

const stack = inject("stack");
const metricsUrl = new URL("/metrics", stack.mcpUrl);

async function scrape(): Promise<string> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line, 0 when the series does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe("/metrics", { timeout: 60_000 }, () => {
  it("should count executions by outcome and their egress by API and decision", async () => {
    const success = 'airlock_executions_total{tool="execute_code",outcome="success"}';
    const failed = 'airlock_executions_total{tool="execute_code",outcome="error"}';
    const injected = 'airlock_egress_requests_total{api="fake",decision="inject"}';
    const before = await scrape();
    const client = await connect(stack.mcpUrl, "metrics");
    try {
      // /small does not echo, so the request's decision stays "inject" (an echo would be "scrub").
      await execute(client, 'await (await fetch("https://api.fake.test/small", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } })).text(); console.log("ok")');
      await execute(client, 'throw new Error("no")');
    } finally {
      await client.close();
    }
    const after = await scrape();
    expect(sample(after, success) - sample(before, success)).toBe(1);
    expect(sample(after, failed) - sample(before, failed)).toBe(1);
    expect(sample(after, injected) - sample(before, injected)).toBe(1);
    expect(after).toMatch(/^airlock_executions_running \d+$/m);
    expect(after).toMatch(/^airlock_mcp_sessions_open \d+$/m);
    // Names only: no secret value ever reaches the gateway, so none can be here.
    expect(after).not.toContain("fk_live_");
  });

  it("should refuse a scrape that does not name this gateway", async () => {
    // fetch() will not send a Host of our choosing; a plain request will, as a rebinding page's would.
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: "127.0.0.1", port: metricsUrl.port, path: "/metrics", headers: { host: "evil.example" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject);
    });
    expect(status).toBe(403);
  });
});
