import { describe, expect, it } from "vitest";
import { answerMac, APPROVAL_KEY_HEADER, createApprovalEndpoint } from "./approval-endpoint.ts";
import type { ApprovalBroker } from "./approval-broker.ts";

const KEY = "f".repeat(64);
const question = {
  id: "a".repeat(32), execution: "e".repeat(32), api: "pay", rule: 0, method: "POST", actsAs: [], scheme: "https", host: "api.pay.test", port: 443, destination: null, encoded: false,
  path: "/v1/refunds", credentials: ["PAY_TOKEN"], excerpt: "", timeoutSeconds: 30,
};

function endpoint(key: string | undefined = KEY) {
  const asked: unknown[] = [];
  const broker = { ask: async (q: unknown) => (asked.push(q), { outcome: "approved", by: "elicitation" }), pending: () => [], decide: () => false } as unknown as ApprovalBroker;
  const app = createApprovalEndpoint({ broker, readKey: async () => key, log: () => {} });
  const post = (body: unknown, headers: Record<string, string> = { [APPROVAL_KEY_HEADER]: KEY }) =>
    app.request("http://server:8090/approvals", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers: { "content-type": "application/json", ...headers } });
  return { post, asked };
}

describe("approval endpoint", () => {
  it("should answer the proxy, signed over the request's id and the outcome", async () => {
    const { post } = endpoint();
    const res = await post(question);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { id: string; outcome: string; mac: string };
    expect(answer).toMatchObject({ id: question.id, outcome: "approved" });
    expect(answer.mac).toBe(answerMac(KEY, question.id, "approved"));
  });

  it("should accept nobody without the key, and no key before the proxy made one", async () => {
    const { post, asked } = endpoint();
    expect((await post(question, {})).status).toBe(401);
    expect((await post(question, { [APPROVAL_KEY_HEADER]: "0".repeat(64) })).status).toBe(401);
    expect((await endpoint(undefined).post(question, { [APPROVAL_KEY_HEADER]: "" })).status).toBe(401);
    expect(asked).toEqual([]);
  });

  it("should refuse what it cannot parse", async () => {
    const { post, asked } = endpoint();
    expect((await post("{not json")).status).toBe(400);
    expect((await post({ ...question, extra: 1 })).status).toBe(400);
    expect((await post({ ...question, id: "../x" })).status).toBe(400);
    expect((await post("x".repeat(20_000))).status).toBe(413);
    expect(asked).toEqual([]);
  });
});
