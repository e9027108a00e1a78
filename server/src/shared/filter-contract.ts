/**
 * @module What the gateway and the docker-socket filter (two containers built from one image)
 * agree on, besides the key in filter-key.ts: the alias under which the gateway names the
 * sandbox, and the filter's own status endpoint and what it answers.
 */

/** The logical container name the gateway uses; the filter maps it to the real sandbox container. */
export const SANDBOX_ALIAS = "sandbox";

/** The filter's own status endpoint: answered from its look-ups, never forwarded to Docker. */
export const STATUS_PATH = "/_airlock/status";

/** What the status endpoint answers (the gateway's /health shows it). */
export interface StackStatus {
  sandbox: "running" | "down";
  proxy: "healthy" | "unhealthy" | "down";
}

/** The exec-create body the gateway sends to start the launcher: exactly what the filter's
 *  policy (docker-filter/exec-body.ts) lets through, and nothing more. */
export function launcherExecCreate(user: string, launcher: string) {
  return { AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, User: user, Cmd: [launcher] };
}
