/**
 * @module The egress summary of one execution: the requests it made through the proxy, read from
 * the event file the proxy keeps per execution id. Names only; the proxy never writes a value.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { EXECUTION_ID } from "../../../sandbox/protocol.ts";
import { egressEventSchema, REFUSALS, type EgressDecision, type EgressEvent } from "../shared/egress-event.ts";

const MAX_LISTED = 100;

export interface EgressRequest {
  decision: EgressDecision;
  method?: string;
  host?: string;
  path?: string;
  status?: number;
  api?: string | null;
  credentials?: string[];
  reason?: string;
  /** The request budgets it took a place in, and how much of each is used now. */
  budgets?: EgressEvent["budgets"];
  /** A person's decision, when an approval rule held it. */
  approval?: EgressEvent["approval"];
}

export interface EgressSummary {
  requests: EgressRequest[];
  /** Requests the proxy refused: not allowlisted, restricted method, or a blocked response. */
  denied: number;
  /** Requests past the listing cap, counted but not listed. */
  omitted: number;
}

export const EMPTY_EGRESS: EgressSummary = { requests: [], denied: 0, omitted: 0 };

export type ReadEgress = (executionId: string) => Promise<EgressSummary>;

export function createEgressReader(eventsDir: string | undefined): ReadEgress {
  return async (executionId) => {
    if (!eventsDir || !EXECUTION_ID.test(executionId)) return EMPTY_EGRESS;
    let text: string;
    try {
      text = await readFile(path.join(eventsDir, `${executionId}.jsonl`), "utf8");
    } catch {
      return EMPTY_EGRESS;
    }
    return summarise(text);
  };
}

export function summarise(text: string): EgressSummary {
  const summary: EgressSummary = { requests: [], denied: 0, omitted: 0 };
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let parsed: EgressEvent;
    try {
      parsed = egressEventSchema.parse(JSON.parse(line));
    } catch (err) {
      // Never dropped in silence: a record that breaks the contract shows in the summary.
      const why = err instanceof SyntaxError ? "not JSON" : (err as { issues?: Array<{ message: string; path: PropertyKey[] }> }).issues?.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      parsed = { time: 0, component: "proxy", decision: "error", reason: `the gateway cannot read this egress record (${why ?? "invalid"})` };
    }
    if (parsed.decision === "config-invalid") continue;
    if (REFUSALS.has(parsed.decision)) summary.denied++;
    if (summary.requests.length >= MAX_LISTED) {
      summary.omitted++;
      continue;
    }
    const { decision, api, method, host, path, status, credentials, reason, restricted, budgets, approval } = parsed;
    const entry: EgressRequest = { decision, api, method, host, path, status, credentials, reason, budgets, approval };
    for (const key of Object.keys(entry) as Array<keyof EgressRequest>) if (entry[key] === undefined) delete entry[key];
    summary.requests.push(restricted ? { ...entry, reason: `${restricted} is restricted` } : entry);
  }
  return summary;
}
