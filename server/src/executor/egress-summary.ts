/**
 * @module The egress summary of one execution: the requests it made through the proxy, read from
 * the event file the proxy keeps per execution id. Names only; the proxy never writes a value.
 */
import { open, stat } from "node:fs/promises";
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

/** Bytes read from an event file at a time: memory stays bounded however large the file is. */
const CHUNK = 1 << 20;
const DECISION = /"decision":"([a-z-]+)"/;

/** Folds event lines into a summary, one line at a time. Lines past the listing cap are only
 *  counted (a cheap look at their decision), so a file of any size costs little to summarise. */
export class EgressTally {
  readonly summary: EgressSummary = { requests: [], denied: 0, omitted: 0 };
  private rest = "";

  /** Feeds text in any pieces; a line is taken once its newline arrives. */
  push(text: string): void {
    const lines = (this.rest + text).split("\n");
    this.rest = lines.pop()!;
    for (const line of lines) this.line(line);
  }

  /** The summary with any unterminated last line taken too. */
  finish(): EgressSummary {
    if (this.rest) this.line(this.rest);
    this.rest = "";
    return this.summary;
  }

  private line(line: string): void {
    if (!line.trim()) return;
    if (this.summary.requests.length >= MAX_LISTED) {
      const decision = DECISION.exec(line)?.[1] as EgressDecision | undefined;
      if (decision === "config-invalid") return;
      if (decision === undefined || REFUSALS.has(decision)) this.summary.denied++;
      this.summary.omitted++;
      return;
    }
    let parsed: EgressEvent;
    try {
      parsed = egressEventSchema.parse(JSON.parse(line));
    } catch (err) {
      // Never dropped in silence: a record that breaks the contract shows in the summary.
      const why = err instanceof SyntaxError ? "not JSON" : (err as { issues?: Array<{ message: string; path: PropertyKey[] }> }).issues?.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      parsed = { time: 0, component: "proxy", decision: "error", reason: `the gateway cannot read this egress record (${why ?? "invalid"})` };
    }
    if (parsed.decision === "config-invalid") return;
    if (REFUSALS.has(parsed.decision)) this.summary.denied++;
    const { decision, api, method, host, path, status, credentials, reason, restricted, budgets, approval } = parsed;
    const entry: EgressRequest = { decision, api, method, host, path, status, credentials, reason, budgets, approval };
    for (const key of Object.keys(entry) as Array<keyof EgressRequest>) if (entry[key] === undefined) delete entry[key];
    this.summary.requests.push(restricted ? { ...entry, reason: `${restricted} is restricted` } : entry);
  }
}

export function summarise(text: string): EgressSummary {
  const tally = new EgressTally();
  tally.push(text);
  return tally.finish();
}

function eventFile(eventsDir: string | undefined, executionId: string): string | undefined {
  return eventsDir && EXECUTION_ID.test(executionId) ? path.join(eventsDir, `${executionId}.jsonl`) : undefined;
}

/** Reads `file` from `offset` into `tally`, a chunk at a time; returns the new offset. */
async function readInto(file: string, offset: number, tally: EgressTally, decoder: InstanceType<typeof TextDecoder>): Promise<number> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, offset);
      if (bytesRead === 0) return offset;
      offset += bytesRead;
      tally.push(decoder.decode(buffer.subarray(0, bytesRead), { stream: true }));
    }
  } finally {
    await handle.close();
  }
}

/** The summary of an ended execution: the whole file, read in bounded pieces. */
export function createEgressReader(eventsDir: string | undefined): ReadEgress {
  return async (executionId) => {
    const file = eventFile(eventsDir, executionId);
    if (!file) return EMPTY_EGRESS;
    const tally = new EgressTally();
    try {
      await readInto(file, 0, tally, new TextDecoder());
    } catch {
      return EMPTY_EGRESS;
    }
    return tally.finish();
  };
}

export interface EgressFollower {
  /** The summary so far of a running execution; reads only what was added since last time. */
  read(executionId: string): Promise<EgressSummary>;
  /** Drops what it holds for an execution that ended. */
  forget(executionId: string): void;
}

/** For the live view: each execution's file is read once, incrementally, however often and by
 *  however many viewers it is looked at. */
export function createEgressFollower(eventsDir: string | undefined): EgressFollower {
  const followed = new Map<string, { offset: number; tally: EgressTally; decoder: InstanceType<typeof TextDecoder>; reading?: Promise<void> }>();
  return {
    async read(executionId) {
      const file = eventFile(eventsDir, executionId);
      if (!file) return EMPTY_EGRESS;
      let state = followed.get(executionId);
      if (!state) followed.set(executionId, (state = { offset: 0, tally: new EgressTally(), decoder: new TextDecoder() }));
      const s = state;
      // A file replaced or cut short (the proxy pruned and an id came back) is read afresh.
      const size = await stat(file).then((st) => st.size, () => 0);
      if (size < s.offset) Object.assign(s, { offset: 0, tally: new EgressTally(), decoder: new TextDecoder() });
      // One read at a time per file: concurrent viewers wait for the same one.
      s.reading ??= readInto(file, s.offset, s.tally, s.decoder)
        .then((offset) => void (s.offset = offset), () => {})
        .finally(() => (s.reading = undefined));
      await s.reading;
      return { ...s.tally.summary, requests: [...s.tally.summary.requests] };
    },
    forget: (executionId) => void followed.delete(executionId),
  };
}
