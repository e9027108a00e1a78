import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { compose, execIn } from "../helpers/stack.ts";
import { LAUNCHER_PATH, SANDBOX_USER } from "../../sandbox/protocol.ts";
import { launcherExecCreate } from "../../server/src/shared/filter-contract.ts";

const stack = inject("stack");
const run = promisify(execFile);

/** Sends a request to the docker-socket filter from inside the server container, with the
 *  gateway's key: the position of an attacker who took over the gateway process. */
async function fromServer(method: string, path: string, body?: unknown) {
  const script = `
    const key = (await import("node:fs")).readFileSync("/run/airlock-filter/key", "utf8").trim();
    const res = await fetch("http://docker-filter:2375" + ${JSON.stringify(path)}, {
      method: ${JSON.stringify(method)},
      headers: { "content-type": "application/json", "x-airlock-filter-key": key },
      body: ${body === undefined ? "undefined" : JSON.stringify(JSON.stringify(body))},
    });
    console.log(res.status, await res.text());`;
  const result = await execIn(stack, "server", ["node", "--input-type=module", "-e", script]);
  const [status, ...rest] = result.stdout.trim().split(" ");
  return { status: Number(status), body: rest.join(" "), stderr: result.stderr };
}

const goodExec = launcherExecCreate(SANDBOX_USER, LAUNCHER_PATH);

describe("docker-socket filter, attacked from the server container", { timeout: 60_000 }, () => {
  it.each([
    ["list containers", "GET", "/containers/json"],
    ["inspect the daemon", "GET", "/info"],
    ["create a container", "POST", "/containers/create"],
    ["pull an image", "POST", "/images/create?fromImage=debian"],
    ["exec in the server container", "POST", "/containers/airlock-server-1/exec"],
    ["reach a path by traversal", "GET", "/exec/../containers/json"],
  ])("should refuse to %s", async (_name, method, path) => {
    const result = await fromServer(method, path, method === "POST" ? goodExec : undefined);
    expect(result.status).toBe(403);
    expect(result.body).toContain("airlock docker filter");
  });

  it("should refuse a privileged exec in the sandbox", async () => {
    const result = await fromServer("POST", "/containers/sandbox/exec", { ...goodExec, Privileged: true });
    expect(result.status).toBe(403);
    expect(result.body).toContain("Privileged");
  });

  it("should refuse a root exec running a shell in the sandbox", async () => {
    const result = await fromServer("POST", "/containers/sandbox/exec", { ...goodExec, User: "0", Cmd: ["sh", "-c", "id"] });
    expect(result.status).toBe(403);
  });

  it("should allow the exact launcher exec and let only its creator's id be inspected", async () => {
    const created = await fromServer("POST", "/containers/sandbox/exec", goodExec);
    expect(created.status).toBe(201);
    const id = (JSON.parse(created.body) as { Id: string }).Id;
    const inspected = await fromServer("GET", `/exec/${id}/json`);
    expect(inspected.status).toBe(200);
    expect(JSON.parse(inspected.body)).toMatchObject({ ProcessConfig: { user: "10001:10001", privileged: false } });
    const unknown = await fromServer("GET", `/exec/${"0".repeat(64)}/json`);
    expect(unknown.status).toBe(403);
  });

  it("should log every denial with its reason", async () => {
    await fromServer("GET", "/version");
    await fromServer("POST", "/containers/sandbox/exec", "x".repeat(70_000)); // refused before the policy: too large
    const out = await compose(stack, ["logs", "--no-log-prefix", "docker-filter"]);
    const denials = out.split("\n").filter((l) => l.includes('"decision":"deny"')).map((l) => JSON.parse(l.slice(l.indexOf("{"))));
    expect(denials).toContainEqual(expect.objectContaining({ method: "GET", path: "/version", status: 403, reason: "endpoint is not on the allowlist" }));
    expect(denials).toContainEqual(expect.objectContaining({ method: "POST", path: "/containers/sandbox/exec", status: 413, reason: "body too large" }));
  });

  it("should not expose the Docker socket in the server or sandbox containers", async () => {
    for (const service of ["server", "sandbox"]) {
      const result = await execIn(stack, service, ["sh", "-c", "ls -la /var/run/docker.sock /run/docker.sock 2>&1 || true"]);
      expect(result.stdout).toContain("No such file");
    }
  });
});

describe("docker-socket filter, reached by anyone but the gateway", { timeout: 60_000 }, () => {
  /** A host user on the internal control bridge (Docker cannot keep the host off it). */
  async function fromHost(path: string, key?: string): Promise<number> {
    const id = (await compose(stack, ["ps", "-q", "docker-filter"])).trim();
    const { stdout } = await run("docker", ["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}", id]);
    const address = stdout.trim().split(" ")[0]!;
    const res = await fetch(`http://${address}:2375${path}`, { headers: key ? { "x-airlock-filter-key": key } : {} });
    return res.status;
  }

  it.each(["/_airlock/status", "/containers/json", "/_ping"])("should answer %s with 401 without the gateway's key", async (path) => {
    expect(await fromHost(path)).toBe(401);
    expect(await fromHost(path, "0".repeat(64))).toBe(401);
  });

  it("should answer the gateway's key (control: the address and path are right)", async () => {
    const key = (await execIn(stack, "server", ["cat", "/run/airlock-filter/key"])).stdout.trim();
    expect(await fromHost("/_airlock/status", key)).toBe(200);
  });

  it("should keep the key out of the sandbox and the proxy", async () => {
    for (const service of ["sandbox", "proxy"]) {
      expect((await execIn(stack, service, ["cat", "/run/airlock-filter/key"])).code).not.toBe(0);
    }
  });
});

describe("the gateway process", () => {
  it("should run as uid 1000 with no capability once it serves", async () => {
    const status = (await execIn(stack, "server", ["cat", "/proc/1/status"])).stdout;
    expect(status).toMatch(/^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^Gid:\s+1000\s+1000\s+1000\s+1000$/m);
    expect(status).toMatch(/^CapEff:\s+0{16}$/m);
    expect(status).toMatch(/^CapPrm:\s+0{16}$/m);
  });
});
