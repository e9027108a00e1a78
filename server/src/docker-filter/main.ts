/**
 * @module Entry point of the docker-socket filter: the only process that holds the real Docker
 * socket. Reads its settings from the environment and listens on the internal control network.
 */
import { ensureFilterKey } from "../shared/filter-key.ts";
import { createFilterServer } from "./filter-server.ts";
import { parseFilterSettings, type FilterSettings } from "./filter-settings.ts";
import { createKnownExecs } from "./known-execs.ts";
import { ownComposeProject } from "./compose-services.ts";
import { createSandboxLocator } from "./sandbox-locator.ts";
import { createStatusReader } from "./status-reader.ts";

const log = (entry: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), component: "docker-filter", ...entry }) + "\n");

let settings: FilterSettings;
let key: string;
try {
  settings = parseFilterSettings(process.env);
} catch (err) {
  log({ level: "fatal", event: "bad-settings", message: (err as Error).message });
  process.exit(2);
}
try {
  key = await ensureFilterKey(settings.AIRLOCK_FILTER_KEY_FILE);
} catch (err) {
  log({ level: "fatal", event: "bad-settings", message: `AIRLOCK_FILTER_KEY_FILE: ${(err as Error).message}` });
  process.exit(2);
}
const socketPath = settings.AIRLOCK_DOCKER_SOCKET;
const port = settings.AIRLOCK_FILTER_PORT;
const service = settings.AIRLOCK_SANDBOX_SERVICE;
const rules = { launcher: settings.AIRLOCK_SANDBOX_LAUNCHER, user: settings.AIRLOCK_SANDBOX_USER };
const project = settings.AIRLOCK_COMPOSE_PROJECT ?? (await ownComposeProject(socketPath));
const server = createFilterServer({
  socketPath,
  rules,
  known: createKnownExecs(),
  locateSandbox: createSandboxLocator(socketPath, project, service),
  status: createStatusReader(socketPath, project),
  log,
  key,
});
server.listen(port, "0.0.0.0", () => log({ event: "listening", port, project, service }));

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
