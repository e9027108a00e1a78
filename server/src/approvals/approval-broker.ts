/**
 * @module Where a request an API's `approvals` rule held (proxy/addons/approvals.py) meets a
 * person. The proxy asks through the approval endpoint; the broker finds the execution the request
 * belongs to and asks:
 *   1. the very MCP client whose call runs that execution, by elicitation, when it declared the
 *      capability (a short message: method, URL, API, credential names, a body excerpt);
 *   2. otherwise (or when elicitation fails) an operator on the console's approvals page, telling
 *      the model through the call's progress messages that it waits for a person.
 * No answer within the timeout (never past the execution's own deadline) is a refusal. A decision
 * is bound to the one request it was asked about (its id); nothing here is reachable from the
 * sandbox.
 */
import { z } from "zod";

export const approvalQuestion = z
  .object({
    id: z.string().regex(/^[0-9a-f]{32}$/),
    execution: z.string().regex(/^[0-9a-f]{16,64}$/),
    api: z.string().max(63),
    rule: z.number().int().min(0),
    method: z.string().max(32),
    /** Other methods the upstream may act on (overrides in headers, query or body). */
    actsAs: z.array(z.string().max(32)).max(16),
    scheme: z.enum(["http", "https"]),
    host: z.string().max(253),
    port: z.number().int().min(1).max(65535),
    path: z.string().max(16384),
    /** A WebDAV Destination header: where a COPY or MOVE acts too. */
    destination: z.string().max(16384).nullable(),
    credentials: z.array(z.string().max(64)).max(64),
    /** The start of the decoded body, one line, invisible characters written out. */
    excerpt: z.string().max(4000),
    /** The body was sent compressed (the excerpt is decoded). */
    encoded: z.boolean(),
    timeoutSeconds: z.number().int().min(1).max(3600),
  })
  .strict();

export type ApprovalQuestion = z.infer<typeof approvalQuestion>;
export type ApprovalOutcome = "approved" | "declined" | "timeout" | "unavailable";
export interface ApprovalAnswer {
  outcome: ApprovalOutcome;
  /** Who decided: "elicitation", "console (operator)", ... or why no one could. */
  by: string;
}
export type ElicitAction = "accept" | "decline" | "cancel";

/** What the broker needs of a running execution (console/activity.ts provides it). */
export interface ExecutionChannel {
  /** Asks the calling client's user, when it declared elicitation. Rejects on failure/timeout. */
  elicit?: (message: string, timeoutMs: number, signal: AbortSignal) => Promise<ElicitAction>;
  /** Tells the model (progress message) what the run waits for; "" when the wait is over. */
  notice: (message: string) => void;
  /** When the execution's own timeout ends it (epoch ms). */
  deadline: number;
  /** Aborts when the execution ends. */
  ended: AbortSignal;
  /** Adds to the time the run waited for a person (the tool result reports it). */
  waited: (ms: number) => void;
  who: { client: string | null; session: string | null; tool: string; callId: string };
}

export interface PendingApproval extends ApprovalQuestion {
  askedAt: string;
  deadline: number;
  who: ExecutionChannel["who"];
}

export interface ApprovalBroker {
  ask(question: ApprovalQuestion): Promise<ApprovalAnswer>;
  /** Requests waiting for the console, oldest first. */
  pending(): PendingApproval[];
  /** An operator's decision on one pending request; false if it is no longer pending. */
  decide(id: string, approve: boolean): boolean;
}

/** `text` as plain ASCII on one line: every character outside printable ASCII written as
 *  \uXXXX. No list of dangerous characters is ever complete (bidi marks, fillers, tag
 *  characters, ...): none can reorder, hide or redraw what a person reads. The proxy sends path,
 *  Destination and body this way already, with backslashes doubled (proxy/addons/approvals.py);
 *  this pass, for whatever reaches a person, leaves backslashes alone so as not to double them again. */
export const visible = (text: string) =>
  [...text]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (code >= 0x20 && code <= 0x7e) return c;
      return code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\U${code.toString(16).padStart(8, "0")}`;
    })
    .join("");

/** The URL the request goes to, as the person should read it (a port only when not the scheme's). */
export function target(q: ApprovalQuestion): string {
  const standard = q.scheme === "https" ? 443 : 80;
  return `${q.scheme}://${visible(q.host)}${q.port === standard ? "" : `:${q.port}`}${q.path}`;
}

/** What the person is asked: everything that decides the request, names only. */
export function describe(q: ApprovalQuestion, who: ExecutionChannel["who"]): string {
  return [
    `Code run by ${visible(who.client ?? "an MCP client")} through Airlock wants to send:`,
    `${visible(q.method)} ${visible(target(q))}`,
    ...(q.actsAs.length ? [`The server may act on it as ${q.actsAs.map(visible).join(", ")} (method override in the request).`] : []),
    ...(q.destination ? [`It also acts on ${visible(q.destination)} (Destination header).`] : []),
    `API '${q.api}' (approval rule ${q.rule + 1})${q.credentials.length ? `, with credential ${q.credentials.join(", ")}` : ", no credential"}.`,
    ...(q.excerpt ? [`Body${q.encoded ? " (sent compressed; decoded here)" : ""}, first bytes: ${JSON.stringify(visible(q.excerpt))}`] : []),
    "Approve this one request?",
  ].join("\n");
}

export function createApprovalBroker(deps: {
  channelFor: (executionId: string) => ExecutionChannel | undefined;
  log: (e: Record<string, unknown>) => void;
  now?: () => number;
  /** Ask clients that declared elicitation (default); off: always the console. */
  elicitation?: boolean;
  /** False while the console is shared with MCP clients (no AIRLOCK_CONSOLE_TOKEN): nobody can be
   *  asked there, since an agent could answer for itself. */
  consoleDecides?: boolean;
}): ApprovalBroker {
  const now = deps.now ?? Date.now;
  const waiting = new Map<string, { item: PendingApproval; resolve: (a: ApprovalAnswer) => void }>();

  const viaConsole = (q: ApprovalQuestion, ch: ExecutionChannel, waitMs: number): Promise<ApprovalAnswer> =>
    deps.consoleDecides === false
      ? Promise.resolve({
          outcome: "unavailable",
          by: "this client cannot be asked (no MCP elicitation), and the console decides approvals only with AIRLOCK_CONSOLE_TOKEN set",
        })
      : new Promise((resolve) => {
      const finish = (answer: ApprovalAnswer) => {
        if (!waiting.delete(q.id)) return;
        clearTimeout(timer);
        ch.notice("");
        ch.ended.removeEventListener("abort", onEnded);
        resolve(answer);
      };
      const timer = setTimeout(() => finish({ outcome: "timeout", by: `console: no answer within ${Math.round(waitMs / 1000)} s` }), waitMs);
      const onEnded = () => finish({ outcome: "unavailable", by: "the execution ended while it waited" });
      ch.ended.addEventListener("abort", onEnded);
      waiting.set(q.id, { item: { ...q, askedAt: new Date(now()).toISOString(), deadline: now() + waitMs, who: ch.who }, resolve: finish });
      ch.notice(
        `Waiting for a person to approve ${visible(q.method)} ${visible(target(q))} on the Airlock console ` +
          `(up to ${Math.round(waitMs / 1000)} s; this client cannot be asked directly).`,
      );
    });

  return {
    async ask(q) {
      const ch = deps.channelFor(q.execution);
      if (!ch) return { outcome: "unavailable", by: "no running execution has this id" };
      if (waiting.has(q.id)) return { outcome: "unavailable", by: "this request is already waiting" };
      const waitMs = Math.min(q.timeoutSeconds * 1000, ch.deadline - now() - 500);
      if (waitMs <= 0) return { outcome: "timeout", by: "the execution's own time is up" };
      const started = now();
      let answer: ApprovalAnswer | undefined;
      if (ch.elicit && deps.elicitation !== false) {
        try {
          const action = await ch.elicit(describe(q, ch.who), waitMs, ch.ended);
          answer = action === "accept" ? { outcome: "approved", by: "elicitation" } : { outcome: "declined", by: `elicitation (${action})` };
        } catch (err) {
          const left = waitMs - (now() - started);
          deps.log({ level: "warn", event: "approval-elicitation-failed", execution: q.execution, message: (err as Error).message });
          if (ch.ended.aborted) answer = { outcome: "unavailable", by: "the execution ended while it waited" };
          else if (left <= 0 || /timed? ?out/i.test((err as Error).message)) answer = { outcome: "timeout", by: "elicitation: no answer in time" };
          // Any other failure of the client: the console is still there.
          else answer = await viaConsole(q, ch, left);
        }
      } else {
        answer = await viaConsole(q, ch, waitMs);
      }
      ch.waited(now() - started);
      deps.log({ event: "approval", execution: q.execution, api: q.api, method: q.method, host: q.host, path: q.path, outcome: answer.outcome, by: answer.by, waitedMs: now() - started });
      return answer;
    },
    pending: () => [...waiting.values()].map((w) => w.item),
    decide(id, approve) {
      const w = waiting.get(id);
      if (!w) return false;
      w.resolve(approve ? { outcome: "approved", by: "console (operator)" } : { outcome: "declined", by: "console (operator)" });
      return true;
    },
  };
}
