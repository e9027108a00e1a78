/**
 * @module Who may use the console, and the CSRF defence of its actions.
 *
 * Without AIRLOCK_AUTH_TOKEN the console is open like `/mcp` (both listen on loopback only unless
 * the operator says otherwise). With it, every request needs the token in the Authorization
 * header: `Bearer <token>` from scripts, or HTTP Basic (any user name, the token as password) from
 * a browser, which asks for it once and then keeps it for this origin alone.
 *
 * Why not a login form and a session cookie: cookies are scoped by host, not port, so every
 * other service on 127.0.0.1 — any local user can open one — would receive the console's session
 * with each visit of the operator's browser, and could replay it. A browser keeps Basic
 * credentials per origin (scheme, host and port) and sends them nowhere else.
 *
 * Basic credentials are still sent by the browser on its own, so every state-changing request
 * made without the bearer header must carry the console's CSRF token, which only a console page
 * can read (no CORS, frame-ancestors 'none').
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { tokenAccepted } from "../http/request-guards.ts";

export const CSRF_HEADER = "x-airlock-csrf";
export const CSRF_FIELD = "csrf";
export const BASIC_REALM = 'Basic realm="Airlock console", charset="UTF-8"';
/** Wrong tokens answered per minute before the rest get 429 without a log line each. A right
 *  token is never throttled, so a flood of wrong ones cannot lock the operator out. */
const FAILURES_PER_MINUTE = 10;

export type Identity = { kind: "open" } | { kind: "bearer" } | { kind: "basic" };
export type Verdict = Identity | "missing" | "wrong" | "throttled";

export interface ConsoleAuth {
  readonly required: boolean;
  /** True when only the operator can reach the console (AIRLOCK_CONSOLE_TOKEN): approvals may be decided there. */
  readonly canDecide: boolean;
  /** The console's CSRF token (one per process: a restart rotates it). */
  readonly csrf: string;
  identify(c: Context): Verdict;
  /** True when a state-changing request carries what its identity needs. */
  csrfAccepted(identity: Identity, presented: string | undefined): boolean;
}

function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** The password of an `Authorization: Basic` value, or undefined when it is not one. */
function basicPassword(header: string): string | undefined {
  const encoded = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * `consoleToken` (AIRLOCK_CONSOLE_TOKEN) is the operator's alone. Without it the console falls back
 * to the MCP token (AIRLOCK_AUTH_TOKEN), or is open like `/mcp`: it is then shared with every MCP
 * client — and an agent with a shell can use it — so approving a held request there is refused
 * (`canDecide`): the agent could approve its own.
 */
export function createConsoleAuth(
  { consoleToken, mcpToken }: { consoleToken: string | undefined; mcpToken: string | undefined },
  now: () => number = Date.now,
): ConsoleAuth {
  const authToken = consoleToken ?? mcpToken;
  const csrf = randomBytes(32).toString("hex");
  let failures: number[] = [];
  const wrong = (): Verdict => {
    failures = failures.filter((t) => t > now() - 60_000);
    if (failures.length >= FAILURES_PER_MINUTE) return "throttled";
    failures.push(now());
    return "wrong";
  };
  return {
    required: authToken !== undefined,
    canDecide: consoleToken !== undefined,
    csrf,
    identify(c) {
      if (authToken === undefined) return { kind: "open" };
      const header = c.req.header("authorization");
      if (header === undefined) return "missing";
      if (/^Bearer\s/i.test(header)) return tokenAccepted(header, authToken) ? { kind: "bearer" } : wrong();
      const password = basicPassword(header);
      return password !== undefined && same(password, authToken) ? { kind: "basic" } : wrong();
    },
    csrfAccepted(identity, presented) {
      if (identity.kind === "bearer") return true;
      return presented !== undefined && same(presented, csrf);
    },
  };
}
