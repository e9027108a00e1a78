/**
 * @module The proxy's own view of the APIs, which only it can know: whether each credential's
 * secret is really there. The proxy writes it (proxy/addons/egress_events.py, publish_status) into
 * the egress-events volume the gateway mounts read-only; list_apis shows it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/** The file's name: the proxy's STATUS_FILE. */
export const PROXY_STATUS_FILE = "proxy-status.json";

const proxyStatus = z.object({
  loaded: z.array(z.string()),
  problems: z.array(z.object({ file: z.string(), field: z.string(), message: z.string(), keptLastGood: z.boolean() })),
  /** Per API folder, per credential name: is its secret there (booleans only, never a value). */
  secrets: z.record(z.string(), z.record(z.string(), z.boolean())).default({}),
});

export type ProxyStatus = z.infer<typeof proxyStatus>;

/** The proxy's status, or undefined when there is none (yet) or it cannot be read. */
export async function readProxyStatus(dir: string | undefined): Promise<ProxyStatus | undefined> {
  if (!dir) return undefined;
  try {
    return proxyStatus.parse(JSON.parse(await readFile(path.join(dir, PROXY_STATUS_FILE), "utf8")));
  } catch {
    return undefined;
  }
}
