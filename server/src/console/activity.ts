/**
 * @module What the console knows of executions: the ones queued and running now (with their
 * output as it arrives, so the live page can stream it), an operator's cancel, and the history
 * record written when each call ends. It wraps the executor every tool calls, so nothing that
 * runs code can bypass it.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Execute, ExecuteRequest } from "../executor/executor.ts";
import type { ExecutionResult } from "../executor/execution-result.ts";
import { EMPTY_EGRESS, type EgressFollower, type EgressSummary } from "../executor/egress-summary.ts";
import type { ExecutionChannel } from "../approvals/approval-broker.ts";
import { capText, summaryOf, type CappedText, type HistoryRecord, type HistoryStore, type HistorySummary } from "./history-store.ts";

export interface LiveExecution {
  id: string;
  executionId?: string;
  state: "queued" | "running";
  tool: string;
  skill?: string;
  client: string | null;
  session: string | null;
  receivedAt: string;
  startedAt?: string;
  timeoutSeconds: number;
  code: CappedText;
  /** The latest output (the newest `outputBytes` of each stream). */
  stdout: string;
  stderr: string;
  /** Bytes of earlier output no longer held here (the history keeps the start). */
  droppedBytes: number;
  cancelling: boolean;
  egress: EgressSummary;
}

export interface Activity {
  /** The executor every tool must call: records the call while it runs and after it ends. */
  execute: Execute;
  /** Queued and running calls, oldest first, with their egress so far. */
  live(): Promise<LiveExecution[]>;
  /** Stops a queued or running call as if its client had cancelled it. False if there is none. */
  cancel(id: string): boolean;
  /** The latest ended calls, newest first (kept in memory even when history is off). */
  recent(): HistorySummary[];
  /** How to reach the call running `executionId` (the approval broker asks through it). */
  channelFor(executionId: string): ExecutionChannel | undefined;
}

interface Entry {
  view: Omit<LiveExecution, "egress">;
  req: ExecuteRequest;
  deadline: number;
  ended: AbortController;
  approvalWaitMs: number;
  controller: AbortController;
  decoders: Record<"stdout" | "stderr", InstanceType<typeof TextDecoder>>;
}

const RECENT = 20;
const MESSAGE_CANCELLED_BY_OPERATOR = "cancelled by an operator from the Airlock console";

export function createActivity(deps: {
  execute: Execute;
  history: HistoryStore;
  /** Egress so far of running executions (read incrementally). */
  followEgress: EgressFollower;
  /** How much of each stream the live view and the history keep. */
  outputBytes: number;
  log: (e: Record<string, unknown>) => void;
}): Activity {
  const running = new Map<string, Entry>();
  const recent: HistorySummary[] = [];

  const keepTail = (text: string): [string, number] => {
    if (text.length <= deps.outputBytes) return [text, 0];
    const cut = text.slice(-deps.outputBytes);
    return [cut, Buffer.byteLength(text) - Buffer.byteLength(cut)];
  };

  const record = (entry: Entry, req: ExecuteRequest, result: ExecutionResult): HistoryRecord => {
    const v = entry.view;
    const apis = [...new Set(result.egress.requests.flatMap((r) => (r.api ? [r.api] : [])))].sort();
    return {
      id: v.id,
      executionId: result.executionId,
      tool: v.tool,
      skill: v.skill,
      client: v.client,
      session: v.session,
      receivedAt: v.receivedAt,
      durationMs: result.durationMs,
      outcome: result.outcome,
      apis,
      requests: result.egress.requests.length + result.egress.omitted,
      denied: result.egress.denied,
      cancelledBy: v.cancelling ? "operator" : undefined,
      timeoutSeconds: req.timeoutSeconds,
      codeSha256: createHash("sha256").update(req.code).digest("hex"),
      code: capText(req.code, Math.max(deps.outputBytes, 512 * 1024)),
      stdout: capText(result.stdout, deps.outputBytes),
      stderr: capText(result.stderr, deps.outputBytes),
      outputTruncated: result.outputTruncated,
      exitCode: result.exitCode,
      message: result.message,
      egress: result.egress,
    };
  };

  const execute: Execute = async (req) => {
    const id = randomBytes(16).toString("hex");
    const controller = new AbortController();
    const entry: Entry = {
      req,
      deadline: Date.now() + req.timeoutSeconds * 1000,
      ended: new AbortController(),
      approvalWaitMs: 0,
      controller,
      decoders: { stdout: new TextDecoder(), stderr: new TextDecoder() },
      view: {
        id,
        state: "queued",
        tool: req.caller?.tool ?? "execute_code",
        skill: req.caller?.skill,
        client: req.caller?.client ?? null,
        session: req.caller?.session ?? null,
        receivedAt: new Date().toISOString(),
        timeoutSeconds: req.timeoutSeconds,
        code: capText(req.code, 64 * 1024),
        stdout: "",
        stderr: "",
        droppedBytes: 0,
        cancelling: false,
      },
    };
    running.set(id, entry);
    let result: ExecutionResult;
    try {
      result = await deps.execute({
        ...req,
        signal: req.signal ? AbortSignal.any([req.signal, controller.signal]) : controller.signal,
        onStarted: (executionId) => {
          entry.view.executionId = executionId;
          entry.view.state = "running";
          entry.view.startedAt = new Date().toISOString();
                req.onStarted?.(executionId);
        },
        onChunk: (stream, data) => {
          const [kept, dropped] = keepTail(entry.view[stream] + entry.decoders[stream].decode(data, { stream: true }));
          entry.view[stream] = kept;
          entry.view.droppedBytes += dropped;
                req.onChunk?.(stream, data);
        },
      });
    } finally {
      running.delete(id);
      entry.ended.abort();
      if (entry.view.executionId) deps.followEgress.forget(entry.view.executionId);
    }
    if (entry.approvalWaitMs > 0) result = { ...result, approvalWaitMs: entry.approvalWaitMs };
    if (entry.view.cancelling && result.outcome === "cancelled") result = { ...result, message: MESSAGE_CANCELLED_BY_OPERATOR };
    const rec = record(entry, req, result);
    recent.unshift(summaryOf(rec));
    recent.length = Math.min(recent.length, RECENT);
    // The history is the operator's view; a failure to keep it never fails the call.
    await deps.history.add(rec).catch((err) => deps.log({ level: "error", event: "history-add-failed", message: (err as Error).message }));
    return result;
  };

  return {
    execute,
    async live() {
      const entries = [...running.values()].map((e) => ({ ...e.view }));
      return Promise.all(
        entries.map(async (v) => ({ ...v, egress: v.executionId ? await deps.followEgress.read(v.executionId) : EMPTY_EGRESS })),
      );
    },
    cancel(id) {
      const entry = running.get(id);
      if (!entry) return false;
      entry.view.cancelling = true;
        entry.controller.abort(new Error(MESSAGE_CANCELLED_BY_OPERATOR));
      deps.log({ event: "execution-cancelled-by-operator", id, execution: entry.view.executionId ?? null });
      return true;
    },
    recent: () => [...recent],
    channelFor(executionId) {
      const entry = [...running.values()].find((e) => e.view.executionId === executionId);
      if (!entry) return undefined;
      const { req, view } = entry;
      return {
        elicit: req.elicit,
        notice: (message) => req.notice?.(message),
        deadline: entry.deadline,
        ended: entry.ended.signal,
        waited: (ms) => void (entry.approvalWaitMs += ms),
        who: { client: view.client, session: view.session, tool: view.tool, callId: view.id },
      };
    },
  };
}
