import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { egressEventJsonSchema, egressEventSchema } from "./egress-event.ts";

describe("egress event record", () => {
  it("should match the JSON Schema the proxy's tests check its records with (no drift: run `npm run schema`)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../../proxy/addons/egress-event.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(egressEventJsonSchema());
  });

  it("should accept what the proxy writes and refuse a field it does not define", () => {
    const line = { time: 1.5, component: "proxy", decision: "inject", execution: "a".repeat(32), api: "fake", method: "GET", host: "api.fake.test", path: "/", status: 200, credentials: ["T"], redactions: 0, scrubbed: 0 };
    expect(egressEventSchema.safeParse(line).success).toBe(true);
    expect(egressEventSchema.safeParse({ ...line, secret: "x" }).success).toBe(false);
    expect(egressEventSchema.safeParse({ ...line, decision: "maybe" }).success).toBe(false);
    expect(egressEventSchema.safeParse({ ...line, execution: "../x" }).success).toBe(false);
  });
});
