/**
 * @module The state of the containers the gateway depends on, as the docker-socket filter sees
 * them (the gateway itself has no Docker access). Cached briefly: /health may be polled often.
 */
import { STATUS_PATH, type StackStatus as FilterStatus } from "../shared/filter-contract.ts";

/** What the filter reports, or "unknown" for both when the filter cannot be asked. */
export type StackStatus = FilterStatus | { sandbox: "unknown"; proxy: "unknown" };

export function createStackStatus(filterUrl: URL, headers: Record<string, string>, cacheMs = 1000): () => Promise<StackStatus> {
  let cached: { at: number; value: StackStatus } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < cacheMs) return cached.value;
    let value: StackStatus;
    try {
      const res = await fetch(new URL(STATUS_PATH, filterUrl), { headers, signal: AbortSignal.timeout(1500) });
      value = res.ok ? ((await res.json()) as StackStatus) : { sandbox: "unknown", proxy: "unknown" };
    } catch {
      value = { sandbox: "unknown", proxy: "unknown" };
    }
    cached = { at: Date.now(), value };
    return value;
  };
}
