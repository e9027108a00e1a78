/**
 * @module Entry point of the Airlock gateway: reads the environment once, wires the parts
 * together and listens. Everything else receives its dependencies from here.
 */
import { serve } from "@hono/node-server";
import Docker from "dockerode";
import { auditEntry, auditStartEntry } from "./audit/audit-entry.ts";
import { createAuditLog } from "./audit/audit-log.ts";
import { closeInterrupted } from "./audit/interrupted.ts";
import { createApiRegistry } from "./config/load-apis.ts";
import { parseSettings } from "./config/settings.ts";
import { SANDBOX_ALIAS } from "./shared/filter-contract.ts";
import { createEgressFollower, createEgressReader } from "./executor/egress-summary.ts";
import { createExecutor } from "./executor/executor.ts";
import { createLimiter } from "./executor/limiter.ts";
import { createLauncher } from "./executor/launcher-client.ts";
import { runOnLauncher } from "./executor/run-on-launcher.ts";
import { createApp } from "./http/app.ts";
import { createActivity } from "./console/activity.ts";
import { createConsoleAuth } from "./console/console-auth.ts";
import { mountConsole } from "./console/console-routes.ts";
import { createHistoryStore } from "./console/history-store.ts";
import { readFileSync } from "node:fs";
import { createApprovalBroker } from "./approvals/approval-broker.ts";
import { createApprovalEndpoint, keyReader } from "./approvals/approval-endpoint.ts";
import { createMcpSessions } from "./http/mcp-sessions.ts";
import { createMetrics } from "./http/metrics.ts";
import { createStackStatus } from "./http/stack-status.ts";
import { createMcpServer } from "./mcp/create-server.ts";
import { createSchemaCompiler } from "./skills/input-schema.ts";
import { FILTER_KEY_HEADER, readFilterKey } from "./shared/filter-key.ts";
import { readProxyStatus } from "./config/proxy-status.ts";
import { buildInstructions } from "./mcp/instructions.ts";
import { createSkillEvents } from "./skills/skill-events.ts";
import { createSkillStore } from "./skills/skill-store.ts";
import { takeStoreAndDropRoot } from "./skills/take-store.ts";

const VERSION = "0.1.0";
/** The image's unprivileged user, which owns the skills store and the audit volume. */
const GATEWAY_UID = 1000;
const log = (entry: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), component: "server", ...entry }) + "\n");

// One execution's failure must never take the gateway down: log what escaped and keep serving.
process.on("unhandledRejection", (reason) => log({ level: "error", event: "unhandled-rejection", message: String(reason) }));

let settings;
try {
  settings = parseSettings(process.env);
} catch (err) {
  log({ level: "fatal", event: "bad-settings", message: (err as Error).message });
  process.exit(2);
}

// First, before anything else is opened: a store on any checkout becomes ours, and root is gone.
await takeStoreAndDropRoot(settings.skillsDir, GATEWAY_UID, GATEWAY_UID, log);

let filterKey: string;
try {
  filterKey = await readFilterKey(settings.filterKeyFile);
} catch (err) {
  log({ level: "fatal", event: "bad-settings", message: `AIRLOCK_FILTER_KEY_FILE: ${(err as Error).message}` });
  process.exit(2);
}
const filterHeaders = { [FILTER_KEY_HEADER]: filterKey };
const docker = new Docker({
  protocol: settings.dockerFilterUrl.protocol === "https:" ? "https" : "http",
  host: settings.dockerFilterUrl.hostname,
  port: Number(settings.dockerFilterUrl.port || 80),
  headers: filterHeaders,
});
const launcher = createLauncher(
  { docker, container: SANDBOX_ALIAS, command: settings.sandboxLauncher, user: settings.sandboxUser },
  log,
);
const limiter = createLimiter(settings.maxConcurrency, settings.maxQueue);

const registry = createApiRegistry(settings.apisDir);
let lastProblems = "";
const loadApis = async () => {
  const loaded = await registry.load();
  // Report a changed set of config problems once, not on every call.
  const problems = JSON.stringify(loaded.problems);
  if (problems !== lastProblems) {
    lastProblems = problems;
    for (const p of loaded.problems) log({ level: "warn", event: "api-config-invalid", ...p });
  }
  return loaded;
};

const auditLog = settings.auditDir ? await createAuditLog(settings.auditDir, settings.auditMaxBytes) : undefined;
const auditCode = settings.auditCode;
if (auditLog && settings.auditDir) {
  // Best effort: a log that cannot be read or written now must not keep the gateway from
  // serving (it then shows as degraded in /health, like any failed audit write).
  try {
    const interrupted = await closeInterrupted(settings.auditDir, auditLog);
    if (interrupted.length) log({ level: "warn", event: "audit-closed-interrupted", executions: interrupted });
  } catch (err) {
    log({ level: "error", event: "audit-close-interrupted-failed", message: (err as Error).message });
  }
}
const auditFailed = (err: unknown) => log({ level: "error", event: "audit-write-failed", message: (err as Error).message });

// Its sources are read at scrape time, by when every part below exists.
const metrics = createMetrics({
  executions: () => limiter.stats(),
  sessions: () => ({ open: sessions.count(), evicted: sessions.evicted() }),
  audit: auditLog ? () => auditLog.status() : undefined,
  sandboxRestarts: () => launcher.restarts(),
  sandboxFault: () => launcher.fault(),
  approvalsPending: () => approvals.pending().length,
});

const readEgress = createEgressReader(settings.egressEventsDir);
const executor = createExecutor({
  limiter,
  loadApis,
  run: (req) => runOnLauncher(launcher, req),
  readEgress,
  audit: async (req, result) => {
    log({ event: "execution", tool: req.caller?.tool, outcome: result.outcome, exitCode: result.exitCode, durationMs: result.durationMs });
    metrics.executionEnded(req.caller?.tool ?? "execute_code", result);
    await auditLog?.append(auditEntry(req, result, auditCode)).catch(auditFailed);
  },
  queueWaited: (ms) => metrics.queueWaited(ms),
  auditStart: (req, executionId) => void auditLog?.append(auditStartEntry(req, executionId)).catch(auditFailed),
  outputLimitBytes: settings.outputLimitBytes,
  openEgress: settings.openEgress,
});

// Every tool runs code through the console's activity, so the console sees every execution.
const history = await createHistoryStore(settings.history.dir, settings.history, log);
setInterval(() => void history.prune(), 10 * 60_000).unref();
const activity = createActivity({ execute: executor, history, followEgress: createEgressFollower(settings.egressEventsDir), outputBytes: settings.history.outputBytes, log });
const execute = activity.execute;
const approvals = createApprovalBroker({
  channelFor: activity.channelFor,
  log,
  elicitation: settings.approvals.elicitation,
  consoleDecides: settings.consoleToken !== undefined,
});

const skills = createSkillStore(
  settings.skillsDir,
  { maxCodeBytes: settings.skillMaxBytes, maxStoreBytes: settings.skillsStoreMaxBytes },
  log,
);
const skillEvents = createSkillEvents();
const schemas = createSchemaCompiler();
const instructions = buildInstructions(settings);
const sessions = createMcpSessions(
  () =>
    createMcpServer({
      execute,
      loadApis,
      instructions,
      limits: settings,
      version: VERSION,
      skills,
      skillEvents,
      schemas,
      proxyStatus: () => readProxyStatus(settings.egressEventsDir),
    }),
  { idleSeconds: settings.sessionIdleSeconds, maxSessions: settings.maxSessions },
);
const sweeper = setInterval(() => {
  void sessions.sweep().then((n) => n > 0 && log({ event: "sessions-expired", count: n }));
}, 30_000);
sweeper.unref();

const health = {
  stats: limiter.stats,
  sessions: () => ({ open: sessions.count(), evicted: sessions.evicted() }),
  stackStatus: createStackStatus(settings.dockerFilterUrl, filterHeaders),
  audit: auditLog ? () => auditLog.status() : undefined,
  sandboxFault: () => launcher.fault(),
};
const guards = { allowedHosts: settings.allowedHosts, allowedOrigins: settings.allowedOrigins, authToken: settings.authToken };
const assetsDir = new URL("./console/assets/", import.meta.url);
const app = createApp({
  sessions,
  health,
  metrics,
  guards,
  log,
  console: (app) =>
    mountConsole(app, {
      activity,
      approvals,
      history,
      auth: createConsoleAuth({ consoleToken: settings.consoleToken, mcpToken: settings.authToken }),
      guards,
      health,
      loadApis,
      proxyStatus: () => readProxyStatus(settings.egressEventsDir),
      skills,
      auditDir: settings.auditDir,
      limits: settings,
      historyBounds: settings.history,
      assets: { js: readFileSync(new URL("console.js", assetsDir), "utf8"), css: readFileSync(new URL("console.css", assetsDir), "utf8") },
      log,
    }),
});

const server = serve({ fetch: app.fetch, hostname: settings.listenHost, port: settings.listenPort }, (info) =>
  log({
    event: "listening",
    address: info.address,
    port: info.port,
    auth: settings.authToken ? "bearer" : "none",
    published: settings.bindAddress,
  }),
);
// The proxy's way to ask for a person's approval: internal network only, key-checked both ways.
const approvalServer = serve(
  { fetch: createApprovalEndpoint({ broker: approvals, readKey: keyReader(settings.approvals.keyFile), log }).fetch, hostname: settings.listenHost, port: settings.approvals.port },
  (info) => log({ event: "approvals-listening", port: info.port, key: settings.approvals.keyFile ? "shared with the proxy" : "none: every approval is refused" }),
);
await loadApis();

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    launcher.close();
    approvalServer.close();
    void sessions.closeAll().finally(() => server.close(() => process.exit(0)));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}
