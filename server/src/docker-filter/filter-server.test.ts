// The filter's HTTP front with fake parts: a client that resets an upgrade must not crash it, and
// a failing status look-up is answered, not dropped.
import net from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createFilterServer, type FilterDeps } from "./filter-server.ts";

const KEY = "k".repeat(64);
let server: ReturnType<typeof createFilterServer> | undefined;

function start(over: Partial<FilterDeps> = {}): Promise<number> {
  const logs: unknown[] = [];
  server = createFilterServer({
    socketPath: "/nonexistent/docker.sock",
    rules: { launcher: "/opt/airlock/launch", user: "10001:10001" },
    known: { has: () => false, add: () => {} } as unknown as FilterDeps["known"],
    locateSandbox: Object.assign(async () => undefined, { invalidate: () => {} }),
    status: async () => ({ sandbox: "running", proxy: "healthy" }),
    log: (e) => logs.push(e),
    key: KEY,
    ...over,
  });
  return new Promise((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as AddressInfo).port)));
}

afterEach(async () => {
  await new Promise((r) => server?.close(r));
});

describe("docker filter front", () => {
  it.each([["without the key", ""], ["with the key", `x-airlock-filter-key: ${KEY}\r\n`]])(
    "should survive a client that resets an upgrade %s",
    async (_what, keyHeader) => {
      const port = await start();
      const socket = net.connect(port, "127.0.0.1");
      await new Promise((r) => socket.once("connect", r));
      // The body never comes: the filter is waiting on it when the connection is reset.
      socket.write(`POST /exec/${"a".repeat(64)}/start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
        `Content-Type: application/json\r\nContent-Length: 100\r\n${keyHeader}\r\n{"Detach":`);
      await new Promise((r) => setTimeout(r, 50));
      socket.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 100));
      // Still serving.
      const res = await fetch(`http://127.0.0.1:${port}/_airlock/status`, { headers: { "x-airlock-filter-key": KEY } });
      expect(res.status).toBe(200);
    },
  );

  it("should answer a status look-up the daemon fails with 502, saying it was the daemon", async () => {
    const port = await start({ status: async () => Promise.reject(new Error("ECONNREFUSED")) });
    const res = await fetch(`http://127.0.0.1:${port}/_airlock/status`, { headers: { "x-airlock-filter-key": KEY } });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain("the docker daemon failed");
  });
});
