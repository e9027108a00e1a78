/**
 * @module The answer of the filter's status endpoint: whether the sandbox runs and how healthy
 * the proxy is, as Docker reports them. The gateway has no Docker access; this is how its
 * /health knows.
 */
import type { StackStatus } from "../shared/filter-contract.ts";
import { runningOf } from "./compose-services.ts";

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
