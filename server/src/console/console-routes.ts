/**
 * @module The operator console's routes on the gateway's app (http://127.0.0.1:8080/).
 *
 * Every console response passes, in order: the same Host/Origin guards as `/mcp`; headers that
 * keep the page from being framed, sniffed or given any script but our own file; the console's
 * auth (console-auth.ts) except for the login form and the static assets; and, for anything that
 * changes state, the CSRF check. Pages are rendered on the server with escaping templates; the
 * one script only streams the live fragment and sends cancels.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { html, raw } from "hono/html";
import { streamSSE } from "hono/streaming";
import { findAuditLines } from "../audit/find-lines.ts";
import type { LoadedApis } from "../config/load-apis.ts";
import type { ProxyStatus } from "../config/proxy-status.ts";
import { healthReport, type HealthSources } from "../http/health.ts";
import { requestGuards, type GuardSettings } from "../http/request-guards.ts";
import { SkillError, type Skill, type SkillStore } from "../skills/skill-store.ts";
import type { Activity } from "./activity.ts";
import type { ApprovalBroker } from "../approvals/approval-broker.ts";
import { approvalsBody } from "./pages/approvals.ts";
import { BASIC_REALM, CSRF_FIELD, CSRF_HEADER, type ConsoleAuth, type Identity } from "./console-auth.ts";
import type { HistoryFilter, HistoryStore } from "./history-store.ts";
import { apisBody } from "./pages/apis.ts";
import { executionBody, historyBody } from "./pages/history.ts";
import { page, type Fragment } from "./pages/layout.ts";
import { liveFragment, livePage } from "./pages/live.ts";
import { signInPage } from "./pages/sign-in.ts";
import { skillBody, skillsBody } from "./pages/skills.ts";
import { statusBody } from "./pages/status.ts";

export interface ConsoleDeps {
  activity: Activity;
  approvals: ApprovalBroker;
  history: HistoryStore;
  auth: ConsoleAuth;
  guards: GuardSettings;
  health: HealthSources;
  loadApis: () => Promise<LoadedApis>;
  proxyStatus: () => Promise<ProxyStatus | undefined>;
  skills: SkillStore;
  auditDir: string | undefined;
  limits: { maxConcurrency: number; maxQueue: number };
  historyBounds: { maxEntries: number; maxAgeDays: number };
  assets: { js: string; css: string };
  log: (e: Record<string, unknown>) => void;
  /** How often the live stream looks for changes. */
  liveIntervalMs?: number;
  /** How long one write to a live stream may take before the stream is ended. */
  streamWriteTimeoutMs?: number;
}

/** No script but /assets/console.js, no inline style or script, no remote source, no framing. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const PAGES = ["/", "/history", "/history/:id", "/approvals", "/apis", "/skills", "/skills/:name", "/status"] as const;
const OPEN = ["/assets/console.js", "/assets/console.css", "/favicon.ico"] as const;
const ACTIONS = ["/console/live", "/console/executions/:id/cancel", "/console/approvals/:id"] as const;
/** The largest body a console action takes (a decision and a token): nothing is read past it. */
const MAX_ACTION_BODY = 4096;
/** At most this many live streams at once: each costs a render per tick. */
const MAX_STREAMS = 32;
const STREAM_WRITE_TIMEOUT_MS = 10_000;
const STREAM_MAX_AGE_MS = 30 * 60_000;

type Env = { Variables: { identity: Identity } };

function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CONSOLE_CSP);
    c.header("X-Frame-Options", "DENY");
    c.header("X-Content-Type-Options", "nosniff");
    // Not "no-referrer": under it browsers send `Origin: null` with form posts, which the Origin
    // guard rightly refuses. "same-origin" still gives other sites nothing.
    c.header("Referrer-Policy", "same-origin");
    c.header("Cross-Origin-Opener-Policy", "same-origin");
    c.header("Cross-Origin-Resource-Policy", "same-origin");
    c.header("Cache-Control", "no-store");
  };
}

export function mountConsole(gateway: Hono, deps: ConsoleDeps): void {
  // The console's routes carry who is asking (set by requireAuth below).
  const app = gateway as unknown as Hono<Env>;
  const guards = requestGuards(deps.guards, deps.log, { requireToken: false });
  const headers = securityHeaders();
  const requireAuth: MiddlewareHandler<Env> = async (c, next) => {
    const identity = deps.auth.identify(c);
    if (typeof identity === "string") {
      if (identity === "wrong") deps.log({ level: "warn", event: "console-auth-refused" });
      // The browser asks for the token itself (Basic: any user name, the token as password).
      // Throttled answers are challenges too: a 429 would make the browser keep a mistyped token.
      c.header("WWW-Authenticate", BASIC_REALM);
      return c.html(signInPage(identity), 401);
    }
    c.set("identity", identity);
    if (c.req.method !== "GET" && c.req.method !== "HEAD") {
      // Defence in depth beside the token: a browser says where a request came from.
      const site = c.req.header("sec-fetch-site");
      if (site !== undefined && site !== "same-origin" && site !== "none") return c.json({ error: "cross-site request refused" }, 403);
      let presented = c.req.header(CSRF_HEADER);
      if (presented === undefined && (c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded")) {
        const form = await c.req.parseBody();
        presented = typeof form[CSRF_FIELD] === "string" ? form[CSRF_FIELD] : undefined;
      }
      if (!deps.auth.csrfAccepted(identity, presented)) {
        deps.log({ level: "warn", event: "console-csrf-refused", path: c.req.path });
        return c.json({ error: "missing or wrong CSRF token: reload the console page and try again" }, 403);
      }
    }
    await next();
  };
  for (const path of [...PAGES, ...OPEN, ...ACTIONS]) {
    app.use(path, guards, headers, bodyLimit({ maxSize: MAX_ACTION_BODY, onError: (c) => c.json({ error: "request body too large" }, 413) }));
  }
  // Pages are read, never posted to: nothing of a body sent to one is ever looked at.
  for (const path of [...PAGES, ...OPEN]) {
    app.use(path, async (c, next) => (c.req.method === "GET" || c.req.method === "HEAD" ? next() : c.json({ error: "method not allowed" }, 405)));
  }
  for (const path of [...PAGES, ...ACTIONS]) app.use(path, requireAuth);

  const frame = (title: string, section: string) => ({ title, section, csrf: deps.auth.csrf });
  const render = (c: Context<Env>, title: string, section: string, body: Fragment, status: 200 | 404 = 200) =>
    c.html(page(frame(title, section), body), status);

  app.get("/assets/console.js", (c) => c.body(deps.assets.js, 200, { "content-type": "text/javascript; charset=utf-8" }));
  // Browsers ask for it on every page; an empty answer keeps their consoles free of 404s.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/assets/console.css", (c) => c.body(deps.assets.css, 200, { "content-type": "text/css; charset=utf-8" }));

  // --- live --------------------------------------------------------------------------------
  // One rendering per tick, shared by every open live view: the cost does not grow with viewers.
  let shared: { at: number; fragment: Promise<string> } | undefined;
  const snapshot = () => {
    const tick = deps.liveIntervalMs ?? 500;
    if (!shared || Date.now() - shared.at >= tick - 50) {
      shared = {
        at: Date.now(),
        fragment: (async () =>
          String(await liveFragment(await deps.activity.live(), deps.activity.recent(), deps.health.stats(), Date.now(), deps.approvals.pending())))(),
      };
    }
    return shared.fragment;
  };
  app.get("/", async (c) => c.html(livePage(frame("Live", "/"), raw(await snapshot()))));
  // Open live streams, oldest first. A new one past the limit ends the oldest (its browser just
  // reconnects), so streams held open by others cannot lock the operator's view out.
  const open = new Set<() => void>();
  app.get("/console/live", (c) => {
    // Hono answers HEAD with the GET handler and drops the body unread: a stream that would never
    // end, holding its place forever. Only a real GET from a console page may open one.
    if (c.req.method !== "GET") return c.json({ error: "method not allowed" }, 405);
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && site !== "same-origin") return c.json({ error: "cross-site request refused" }, 403);
    if (open.size >= MAX_STREAMS) open.values().next().value!();
    // The socket itself, when served by @hono/node-server: ending a stalled stream must free it too.
    const socket = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
    return streamSSE(c, async (stream) => {
      let last = "";
      let quiet = 0;
      let ended = false;
      const end = () => {
        ended = true;
        open.delete(end);
      };
      open.add(end);
      const opened = Date.now();
      // A reader that stops reading must not keep its slot: a write that does not complete in
      // time ends the stream and its connection, and so does age (EventSource reconnects).
      const sent = (write: Promise<unknown>) =>
        Promise.race([write.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), deps.streamWriteTimeoutMs ?? STREAM_WRITE_TIMEOUT_MS).unref())]);
      let stalled = false;
      try {
        while (!stream.aborted && !ended && Date.now() - opened < STREAM_MAX_AGE_MS) {
          const fragment = await snapshot();
          let ok = true;
          if (fragment !== last) {
            last = fragment;
            quiet = 0;
            ok = await sent(stream.writeSSE({ event: "live", data: JSON.stringify({ html: fragment }) }));
          } else if (++quiet % 30 === 0) {
            // A comment now and then finds a closed connection even when nothing changes.
            ok = await sent(stream.write(": idle\n\n"));
          }
          if (!ok) {
            stalled = true;
            break;
          }
          await stream.sleep(deps.liveIntervalMs ?? 500);
        }
      } finally {
        end();
        stream.abort();
        if (stalled) socket?.destroy();
      }
    });
  });
  app.post("/console/executions/:id/cancel", (c) => {
    const cancelled = deps.activity.cancel(c.req.param("id"));
    return cancelled ? c.json({ cancelled: true }) : c.json({ error: "no such execution is queued or running" }, 404);
  });

  // --- approvals ---------------------------------------------------------------------------
  app.get("/approvals", (c) => render(c, "Approvals", "/approvals", approvalsBody(deps.approvals.pending(), deps.auth.csrf, Date.now(), deps.auth.canDecide)));
  app.post("/console/approvals/:id", async (c) => {
    if (!deps.auth.canDecide) {
      return c.json({ error: "approving on the console needs AIRLOCK_CONSOLE_TOKEN: without it every MCP client can reach the console and could approve its own requests" }, 403);
    }
    const form = await c.req.parseBody();
    const decision = form.decision;
    if (decision !== "approve" && decision !== "decline") return c.json({ error: "decision must be approve or decline" }, 400);
    const id = c.req.param("id");
    const decided = deps.approvals.decide(id, decision === "approve");
    deps.log({ event: "approval-decided-on-console", id, decision, found: decided });
    if (!decided) return render(c, "Approvals", "/approvals", page404("That request is no longer waiting (decided, timed out, or its execution ended)."), 404);
    return c.redirect("/approvals", 303);
  });

  // --- history -----------------------------------------------------------------------------
  app.get("/history", (c) => {
    const q = c.req.query();
    const time = (v: string | undefined) => (v && !Number.isNaN(Date.parse(v)) ? v : undefined);
    const filter: HistoryFilter = {
      outcome: q.outcome || undefined,
      client: q.client || undefined,
      api: q.api || undefined,
      since: time(q.since),
      until: time(q.until),
      limit: 200,
    };
    return render(c, "History", "/history", historyBody(deps.history.enabled, deps.history.list(filter), filter, deps.history.facets()));
  });
  app.get("/history/:id", async (c) => {
    const record = await deps.history.get(c.req.param("id"));
    if (!record) return render(c, "Not found", "/history", page404("No such execution in the history (it may have been pruned)."), 404);
    const audit = record.executionId ? await findAuditLines(deps.auditDir, record.executionId) : [];
    return render(c, `Execution ${record.id.slice(0, 8)}`, "/history", executionBody(record, audit));
  });

  // --- APIs, skills, health ----------------------------------------------------------------
  app.get("/apis", async (c) => {
    const [loaded, proxy] = await Promise.all([deps.loadApis(), deps.proxyStatus()]);
    return render(c, "APIs", "/apis", apisBody(loaded, proxy));
  });
  app.get("/skills", async (c) => render(c, "Skills", "/skills", skillsBody(await deps.skills.list())));
  app.get("/skills/:name", async (c) => {
    const name = c.req.param("name");
    let skill: Skill;
    try {
      skill = await deps.skills.get(name);
    } catch (err) {
      if (err instanceof SkillError) return render(c, "Not found", "/skills", page404(err.message), 404);
      throw err;
    }
    const versionOf = async (raw: string | undefined): Promise<Skill | undefined> => {
      const n = Number(raw);
      if (!raw || !Number.isInteger(n)) return undefined;
      if (n === skill.version) return skill;
      return deps.skills.version(name, n).catch(() => undefined);
    };
    const [shown, from, to] = await Promise.all([versionOf(c.req.query("version")), versionOf(c.req.query("from")), versionOf(c.req.query("to"))]);
    const versions = await deps.skills.versions(name);
    return render(c, `Skill ${name}`, "/skills", skillBody(skill, versions, shown ?? skill, from && to ? { from, to } : undefined));
  });
  app.get("/status", async (c) =>
    render(c, "Health", "/status", statusBody(await healthReport(deps.health), deps.limits, { enabled: deps.history.enabled, ...deps.historyBounds })),
  );
}

function page404(message: string): Fragment {
  return html`<p class="empty">${message}</p>`;
}
