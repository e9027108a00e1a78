/**
 * @module The approval endpoint the proxy asks (internal `approvals` network, port 8090, never
 * published). It accepts only the proxy: the request must carry the key the proxy made in the
 * volume only the two share; and it signs its answer with that key over the request's own id and
 * the outcome, so the proxy can tell a real answer from a forged or replayed one. Everything else
 * is 404/401/400, logged.
 */
import { createHmac, createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { approvalQuestion, type ApprovalBroker } from "./approval-broker.ts";

export const APPROVAL_KEY_HEADER = "x-airlock-approval-key";

export function answerMac(key: string, id: string, outcome: string): string {
  return createHmac("sha256", key).update(`${id}:${outcome}`).digest("hex");
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

export function createApprovalEndpoint(deps: {
  broker: ApprovalBroker;
  /** The shared key, or undefined while the proxy has not made it yet. */
  readKey: () => Promise<string | undefined>;
  log: (e: Record<string, unknown>) => void;
}): Hono {
  const app = new Hono();
  app.use("/approvals", bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "too large" }, 413) }));
  app.post("/approvals", async (c) => {
    const key = await deps.readKey();
    const presented = c.req.header(APPROVAL_KEY_HEADER) ?? "";
    if (!key || !same(presented, key)) {
      deps.log({ level: "warn", event: "approval-request-refused", reason: key ? "wrong key" : "no key yet" });
      return c.json({ error: "unauthorised" }, 401);
    }
    const parsed = approvalQuestion.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) {
      deps.log({ level: "warn", event: "approval-request-refused", reason: "malformed" });
      return c.json({ error: "malformed approval request" }, 400);
    }
    const answer = await deps.broker.ask(parsed.data);
    return c.json({ id: parsed.data.id, ...answer, mac: answerMac(key, parsed.data.id, answer.outcome) });
  });
  app.all("*", (c) => c.json({ error: "not found" }, 404));
  app.onError((err, c) => {
    deps.log({ level: "error", event: "approval-endpoint-error", message: err.message });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

/** Reads the key file afresh at most once a second: the proxy makes it at its first start. */
export function keyReader(file: string | undefined): () => Promise<string | undefined> {
  let cached: { at: number; key: string | undefined } | undefined;
  return async () => {
    if (!file) return undefined;
    if (cached && Date.now() - cached.at < 1000) return cached.key;
    const key = await readFile(file, "utf8").then((t) => t.trim() || undefined, () => undefined);
    cached = { at: Date.now(), key };
    return key;
  };
}
