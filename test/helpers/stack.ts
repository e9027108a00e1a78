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

export interface StackInfo {
  projectName: string;
  mcpUrl: string;
  apisDir: string;
  skillsDir: string;
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
  await writeApiConfig(apisDir, "fake", {
    description: "The fake upstream API of the test suite (echoes requests).",
    domains: ["api.fake.test"],
    credentials: { FAKE_API_TOKEN: { header: "Authorization", env: "FAKE_API_TOKEN" } },
    referenceUrl: "https://api.fake.test/docs",
    restrictedMethods: ["DELETE"],
  });
  await writeApiConfig(apisDir, "broken", { description: "has a typo", domain: ["x.fake.test"] });
  const port = await freePort();

  const passThrough = Object.fromEntries(
    ["AIRLOCK_NODE_IMAGE", "AIRLOCK_DENO_IMAGE", "AIRLOCK_DEBIAN_IMAGE", "AIRLOCK_EXTRA_CA_FILE"]
      .filter((k) => process.env[k])
      .map((k) => [k, process.env[k]!]),
  );
  const environment: StartedDockerComposeEnvironment = await new DockerComposeEnvironment(REPO_ROOT, [
    "compose.yaml",
    "test/fixtures/compose.test.yaml",
  ])
    .withProjectName(projectName)
    .withBuild()
    .withEnvironment({
      ...passThrough,
      AIRLOCK_PORT: String(port),
      AIRLOCK_APIS_PATH: apisDir,
      AIRLOCK_SKILLS_PATH: skillsDir,
      ...env,
    })
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(300_000)
    .up();

  return {
    info: { projectName, mcpUrl: `http://127.0.0.1:${port}/mcp`, apisDir, skillsDir },
    stop: async () => {
      await environment.down({ removeVolumes: true, timeout: 10_000 });
      await rm(apisDir, { recursive: true, force: true });
      await rm(skillsDir, { recursive: true, force: true });
    },
  };
}

/** Runs `docker compose` against the test project, as an operator would. */
export async function compose(projectName: string, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker", ["compose", "-p", projectName, ...args], { cwd: REPO_ROOT });
  return stdout;
}

/** Runs a command in a service's container (the test acting from inside that container). */
export async function execIn(projectName: string, service: string, cmd: string[], user?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = ["exec", "-T", ...(user ? ["-u", user] : []), service, ...cmd];
  try {
    const { stdout, stderr } = await run("docker", ["compose", "-p", projectName, ...args], { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
