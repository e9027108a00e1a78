/**
 * @module The gateway's side of the sandbox launcher (sandbox/launcher.ts): one long-lived exec
 * of `/opt/airlock/launch`, started through the docker-socket filter, that runs each execution
 * in a fresh Deno process. Messages are JSON lines over the exec's stdin/stdout. When the
 * connection drops (sandbox restart) every execution in flight ends as lost, and the next call
 * reconnects, waiting for the sandbox up to its own deadline.
 */
import type Docker from "dockerode";
import type { Duplex } from "node:stream";
import { createDemuxer } from "./demux.ts";
import { launcherExecCreate } from "../shared/filter-contract.ts";
import type { FromLauncher, KillReason, RunRequest, ToLauncher } from "../../../sandbox/protocol.ts";

export interface LauncherTarget {
  docker: Docker;
  container: string;
  command: string;
  user: string;
}

export type LauncherEvent =
  | { ev: "started"; egressId: string }
  | { ev: "out"; fd: 1 | 2; data: Buffer }
  | { ev: "exit"; code: number; signal: string | null; killed: KillReason | null; error?: string }
  | { ev: "lost"; reason: string };

export type RunMessage = RunRequest;

export interface Launcher {
  /** Why the sandbox refuses new runs (a scratch folder it cannot remove), if it does. */
  fault(): string | undefined;
  /** Launcher connections lost since start (the sandbox restarted, crashed, or the filter did). */
  restarts(): number;
  /** Sends a run; events for it go to `onEvent` until "exit" or "lost". */
  run(message: RunMessage, onEvent: (e: LauncherEvent) => void, deadline: number, signal?: AbortSignal): Promise<void>;
  kill(id: string): void;
  /** Stops listening for an execution whose end will not be reported (the call gave up on it). */
  abandon(id: string): void;
  close(): void;
}

interface Connection {
  stream: Duplex;
  alive: boolean;
}

export function createLauncher(target: LauncherTarget, log: (e: Record<string, unknown>) => void): Launcher {
  const listeners = new Map<string, (e: LauncherEvent) => void>();
  let current: Promise<Connection> | undefined;
  let closed = false;
  let fault: string | undefined;
  let restarts = 0;

  async function open(): Promise<Connection> {
    const exec = await target.docker.getContainer(target.container).exec(launcherExecCreate(target.user, target.command));
    const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: false })) as Duplex;
    const connection: Connection = { stream, alive: true };
    let pending = "";
    let ready: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const demux = createDemuxer(({ stream: which, data }) => {
      if (which === "stderr") {
        log({ level: "warn", event: "launcher-stderr", text: data.toString("utf8").slice(0, 2000) });
        return;
      }
      pending += data.toString("utf8");
      let newline: number;
      while ((newline = pending.indexOf("\n")) !== -1) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        dispatch(line, ready);
      }
    });
    stream.on("data", demux);
    const lost = () => {
      if (!connection.alive) return;
      connection.alive = false;
      restarts++;
      if (current) current = undefined;
      fault = undefined; // the next launcher sweeps again and says if it still cannot
      for (const [id, listener] of listeners) {
        listeners.delete(id);
        listener({ ev: "lost", reason: "the sandbox stopped during the execution (it was restarted or crashed)" });
      }
    };
    stream.on("end", lost);
    stream.on("close", lost);
    stream.on("error", lost);
    // The launcher says "ready" once it is listening; a connection that dies first is no use.
    await Promise.race([
      isReady,
      new Promise((_, reject) => stream.once("close", () => reject(new Error("launcher exited at start")))),
    ]);
    return connection;
  }

  function dispatch(line: string, ready: () => void): void {
    let message: FromLauncher;
    try {
      message = JSON.parse(line) as FromLauncher;
    } catch {
      log({ level: "warn", event: "launcher-bad-line", line: line.slice(0, 200) });
      return;
    }
    if (message.ev === "ready") return ready();
    if (message.ev === "fault") {
      fault = message.reason ?? undefined;
      if (fault) log({ level: "error", event: "sandbox-fault", reason: fault });
      return;
    }
    const listener = listeners.get(message.id);
    if (!listener) return;
    if (message.ev === "out") listener({ ev: "out", fd: message.fd === 2 ? 2 : 1, data: Buffer.from(message.data ?? "", "base64") });
    else if (message.ev === "started") listener({ ev: "started", egressId: message.egressId ?? message.id });
    else if (message.ev === "exit") {
      listeners.delete(message.id);
      listener({ ev: "exit", code: message.code ?? 125, signal: message.signal ?? null, killed: message.killed ?? null, error: message.error });
    }
  }

  /** The live connection, opening one if needed; retried while the sandbox is away. */
  async function connection(deadline: number, signal?: AbortSignal): Promise<Connection> {
    for (;;) {
      if (closed) throw new Error("the launcher connection is closed");
      current ??= open().catch((err: Error) => {
        current = undefined;
        throw err;
      });
      try {
        const c = await current;
        if (c.alive) return c;
        current = undefined;
      } catch (err) {
        if (Date.now() + 500 > deadline || signal?.aborted) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  return {
    fault: () => fault,
    restarts: () => restarts,
    async run(message, onEvent, deadline, signal) {
      const c = await connection(deadline, signal);
      listeners.set(message.id, onEvent);
      c.stream.write(JSON.stringify({ op: "run", ...message } satisfies ToLauncher) + "\n");
    },
    abandon(id) {
      listeners.delete(id);
    },
    kill(id) {
      void current?.then((c) => c.alive && c.stream.write(JSON.stringify({ op: "kill", id } satisfies ToLauncher) + "\n")).catch(() => {});
    },
    close() {
      closed = true;
      void current?.then((c) => c.stream.destroy()).catch(() => {});
    },
  };
}
