/**
 * @module Entry point of the Airlock gateway: reads the environment once, wires the parts
 * together and listens. Everything else receives its dependencies from here.
 */
import { serve } from "@hono/node-server";
import Docker from "dockerode";
import { createApiRegistry } from "./config/load-apis.ts";
import { parseSettings } from "./config/settings.ts";
import { createExecutor } from "./executor/executor.ts";
import { createLimiter } from "./executor/limiter.ts";
import { runInSandbox } from "./executor/run-in-sandbox.ts";
import { createEgressReader } from "./executor/egress-summary.ts";
import { createApp } from "./http/app.ts";
import { createMcpSessions } from "./http/mcp-sessions.ts";
import { createMcpServer } from "./mcp/create-server.ts";
import { buildInstructions } from "./mcp/instructions.ts";
import { createSkillStore } from "./skills/skill-store.ts";
import { createSkillEvents } from "./skills/skill-events.ts";
import { SANDBOX_ALIAS } from "./docker-filter/policy.ts";

const VERSION = "0.1.0";
const log = (entry: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), component: "server", ...entry }) + "\n");

// One execution's failure must never take the gateway down: log what escaped and keep serving.
process.on("unhandledRejection", (reason) => log({ level: "error", event: "unhandled-rejection", message: String(reason) }));

const settings = parseSettings(process.env);
const docker = new Docker({
  protocol: settings.dockerFilterUrl.protocol === "https:" ? "https" : "http",
  host: settings.dockerFilterUrl.hostname,
  port: Number(settings.dockerFilterUrl.port || 80),
});
const target = { docker, container: SANDBOX_ALIAS, runner: settings.sandboxRunner, user: settings.sandboxUser };
const limiter = createLimiter(settings.maxConcurrency, settings.maxQueue);

const registry = createApiRegistry(settings.apisDir);
let lastProblems = "";
const loadApisLogged = async () => {
  const loaded = await registry.load();
  // Report a changed set of config problems once, not on every call.
  const problems = JSON.stringify(loaded.problems);
  if (problems !== lastProblems) {
    lastProblems = problems;
    for (const p of loaded.problems) log({ level: "warn", event: "api-config-invalid", ...p });
  }
  return loaded;
};

const execute = createExecutor({
  limiter,
  loadApis: loadApisLogged,
  run: async (req) => {
    const result = await runInSandbox(target, req);
    log({ event: "execution", outcome: result.outcome, exitCode: result.exitCode, durationMs: result.durationMs });
    return result;
  },
  readEgress: createEgressReader(settings.egressEventsDir),
  outputLimitBytes: settings.outputLimitBytes,
  openEgress: settings.openEgress,
});
const skills = createSkillStore(
  settings.skillsDir,
  { maxCodeBytes: settings.skillMaxBytes, maxStoreBytes: settings.skillsStoreMaxBytes },
  log,
);
const skillEvents = createSkillEvents();
const instructions = buildInstructions(settings);
const sessions = createMcpSessions(() =>
  createMcpServer({
    execute,
    loadApis: loadApisLogged,
    instructions,
    limits: settings,
    version: VERSION,
    skills,
    skillEvents,
  }),
);
const app = createApp({ sessions, stats: limiter.stats, log });

const server = serve({ fetch: app.fetch, hostname: settings.listenHost, port: settings.listenPort }, (info) =>
  log({ event: "listening", address: info.address, port: info.port }),
);
await loadApisLogged();

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    void sessions.closeAll().finally(() => server.close(() => process.exit(0)));
    setTimeout(() => process.exit(0), 3000).unref();
  });
}
