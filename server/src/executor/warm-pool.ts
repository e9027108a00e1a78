/**
 * @module Pre-started executions. Docker's exec and Deno's start-up cost most of a trivial call,
 * so the gateway keeps a few runner execs started ahead of time, each with a fresh Deno waiting
 * for its code (still one process per execution: an exec is used once, then gone). An exec is
 * only used for code meant for the exact host allowlist its Deno was started with; when the
 * allowlist changes the pool drains and refills. Dead entries (sandbox restart, idle expiry) are
 * dropped and replaced, with a back-off while the sandbox is away.
 */
import { randomBytes } from "node:crypto";
import { hostsKey, type OpenedExec, type OpenRequest } from "./run-in-sandbox.ts";

export interface WarmPool {
  /** A live pre-started exec for exactly these hosts, if one is ready. */
  take(hosts: string[]): OpenedExec | undefined;
  /** Refills the pool for these hosts (the current allowlist). Called after an execution, not
   *  before: starting replacements costs CPU that the running execution should have. */
  prime(hosts: string[]): void;
  size(): number;
  close(): void;
}

export interface WarmPoolDeps {
  open: (req: OpenRequest) => Promise<OpenedExec>;
  size: number;
  backstopSeconds: number;
  log: (e: Record<string, unknown>) => void;
}

interface Entry {
  opened: OpenedExec;
  alive: boolean;
  early: Buffer[];
  onData: (chunk: Buffer) => void;
}

export function createWarmPool(deps: WarmPoolDeps): WarmPool {
  let key: string | undefined;
  let hosts: string[] = [];
  const ready: Entry[] = [];
  let opening = 0;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const discard = (entry: Entry) => {
    entry.alive = false;
    entry.opened.stream.destroy(); // cuts the lifeline: the runner kills its waiting Deno
  };

  const remove = (entry: Entry) => {
    const at = ready.indexOf(entry);
    if (at !== -1) ready.splice(at, 1);
  };

  function fill(): void {
    if (closed || key === undefined || retryTimer) return;
    while (ready.length + opening < deps.size) {
      opening++;
      const forKey = key;
      deps
        .open({
          executionId: randomBytes(16).toString("hex"),
          allowedHosts: hosts,
          backstopSeconds: deps.backstopSeconds,
          deadline: Date.now(),
        })
        .then((opened) => {
          opening--;
          failures = 0;
          const entry: Entry = { opened, alive: true, early: [], onData: (c) => entry.early.push(c) };
          if (closed || forKey !== key) return discard(entry);
          const gone = () => {
            if (!entry.alive) return;
            entry.alive = false;
            remove(entry);
            fill();
          };
          opened.stream.on("data", entry.onData);
          opened.stream.on("end", gone);
          opened.stream.on("close", gone);
          opened.stream.on("error", gone);
          ready.push(entry);
        })
        .catch((err: Error) => {
          opening--;
          failures++;
          if (failures === 1) deps.log({ level: "warn", event: "warm-pool-open-failed", message: err.message });
          // The sandbox is probably away (restart): try again later instead of spinning.
          if (!retryTimer && !closed) {
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              fill();
            }, Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
            retryTimer.unref();
          }
        });
    }
  }

  function switchTo(next: string[]): void {
    const nextKey = hostsKey(next);
    if (nextKey === key) return;
    key = nextKey;
    hosts = next;
    for (const entry of ready.splice(0)) discard(entry);
  }

  function prime(next: string[]): void {
    switchTo(next);
    fill();
  }

  return {
    take(wanted) {
      switchTo(wanted);
      while (ready.length > 0) {
        const entry = ready.shift()!;
        if (!entry.alive || entry.opened.stream.destroyed) continue;
        entry.alive = false;
        entry.opened.stream.off("data", entry.onData);
        entry.opened.stream.pause(); // the runner resumes it once its own listener is attached
        return { ...entry.opened, early: entry.early };
      }
      return undefined;
    },
    prime,
    size: () => ready.length,
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      for (const entry of ready.splice(0)) discard(entry);
    },
  };
}
