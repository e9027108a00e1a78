/** The console's own defences, in-process: guards, headers, auth, CSRF and escaping. */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { EMPTY_EGRESS } from "../executor/egress-summary.ts";
import type { Execute } from "../executor/executor.ts";
import type { SkillStore } from "../skills/skill-store.ts";
import { createActivity } from "./activity.ts";
import { createApprovalBroker } from "../approvals/approval-broker.ts";
import { createConsoleAuth } from "./console-auth.ts";
import { CONSOLE_CSP, mountConsole } from "./console-routes.ts";
import { createHistoryStore, type HistoryRecord } from "./history-store.ts";

const TOKEN = "console-token-of-sixteen+";
const XSS = `<script>document.title="owned"</script><img src=x onerror=alert(1)>"'`;

const MCP_TOKEN = "mcp-clients-token-of-sixteen";

/** The console token (AIRLOCK_CONSOLE_TOKEN); `null`: none, so the console is open, or shared
 *  with MCP clients when `mcpToken` is given. */
async function consoleApp(tokenOrOpen: string | null = TOKEN, mcpToken?: string) {
  const token = tokenOrOpen ?? undefined;
  const history = await createHistoryStore(await mkdtemp(path.join(tmpdir(), "console-")), { maxEntries: 10, maxAgeDays: 1, outputBytes: 4096 }, () => {});
  let release!: () => void;
  const hold = new Promise<void>((r) => (release = r));
  const execute: Execute = async (req) => {
    req.onStarted?.("cd".repeat(16));
    req.onChunk?.("stdout", new TextEncoder().encode(XSS));
    await Promise.race([hold, new Promise((r) => req.signal?.addEventListener("abort", r))]);
    return { outcome: "success", exitCode: 0, stdout: XSS, stderr: "", durationMs: 1, outputTruncated: false, egress: EMPTY_EGRESS };
  };
  const activity = createActivity({ execute, history, followEgress: { read: async () => EMPTY_EGRESS, forget: () => {} }, outputBytes: 4096, log: () => {} });
  const approvals = createApprovalBroker({ channelFor: activity.channelFor, log: () => {}, consoleDecides: token !== undefined });
  const app = new Hono();
  mountConsole(app, {
    activity,
    approvals,
    history,
    auth: createConsoleAuth({ consoleToken: token, mcpToken }),
    guards: { allowedHosts: [], allowedOrigins: [], authToken: token },
    health: { stats: () => ({ running: 0, queued: 0 }), sessions: () => ({ open: 0, evicted: 0 }), stackStatus: async () => ({ sandbox: "running", proxy: "healthy" }) as never },
    loadApis: async () => ({ apis: [], problems: [] }),
    proxyStatus: async () => undefined,
    skills: { list: async () => [] } as unknown as SkillStore,
    auditDir: undefined,
    limits: { maxConcurrency: 2, maxQueue: 4 },
    historyBounds: { maxEntries: 10, maxAgeDays: 1 },
    assets: { js: "", css: "" },
    log: () => {},
    liveIntervalMs: 10,
    streamWriteTimeoutMs: 200,
  });
  const request = (p: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
    app.request(`http://127.0.0.1:8080${p}`, { ...init, headers: { host: "127.0.0.1:8080", ...init.headers } });
  return { app, request, activity, history, release, approvals };
}

/** What a browser sends once the operator typed the token into its prompt. */
const basic = (password = TOKEN) => ({ authorization: `Basic ${Buffer.from(`operator:${password}`).toString("base64")}` });

async function csrfOf(request: Awaited<ReturnType<typeof consoleApp>>["request"], headers: Record<string, string> = {}) {
  const page = await (await request("/", { headers })).text();
  return /name="airlock-csrf" content="([0-9a-f]+)"/.exec(page)![1]!;
}

describe("console security", () => {
  it("should send a strict CSP and forbid framing on every page", async () => {
    const { request } = await consoleApp(null);
    for (const p of ["/", "/history", "/apis", "/skills", "/status", "/assets/console.js"]) {
      const res = await request(p);
      expect(res.status, p).toBe(200);
      expect(res.headers.get("content-security-policy"), p).toBe(CONSOLE_CSP);
      expect(res.headers.get("x-frame-options"), p).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), p).toBe("nosniff");
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain("unsafe-inline");
  });

  it("should refuse a rebinding Host and a foreign Origin like /mcp", async () => {
    const { request } = await consoleApp(null);
    expect((await request("/", { headers: { host: "evil.example:8080" } })).status).toBe(403);
    expect((await request("/history", { headers: { origin: "https://evil.example" } })).status).toBe(403);
  });

  it("should ask a browser for the token with a Basic challenge, and take Basic or Bearer, never setting a cookie", async () => {
    const { request } = await consoleApp();
    const none = await request("/history");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm="Airlock console"/);
    expect((await request("/console/live")).status).toBe(401);
    expect((await request("/history", { headers: basic("wrong-token-of-sixteen") })).status).toBe(401);
    expect((await request("/history", { headers: { authorization: "Bearer wrong-token-of-sixteen" } })).status).toBe(401);
    for (const headers of [basic(), { authorization: `Bearer ${TOKEN}` }]) {
      const ok = await request("/history", { headers });
      expect(ok.status).toBe(200);
      // No ambient credential of ours: cookies would reach every other port of this host.
      expect(ok.headers.get("set-cookie")).toBeNull();
    }
  });

  it("should throttle wrong tokens without ever locking out the right one", async () => {
    const { request } = await consoleApp();
    for (let i = 0; i < 10; i++) expect((await request("/", { headers: basic(`guess-${i}`) })).status).toBe(401);
    // Still a challenge, not a 429: a browser would keep a mistyped token it was not asked again for.
    const throttled = await request("/", { headers: basic("guess-11") });
    expect(throttled.status).toBe(401);
    expect(throttled.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect(await throttled.text()).toContain("Too many wrong tokens");
    expect((await request("/", { headers: basic() })).status).toBe(200);
  });

  it("should keep MCP clients out of a console that has its own token, and not let a shared console decide approvals", async () => {
    const own = await consoleApp(TOKEN, MCP_TOKEN);
    expect((await own.request("/history", { headers: { authorization: `Bearer ${MCP_TOKEN}` } })).status).toBe(401);
    expect((await own.request("/history", { headers: basic(MCP_TOKEN) })).status).toBe(401);
    expect((await own.request("/history", { headers: basic() })).status).toBe(200);
    // Without a console token the console is shared with every MCP client (an agent with a shell
    // among them): it may look, but nobody can approve there, and nobody is asked there.
    const shared = await consoleApp(null, MCP_TOKEN);
    const bearer = { authorization: `Bearer ${MCP_TOKEN}` };
    expect((await shared.request("/history", { headers: bearer })).status).toBe(200);
    void shared.activity.execute({ code: "x", timeoutSeconds: 30 });
    await new Promise((r) => setTimeout(r, 10));
    const question = { id: "3".repeat(32), execution: "cd".repeat(16), api: "pay", rule: 0, method: "POST", actsAs: [], scheme: "https" as const, host: "api.pay.test", port: 443, destination: null, encoded: false, path: "/v1/refunds", credentials: [], excerpt: "", timeoutSeconds: 30 };
    expect(await shared.approvals.ask(question)).toMatchObject({ outcome: "unavailable" });
    const decide = await shared.request(`/console/approvals/${question.id}`, { method: "POST", body: new URLSearchParams({ decision: "approve" }), headers: { ...bearer, "content-type": "application/x-www-form-urlencoded" } });
    expect(decide.status).toBe(403);
    shared.release();
  });

  it("should read no body sent to a page", async () => {
    const { request } = await consoleApp(null);
    const res = await request("/status", { method: "POST", body: "a=" + "x".repeat(100), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(res.status).toBe(405);
    const big = await request("/history", { method: "POST", body: "a=" + "x".repeat(100_000), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(big.status).toBe(413);
  });

  it("should end live streams whose readers stop reading, and never lock a new viewer out", async () => {
    const { request, activity, release } = await consoleApp(null);
    // Something changes on every tick, so every stream has something to write.
    void activity.execute({ code: "x", timeoutSeconds: 30 });
    const held = await Promise.all(Array.from({ length: 32 }, () => request("/console/live")));
    expect(held.every((r) => r.status === 200)).toBe(true);
    // Past the limit the oldest gives way: the operator's view always opens.
    const viewer = await request("/console/live");
    expect(viewer.status).toBe(200);
    void viewer.body?.cancel();
    // Nobody reads the others: each ends once a write has stalled past the timeout.
    const ends = async (res: Response) => {
      const reader = res.body!.getReader();
      for (;;) if ((await reader.read()).done) return true;
    };
    await new Promise((r) => setTimeout(r, 600));
    const ended = await Promise.race([Promise.all(held.map(ends)), new Promise((r) => setTimeout(() => r(false), 5000))]);
    expect(ended).not.toBe(false);
    release();
  });

  it("should refuse a HEAD or cross-site request for the live stream, and a large action body", async () => {
    const { request } = await consoleApp(null);
    expect((await request("/console/live", { method: "HEAD" })).status).toBe(405);
    expect((await request("/console/live", { headers: { "sec-fetch-site": "same-site" } })).status).toBe(403);
    const big = await request(`/console/executions/${"a".repeat(32)}/cancel`, {
      method: "POST",
      body: "csrf=" + "x".repeat(10_000),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(big.status).toBe(413);
  });

  it("should cancel only with the page's CSRF token, and never from another site", async () => {
    const { request, activity, release } = await consoleApp();
    const csrf = await csrfOf(request, basic());
    const running = activity.execute({ code: "x", timeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 10));
    const [live] = await activity.live();
    const cancel = (headers: Record<string, string>) => request(`/console/executions/${live!.id}/cancel`, { method: "POST", headers: { ...basic(), ...headers } });
    expect((await cancel({})).status).toBe(403);
    expect((await cancel({ "x-airlock-csrf": "0".repeat(64) })).status).toBe(403);
    expect((await cancel({ "x-airlock-csrf": csrf, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect((await activity.live()).length).toBe(1);
    expect((await cancel({ "x-airlock-csrf": csrf, "sec-fetch-site": "same-origin" })).status).toBe(200);
    expect((await running).outcome).toBe("success");
    // A script with the bearer token needs no CSRF token: no browser sends that header on its own.
    const second = activity.execute({ code: "y", timeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 10));
    const [next] = await activity.live();
    expect((await request(`/console/executions/${next!.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    await second;
    release();
  });

  it("should cancel on an open console only with the CSRF token too", async () => {
    const { request, activity, release } = await consoleApp(null);
    const csrf = await csrfOf(request);
    void activity.execute({ code: "x", timeoutSeconds: 5 });
    await new Promise((r) => setTimeout(r, 10));
    const [live] = await activity.live();
    expect((await request(`/console/executions/${live!.id}/cancel`, { method: "POST" })).status).toBe(403);
    expect((await request(`/console/executions/${live!.id}/cancel`, { method: "POST", headers: { "x-airlock-csrf": csrf } })).status).toBe(200);
    release();
  });

  it("should show what code printed as text on every page that shows it", async () => {
    const { request, activity, history, release } = await consoleApp(null);
    const running = activity.execute({ code: XSS, timeoutSeconds: 5, caller: { tool: "execute_code", client: XSS } });
    await new Promise((r) => setTimeout(r, 10));
    const livePage = await (await request("/")).text();
    release();
    await running;
    const id = history.list()[0]!.id;
    const pages = [livePage, await (await request(`/history/${id}`)).text(), await (await request("/history")).text()];
    for (const html of pages) {
      expect(html).not.toContain("<script>document");
      expect(html).not.toContain("<img src=x");
      expect(html).toContain("&lt;script&gt;document.title=");
    }
    // The one script is our file; no inline script at all.
    for (const html of pages) expect(html.match(/<script[^>]*>/g)).toEqual(['<script src="/assets/console.js" defer>']);
  });

  it("should decide a held request only with the page's CSRF token, and only that request", async () => {
    const { request, activity, approvals, release } = await consoleApp();
    const csrf = await csrfOf(request, basic());
    void activity.execute({ code: "x", timeoutSeconds: 30 });
    await new Promise((r) => setTimeout(r, 10));
    const question = { id: "1".repeat(32), execution: "cd".repeat(16), api: "pay", rule: 0, method: "POST", actsAs: [], scheme: "https" as const, host: "api.pay.test", port: 443, destination: null, encoded: false, path: "/v1/refunds", credentials: ["PAY_TOKEN"], excerpt: XSS, timeoutSeconds: 30 };
    const answer = approvals.ask(question);
    await new Promise((r) => setTimeout(r, 10));
    const page = await (await request("/approvals", { headers: basic() })).text();
    expect(page).toContain("https://api.pay.test/v1/refunds");
    expect(page).not.toContain("<script>document");
    const decide = (body: Record<string, string>, id = question.id) =>
      request(`/console/approvals/${id}`, { method: "POST", body: new URLSearchParams(body), headers: { ...basic(), "content-type": "application/x-www-form-urlencoded" } });
    expect((await decide({ decision: "approve" })).status).toBe(403);
    expect((await decide({ decision: "approve", csrf: "0".repeat(64) })).status).toBe(403);
    expect((await decide({ decision: "approve", csrf }, "2".repeat(32))).status).toBe(404);
    expect(approvals.pending()).toHaveLength(1);
    expect((await decide({ decision: "approve", csrf })).status).toBe(303);
    expect(await answer).toEqual({ outcome: "approved", by: "console (operator)" });
    release();
  });

  it("should not show a record under an id that is not one", async () => {
    const { request } = await consoleApp(null);
    expect((await request("/history/..%2F..%2Fetc%2Fpasswd")).status).toBe(404);
    expect((await request(`/history/${"a".repeat(32)}`)).status).toBe(404);
  });
});

// Referenced so an unused-type check does not hide a broken import.
export type { HistoryRecord };
