// The exec-start relay against a fake daemon on a Unix socket: the two sockets are joined only
// after a 101; any other answer rejects and leaves no pipe behind.
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DaemonError } from "./filter-errors.ts";
import { relayUpgrade } from "./relay-upgrade.ts";

describe("exec-start relay", () => {
  let dir: string;
  let socketPath: string;
  let daemon: net.Server;
  /** Everything the fake daemon received, per connection. */
  let received: string[];
  let closed: number;

  const startDaemon = (answer: string) =>
    new Promise<void>((resolve) => {
      daemon = net.createServer((conn) => {
        const at = received.push("") - 1;
        conn.on("data", (d) => {
          received[at] += d.toString("latin1");
          if (received[at]!.includes("\r\n\r\n") && !received[at]!.includes("answered")) {
            received[at] += "<answered>";
            conn.write(answer);
          }
        });
        conn.on("close", () => closed++);
        conn.on("error", () => {});
      });
      daemon.listen(socketPath, resolve);
    });

  /** A connected pair: `client` is what the filter holds for its client; `far` is the client. */
  const pair = () =>
    new Promise<{ client: net.Socket; far: net.Socket; server: net.Server }>((resolve) => {
      const server = net.createServer((client) => resolve({ client, far, server }));
      let far: net.Socket;
      server.listen(0, "127.0.0.1", () => (far = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1")));
    });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "relay-"));
    socketPath = path.join(dir, "docker.sock");
    received = [];
    closed = 0;
  });
  afterEach(async () => {
    await new Promise((r) => daemon.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("should join the sockets after a 101, relaying both ways", async () => {
    await startDaemon("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n");
    const { client, far, server } = await pair();
    const seen: Buffer[] = [];
    far.on("data", (d) => seen.push(d));
    await relayUpgrade({ socketPath, path: "/exec/x/start", body: "{}", client });
    expect(received[0]).toMatch(/^POST \/exec\/x\/start HTTP\/1\.1\r\n/);
    far.write("stdin bytes");
    await expect.poll(() => received[0]).toContain("stdin bytes");
    await expect.poll(() => Buffer.concat(seen).toString()).toContain("101 UPGRADED");
    far.destroy();
    server.close();
  });

  it.each([
    ["404 Not Found", 404],
    ["409 Conflict", 409],
    ["200 OK", 502],
  ])("should refuse a %s answer and pipe nothing afterwards", async (line, status) => {
    await startDaemon(`HTTP/1.1 ${line}\r\nContent-Length: 0\r\n\r\n`);
    const { client, far, server } = await pair();
    const relayed = relayUpgrade({ socketPath, path: "/exec/x/start", body: "{}", client });
    await expect(relayed).rejects.toBeInstanceOf(DaemonError);
    await expect(relayed).rejects.toMatchObject({ status, message: expect.stringContaining(line) });
    // The daemon's side is closed: nothing the client sends now can reach it as a request.
    await expect.poll(() => closed).toBe(1);
    far.write("GET /containers/json HTTP/1.1\r\nHost: docker\r\n\r\n");
    await new Promise((r) => setTimeout(r, 100));
    expect(received.join("")).not.toContain("/containers/json");
    far.destroy();
    server.close();
  });

  it("should report a daemon it cannot reach as the daemon's failure", async () => {
    await startDaemon("");
    const { client, far, server } = await pair();
    await expect(relayUpgrade({ socketPath: path.join(dir, "missing.sock"), path: "/exec/x/start", body: "{}", client }))
      .rejects.toMatchObject({ status: 502, message: expect.stringContaining("ENOENT") });
    far.destroy();
    server.close();
  });
});
