/**
 * @module Fault injection for the fault suite: crash a service's main process as the kernel or an
 * operator's `kill -9` would (so Docker's restart policy, not a polite stop, decides what happens),
 * and kill the sandbox's launcher (what is left running is read by sandbox-processes.ts).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { sandboxState } from "./sandbox-processes.ts";
import { compose, execIn, type StackInfo } from "./stack.ts";

const run = promisify(execFile);

/** SIGKILLs a service's main process from the host. `docker kill` would count as a manual stop,
 *  which the restart policy honours; a crash does not. */
export async function crash(stack: StackInfo, service: string): Promise<void> {
  const id = (await compose(stack, ["ps", "-q", service])).trim();
  const { stdout } = await run("docker", ["inspect", "-f", "{{.State.Pid}}", id]);
  const pid = Number(stdout.trim());
  // Pid 0 means "not running"; kill(0) would signal our own process group.
  if (!(pid > 1)) throw new Error(`${service} is not running (pid ${stdout.trim()})`);
  process.kill(pid, "SIGKILL");
}

/** Kills every launcher in the sandbox (as the sandbox's user, who owns them). */
export async function killLaunchers(stack: StackInfo): Promise<number[]> {
  const launchers = (await sandboxState(stack)).launchers.map((l) => l.pid);
  if (launchers.length === 0) throw new Error("no launcher is running");
  const result = await execIn(stack, "sandbox", ["sh", "-c", `kill -KILL ${launchers.join(" ")}`], "10001:10001");
  if (result.code !== 0) throw new Error(`cannot kill the launcher: ${result.stderr}`);
  return launchers;
}

/** An SDK client that, as a robust client should, gives up its pending calls as soon as its
 *  transport reports the connection lost (the SDK alone would wait for each call's timeout). */
export async function connectFailFast(url: string, name: string): Promise<Client> {
  const client = new Client({ name, version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  client.onerror = () => void client.close();
  return client;
}
