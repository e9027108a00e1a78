// Protocol tests of the launcher, run in the sandbox image (`docker build --target test sandbox`):
// a real launcher process, real child Deno processes, no network.
import { assert, assertEquals } from "./assert.ts";

type Message = { id?: string; ev: string; fd?: number; data?: string; code?: number; signal?: string | null; killed?: string | null; error?: string; reason?: string | null };

class LauncherProcess {
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #messages: Message[] = [];
  #waiters: Array<() => void> = [];

  constructor(env: Record<string, string> = {}) {
    this.#child = new Deno.Command("/opt/airlock/launch", { env, stdin: "piped", stdout: "piped", stderr: "inherit" }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    void this.#read();
  }

  async #read() {
    let pending = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf("\n")) !== -1) {
        this.#messages.push(JSON.parse(pending.slice(0, nl)));
        pending = pending.slice(nl + 1);
        for (const w of this.#waiters.splice(0)) w();
      }
    }
  }

  send(message: Record<string, unknown>) {
    return this.#writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  }

  async until(match: (m: Message) => boolean, ms = 15000): Promise<Message> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.#messages.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error("timed out waiting for a launcher message");
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  messages(): Message[] {
    return [...this.#messages];
  }

  output(id: string, fd = 1): string {
    return this.#messages
      .filter((m) => m.id === id && m.ev === "out" && m.fd === fd)
      .map((m) => atob(m.data!))
      .join("");
  }

  async close() {
    await this.#writer.close();
    return await this.#child.status;
  }

  /** Kills the launcher itself, as the OOM killer or an operator might. */
  async kill() {
    this.#child.kill("SIGKILL");
    await this.#child.status;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether a process runs: a zombie (waiting for whoever is PID 1 here to reap it) does not. */
function running(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1]!.split(" ")[0]! !== "Z";
  } catch {
    return false; // no such process
  }
}

/** Pids of the running processes whose arguments include `text`. */
function processesWith(text: string): number[] {
  const found: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${entry.name}/cmdline`).includes(text) && running(Number(entry.name))) found.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

const settle = (ms = 500) => new Promise((r) => setTimeout(r, ms));

const id = (n: number) => n.toString(16).padStart(32, "0");
const run = (n: number, code: string, extra: Record<string, unknown> = {}) => ({
  op: "run", id: id(n), hosts: [], timeoutSeconds: 10, outputLimitBytes: 10_000, code, ...extra,
});

Deno.test("runs code in a fresh process and reports its output and exit code", async () => {
  const l = new LauncherProcess();
  await l.until((m) => m.ev === "ready");
  await l.send(run(1, 'const n: number = 41; console.log(n + 1); console.error("e"); Deno.exit(3)'));
  const exit = await l.until((m) => m.id === id(1) && m.ev === "exit");
  assertEquals([exit.code, exit.killed], [3, null]);
  assertEquals(l.output(id(1)), "42\n");
  assertEquals(l.output(id(1), 2), "e\n");
  await l.close();
});

Deno.test("refuses a malformed run without starting anything", async () => {
  const l = new LauncherProcess();
  for (const bad of [run(2, "1", { id: "../x" }), run(3, "1", { hosts: ["a b"] }), run(4, "1", { timeoutSeconds: 0 }), run(5, "1", { code: 7 })]) {
    await l.send(bad);
  }
  for (const n of [3, 4, 5]) {
    const exit = await l.until((m) => m.id === id(n) && m.ev === "exit");
    assertEquals(exit.code, 125);
    assert(exit.error?.includes("malformed"));
  }
  await l.close();
});

Deno.test("kills on request, and stops relaying past the output budget", async () => {
  const l = new LauncherProcess();
  await l.send(run(6, "while (true) {}"));
  await l.until((m) => m.id === id(6) && m.ev === "started");
  await l.send({ op: "kill", id: id(6) });
  const killed = await l.until((m) => m.id === id(6) && m.ev === "exit");
  assertEquals([killed.signal, killed.killed], ["SIGKILL", "request"]);

  await l.send(run(7, 'while (true) console.log("x".repeat(1000))', { outputLimitBytes: 5000 }));
  const flooded = await l.until((m) => m.id === id(7) && m.ev === "exit");
  assertEquals(flooded.killed, "output");
  assert(l.output(id(7)).length <= 5000);
  await l.close();
});

Deno.test("gives each execution its own folder, gone afterwards", async () => {
  const l = new LauncherProcess();
  await l.send(run(8, 'await Deno.writeTextFile("f.txt", "mine"); console.log(Deno.cwd())'));
  await l.until((m) => m.id === id(8) && m.ev === "exit");
  const dir = l.output(id(8)).trim();
  await l.send(run(9, `try { Deno.readTextFileSync(${JSON.stringify(dir + "/f.txt")}); console.log("read") } catch (e) { console.log((e as Error).name) }`));
  await l.until((m) => m.id === id(9) && m.ev === "exit");
  assert(["NotCapable", "NotFound"].includes(l.output(id(9)).trim()));
  assertEquals(exists(dir), false);
  await l.close();
});

Deno.test("kills every execution when its stdin closes", async () => {
  const l = new LauncherProcess();
  await l.send(run(10, "console.log(Deno.pid); while (true) {}"));
  await l.until((m) => m.id === id(10) && m.ev === "out");
  const pid = Number(l.output(id(10)).trim());
  const status = await l.close();
  assertEquals(status.code, 0);
  await settle(300);
  assert(!running(pid), "execution still running");
});

Deno.test("kills every execution, and every pre-started one, when the launcher itself is killed", async () => {
  const l = new LauncherProcess({ AIRLOCK_WARM_EXECUTIONS: "2" });
  await l.send(run(14, "console.log(Deno.pid, Deno.cwd()); setInterval(() => {}, 1000)"));
  await l.until((m) => m.id === id(14) && m.ev === "out");
  const [pid, cwd] = l.output(id(14)).trim().split(" ");
  assert(running(Number(pid)));
  await settle(); // the pre-started ones are up by now
  assert(processesWith("/opt/airlock/bootstrap.js").length >= 2, "expected pre-started executions");
  await l.kill(); // no chance to clean up: only the parent-death signal can stop them
  await settle();
  assert(!running(Number(pid)), "execution outlived its launcher");
  assertEquals(processesWith("/opt/airlock/bootstrap.js"), []);
  // Its scratch folder stays until the next launcher sweeps it.
  assert(exists(cwd!));
  const next = new LauncherProcess();
  await next.until((m) => m.ev === "ready");
  assertEquals(exists(cwd!), false);
  await next.close();
});

Deno.test("kills what an earlier launcher left running before it is ready", async () => {
  // An execution whose parent died before its parent-death signal was armed: an orphan running
  // the entry point, adopted by PID 1. Its stdin never closes, so it would wait forever.
  const { stdout } = await new Deno.Command("sh", {
    args: ["-c", "sleep 60 2>/dev/null | deno run --quiet --no-prompt /opt/airlock/bootstrap.js >/dev/null 2>&1 & echo $!"],
    stdout: "piped",
  }).output();
  const orphan = Number(new TextDecoder().decode(stdout).trim());
  await settle();
  assert(running(orphan), "the orphan should be running before a launcher starts");
  const l = new LauncherProcess();
  await l.until((m) => m.ev === "ready");
  await settle(100);
  assert(!running(orphan), "the orphan survived a new launcher");
  await l.close();
});

Deno.test("removes a scratch folder the code made read-only", async () => {
  const l = new LauncherProcess();
  await l.send(run(11, 'await Deno.mkdir("d"); await Deno.writeTextFile("d/x", "1"); await Deno.chmod("d", 0o500); await Deno.chmod(".", 0o500); console.log(Deno.cwd())'));
  const exit = await l.until((m) => m.id === id(11) && m.ev === "exit");
  assertEquals(exit.code, 0);
  const scratch = l.output(id(11)).trim().replace(/\/work$/, "");
  await new Promise((r) => setTimeout(r, 200));
  assertEquals(exists(scratch), false);
  await l.close();
});

Deno.test("removes a scratch tree nested deeper than a path may be long, with a locked floor", async () => {
  const l = new LauncherProcess();
  // Two chains each under the 4096-byte path limit; the first, locked at its bottom, is moved to
  // the end of the second, so no full path reaches the bottom any more.
  const code = `const seg = "d".repeat(200);
    const a = Array(17).fill(seg).join("/"), b = Array(17).fill(seg).join("/");
    Deno.mkdirSync("a/" + a, { recursive: true }); Deno.mkdirSync("b/" + b, { recursive: true });
    Deno.writeTextFileSync("a/" + a + "/x", "x"); Deno.chmodSync("a/" + a, 0);
    Deno.renameSync("a", "b/" + b + "/a");
    console.log(Deno.cwd());`;
  await l.send(run(15, code));
  const exit = await l.until((m) => m.id === id(15) && m.ev === "exit");
  assertEquals([exit.code, exit.killed], [0, null]);
  const scratch = l.output(id(15)).trim().replace(/\/work$/, "");
  await settle(300);
  assertEquals(exists(scratch), false);
  await l.send(run(16, 'console.log("next")'));
  const next = await l.until((m) => m.id === id(16) && m.ev === "exit");
  assertEquals([next.code, l.output(id(16))], [0, "next\n"]);
  assert(!l.messages().some((m) => m.ev === "fault"), "no fault was reported");
  await l.close();
});

Deno.test("counts a folder it cannot look into as past the disk share", async () => {
  const l = new LauncherProcess();
  await l.send(run(17, 'Deno.mkdirSync("hidden"); Deno.writeFileSync("hidden/f", new Uint8Array(1 << 20)); Deno.chmodSync("hidden", 0o300); await new Promise((r) => setTimeout(r, 5000)); console.log("unmeasured")'));
  const exit = await l.until((m) => m.id === id(17) && m.ev === "exit");
  assertEquals([exit.signal, exit.killed], ["SIGKILL", "disk"]);
  await l.close();
});

Deno.test("sweeps what an earlier launcher left behind before it is ready", async () => {
  const left = "/tmp/exec.left-behind";
  Deno.mkdirSync(`${left}/work/sub`, { recursive: true });
  Deno.writeTextFileSync(`${left}/work/sub/big`, "x".repeat(1000));
  Deno.chmodSync(`${left}/work/sub`, 0o500);
  Deno.chmodSync(`${left}/work`, 0o500);
  const l = new LauncherProcess();
  await l.until((m) => m.ev === "ready");
  assertEquals(exists(left), false);
  await l.close();
});

Deno.test("removes a folder an earlier launcher's execution leaves behind after the sweep, never a live one's", async () => {
  const l = new LauncherProcess();
  await l.until((m) => m.ev === "ready");
  // As a dying execution of an earlier launcher does: its folder appears after the start sweep.
  const left = "/tmp/exec.left-after-sweep";
  Deno.mkdirSync(`${left}/cache`, { recursive: true });
  await l.send(run(31, "await new Promise((r) => setTimeout(r, 9000)); console.log(Deno.cwd());"));
  await settle(500);
  const live = [...Deno.readDirSync("/tmp")].map((e) => `/tmp/${e.name}`).filter((d) => d.startsWith("/tmp/exec.") && d !== left);
  assert(live.length >= 2, "expected the running execution's and the pre-started ones' folders");
  const deadline = Date.now() + 12_000;
  while (exists(left) && Date.now() < deadline) await settle(250);
  assertEquals(exists(left), false);
  // Every folder with a process in it is still there, the running execution's included.
  for (const dir of live) assert(exists(dir), `${dir} was removed while in use`);
  await l.until((m) => m.id === id(31) && m.ev === "exit", 15000);
  await l.close();
});

Deno.test("stops at start on a bad setting, naming the variable", async () => {
  const child = new Deno.Command("/opt/airlock/launch", {
    env: { AIRLOCK_WARM_EXECUTIONS: "lots" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  await child.stdin.close();
  const { code, stderr } = await child.output();
  assertEquals(code, 2);
  assert(new TextDecoder().decode(stderr).includes("AIRLOCK_WARM_EXECUTIONS"));
});

Deno.test("stops an execution that takes more than its share of the scratch disk", async () => {
  const l = new LauncherProcess({ AIRLOCK_SCRATCH_QUOTA_MB: "8" });
  // Files each far under the per-file limit: only the quota can stop this.
  await l.send(run(12, 'const c = new Uint8Array(1 << 20); for (let i = 0; ; i++) { Deno.writeFileSync("f" + i, c); await new Promise((r) => setTimeout(r, 5)); }'));
  const exit = await l.until((m) => m.id === id(12) && m.ev === "exit");
  assertEquals([exit.signal, exit.killed], ["SIGKILL", "disk"]);
  // A modest execution beside it is untouched.
  await l.send(run(13, 'Deno.writeFileSync("small", new Uint8Array(1 << 20)); console.log("ok")'));
  const fine = await l.until((m) => m.id === id(13) && m.ev === "exit");
  assertEquals([fine.code, fine.killed], [0, null]);
  await l.close();
});

// Run on its own (npm run test:sandbox does), with a tmpfs mounted at /tmp/exec.pinned/work/m:
// Docker makes that folder root's and the mount point cannot be removed, so the sweep fails.
Deno.test({
  name: "refuses new runs while a scratch folder cannot be removed, and says why",
  ignore: !Deno.env.get("AIRLOCK_TEST_PINNED_SCRATCH"),
  fn: async () => {
    const l = new LauncherProcess();
    const fault = await l.until((m) => m.ev === "fault");
    assert(fault.reason?.includes("/tmp/exec.pinned"), `fault: ${fault.reason}`);
    await l.until((m) => m.ev === "ready");
    await l.send(run(20, 'console.log("must not run")'));
    const exit = await l.until((m) => m.id === id(20) && m.ev === "exit");
    assertEquals(exit.code, 125);
    assert(exit.error?.includes("docker compose restart sandbox"), `error: ${exit.error}`);
    assertEquals(l.output(id(20)), "");
    await l.close();
  },
});
