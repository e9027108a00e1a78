/**
 * @module Who may use the console, and the CSRF defence of its actions.
 *
 * Without AIRLOCK_AUTH_TOKEN the console is open like `/mcp` (both listen on loopback only unless
 * the operator says otherwise). With it, a request needs either the bearer header (scripts) or a
 * session cookie from the login form: random, HttpOnly, SameSite=Strict, held in memory only (a
 * restart logs everyone out). A state-changing request made with the cookie (or with no auth at
 * all) must also carry the session's CSRF token, which only a page of the console can read; the
 * bearer header is never sent by a browser on its own, so it needs none.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { getCookie } from "hono/cookie";
import type { Context } from "hono";
import { tokenAccepted } from "../http/request-guards.ts";

export const SESSION_COOKIE = "airlock_console";
export const CSRF_HEADER = "x-airlock-csrf";
export const CSRF_FIELD = "csrf";
const SESSION_SECONDS = 12 * 3600;
const MAX_SESSIONS = 64;
/** Wrong tokens accepted per minute before the login form answers 429 (guessing is pointless
 *  against a 16+ character token, but a flood should not cost us or fill the log). */
const LOGIN_FAILURES_PER_MINUTE = 10;

export type Identity =
  | { kind: "open"; csrf: string }
  | { kind: "bearer" }
  | { kind: "cookie"; session: string; csrf: string };

export interface ConsoleAuth {
  readonly required: boolean;
  /** Who this request is, or undefined when it must log in. */
  identify(c: Context): Identity | undefined;
  /** A new session for a correct token; "throttled" or undefined (wrong token) otherwise. */
  login(token: string): { session: string; maxAge: number } | "throttled" | undefined;
  logout(identity: Identity): void;
  /** True when a state-changing request carries what its identity needs. */
  csrfAccepted(identity: Identity, presented: string | undefined): boolean;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createConsoleAuth(authToken: string | undefined, now: () => number = Date.now): ConsoleAuth {
  const sessions = new Map<string, { expires: number; csrf: string }>();
  // Open consoles still need a CSRF token; it is bound to this process, so a restart rotates it.
  const openCsrf = createHmac("sha256", randomBytes(32)).update("open-console").digest("hex");
  let failures: number[] = [];

  return {
    required: authToken !== undefined,
    identify(c) {
      if (authToken === undefined) return { kind: "open", csrf: openCsrf };
      const header = c.req.header("authorization");
      if (header !== undefined) return tokenAccepted(header, authToken) ? { kind: "bearer" } : undefined;
      const session = getCookie(c, SESSION_COOKIE);
      if (!session) return undefined;
      for (const [id, s] of sessions) if (s.expires <= now()) sessions.delete(id);
      // Compared through the map (a random 256-bit key), never against a secret of ours.
      const found = sessions.get(session);
      return found ? { kind: "cookie", session, csrf: found.csrf } : undefined;
    },
    login(token) {
      if (authToken === undefined) return undefined;
      failures = failures.filter((t) => t > now() - 60_000);
      if (failures.length >= LOGIN_FAILURES_PER_MINUTE) return "throttled";
      if (!tokenAccepted(`Bearer ${token}`, authToken)) {
        failures.push(now());
        return undefined;
      }
      while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      const session = randomBytes(32).toString("hex");
      sessions.set(session, { expires: now() + SESSION_SECONDS * 1000, csrf: randomBytes(32).toString("hex") });
      return { session, maxAge: SESSION_SECONDS };
    },
    logout(identity) {
      if (identity.kind === "cookie") sessions.delete(identity.session);
    },
    csrfAccepted(identity, presented) {
      if (identity.kind === "bearer") return true;
      return presented !== undefined && same(presented, identity.csrf);
    },
  };
}
