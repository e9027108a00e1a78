/**
 * @module Finds the real sandbox container behind the `sandbox` alias: the running container of
 * the filter's own Compose project whose service is `sandbox`. Looked up on every exec create,
 * so a recreated sandbox is found again and no stale id is ever used.
 */
import os from "node:os";
import { dockerRequest } from "./docker-request.ts";

export interface LocateSandbox {
  (): Promise<string | undefined>;
  /** Forget the cached id (the daemon said it is gone or not running). */
  invalidate(): void;
}

/** The Compose project this filter belongs to, read from its own container's labels. */
export async function ownComposeProject(socketPath: string, selfId = os.hostname()): Promise<string> {
  const res = await dockerRequest(socketPath, "GET", `/containers/${encodeURIComponent(selfId)}/json`);
  if (res.status !== 200) throw new Error(`cannot inspect own container ${selfId}: HTTP ${res.status}`);
  const project = (JSON.parse(res.body) as { Config?: { Labels?: Record<string, string> } }).Config?.Labels?.[
    "com.docker.compose.project"
  ];
  if (!project) throw new Error("own container has no com.docker.compose.project label");
  return project;
}

interface ListedContainer {
  Id: string;
  Status: string;
}

async function runningOf(socketPath: string, project: string, service: string): Promise<ListedContainer[] | undefined> {
  const filters = JSON.stringify({
    label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`],
    status: ["running"],
  });
  const res = await dockerRequest(socketPath, "GET", `/containers/json?filters=${encodeURIComponent(filters)}`);
  return res.status === 200 ? (JSON.parse(res.body) as ListedContainer[]) : undefined;
}

/** Cached for a few seconds (a look-up per exec would cost every call a daemon round trip), and
 *  dropped as soon as the daemon refuses an exec on it. */
export function createSandboxLocator(socketPath: string, project: string, service: string, ttlMs = 5000): LocateSandbox {
  let cached: { id: string; at: number } | undefined;
  const locate = async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.id;
    const list = await runningOf(socketPath, project, service);
    // Two running sandboxes of one project would be a misconfiguration; refuse rather than pick.
    const id = list?.length === 1 ? list[0]!.Id : undefined;
    cached = id ? { id, at: Date.now() } : undefined;
    return id;
  };
  return Object.assign(locate, { invalidate: () => (cached = undefined) });
}

export interface StackStatus {
  sandbox: "running" | "down";
  proxy: "healthy" | "unhealthy" | "down";
}

/** What the gateway's /health reports; answered by the filter itself, never forwarded. */
export function createStatusReader(socketPath: string, project: string): () => Promise<StackStatus> {
  return async () => {
    const [sandbox, proxy] = await Promise.all([
      runningOf(socketPath, project, "sandbox"),
      runningOf(socketPath, project, "proxy"),
    ]);
    const proxyStatus = proxy?.[0]?.Status ?? "";
    return {
      sandbox: sandbox?.length ? "running" : "down",
      proxy: !proxy?.length ? "down" : /\((healthy)\)/.test(proxyStatus) ? "healthy" : "unhealthy",
    };
  };
}
