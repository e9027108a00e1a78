/**
 * A person in the loop, on the real stack: requests an API's `approvals` rule holds wait in the
 * proxy until the calling client's user answers by MCP elicitation (accept, decline, cancel, no
 * answer), or, for a client that cannot be asked, an operator decides on the console. Executed
 * code cannot approve anything. Request budgets answer 429 past their limit. (The stack's
 * approval timeout is 4 s: test/global-setup.ts.)
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import { rm } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { connect, connectWithElicitation, execute } from "../helpers/mcp.ts";
import { TEST_SECRETS, writeApiConfig } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");
const base = new URL("/", stack.mcpUrl).toString();

const HELD_API = {
  description: "An API whose refunds need a person's approval",
  domains: ["held.fake.test"],
  credentials: {
    HELD_API_TOKEN: { headers: ["Authorization"], value: { env: "FAKE_API_SECRET" }, limits: { requestsPerExecution: 5 } },
  },
  restrictedMethods: ["DELETE"],
  approvals: [{ methods: ["POST"], paths: ["/v1/refunds*"] }],
  limits: { requestsPerExecution: 6, requestsPerMinute: 40 },
};

/** POSTs a refund (marked, to find what reached the upstream) and prints status and body. */
const refund = (mark: string) => `const r = await fetch("https://held.fake.test/v1/refunds?${mark}", {
  method: "POST", headers: { Authorization: "Bearer HELD_API_TOKEN", "content-type": "application/json" },
  body: JSON.stringify({ charge: "ch_42", amount: 1200 }),
});
console.log(r.status, await r.text());`;

function answering(result: ElicitResult | (() => Promise<ElicitResult>), asked: ElicitRequest[] = []) {
  return async (request: ElicitRequest) => {
    asked.push(request);
    return typeof result === "function" ? result() : result;
  };
}

/** Waits until the proxy has loaded the held API (it re-reads apis/ every second). */
async function heldApiLoaded(client: Client): Promise<void> {
  for (const started = Date.now(); Date.now() - started < 20_000; ) {
    if ((await execute(client, 'console.log((await fetch("https://held.fake.test/small")).status)')).stdout.trim() === "200") return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the proxy did not load apis/held within 20 s");
}

beforeAll(async () => {
  await writeApiConfig(stack.apisDir, "held", HELD_API);
  const client = await connect(stack.mcpUrl, "approvals-setup");
  try {
    await heldApiLoaded(client);
  } finally {
    await client.close();
  }
});

// The stack is shared: leave apis/ as the other suites expect it.
afterAll(async () => {
  await rm(path.join(stack.apisDir, "held"), { recursive: true, force: true });
});

describe("approval by elicitation", () => {
  it("should send a held request, with its credential, once the calling client's user accepts", async () => {
    const asked: ElicitRequest[] = [];
    const client = await connectWithElicitation(stack.mcpUrl, "approver", answering({ action: "accept", content: { approve: true } }, asked));
    try {
      const m = marker();
      const result = await execute(client, refund(m));
      expect(result.stdout).toMatch(/^200 /);
      // Only now did the real value go out.
      const [seen] = await receivedWith(stack, m);
      expect(seen!.headers.authorization).toBe(`Bearer ${TEST_SECRETS.FAKE_API_TOKEN}`);
      const [request] = result.egress.requests;
      expect(request).toMatchObject({ method: "POST", host: "held.fake.test", approval: { outcome: "approved", by: "elicitation" } });
      expect(result.approvalWaitMs).toBeGreaterThan(0);
      expect(result.text).toContain("for a person's approval");
      expect(asked).toHaveLength(1);
      const message = asked[0]!.params.message;
      expect(message).toContain("POST https://held.fake.test/v1/refunds");
      expect(message).toContain("HELD_API_TOKEN");
      expect(message).toContain('\\"amount\\":1200');
      expect(message).not.toContain(TEST_SECRETS.FAKE_API_TOKEN);
    } finally {
      await client.close();
    }
  });

  it.each([
    ["declines", { action: "decline" } as ElicitResult, "declined"],
    ["cancels", { action: "cancel" } as ElicitResult, "declined"],
    ["accepts the form but leaves the box unticked", { action: "accept", content: { approve: false } } as ElicitResult, "declined"],
  ])("should refuse a held request when the user %s, and send nothing", async (_how, answer, outcome) => {
    const client = await connectWithElicitation(stack.mcpUrl, "decliner", answering(answer));
    try {
      const m = marker();
      const result = await execute(client, refund(m));
      expect(result.stdout).toMatch(/^403 airlock: POST https:\/\/held.fake.test\/v1\/refunds\?m-[0-9a-f-]+ needs a person's approval/);
      expect(await receivedWith(stack, m)).toEqual([]);
      expect(result.stdout).toContain("a person declined it");
      expect(result.egress.requests[0]).toMatchObject({ decision: "unapproved", approval: { outcome } });
      expect(result.egress.denied).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("should refuse a held request no one answers within the approval timeout", async () => {
    const client = await connectWithElicitation(stack.mcpUrl, "silent", answering(() => new Promise<ElicitResult>(() => {})));
    try {
      const started = Date.now();
      const m = marker();
      const result = await execute(client, refund(m), 30);
      expect(await receivedWith(stack, m)).toEqual([]);
      expect(result.stdout).toContain("no one answered within the approval timeout");
      expect(result.egress.requests[0]).toMatchObject({ decision: "unapproved", approval: { outcome: "timeout" } });
      expect(Date.now() - started).toBeGreaterThan(3500);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await client.close();
    }
  });

  it("should not ask anyone about a request no rule holds, nor about a restricted method", async () => {
    const asked: ElicitRequest[] = [];
    const client = await connectWithElicitation(stack.mcpUrl, "unasked", answering({ action: "accept", content: { approve: true } }, asked));
    try {
      const result = await execute(client, `
        for (const method of ["GET", "DELETE"]) {
          const r = await fetch("https://held.fake.test/v1/refunds/re_1", { method, headers: { Authorization: "Bearer HELD_API_TOKEN" } });
          console.log(method, r.status);
        }`);
      expect(result.stdout).toBe("GET 200\nDELETE 403\n");
      expect(result.egress.requests[0]!.decision).toMatch(/^(inject|scrub)$/);
      expect(result.egress.requests[1]!.decision).toBe("restrict");
      expect(asked).toEqual([]);
    } finally {
      await client.close();
    }
  });
});

describe("approval on the console", () => {
  // The operator's own token: MCP clients (this stack's are unauthenticated) never hold it.
  const operator = { authorization: `Bearer ${stack.env.AIRLOCK_CONSOLE_TOKEN}` };

  async function pendingId(): Promise<string> {
    let id: string | undefined;
    await expect
      .poll(async () => (id = /data-approval="([0-9a-f]{32})"/.exec(await (await fetch(new URL("/approvals", base), { headers: operator })).text())?.[1]), { timeout: 10_000, interval: 200 })
      .toBeTruthy();
    return id!;
  }

  const decide = async (id: string, decision: string, headers: Record<string, string> = operator) =>
    fetch(new URL(`/console/approvals/${id}`, base), { method: "POST", redirect: "manual", body: new URLSearchParams({ decision }), headers });

  it.each([
    ["approve", /^200 /, "approved"],
    ["decline", /^403 /, "declined"],
  ])("should wait for an operator when the client cannot be asked, tell the model, and %s", async (decision, status, outcome) => {
    const client = await connect(stack.mcpUrl, "no-elicitation");
    try {
      const notes: string[] = [];
      const m = marker();
      const call = client.callTool({ name: "execute_code", arguments: { code: refund(m), timeout_seconds: 30 } }, undefined, {
        timeout: 60_000,
        onprogress: (p) => p.message && notes.push(p.message),
      });
      const id = await pendingId();
      // Anything without the operator's token — an agent on this machine among them — is refused.
      expect((await decide(id, decision, {})).status).toBe(401);
      expect((await decide(id, decision)).status).toBe(303);
      const result = (await call).structuredContent as { stdout: string; egress: { requests: Array<{ approval?: { outcome: string; by: string } }> } };
      expect(result.stdout).toMatch(status);
      expect(await receivedWith(stack, m)).toHaveLength(decision === "approve" ? 1 : 0);
      expect(result.egress.requests[0]!.approval).toMatchObject({ outcome, by: "console (operator)" });
      expect(notes.some((n) => n.startsWith(`Waiting for a person to approve POST https://held.fake.test/v1/refunds?${m} on the Airlock console`))).toBe(true);
      // Decided once: the same decision cannot be replayed onto anything.
      expect((await decide(id, "approve")).status).toBe(404);
    } finally {
      await client.close();
    }
  });
});

describe("executed code cannot approve anything", () => {
  it("should keep a request held while its own code tries every way to the decision", async () => {
    const client = await connect(stack.mcpUrl, "self-approver");
    try {
      const port = new URL(base).port;
      const result = await execute(
        client,
        `const tries = {};
        const attempt = async (name, url, init) => {
          try { const r = await fetch(url, init); tries[name] = r.status; } catch (e) { tries[name] = "failed"; }
        };
        const held = fetch("https://held.fake.test/v1/refunds", { method: "POST", headers: { Authorization: "Bearer HELD_API_TOKEN" }, body: "{}" });
        await new Promise((r) => setTimeout(r, 500));
        // The approval endpoint by name, and the console on the host, through the proxy and around it.
        await attempt("endpoint", "http://server:8090/approvals", { method: "POST", body: "{}" });
        await attempt("console", "http://host.docker.internal:${port}/approvals");
        await attempt("gateway", "http://127.0.0.1:${port}/approvals");
        const r = await held;
        console.log(JSON.stringify({ tries, held: r.status, text: await r.text() }));`,
        30,
      );
      const out = JSON.parse(result.stdout) as { tries: Record<string, number | string>; held: number; text: string };
      // Every way to the decision path fails: refused by the proxy or no route at all.
      for (const [name, status] of Object.entries(out.tries)) expect([403, "failed"], name).toContain(status);
      expect(out.held).toBe(403);
      expect(out.text).toContain("no one answered within the approval timeout");
      expect(result.egress.requests.find((r) => r.host === "held.fake.test")).toMatchObject({ approval: { outcome: "timeout" } });
    } finally {
      await client.close();
    }
  });
});

describe("request budgets", () => {
  it("should answer 429 past a credential's budget for one execution, with a message the model can act on", async () => {
    const client = await connect(stack.mcpUrl, "budget");
    try {
      const result = await execute(client, `
        for (let i = 0; i < 6; i++) {
          const r = await fetch("https://held.fake.test/small?i=" + i, { headers: { Authorization: "Bearer HELD_API_TOKEN" } });
          console.log(r.status, r.headers.get("retry-after"), r.status === 429 ? await r.text() : (await r.text(), ""));
        }`);
      const lines = result.stdout.trim().split("\n");
      expect(lines.slice(0, 5).every((l) => l.startsWith("200"))).toBe(true);
      expect(lines[5]).toMatch(/^429 null airlock: credential HELD_API_TOKEN allows 5 requests per execution/);
      const counted = result.egress.requests[4]!.budgets!;
      expect(counted).toContainEqual({ what: "credential HELD_API_TOKEN", used: 5, limit: 5, per: "execution" });
      expect(result.egress.requests[5]).toMatchObject({ decision: "limit" });
      // A new execution starts with a fresh budget.
      expect((await execute(client, 'console.log((await fetch("https://held.fake.test/small", { headers: { Authorization: "Bearer HELD_API_TOKEN" } })).status)')).stdout).toBe("200\n");
    } finally {
      await client.close();
    }
  });

  it("should answer 429 with Retry-After past a per-minute budget shared by all executions, reloaded live", async () => {
    await writeApiConfig(stack.apisDir, "held", { ...HELD_API, limits: { requestsPerMinute: 2 } });
    const client = await connect(stack.mcpUrl, "budget-minute");
    try {
      await expect
        .poll(async () => (await execute(client, 'console.log((await fetch("https://held.fake.test/small")).status)')).stdout.trim(), { timeout: 20_000, interval: 700 })
        .toBe("429");
      const result = await execute(client, 'const r = await fetch("https://held.fake.test/small"); console.log(r.status, r.headers.get("retry-after"))');
      const [status, retryAfter] = result.stdout.trim().split(" ");
      expect(status).toBe("429");
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    } finally {
      await writeApiConfig(stack.apisDir, "held", HELD_API);
      await client.close();
    }
  });
});
