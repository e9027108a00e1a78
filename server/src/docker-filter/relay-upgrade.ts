/**
 * @module Relays a hijacked exec start. The filter writes its own request to the daemon and only
 * joins the two sockets after the daemon answered `101`: from then on the daemon treats the
 * connection as that exec's stdin/stdout, so it can never carry a further API request. Any other
 * answer rejects (the filter's failure path answers the client) and the daemon's socket is
 * closed, never left as an open pipe.
 */
import net from "node:net";
import type { Duplex } from "node:stream";
import { DaemonError } from "./filter-errors.ts";

export interface UpgradeRequest {
  socketPath: string;
  path: string;
  body: string;
  client: Duplex;
}

const MAX_RESPONSE_HEAD = 16 * 1024;

export function relayUpgrade({ socketPath, path, body, client }: UpgradeRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const daemon = net.connect(socketPath);
    let head: Buffer = Buffer.alloc(0);
    const fail = (err: Error) => {
      daemon.destroy();
      reject(err);
    };
    daemon.on("error", (err: NodeJS.ErrnoException) => fail(new DaemonError(`exec start: ${err.code ?? err.message}`)));
    daemon.on("connect", () => {
      daemon.write(
        `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n${body}`,
      );
    });
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (head.length > MAX_RESPONSE_HEAD) fail(new DaemonError("exec start: response head too large"));
        return;
      }
      daemon.off("data", onData);
      daemon.removeAllListeners("error");
      const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
      if (!/^HTTP\/1\.[01] 101 /.test(statusLine)) {
        const status = Number(statusLine.split(" ")[1]);
        fail(new DaemonError(`exec start refused: ${statusLine.slice(0, 200)}`, status >= 400 && status <= 599 ? status : 502));
        return;
      }
      if (client.destroyed) {
        // The gateway went away while the daemon was answering: end the exec now (the launcher
        // then stops its executions), never leave its stdin open.
        daemon.destroy();
        resolve();
        return;
      }
      client.write(head);
      // The client going away must end the exec (the launcher then kills its executions); the daemon
      // finishing must still let buffered output drain to the client, so that side only ends.
      client.on("error", () => daemon.destroy());
      client.on("close", () => daemon.destroy());
      daemon.on("error", () => client.destroy());
      daemon.on("close", () => client.end());
      client.pipe(daemon);
      daemon.pipe(client);
      client.resume();
      resolve();
    };
    daemon.on("data", onData);
  });
}
