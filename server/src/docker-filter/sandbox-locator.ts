/**
 * @module Finds the real sandbox container behind the `sandbox` alias: the running container of
 * the filter's own Compose project whose service is `sandbox`. Looked up on every exec create,
 * so a recreated sandbox is found again and no stale id is ever used.
 */
import os from "node:os";
import { dockerRequest } from "./docker-request.ts";

export type LocateSandbox = () => Promise<string | undefined>;

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

export function createSandboxLocator(socketPath: string, project: string, service: string): LocateSandbox {
  const filters = JSON.stringify({
    label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`],
    status: ["running"],
  });
  return async () => {
    const res = await dockerRequest(socketPath, "GET", `/containers/json?filters=${encodeURIComponent(filters)}`);
    if (res.status !== 200) return undefined;
    const list = JSON.parse(res.body) as Array<{ Id: string }>;
    // Two running sandboxes of one project would be a misconfiguration; refuse rather than pick.
    return list.length === 1 ? list[0]!.Id : undefined;
  };
}
