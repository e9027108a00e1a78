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

describe("egress summaries of large files", () => {
  const record = (decision: string, i: number) => JSON.stringify({ time: i, component: "proxy", decision, method: "GET", host: "a.test", path: `/p${i}` });

  it("should list the first hundred and only count the rest, whatever the file's size", async () => {
    const { mkdtemp, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { createEgressReader } = await import("./egress-summary.ts");
    const dir = await mkdtemp(path.join(tmpdir(), "egress-"));
    const id = "ab".repeat(16);
    const lines = Array.from({ length: 30_000 }, (_, i) => record(i % 3 === 0 ? "deny" : "allow", i));
    await writeFile(path.join(dir, `${id}.jsonl`), lines.join("\n") + "\n");
    const summary = await createEgressReader(dir)(id);
    expect(summary.requests).toHaveLength(100);
    expect(summary.omitted).toBe(29_900);
    expect(summary.denied).toBe(10_000);
  });

  it("should follow a running execution's file, reading only what was added", async () => {
    const { appendFile, mkdtemp, writeFile } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const { createEgressFollower } = await import("./egress-summary.ts");
    const dir = await mkdtemp(path.join(tmpdir(), "egress-"));
    const id = "cd".repeat(16);
    const file = path.join(dir, `${id}.jsonl`);
    const follower = createEgressFollower(dir);
    expect((await follower.read(id)).requests).toEqual([]);
    await writeFile(file, record("allow", 1) + "\n" + record("deny", 2).slice(0, 20));
    expect((await follower.read(id)).requests).toHaveLength(1);
    // The rest of a line written in two pieces completes it; nothing is counted twice.
    await appendFile(file, record("deny", 2).slice(20) + "\n");
    const summary = await follower.read(id);
    expect(summary.requests.map((r) => r.decision)).toEqual(["allow", "deny"]);
    expect(summary.denied).toBe(1);
  });
});
