/**
 * @module Fault injection for the fault suite: crash a service's main process as the kernel or an
 * operator's `kill -9` would (so Docker's restart policy, not a polite stop, decides what happens),
 * kill the sandbox's launcher, and read what is left running in the sandbox.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
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

export interface SandboxState {
  launchers: number[];
  /** Execution processes (running or pre-started): pid, parent pid and scratch folder. */
  executions: Array<{ pid: number; ppid: number; scratch: string }>;
  scratch: string[];
}

// The entry points' paths are assembled at run time so that this script's own command line
// (sh -c '...') never matches them.
const STATE_SCRIPT = `
b=/opt/airlock/boot; b=\${b}strap.js; l=/opt/airlock/laun; l=\${l}cher.ts
for s in /proc/[0-9]*/status; do
  p=\${s#/proc/}; p=\${p%/status}
  args=$(tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null) || continue
  case "$args" in
    *" $b"*) echo "exec $p $(sed -n 's/^PPid:[[:space:]]*//p' $s) $(printf '%s' "$args" | sed -n 's/.*--allow-read=\\([^ ,]*\\)\\/work.*/\\1/p')" ;;
    *" $l"*) echo "launcher $p" ;;
  esac
done
for d in /tmp/exec.*; do [ -d "$d" ] && echo "scratch $d"; done
exit 0`;

export async function sandboxState(stack: StackInfo): Promise<SandboxState> {
  // As the sandbox's user: with every capability dropped, root may not read its /proc entries.
  const { stdout, code, stderr } = await execIn(stack, "sandbox", ["sh", "-c", STATE_SCRIPT], "10001:10001");
  if (code !== 0) throw new Error(`cannot read the sandbox's processes: ${stderr}`);
  const state: SandboxState = { launchers: [], executions: [], scratch: [] };
  for (const line of stdout.trim().split("\n").filter(Boolean)) {
    const [kind, a, b, c] = line.split(" ");
    if (kind === "launcher") state.launchers.push(Number(a));
    else if (kind === "exec") state.executions.push({ pid: Number(a), ppid: Number(b), scratch: c ?? "" });
    else if (kind === "scratch") state.scratch.push(a!);
  }
  return state;
}

/** What must hold once the sandbox has settled: every execution process belongs to a live
 *  launcher, and every scratch folder to a live execution process. Returns the violations. */
export function leftovers(state: SandboxState): string[] {
  const problems: string[] = [];
  for (const e of state.executions) {
    if (!state.launchers.includes(e.ppid)) problems.push(`orphaned execution process ${e.pid} (parent ${e.ppid})`);
  }
  const owned = new Set(state.executions.map((e) => e.scratch));
  for (const dir of state.scratch) if (!owned.has(dir)) problems.push(`scratch folder ${dir} without a process`);
  return problems;
}

/** Kills every launcher in the sandbox (as the sandbox's user, who owns them). */
export async function killLaunchers(stack: StackInfo): Promise<number[]> {
  const { launchers } = await sandboxState(stack);
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
