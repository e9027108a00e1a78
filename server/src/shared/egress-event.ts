/**
 * @module The egress event record: one JSON line the proxy writes per decision (to its log, and
 * to the execution's own file that the gateway reads into the tool result). The one definition:
 * `proxy/addons/egress-event.schema.json` is generated from it (`npm run schema`; a unit test
 * fails while they differ) and the proxy's tests check every record its addon writes against that
 * file. Strict: a field the proxy adds without adding it here fails those tests.
 */
import { z } from "zod";
import { EXECUTION_ID } from "../../../sandbox/protocol.ts";

/** Every decision the proxy records, and what it means for the request. */
export const EGRESS_DECISIONS = {
  allow: "passed through unchanged",
  inject: "credential values were put in on the way out",
  redact: "configured values were taken out on the way out",
  scrub: "credential values in the response were turned back into names",
  deny: "refused before it went anywhere",
  restrict: "refused: the API restricts this method",
  block: "the response was withheld (an encoded credential it could not rewrite, or a body it could not decode)",
  error: "the proxy failed on it, so it was refused",
  limit: "refused (429): over a request budget of its API or credential",
  unapproved: "refused: it needed a person's approval and did not get it (declined, or no answer in time)",
  "config-invalid": "an API config file could not be loaded (not a request)",
} as const;
export type EgressDecision = keyof typeof EGRESS_DECISIONS;

/** Decisions that count as refusals in an execution's summary. */
export const REFUSALS: ReadonlySet<EgressDecision> = new Set(["deny", "restrict", "block", "error", "limit", "unapproved"]);

export const egressEventSchema = z
  .object({
    time: z.number(),
    component: z.literal("proxy"),
    decision: z.enum(Object.keys(EGRESS_DECISIONS) as [EgressDecision, ...EgressDecision[]]),
    execution: z.string().regex(EXECUTION_ID).optional(),
    api: z.string().nullable().optional(),
    method: z.string().optional(),
    host: z.string().optional(),
    port: z.number().int().optional(),
    path: z.string().optional(),
    status: z.number().int().optional(),
    credentials: z.array(z.string()).optional().describe("Credential names (never values)"),
    redactions: z.number().int().optional(),
    scrubbed: z.number().int().optional().describe("Credential values turned back into names in the response"),
    reason: z.string().optional(),
    restricted: z.string().optional().describe("The restricted method that was refused"),
    stripped: z.array(z.string()).optional().describe("URL-override headers taken out of the request"),
    hook: z.string().optional().describe("The proxy hook that failed (decision error)"),
    peer: z.string().nullable().optional().describe("Who asked without an execution identity"),
    file: z.string().optional(),
    field: z.string().optional(),
    message: z.string().optional(),
    kept_last_good: z.boolean().optional(),
    budgets: z
      .array(z.object({ what: z.string(), used: z.number().int(), limit: z.number().int(), per: z.enum(["execution", "minute"]) }).strict())
      .optional()
      .describe("The request budgets it took a place in, and how much of each is used"),
    approval: z
      .object({
        outcome: z.enum(["approved", "declined", "timeout", "unavailable"]),
        by: z.string().describe("elicitation, console, or why no one could be asked"),
        waitedMs: z.number().int(),
      })
      .strict()
      .optional()
      .describe("A person's decision on a request an approval rule held"),
  })
  .strict();

export type EgressEvent = z.infer<typeof egressEventSchema>;

export function egressEventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(egressEventSchema, { io: "input" }) as Record<string, unknown>;
}
