import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allowedHosts, createApiRegistry } from "./load-apis.ts";

const good = (domain: string) => JSON.stringify({ description: `API at ${domain}`, domains: [domain] });

describe("API registry", () => {
  let dir: string;
  const write = async (name: string, text: string) => {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, "config.json"), text);
  };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "apis-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should load every valid config and report a broken one with its file and field", async () => {
    await write("alpha", good("a.example.com"));
    await write("beta", JSON.stringify({ description: "x", domains: ["B.example.com"] }));
    await write("gamma", "{ not json");
    const { apis, problems } = await createApiRegistry(dir).load();
    expect(apis.map((a) => a.name)).toEqual(["alpha"]);
    expect(problems).toEqual([
      { file: path.join(dir, "beta", "config.json"), field: "domains.0", message: expect.stringContaining("lower-case"), keptLastGood: false },
      { file: path.join(dir, "gamma", "config.json"), field: "(file)", message: expect.stringContaining("not valid JSON"), keptLastGood: false },
    ]);
  });

  it("should keep the last good version of an API whose file breaks, and drop a removed one", async () => {
    const registry = createApiRegistry(dir);
    await write("alpha", good("a.example.com"));
    await write("beta", good("b.example.com"));
    expect(allowedHosts((await registry.load()).apis)).toEqual(["a.example.com:443", "b.example.com:443"]);
    await write("alpha", '{"description": "oops"}');
    await rm(path.join(dir, "beta"), { recursive: true });
    const { apis, problems } = await registry.load();
    expect(allowedHosts(apis)).toEqual(["a.example.com:443"]);
    expect(problems[0]).toMatchObject({ field: "domains", keptLastGood: true });
  });

  it("should ignore a folder without config.json and an unreadable folder name", async () => {
    await mkdir(path.join(dir, "example"));
    await writeFile(path.join(dir, "example", "config.json.example"), good("x.example.com"));
    await write("Bad Name", good("c.example.com"));
    const { apis, problems } = await createApiRegistry(dir).load();
    expect(apis).toEqual([]);
    expect(problems).toMatchObject([{ field: "(folder name)" }]);
  });

  it("should allow each domain only on its API's HTTPS and plain-HTTP ports", async () => {
    await write("alpha", JSON.stringify({ description: "a", domains: ["a.example.com"], ports: [443, 8443], plainHttpPorts: [8000] }));
    expect(allowedHosts((await createApiRegistry(dir).load()).apis)).toEqual([
      "a.example.com:443", "a.example.com:8000", "a.example.com:8443",
    ]);
  });

  it("should leave inactive APIs out of the allowlist", async () => {
    await write("alpha", JSON.stringify({ description: "a", domains: ["a.example.com"], active: false }));
    expect(allowedHosts((await createApiRegistry(dir).load()).apis)).toEqual([]);
  });
});
