/**
 * @module Starts the real Airlock compose stack (plus the fake upstream API) for the integration
 * suites, with its own project name, port and apis/ folder, and tears it down afterwards.
 */
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { DockerComposeEnvironment, Wait, type StartedDockerComposeEnvironment } from "testcontainers";

const run = promisify(execFile);
export const REPO_ROOT = path.resolve(import.meta.dirname, "../..");
const COMPOSE_FILES = ["compose.yaml", "test/fixtures/compose.test.yaml"];

export interface StackInfo {
  projectName: string;
  mcpUrl: string;
  apisDir: string;
  skillsDir: string;
  /** The environment the stack was started with, for later `docker compose` calls. */
  env: Record<string, string>;
}

/** Secret values the suites plant in the proxy; no other container may ever hold them. */
export const TEST_SECRETS = {
  FAKE_API_TOKEN: "fk_live_9mQ2xT7vLp4RzW8nKc3J",
  FAKE_FILE_TOKEN: "ff_file_Yb6Hs2Qe8Tn4Wr1Mz5Pd",
  FAKE_SCOPED_TOKEN: "fs_scope_Vc7Gk3Ja9Lx2Nq6Rt4Bh",
};

export const FAKE_API_CONFIG = {
  description: "The fake upstream API of the test suite (echoes requests).",
  domains: ["api.fake.test"],
  // Plain HTTP on 8000 is allowed, but never with a credential (the proxy refuses the name there).
  plainHttpPorts: [8000],
  credentials: {
    FAKE_API_TOKEN: {
      description: "Bearer token",
      headers: ["Authorization"],
      query: ["api_key"],
      basicAuth: true,
      value: { env: "FAKE_API_SECRET" },
    },
    FAKE_FILE_TOKEN: { headers: ["X-File-Token"], value: { file: "/run/secrets/airlock/fake_file_token" } },
    FAKE_SCOPED_TOKEN: {
      headers: ["X-Scoped-Token"],
      value: { env: "FAKE_SCOPED_SECRET" },
      methods: ["GET"],
      paths: ["/v1/charges*"],
    },
  },
  referenceUrl: "https://api.fake.test/docs",
  restrictedMethods: ["DELETE"],
  redact: ["jane.doe@example.com"],
};

/** A CA and a server certificate for the fake upstream's .test names, made with openssl. */
async function makeCerts(dir: string): Promise<void> {
  const o = (...args: string[]) => run("openssl", args, { cwd: dir });
  await o("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Airlock test CA",
    "-keyout", "ca.key", "-out", "ca.pem");
  await o("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=api.fake.test", "-keyout", "server.key", "-out", "server.csr");
  await writeFile(path.join(dir, "ext.cnf"),
    "subjectAltName=DNS:api.fake.test,DNS:other.fake.test,DNS:unlisted.fake.test,DNS:late.fake.test,DNS:held.fake.test\n");
  await o("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
    "-extfile", "ext.cnf", "-out", "server.pem");
  // Self-signed, for untrusted.fake.test: no CA the proxy trusts vouches for it.
  await o("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=untrusted.fake.test",
    "-addext", "subjectAltName=DNS:untrusted.fake.test", "-keyout", "untrusted.key", "-out", "untrusted.pem");
  for (const f of ["ca.pem", "server.pem", "server.key", "untrusted.pem", "untrusted.key"]) await chmod(path.join(dir, f), 0o644);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A world-readable temp folder: the containers read it as their own non-root users. */
async function sharedTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await chmod(dir, 0o755);
  return dir;
}

export async function writeApiConfig(apisDir: string, name: string, config: unknown): Promise<void> {
  const dir = path.join(apisDir, name);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(dir, 0o755);
  const text = typeof config === "string" ? config : JSON.stringify(config, null, 2);
  await writeFile(path.join(dir, "config.json"), text, { mode: 0o644 });
}

export async function startStack(env: Record<string, string> = {}): Promise<{ info: StackInfo; stop: () => Promise<void> }> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
  const projectName = `airlock-test-${process.pid}`;
  const apisDir = await sharedTempDir("airlock-apis-");
  const skillsDir = await sharedTempDir("airlock-skills-");
  // Left as a fresh checkout leaves it (owned by whoever cloned, here root): the gateway must
  // make the store its own by itself.
  const secretsDir = await sharedTempDir("airlock-secrets-");
  const certsDir = await sharedTempDir("airlock-certs-");
  await writeApiConfig(apisDir, "fake", FAKE_API_CONFIG);
  await writeApiConfig(apisDir, "other", { description: "Another allowlisted host, no credentials.", domains: ["other.fake.test"] });
  await writeApiConfig(apisDir, "broken", { description: "has a typo", domain: ["x.fake.test"] });
  await writeFile(path.join(secretsDir, "fake_file_token"), TEST_SECRETS.FAKE_FILE_TOKEN + "\n", { mode: 0o644 });
  const secretsFile = path.join(secretsDir, "secrets.env");
  await writeFile(
    secretsFile,
    `FAKE_API_SECRET=${TEST_SECRETS.FAKE_API_TOKEN}\nFAKE_SCOPED_SECRET=${TEST_SECRETS.FAKE_SCOPED_TOKEN}\n`,
    { mode: 0o600 },
  );
  await makeCerts(certsDir);
  const port = await freePort();

  const passThrough = Object.fromEntries(
    ["AIRLOCK_NODE_IMAGE", "AIRLOCK_DENO_IMAGE", "AIRLOCK_DEBIAN_IMAGE", "AIRLOCK_EXTRA_CA_FILE", "AIRLOCK_SANDBOX_RUNTIME"]
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  );
  const stackEnv = {
    ...passThrough,
    COMPOSE_FILE: COMPOSE_FILES.join(":"),
    AIRLOCK_PORT: String(port),
    AIRLOCK_APIS_PATH: apisDir,
    AIRLOCK_SKILLS_PATH: skillsDir,
    AIRLOCK_SECRETS_FILE: secretsFile,
    AIRLOCK_SECRETS_DIR: secretsDir,
    AIRLOCK_UPSTREAM_CA_FILE: path.join(certsDir, "ca.pem"),
    AIRLOCK_TEST_CERTS: certsDir,
    ...env,
  };
  const environment: StartedDockerComposeEnvironment = await new DockerComposeEnvironment(REPO_ROOT, COMPOSE_FILES)
    .withProjectName(projectName)
    .withBuild()
    .withEnvironment(stackEnv)
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(300_000)
    .up();

  return {
    info: { projectName, mcpUrl: `http://127.0.0.1:${port}/mcp`, apisDir, skillsDir, env: stackEnv },
    stop: async () => {
      await environment.down({ removeVolumes: true, timeout: 10_000 });
      for (const dir of [apisDir, skillsDir, secretsDir, certsDir]) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Whether the stack's sandbox runs under gVisor (AIRLOCK_SANDBOX_RUNTIME=runsc), where a few
 *  limits behave differently (SECURITY.md, gVisor); the suites then expect that behaviour. */
export function onGvisor(stack: StackInfo): boolean {
  return stack.env.AIRLOCK_SANDBOX_RUNTIME === "runsc";
}

/** Runs `docker compose` against the test stack, as an operator would; `overrides` changes
 *  settings for commands that (re)create containers. */
export async function compose(stack: StackInfo, args: string[], overrides: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run("docker", ["compose", "-p", stack.projectName, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...stack.env, ...overrides },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Runs a command in a service's container (the test acting from inside that container). */
export async function execIn(stack: StackInfo, service: string, cmd: string[], user?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ["exec", "-T", ...(user ? ["-u", user] : []), service, ...cmd];
  try {
    const { stdout, stderr } = await run("docker", ["compose", "-p", stack.projectName, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...stack.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
