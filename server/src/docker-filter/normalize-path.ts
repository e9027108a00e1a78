/**
 * @module Canonical form of a Docker API request target, so that the policy matches exactly what
 * the filter will forward. Any target it cannot read with certainty is rejected (fail closed).
 */

export type NormalizedTarget =
  | { ok: true; path: string; hasQuery: boolean }
  | { ok: false; reason: string };

const API_VERSION_PREFIX = /^\/v\d+(\.\d+)?(?=\/)/;

export function normalizeTarget(rawTarget: string): NormalizedTarget {
  if (!rawTarget.startsWith("/")) return { ok: false, reason: "request target is not an absolute path" };
  const queryAt = rawTarget.indexOf("?");
  const rawPath = queryAt === -1 ? rawTarget : rawTarget.slice(0, queryAt);
  const hasQuery = queryAt !== -1;

  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, reason: "path is not valid percent-encoding" };
  }
  // A '%' left after one decoding round means double encoding; backslashes and control bytes
  // have no business in a Docker API path. Refusing them beats guessing how the daemon reads them.
  if (/[%\\\u0000-\u001f\u007f]/.test(decoded)) {
    return { ok: false, reason: "path holds encoded, control or backslash characters" };
  }

  const segments: string[] = [];
  for (const segment of decoded.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return { ok: false, reason: "path climbs above the root" };
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  const path = ("/" + segments.join("/")).replace(API_VERSION_PREFIX, "");
  return { ok: true, path, hasQuery };
}
