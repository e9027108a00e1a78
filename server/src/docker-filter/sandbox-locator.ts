/**
 * @module Finds the real sandbox container behind the `sandbox` alias: the running container of
 * the filter's own Compose project whose service is `sandbox`. Looked up on every exec create,
 * so a recreated sandbox is found again and no stale id is ever used.
 */
import { runningOf } from "./compose-services.ts";

export interface LocateSandbox {
  (): Promise<string | undefined>;
  /** Forget the cached id (the daemon said it is gone or not running). */
  invalidate(): void;
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
