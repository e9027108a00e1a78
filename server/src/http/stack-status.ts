/**
 * @module The state of the containers the gateway depends on, as the docker-socket filter sees
 * them (the gateway itself has no Docker access). Cached briefly: /health may be polled often.
 */
import type { StackStatus as FilterStatus } from "../docker-filter/sandbox-locator.ts";

/** What the filter reports, or "unknown" for both when the filter cannot be asked. */
export type StackStatus = FilterStatus | { sandbox: "unknown"; proxy: "unknown" };

export function createStackStatus(filterUrl: URL, headers: Record<string, string>, cacheMs = 1000): () => Promise<StackStatus> {
  let cached: { at: number; value: StackStatus } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    let value: StackStatus;
    try {
      const res = await fetch(new URL("/_airlock/status", filterUrl), { headers, signal: AbortSignal.timeout(1500) });
      value = res.ok ? ((await res.json()) as StackStatus) : { sandbox: "unknown", proxy: "unknown" };
    } catch {
      value = { sandbox: "unknown", proxy: "unknown" };
    }
    cached = { at: Date.now(), value };
    return value;
  };
}
