/**
 * @module MCP progress notifications for long executions: when the client asked for progress
 * (a `progressToken`), it gets one notification a second carrying the elapsed time and the most
 * recent output, so a person watching sees the run is alive and what it is doing.
 */
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface Progress {
  onOutput: (tail: string) => void;
  /** Something the run waits for (a person's approval): sent now, and with each tick until the next note. */
  note: (message: string) => void;
  stop: () => void;
}

export function startProgress(extra: Extra, timeoutSeconds: number, intervalMs = 1000): Progress {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { onOutput: () => {}, note: () => {}, stop: () => {} };
  const started = Date.now();
  let tail = "";
  let sent = "";
  let waitingFor = "";
  const send = (message: string) => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    void extra
      .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: elapsed, total: timeoutSeconds, message } })
      .catch(() => {});
  };
  const timer = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    const recent = tail.slice(-300);
    const running = recent && recent !== sent ? `running ${elapsed}s; recent output:\n${recent}` : `running ${elapsed}s`;
    sent = recent;
    send(waitingFor ? `${waitingFor}\n${running}` : running);
  }, intervalMs);
  return {
    onOutput: (t) => {
      tail = t;
    },
    note: (message) => {
      // An empty note: the wait is over.
      waitingFor = message;
      if (message) send(message);
    },
    stop: () => clearInterval(timer),
  };
}
