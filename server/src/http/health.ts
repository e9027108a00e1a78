/**
 * @module The gateway's health, one report for `/health` (JSON, for Docker's healthcheck and
 * monitoring) and the console's health page. "degraded" tells that executions will fail until the
 * sandbox or proxy is back, which a restart of the gateway would not fix.
 */
import type { StackStatus } from "./stack-status.ts";

export interface HealthSources {
  stackStatus: () => Promise<StackStatus>;
  stats: () => { running: number; queued: number };
  sessions: () => { open: number; evicted: number };
  /** Why the sandbox refuses new runs, if it does (its launcher cannot clean its scratch disk). */
  sandboxFault?: () => string | undefined;
  /** The audit log's state, when there is one. */
  audit?: () => { ok: boolean; failures: number; lastError?: string };
}

export interface HealthReport extends Record<string, unknown> {
  status: "ok" | "degraded";
  sandbox: string;
  proxy: string;
  sandboxFault?: string;
  audit?: { ok: boolean; failures: number; lastError?: string };
  sessions: { open: number; evicted: number };
  executions: { running: number; queued: number };
}

export async function healthReport(sources: HealthSources): Promise<HealthReport> {
  const stack = await sources.stackStatus();
  const audit = sources.audit?.();
  const fault = sources.sandboxFault?.();
  const healthy = stack.sandbox === "running" && stack.proxy === "healthy" && audit?.ok !== false && !fault;
  return {
    status: healthy ? "ok" : "degraded",
    ...stack,
    ...(fault ? { sandboxFault: fault } : {}),
    ...(audit ? { audit } : {}),
    sessions: sources.sessions(),
    executions: sources.stats(),
  };
}
