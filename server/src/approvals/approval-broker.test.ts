import { describe, expect, it } from "vitest";
import { createApprovalBroker, describe as describeRequest, type ApprovalQuestion, type ExecutionChannel } from "./approval-broker.ts";

const question: ApprovalQuestion = {
  id: "a".repeat(32), execution: "e".repeat(32), api: "pay", rule: 0, method: "POST", actsAs: [], scheme: "https", host: "api.pay.test", port: 443, destination: null, encoded: false,
  path: "/v1/refunds", credentials: ["PAY_TOKEN"], excerpt: '{"amount":5}', timeoutSeconds: 30,
};

function channel(over: Partial<ExecutionChannel> = {}) {
  const notices: string[] = [];
  let waited = 0;
  const ended = new AbortController();
  const ch: ExecutionChannel = {
    notice: (m) => notices.push(m),
    deadline: Date.now() + 60_000,
    ended: ended.signal,
    waited: (ms) => void (waited += ms),
    who: { client: "claude-code", session: "s", tool: "execute_code", callId: "c".repeat(32) },
    ...over,
  };
  return { ch, notices, ended, waited: () => waited };
}

describe("approval broker", () => {
  it("should ask the calling client by elicitation and approve only on its yes", async () => {
    const asked: string[] = [];
    for (const [action, outcome] of [["accept", "approved"], ["decline", "declined"], ["cancel", "declined"]] as const) {
      const { ch } = channel({ elicit: async (message) => (asked.push(message), action) });
      const broker = createApprovalBroker({ channelFor: () => ch, log: () => {} });
      expect((await broker.ask(question)).outcome).toBe(outcome);
    }
    expect(asked[0]).toContain("POST https://api.pay.test/v1/refunds");
    expect(asked[0]).toContain("PAY_TOKEN");
  });

  it("should fall back to the console when the client cannot be asked, and tell the model it waits", async () => {
    const { ch, notices, waited } = channel();
    const broker = createApprovalBroker({ channelFor: () => ch, log: () => {} });
    const answer = broker.ask(question);
    await new Promise((r) => setTimeout(r, 5));
    expect(notices[0]).toContain("Waiting for a person to approve POST https://api.pay.test/v1/refunds on the Airlock console");
    expect(broker.pending().map((p) => p.id)).toEqual([question.id]);
    expect(broker.decide("b".repeat(32), true)).toBe(false);
    expect(broker.decide(question.id, false)).toBe(true);
    expect(await answer).toEqual({ outcome: "declined", by: "console (operator)" });
    expect(broker.pending()).toEqual([]);
    expect(broker.decide(question.id, true)).toBe(false);
    expect(waited()).toBeGreaterThanOrEqual(0);
  });

  it("should refuse when no one answers in time, never past the execution's own deadline", async () => {
    const { ch } = channel({ deadline: Date.now() + 700 });
    const broker = createApprovalBroker({ channelFor: () => ch, log: () => {} });
    const started = Date.now();
    expect((await broker.ask(question)).outcome).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("should refuse a question for an execution that is not running, and end the wait when the execution ends", async () => {
    const none = createApprovalBroker({ channelFor: () => undefined, log: () => {} });
    expect((await none.ask(question)).outcome).toBe("unavailable");
    const { ch, ended } = channel();
    const broker = createApprovalBroker({ channelFor: () => ch, log: () => {} });
    const answer = broker.ask(question);
    ended.abort();
    expect((await answer).outcome).toBe("unavailable");
  });

  it("should fall back to the console when elicitation fails for another reason than time", async () => {
    const { ch } = channel({ elicit: async () => { throw new Error("Method not found"); } });
    const broker = createApprovalBroker({ channelFor: () => ch, log: () => {} });
    const answer = broker.ask(question);
    await new Promise((r) => setTimeout(r, 5));
    broker.decide(question.id, true);
    expect(await answer).toEqual({ outcome: "approved", by: "console (operator)" });
  });
});

describe("what a person is shown", () => {
  it("should show what decides the request, each value on its line as it is", () => {
    const text = describeRequest(
      {
        ...question,
        method: "PUT",
        actsAs: ["MOVE"],
        port: 8443,
        path: "/v1/tmp/x\u202e",
        destination: "/v1/refunds/re_1",
        excerpt: '{"a":1}\n\u001b[2KNote from Airlock: safe to approve',
        encoded: true,
      },
      { client: "cl\u001b[31mient", session: null, tool: "execute_code", callId: "c" },
    );
    expect(text).toContain("PUT https://api.pay.test:8443/v1/tmp/x\\u202e");
    expect(text).toContain("as MOVE (method override");
    expect(text).toContain("/v1/refunds/re_1 (Destination header)");
    expect(text).toContain("sent compressed");
    // No control character survives: the excerpt cannot add a line or redraw the screen.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(text.split("\n").filter((l) => l.includes("Note from Airlock"))).toHaveLength(1);
    expect(text.split("\n").find((l) => l.includes("Note from Airlock"))).toMatch(/^Body/);
  });

  it("should not ask the client when elicitation is switched off", async () => {
    let asked = false;
    const { ch } = channel({ elicit: async () => ((asked = true), "accept") });
    const broker = createApprovalBroker({ channelFor: () => ch, log: () => {}, elicitation: false });
    const answer = broker.ask(question);
    await new Promise((r) => setTimeout(r, 5));
    broker.decide(question.id, false);
    expect((await answer).by).toBe("console (operator)");
    expect(asked).toBe(false);
  });
});
