/**
 * @module The docker-socket filter's HTTP front: reads each request, asks the policy, and forwards
 * only what the policy allowed, rebuilt from the decision (canonical path, re-serialised body,
 * a fixed header set). The client's own bytes never reach the daemon.
 *
 * One way out for every refusal: a FilterError thrown anywhere reaches `refuse`, which logs the
 * method, path, status and reason and answers the client. Anything else thrown is a fault of the
 * filter or the daemon and is logged and answered as exactly that.
 */
import http from "node:http";
import type { Duplex } from "node:stream";
import { decide, type Decision, type FilterRequest } from "./policy.ts";
import type { ExecRules } from "./exec-body.ts";
import type { KnownExecs } from "./known-execs.ts";
import type { LocateSandbox } from "./sandbox-locator.ts";
import type { StackStatus } from "../shared/filter-contract.ts";
import { relayUpgrade } from "./relay-upgrade.ts";
import { DaemonError, FilterError } from "./filter-errors.ts";
import { FILTER_KEY_HEADER, keyMatches } from "../shared/filter-key.ts";

const MAX_BODY_BYTES = 64 * 1024;

export interface FilterDeps {
  socketPath: string;
  rules: ExecRules;
  known: KnownExecs;
  locateSandbox: LocateSandbox;
  status: () => Promise<StackStatus>;
  log: (entry: Record<string, unknown>) => void;
  /** The key only the gateway holds; every request must present it. */
  key: string;
}


/** The first check of every request, status endpoint included: only the gateway may ask. */
function requireGateway(deps: FilterDeps, req: http.IncomingMessage): void {
  if (!keyMatches(req.headers[FILTER_KEY_HEADER], deps.key)) {
    throw new FilterError(401, "only the gateway may use this endpoint (no valid filter key)");
  }
}

/** Where every failure of a request ends: logged with what was asked, then answered. */
function answerFailure(deps: FilterDeps, req: http.IncomingMessage, err: unknown, answer: (status: number, message: string) => void): void {
  const base = { method: req.method, path: req.url, peer: req.socket.remoteAddress };
  if (err instanceof FilterError) {
    deps.log({ decision: "deny", ...base, status: err.status, reason: err.message });
    answer(err.status, `airlock docker filter: ${err.message}`);
  } else if (err instanceof DaemonError) {
    deps.log({ level: "error", event: "daemon-failed", ...base, status: err.status, message: err.message });
    answer(err.status, `airlock docker filter: the docker daemon failed: ${err.message}`);
  } else {
    deps.log({ level: "error", event: "filter-failed", ...base, message: String((err as Error)?.stack ?? err) });
    answer(500, "airlock docker filter: internal error (see the filter's log)");
  }
}

export function createFilterServer(deps: FilterDeps): http.Server {
  const server = http.createServer((req, res) => {
    handleRequest(deps, req, res).catch((err: unknown) => answerFailure(deps, req, err, (status, message) => sendError(res, status, message)));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error listener from a socket handed over for an upgrade: without this, a
    // client that resets the connection would crash the filter (and every launcher with it).
    socket.on("error", (err: NodeJS.ErrnoException) => {
      deps.log({ level: "warn", event: "upgrade-socket-error", method: req.method, path: req.url, code: err.code ?? err.message });
      socket.destroy();
    });
    handleUpgrade(deps, req, socket, head).catch((err: unknown) =>
      answerFailure(deps, req, err, (status, message) => writeRawError(socket, status, message)),
    );
  });
  server.on("clientError", (err, socket) => {
    // Not even an HTTP request: nothing to judge, but still logged.
    deps.log({ decision: "deny", status: 400, reason: `malformed HTTP request: ${(err as NodeJS.ErrnoException).code ?? err.message}` });
    socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  return server;
}

/** What the policy judges of a request: its method, target, body and content type. */
function asked(req: http.IncomingMessage, body: string, upgrade: boolean): FilterRequest {
  return { method: req.method ?? "", target: req.url ?? "", body, contentType: req.headers["content-type"], upgrade };
}

function judge(deps: FilterDeps, req: FilterRequest): Decision & { allow: true } {
  const decision = decide(req, deps.rules, (id) => deps.known.has(id));
  if (!decision.allow) throw new FilterError(403, decision.reason);
  // The status endpoint is polled every few seconds by health checks: its allows are not news.
  if (decision.action !== "status") deps.log({ decision: "allow", method: req.method, action: decision.action, path: decision.path });
  return decision;
}

async function handleRequest(deps: FilterDeps, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  requireGateway(deps, req);
  const decision = judge(deps, asked(req, await readBody(req, MAX_BODY_BYTES), false));

  if (decision.action === "status") {
    // Asked before any header goes out, so a failing daemon still gets an answer.
    const status = await deps.status().catch((err: Error) => {
      throw new DaemonError(`status look-up: ${err.message}`);
    });
    res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(status));
    return;
  }
  if (decision.action === "exec-create") {
    const sandboxId = await deps.locateSandbox();
    if (!sandboxId) throw new FilterError(503, "the sandbox container is not running");
    const upstream = await forward(deps.socketPath, "POST", `/containers/${sandboxId}/exec`, decision.body);
    const text = await readBody(upstream, MAX_BODY_BYTES);
    if (upstream.statusCode === 201) deps.known.add((JSON.parse(text) as { Id: string }).Id);
    else deps.locateSandbox.invalidate();
    res.writeHead(upstream.statusCode ?? 502, { "Content-Type": "application/json" }).end(text);
    return;
  }
  const upstream =
    decision.action === "exec-start"
      ? await forward(deps.socketPath, "POST", decision.path, decision.body)
      : await forward(deps.socketPath, "GET", decision.path, undefined);
  res.writeHead(upstream.statusCode ?? 502, pickHeaders(upstream.headers));
  upstream.pipe(res);
}

async function handleUpgrade(deps: FilterDeps, req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  requireGateway(deps, req);
  if (String(req.headers.upgrade).toLowerCase() !== "tcp") throw new FilterError(403, "only Upgrade: tcp is supported");
  const length = Number(req.headers["content-length"] ?? "0");
  if (!Number.isInteger(length) || length < 0 || length > 4096) throw new FilterError(403, "bad Content-Length");
  const decision = judge(deps, asked(req, await readExactly(client, head, length), true));
  if (decision.action !== "exec-start") throw new FilterError(403, "only exec start may be upgraded");
  await relayUpgrade({ socketPath: deps.socketPath, path: decision.path, body: decision.body, client });
}

function forward(socketPath: string, method: string, path: string, body: string | undefined): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Host: "docker" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const req = http.request({ socketPath, method, path, headers }, resolve);
    req.on("error", (err: NodeJS.ErrnoException) => reject(new DaemonError(`${method} ${path}: ${err.code ?? err.message}`)));
    req.end(body);
  });
}

function pickHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const type = headers["content-type"];
  if (type) out["Content-Type"] = type;
  return out;
}

function readBody(stream: NodeJS.ReadableStream, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new FilterError(413, "body too large"));
        return;
      }
      chunks.push(chunk);
    });
    stream.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    stream.on("error", reject);
  });
}

/** Collects exactly `length` body bytes of an upgrade request; anything more is refused. */
function readExactly(socket: Duplex, head: Buffer, length: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = head;
    const check = (): boolean => {
      if (buffered.length > length) {
        reject(new FilterError(403, "data sent before the upgrade completed"));
        return true;
      }
      if (buffered.length === length) {
        resolve(buffered.toString("utf8"));
        return true;
      }
      return false;
    };
    if (check()) return;
    const timer = setTimeout(() => finish(new FilterError(408, "body timed out")), 5000);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (check()) finish();
    };
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.pause();
      if (err) reject(err);
    };
    socket.on("data", onData);
  });
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json", Connection: "close" }).end(JSON.stringify({ message }));
}

function writeRawError(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ message });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

