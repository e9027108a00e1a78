/**
 * @module The launcher protocol: the one definition of what the gateway
 * (server/src/executor/launcher-client.ts) and the sandbox's launcher (sandbox/launcher.ts) say to
 * each other, as newline-delimited JSON over the launcher exec's stdin and stdout, and of the
 * sandbox facts that the gateway, the docker filter and the launcher all rely on. Plain
 * TypeScript with no imports, so that Deno (in the sandbox image) and Node's type stripping (in
 * the gateway image) both load this same file.
 *
 *   to the launcher    {"op":"run", ...RunRequest}  {"op":"kill","id":...}
 *   from the launcher  {"ev":"ready"} once, at start; {"ev":"fault","reason"} when its scratch
 *                      disk cannot be cleaned (reason null once it is); then per execution
 *                      {"id","ev":"started","egressId"}  {"id","ev":"out","fd","data"}*  {"id","ev":"exit",...}
 */

/** The only command the docker filter lets the gateway exec in the sandbox (no arguments). */
export const LAUNCHER_PATH = "/opt/airlock/launch";
/** The sandbox's unprivileged user (sandbox/Dockerfile creates it); every exec runs as it. */
export const SANDBOX_USER = "10001:10001";

/** An execution's id: 128 random bits in lower-case hex. It names the execution in the tool
 *  result, the audit log, its proxy token and the proxy's log (proxy/addons/egress_events.py and
 *  execution_identity.py check the same form). */
export const EXECUTION_ID = /^[0-9a-f]{32}$/;
/** One allowlisted destination for Deno's --allow-net: "host:port". */
export const ALLOWED_HOST = /^[a-z0-9.-]{1,253}:[0-9]{1,5}$/;
/** The hosts list that means open egress (any host; the proxy still scopes credentials). */
export const ANY_HOST = "*";
export const MAX_TIMEOUT_SECONDS = 86_400;

export interface RunRequest {
  id: string;
  /** ALLOWED_HOST entries, or [ANY_HOST]. */
  hosts: string[];
  timeoutSeconds: number;
  outputLimitBytes: number;
  code: string;
}

export type ToLauncher = ({ op: "run" } & RunRequest) | { op: "kill"; id: string };

/** Why the launcher killed an execution, if it did. */
export type KillReason = "request" | "backstop" | "output" | "disk";

export type FromLauncher =
  | { ev: "ready" }
  /** A folder could not be removed, so the disk is not known to be clean: new runs are refused
   *  until it is (reason null again). */
  | { ev: "fault"; reason: string | null }
  /** The code is in a process; its proxy requests are filed under egressId (a pre-started
   *  process carries its own id from before the request existed). */
  | { id: string; ev: "started"; egressId: string }
  /** A piece of output, base64. */
  | { id: string; ev: "out"; fd: 1 | 2; data: string }
  | { id: string; ev: "exit"; code: number | null; signal: string | null; killed: KillReason | null; error?: string };

/** Whether a message is a well-formed run request (the launcher refuses any other). */
export function isRunRequest(m: { [key: string]: unknown }): m is { [key: string]: unknown } & { op: "run" } & RunRequest {
  const hosts = m.hosts;
  const timeout = m.timeoutSeconds;
  const limit = m.outputLimitBytes;
  return (
    typeof m.id === "string" && EXECUTION_ID.test(m.id) &&
    Array.isArray(hosts) && hosts.every((h) => typeof h === "string" && (h === ANY_HOST || ALLOWED_HOST.test(h))) &&
    typeof timeout === "number" && timeout >= 1 && timeout <= MAX_TIMEOUT_SECONDS &&
    typeof limit === "number" && limit >= 1 &&
    typeof m.code === "string"
  );
}
