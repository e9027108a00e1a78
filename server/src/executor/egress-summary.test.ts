import { describe, expect, it } from "vitest";
import { summarise } from "./egress-summary.ts";

const line = (fields: Record<string, unknown>) => JSON.stringify({ time: 1, component: "proxy", ...fields });

describe("egress summary", () => {
  it("should list requests with names only and count refusals", () => {
    const summary = summarise([
      line({ decision: "inject", method: "GET", host: "api.x.test", path: "/a", status: 200, api: "x", credentials: ["T"], redactions: 0, scrubbed: 0 }),
      line({ decision: "restrict", method: "DELETE", host: "api.x.test", path: "/a", restricted: "DELETE" }),
      line({ decision: "deny", method: "GET", host: "evil.test", reason: "host not allowlisted" }),
      line({ decision: "config-invalid", file: "/apis/y/config.json", field: "domains", message: "x", kept_last_good: false }),
    ].join("\n"));
    expect(summary.denied).toBe(2);
    expect(summary.requests).toEqual([
      { decision: "inject", method: "GET", host: "api.x.test", path: "/a", status: 200, api: "x", credentials: ["T"] },
      { decision: "restrict", method: "DELETE", host: "api.x.test", path: "/a", reason: "DELETE is restricted" },
      { decision: "deny", method: "GET", host: "evil.test", reason: "host not allowlisted" },
    ]);
  });

  it("should show a record it cannot read as an error, never drop it", () => {
    const summary = summarise([line({ decision: "allow", surprise: 1 }), "{not json"].join("\n"));
    expect(summary.requests).toHaveLength(2);
    expect(summary.requests[0]).toMatchObject({ decision: "error", reason: expect.stringContaining("cannot read this egress record") });
    expect(summary.requests[1]!.reason).toContain("not JSON");
    expect(summary.denied).toBe(2);
  });
});
