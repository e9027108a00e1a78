import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, describe, expect, inject, it } from "vitest";
import { connect, execute } from "../helpers/mcp.ts";
import { compose, TEST_SECRETS } from "../helpers/stack.ts";
import { marker, receivedWith } from "../helpers/upstream.ts";

const stack = inject("stack");

/** Recreates the server and proxy with open egress switched on or off, as an operator would. */
async function setOpenEgress(on: boolean): Promise<void> {
  await compose(stack, ["up", "-d", "--wait", "--no-deps", "server", "proxy"], { AIRLOCK_OPEN_EGRESS: String(on) });
}

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

  it("should reach any host when switched on, and still inject credentials only for their own API", async () => {
    await setOpenEgress(true);
    client = await connect(stack.mcpUrl);
    const m = marker();
    const result = await execute(
      client,
      `const r = await fetch("https://unlisted.fake.test/echo?${m}", { headers: { Authorization: "Bearer FAKE_API_TOKEN" } });
       console.log(r.status);`,
    );
    expect(result.stdout.trim()).toBe("200");
    const [seen] = await receivedWith(stack, m);
    expect(seen!.headers.authorization).toBe("Bearer FAKE_API_TOKEN");
    expect(JSON.stringify(seen)).not.toContain(TEST_SECRETS.FAKE_API_TOKEN);
  });
});
