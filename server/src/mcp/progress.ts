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
  stop: () => void;
}

export function startProgress(extra: Extra, timeoutSeconds: number, intervalMs = 1000): Progress {
  const token = extra._meta?.progressToken;
  if (token === undefined) return { onOutput: () => {}, stop: () => {} };
  const started = Date.now();
  let tail = "";
  let sent = "";
  const timer = setInterval(() => {
    const elapsed = Math.round((Date.now() - started) / 1000);
    const recent = tail.slice(-300);
    const message = recent && recent !== sent ? `running ${elapsed}s; recent output:\n${recent}` : `running ${elapsed}s`;
    sent = recent;
    void extra
      .sendNotification({ method: "notifications/progress", params: { progressToken: token, progress: elapsed, total: timeoutSeconds, message } })
      .catch(() => {});
  }, intervalMs);
  return {
    onOutput: (t) => {
      tail = t;
    },
    stop: () => clearInterval(timer),
  };
}
