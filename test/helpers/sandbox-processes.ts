/**
 * @module What runs in the sandbox, read from its /proc as the sandbox's own user (with every
 * capability dropped, even root there may not read those entries): the launchers, the execution
 * processes and their scratch folders. One reader for every suite that checks what is left.
 */
import { execIn, type StackInfo } from "./stack.ts";

export interface SandboxState {
  /** Launcher processes, with their OOM score adjustment. */
  launchers: Array<{ pid: number; oom: number }>;
  /** Execution processes (running or pre-started): pid, parent pid, scratch folder (found in
   *  Deno's --allow-read: gVisor does not show another process's cwd) and OOM score adjustment. */
  executions: Array<{ pid: number; ppid: number; scratch: string; oom: number }>;
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
    *" $b"*) echo "exec $p $(cat /proc/$p/oom_score_adj) $(sed -n 's/^PPid:[[:space:]]*//p' $s) $(printf '%s' "$args" | sed -n 's/.*--allow-read=\\([^ ,]*\\)\\/work.*/\\1/p')" ;;
    *" $l"*) echo "launcher $p $(cat /proc/$p/oom_score_adj)" ;;
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
    const [kind, a, b, c, d] = line.split(" ");
    if (kind === "launcher") state.launchers.push({ pid: Number(a), oom: Number(b) });
    else if (kind === "exec") state.executions.push({ pid: Number(a), oom: Number(b), ppid: Number(c), scratch: d ?? "" });
    else if (kind === "scratch") state.scratch.push(a!);
  }
  return state;
}

/** What must hold once the sandbox has settled: every execution process belongs to a live
 *  launcher, and every scratch folder to a live execution process. Returns the violations. */
export function leftovers(state: SandboxState): string[] {
  const problems: string[] = [];
  for (const e of state.executions) {
    if (!state.launchers.some((l) => l.pid === e.ppid)) problems.push(`orphaned execution process ${e.pid} (parent ${e.ppid})`);
  }
  const owned = new Set(state.executions.map((e) => e.scratch));
  for (const dir of state.scratch) if (!owned.has(dir)) problems.push(`scratch folder ${dir} without a process`);
  return problems;
}

/** Execution processes started for the execution whose scratch folder is `dir`: how the suites
 *  check that a stopped execution left nothing running. Pre-started executions have folders of
 *  their own and do not count. */
export async function processesIn(stack: StackInfo, dir: string): Promise<number> {
  return (await sandboxState(stack)).executions.filter((e) => e.scratch === dir).length;
}
