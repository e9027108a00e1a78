/**
 * @module The egress summary of one execution: the requests it made through the proxy, read from
 * the event file the proxy keeps per execution id. Names only; the proxy never writes a value.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const MAX_LISTED = 100;

const eventSchema = z.object({
  decision: z.string(),
  api: z.string().nullable().optional(),
  method: z.string().optional(),
  host: z.string().optional(),
  path: z.string().optional(),
  status: z.number().optional(),
  credentials: z.array(z.string()).optional(),
  reason: z.string().optional(),
  restricted: z.string().optional(),
});

export interface EgressRequest {
  decision: string;
  method?: string;
  host?: string;
  path?: string;
  status?: number;
  api?: string | null;
  credentials?: string[];
  reason?: string;
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
    if (!eventsDir || !/^[0-9a-f]{32}$/.test(executionId)) return EMPTY_EGRESS;
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
    let parsed: z.infer<typeof eventSchema>;
    try {
      parsed = eventSchema.parse(JSON.parse(line));
    } catch {
      continue;
    }
    if (parsed.decision === "config-invalid") continue;
    if (["deny", "restrict", "block"].includes(parsed.decision)) summary.denied++;
    if (summary.requests.length >= MAX_LISTED) {
      summary.omitted++;
      continue;
    }
    const { restricted, ...entry } = parsed;
    summary.requests.push(restricted ? { ...entry, reason: `${restricted} is restricted` } : entry);
  }
  return summary;
}
