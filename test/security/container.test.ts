/**
 * The sandbox container's own walls, attacked from a process that has left Deno's permissions
 * behind: a shell in the container, as the sandbox's user and as root. What holds it is the
 * container's configuration alone (read-only root, no capabilities, no new privileges, limits).
 */
import { describe, expect, inject, it } from "vitest";
import { execIn } from "../helpers/stack.ts";

const stack = inject("stack");

/** Runs a shell line in the sandbox and returns what it printed. */
async function inSandbox(script: string, user = "10001:10001"): Promise<string> {
  const result = await execIn(stack, "sandbox", ["sh", "-c", script], user);
  return (result.stdout + result.stderr).trim();
}

describe("the sandbox container, from a shell inside it", { timeout: 60_000 }, () => {
  it("should keep even root from writing the image's files", async () => {
    expect(await inSandbox("touch /etc/planted 2>&1; echo code=$?", "0:0")).toMatch(/Read-only file system[\s\S]*code=1/);
    expect(await inSandbox("touch /opt/airlock/planted 2>&1; echo code=$?", "0:0")).toMatch(/Read-only file system[\s\S]*code=1/);
    // Control: the scratch tmpfs is writable, so the refusal above is the read-only root's.
    expect(await inSandbox("touch /tmp/control && rm /tmp/control && echo wrote")).toBe("wrote");
  });

  it("should give no process any capability, nor a way to gain one", async () => {
    for (const user of ["10001:10001", "0:0"]) {
      const status = await inSandbox("grep -E '^(CapEff|CapPrm|CapBnd):' /proc/self/status", user);
      expect(status).toMatch(/CapEff:\s+0000000000000000/);
      expect(status).toMatch(/CapPrm:\s+0000000000000000/);
      expect(status).toMatch(/CapBnd:\s+0000000000000000/);
      // Asked of the kernel (prctl), which gVisor answers too; its /proc/self/status has no such line.
      expect(await inSandbox("setpriv --dump 2>/dev/null | grep no_new_privs", user)).toBe("no_new_privs: 1");
    }
    // Root without capabilities (no DAC override) cannot read another user's private file.
    await inSandbox("echo private > /tmp/private && chmod 000 /tmp/private");
    try {
      expect(await inSandbox("cat /tmp/private 2>&1; echo code=$?", "0:0")).toMatch(/Permission denied[\s\S]*code=1/);
    } finally {
      await inSandbox("rm -f /tmp/private");
    }
  });

  it("should run its processes as the sandbox's user under a reaping init", async () => {
    // A process that ends while it is looked at (the launcher's own helpers come and go) is
    // skipped, not reported as an empty line.
    const script = 'for p in /proc/[0-9]*; do u=$(sed -n "s/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p" $p/status 2>/dev/null) && c=$(tr "\\0" " " 2>/dev/null < $p/cmdline) && [ -n "$u" ] || continue; printf "%s %s\\n" "$u" "$(printf "%s" "$c" | cut -c1-40)"; done';
    const lines = (await inSandbox(script)).split("\n").filter(Boolean);
    const pid1 = (await inSandbox("tr '\\0' ' ' < /proc/1/cmdline")).trim();
    expect(pid1).toMatch(/^\/sbin\/docker-init /);
    // Every process but this probe's own shell belongs to uid 10001.
    expect(lines.filter((l) => !l.startsWith("10001 "))).toEqual([]);
  });
});
