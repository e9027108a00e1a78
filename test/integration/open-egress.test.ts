import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose, TEST_SECRETS } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");
const run = promisify(execFile);

/** Recreates the server and proxy with open egress switched on or off, as an operator would. */
async function setOpenEgress(on: boolean, networks = ""): Promise<void> {
  await compose(stack, ["up", "-d", "--wait", "--no-deps", "server", "proxy"], {
    AIRLOCK_OPEN_EGRESS: String(on),
    AIRLOCK_OPEN_EGRESS_NETWORKS: networks,
  });
}

/** The egress network's subnet: where the fake upstream lives, a private range like any LAN. */
async function egressSubnet(): Promise<string> {
  const { stdout } = await run("docker", ["network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", `${stack.projectName}_egress`]);
  return stdout.trim();
}

const fetchStatus = (url: string) =>
  `const r = await fetch("${url}", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
   console.log(r.status, (await r.text()).trim());`;

describe("open egress", { timeout: 180_000 }, () => {
  let client: Client | undefined;
  afterAll(async () => {
    await client?.close();
    await setOpenEgress(false);
  });

  it("should refuse an unlisted host while open egress is off", async () => {
    const c = await connect(stack.mcpUrl);
    const result = await execute(c, 'await fetch("https://unlisted.fake.test/echo")');
    expect(result.stderr).toContain("NotCapable");
    await c.close();
  });

  it("should refuse private, loopback and link-local destinations when switched on", async () => {
    await setOpenEgress(true);
    client = await connect(stack.mcpUrl);
    const m = marker();
    // unlisted.fake.test resolves to the egress network's private address, like a host on the LAN.
    for (const url of [`https://unlisted.fake.test/echo?${m}`, "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/"]) {
      const result = await execute(client, fetchStatus(url));
      expect(result.stdout).toMatch(/^403 airlock: egress to .* is not allowed: .*non-public/);
    }
    expect(await receivedWith(stack, m)).toEqual([]);
  });

  it("should answer a raw socket to the proxy itself 407: it holds no execution token", async () => {
    const result = await execute(
      client!,
      `const conn = await Deno.connect({ hostname: "proxy", port: 8080 });
       await conn.write(new TextEncoder().encode("GET http://api.fake.test:8000/ HTTP/1.1\\r\\nHost: api.fake.test:8000\\r\\n\\r\\n"));
       const buf = new Uint8Array(256); const n = await conn.read(buf);
       console.log(new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\\r\\n")[0]);`,
    );
    expect(result.stdout).toMatch(/^HTTP\/1\.1 407/);
  });

  it("should reach a private network the operator lists, and still inject credentials only for their own API", async () => {
    await setOpenEgress(true, await egressSubnet());
    await client?.close();
    client = await connect(stack.mcpUrl);
    const m = marker();
    const result = await execute(client, fetchStatus(`https://unlisted.fake.test/echo?${m}`));
    expect(result.stdout).toMatch(/^200 /);
    const [seen] = await receivedWith(stack, m);
    expect(seen!.headers.authorization).toBe("Bearer FAKE_API_TOKEN");
    expect(JSON.stringify(seen)).not.toContain(TEST_SECRETS.FAKE_API_TOKEN);
  });
});
