/**
 * @module The filter's look-ups of its own Compose project: which project it belongs to, and the
 * running containers of one of its services. Read-only calls on the real socket, made by the
 * filter itself (never on a client's behalf).
 */
import os from "node:os";
import { dockerRequest } from "./docker-request.ts";

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

export interface ListedContainer {
  Id: string;
  Status: string;
}

/** The running containers of a service of the project, or undefined if the daemon would not say. */
export async function runningOf(socketPath: string, project: string, service: string): Promise<ListedContainer[] | undefined> {
  const filters = JSON.stringify({
    label: [`com.docker.compose.project=${project}`, `com.docker.compose.service=${service}`],
    status: ["running"],
  });
  const res = await dockerRequest(socketPath, "GET", `/containers/json?filters=${encodeURIComponent(filters)}`);
  return res.status === 200 ? (JSON.parse(res.body) as ListedContainer[]) : undefined;
}
