/**
 * @module Checks every request to the MCP endpoint before the MCP layer sees it:
 * - `Host` must name this gateway (DNS-rebinding defence: a web page on evil.example that
 *   resolves to 127.0.0.1 still sends `Host: evil.example`);
 * - `Origin`, when a browser sends one, must be a local or configured origin;
 * - with a token configured, `Authorization: Bearer <token>` (compared in constant time).
 * Foreign requests get 403 (401 for a missing/bad token) and never reach a session.
 */
import { timingSafeEqual, createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";

export interface GuardSettings {
  /** Extra hostnames (without port) accepted in Host, besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts: string[];
  /** Extra origins (scheme://host[:port]) accepted in Origin. */
  allowedOrigins: string[];
  authToken: string | undefined;
}

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The hostname part of a Host header value, lower-cased; undefined if it is malformed. */
export function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.exec(host.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

export function hostAllowed(host: string | undefined, settings: GuardSettings): boolean {
  if (!host) return false;
  const name = hostnameOf(host);
  return name !== undefined && (LOCAL_HOSTS.has(name) || settings.allowedHosts.includes(name));
}

export function originAllowed(origin: string | undefined, settings: GuardSettings): boolean {
  if (origin === undefined) return true; // not a browser: Host and the token still apply
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return LOCAL_HOSTS.has(url.hostname.toLowerCase()) || settings.allowedOrigins.includes(url.origin.toLowerCase());
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

export function tokenAccepted(header: string | undefined, token: string): boolean {
  const presented = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1]?.trim() ?? "";
  return timingSafeEqual(digest(presented), digest(token));
}

export function requestGuards(
  settings: GuardSettings,
  log: (e: Record<string, unknown>) => void,
  { requireToken = true }: { requireToken?: boolean } = {},
): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host");
    const origin = c.req.header("origin");
    const refuse = (status: 401 | 403, reason: string) => {
      log({ level: "warn", event: "request-refused", status, reason, host, origin });
      return c.json({ jsonrpc: "2.0", error: { code: -32000, message: `Forbidden: ${reason}` }, id: null }, status);
    };
    if (!hostAllowed(host, settings)) return refuse(403, "Host header is not this gateway (DNS rebinding protection)");
    if (!originAllowed(origin, settings)) return refuse(403, "Origin is not allowed");
    if (requireToken && settings.authToken !== undefined && !tokenAccepted(c.req.header("authorization"), settings.authToken)) {
      c.header("WWW-Authenticate", 'Bearer realm="airlock"');
      return refuse(401, "missing or wrong bearer token");
    }
    await next();
  };
}
