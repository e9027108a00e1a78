/**
 * @module Entry point of the docker-socket filter: the only process that holds the real Docker
 * socket. Reads its settings from the environment and listens on the internal control network.
 */
import { ensureFilterKey } from "../shared/filter-key.ts";
import { createFilterServer } from "./filter-server.ts";
import { createKnownExecs } from "./known-execs.ts";
import { createSandboxLocator, createStatusReader, ownComposeProject } from "./sandbox-locator.ts";

const socketPath = process.env.DOCKER_SOCKET ?? "/var/run/docker.sock";
const port = Number(process.env.FILTER_PORT ?? "2375");
const service = process.env.SANDBOX_SERVICE ?? "sandbox";
const rules = {
  launcher: process.env.SANDBOX_LAUNCHER ?? "/opt/airlock/launch",
  user: process.env.SANDBOX_USER ?? "10001:10001",
};

const log = (entry: Record<string, unknown>) =>
  process.stdout.write(JSON.stringify({ time: new Date().toISOString(), component: "docker-filter", ...entry }) + "\n");

const keyFile = process.env.AIRLOCK_FILTER_KEY_FILE ?? "/run/airlock-filter/key";
let key: string;
try {
  key = await ensureFilterKey(keyFile);
} catch (err) {
  log({ level: "fatal", event: "bad-settings", message: `AIRLOCK_FILTER_KEY_FILE: ${(err as Error).message}` });
  process.exit(2);
}
const project = process.env.COMPOSE_PROJECT ?? (await ownComposeProject(socketPath));
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
