/**
 * The sandbox's launcher: one long-lived process per gateway connection that starts a FRESH,
 * locked-down Deno process for every execution and relays its output. Docker's exec machinery
 * (dockerd, containerd, runc) costs ~35 ms of CPU per exec, more than Deno's own start-up; with
 * the launcher it is paid once per connection instead of once per execution.
 *
 * The protocol (messages both ways, the id and host formats) is defined once in protocol.ts,
 * which the gateway imports too.
 *
 * When our stdin closes (the gateway went away) every child is killed and we exit. When we are
 * killed ourselves, each child gets SIGKILL from its parent-death signal; the next launcher kills
 * any that slipped through and removes the scratch folders left behind.
 *
 * Children run as this same uid but with their own Deno permissions: read/write only their
 * scratch folder, read /skills, net only the allowlisted host:port pairs, no env, run, FFI or sys.
 * They cannot signal or inspect the launcher (that needs --allow-run or /proc access they lack).
 *
 * Each child's proxy URL carries a token `<id>.<expiry>.<HMAC-SHA256(key, id.expiry)>` signed with
 * a key only the launcher and the proxy can read: the proxy serves nobody without a current one
 * (proxy/addons/execution_identity.py checks it). The child cannot read its own environment.
 */
import { ANY_HOST, isRunRequest, type FromLauncher, type KillReason } from "./protocol.ts";

/** A whole-number setting within bounds, or a stop naming the variable (never NaN, never a guess). */
function intSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    console.error(`launcher: invalid setting ${name}=${JSON.stringify(raw)}: must be a whole number from ${min} to ${max}`);
    Deno.exit(2);
  }
  return value;
}

const HEAP_MB = intSetting("AIRLOCK_HEAP_MB", 256, 16, 65536);
const MAX_FILE_BYTES = intSetting("AIRLOCK_MAX_FILE_MB", 128, 1, 1 << 20) * 1024 * 1024;
const PROXY_URL = Deno.env.get("AIRLOCK_PROXY_URL") ?? "";
const encoder = new TextEncoder();
const PROXY_CA = Deno.env.get("AIRLOCK_PROXY_CA") ?? "";
const WARM_PER_KEY = intSetting("AIRLOCK_WARM_EXECUTIONS", 2, 0, 16);
const MAX_TIMEOUT_SECONDS = intSetting("AIRLOCK_MAX_TIMEOUT_SECONDS", 300, 1, 86_400);
// One execution's share of the scratch tmpfs that all executions share: past it, it is stopped,
// so it cannot fill the disk under the others. Checked by walking its folder four times a second (no
// quotas on tmpfs without privileges); a folder of more entries than the walk reads counts as over.
const SCRATCH_QUOTA_BYTES = intSetting("AIRLOCK_SCRATCH_QUOTA_MB", 128, 1, 1 << 20) * 1024 * 1024;
const QUOTA_MAX_ENTRIES = 20_000;
const QUOTA_INTERVAL_MS = 250;
const PROXY_AUTH_KEY = Deno.env.get("AIRLOCK_PROXY_AUTH_KEY") ?? "";
// A pre-started child older than this is replaced, so its token never has to outlive it by much.
const WARM_MAX_AGE_SECONDS = 600;

/** The key that signs proxy tokens. Without it no execution could reach the proxy: stop loudly. */
async function loadSigningKey(): Promise<CryptoKey | undefined> {
  if (!PROXY_URL) return undefined;
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = new TextEncoder().encode((await Deno.readTextFile(PROXY_AUTH_KEY)).trim());
  } catch (err) {
    console.error(`launcher: cannot read the proxy auth key AIRLOCK_PROXY_AUTH_KEY=${PROXY_AUTH_KEY}: ${err}`);
    Deno.exit(2);
  }
  if (raw.length < 32) {
    console.error(`launcher: the proxy auth key ${PROXY_AUTH_KEY} is shorter than 32 bytes`);
    Deno.exit(2);
  }
  return await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}
const signingKey = await loadSigningKey();

async function proxyToken(id: string, lifetimeSeconds: number): Promise<string> {
  const expires = Math.floor(Date.now() / 1000) + lifetimeSeconds;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", signingKey!, encoder.encode(`${id}.${expires}`)));
  return `${id}.${expires}.${Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

// One writer: lines from concurrent children must never interleave.
let writing: Promise<void> = Promise.resolve();
function send(message: FromLauncher): Promise<void> {
  const bytes = encoder.encode(JSON.stringify(message) + "\n");
  writing = writing.then(async () => {
    let off = 0;
    while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
  });
  return writing;
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

interface Child {
  process: Deno.ChildProcess;
  scratch: string;
  key: string;
  startedAt: number;
  /** Why we killed it, if we did. */
  killed: KillReason | null;
}

function denoArgs(scratch: string, hosts: string[], main: string, proxied: boolean): string[] {
  // Open egress cannot --deny-net the proxy (Deno checks fetch's own proxy connection against the
  // deny list too); a raw socket to it holds no token, and the proxy answers such a client 407.
  const net = hosts.length === 0 ? [] : hosts[0] === ANY_HOST ? ["--allow-net"] : [`--allow-net=${hosts.join(",")}`];
  return [
    // Unprivileged processes may raise their own OOM score: under memory pressure the kernel
    // then kills an execution, never the launcher that all executions share.
    "-n", "1000", "--",
    // Dies with the launcher (SIGKILL when the launcher's thread that started it ends), so no
    // execution outlives the launcher's own limits; reap.sh catches the start-up race it leaves.
    "setpriv", "--pdeathsig", "KILL", "--",
    "prlimit", "--nofile=512:512", `--fsize=${MAX_FILE_BYTES}:${MAX_FILE_BYTES}`, "--",
    "deno", "run", "--quiet", "--no-prompt", "--no-config", "--no-lock", "--no-remote", "--no-npm",
    `--v8-flags=--max-old-space-size=${HEAP_MB}`,
    `--allow-read=${scratch}/work,/skills`, `--allow-write=${scratch}/work`,
    ...net,
    main,
    // bootstrap.js sends https: fetches to the proxy over HTTP/2 (see there).
    ...(proxied ? ["proxied"] : []),
  ];
}

function childEnv(scratch: string, token: string | undefined): Record<string, string> {
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: `${scratch}/work`,
    DENO_DIR: `${scratch}/cache`,
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
  };
  if (PROXY_URL && token) {
    // The execution's token rides in the proxy URL's credentials: the proxy serves only holders
    // of a current one, and attributes every request to its execution.
    const url = PROXY_URL.replace("://", `://airlock:${token}@`);
    env.HTTP_PROXY = url;
    env.HTTPS_PROXY = url;
  }
  if (PROXY_CA) env.DENO_CERT = PROXY_CA;
  return env;
}

/** Starts a fresh Deno that waits (in bootstrap.js) for a go signal before importing ./main.ts. */
async function spawnWaiting(hosts: string[], id: string, lifetimeSeconds: number): Promise<Child> {
  const token = signingKey ? await proxyToken(id, lifetimeSeconds) : undefined;
  const scratch = await Deno.makeTempDir({ dir: "/tmp", prefix: "exec." });
  ownScratch.add(scratch);
  await Deno.mkdir(`${scratch}/work`);
  await Deno.mkdir(`${scratch}/cache`);
  const process = new Deno.Command("choom", {
    args: denoArgs(scratch, hosts, "/opt/airlock/bootstrap.js", Boolean(PROXY_URL && token)),
    cwd: `${scratch}/work`,
    clearEnv: true,
    env: childEnv(scratch, token),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return { process, scratch, key: hostsKey(hosts), startedAt: Date.now(), killed: null };
}

const hostsKey = (hosts: string[]) => hosts.join(",");

// Pre-started children per host list, so Deno's start-up is off the critical path. Each carries
// its own fresh id in its proxy URL (set at spawn); the "started" message tells the gateway
// which id the execution's egress events are filed under.
type WarmEntry = { child?: Child; id: string };
const warm = new Map<string, WarmEntry[]>();
const taken = new WeakSet<WarmEntry>();
const running = new Map<string, Child>();
/** Scratch folders of this launcher's own executions, from their making to their removal. */
const ownScratch = new Set<string>();

function refill(hosts: string[]): void {
  const key = hostsKey(hosts);
  for (const [k, list] of warm) {
    if (k === key) continue;
    // Started for an allowlist no longer in force: never to be used. (One still starting is
    // killed when its spawn completes, below.)
    for (const w of list) w.child?.process.kill("SIGKILL");
    warm.delete(k);
  }
  const list = warm.get(key) ?? [];
  warm.set(key, list);
  while (list.length < WARM_PER_KEY) {
    const id = crypto.randomUUID().replace(/-/g, "");
    const entry: { child?: Child; id: string } = { id };
    list.push(entry);
    const drop = () => {
      const at = list.indexOf(entry);
      if (at !== -1) list.splice(at, 1);
    };
    spawnWaiting(hosts, id, WARM_MAX_AGE_SECONDS + MAX_TIMEOUT_SECONDS + 30).then(
      (child) => {
        entry.child = child;
        if (warm.get(key) !== list) child.process.kill("SIGKILL");
        child.process.status.then(() => {
          // A waiting child that died (the OOM killer chose it, or it was dropped) is never handed
          // out; one that was handed out is cleaned up by run().
          if (!taken.has(entry)) void removeScratch(child.scratch);
          drop();
        });
      },
      drop,
    );
  }
}

async function takeWarm(hosts: string[]): Promise<{ child: Child; id: string } | undefined> {
  const list = warm.get(hostsKey(hosts));
  while (list && list.length > 0) {
    const entry = list.shift()!;
    // A spawn may still be in flight; give it a moment rather than start another.
    for (let i = 0; i < 50 && !entry.child; i++) await new Promise((r) => setTimeout(r, 2));
    if (entry.child && Date.now() - entry.child.startedAt > WARM_MAX_AGE_SECONDS * 1000) {
      // Too old to hand out: its token may expire before a long execution ends.
      entry.child.process.kill("SIGKILL");
      continue;
    }
    if (entry.child) {
      taken.add(entry);
      return { child: entry.child, id: entry.id };
    }
  }
  return undefined;
}

async function pump(id: string, child: Child, stream: ReadableStream<Uint8Array>, fd: 1 | 2, budget: { left: number }) {
  for await (const chunk of stream) {
    if (budget.left <= 0) continue; // drain, but relay nothing past the limit
    const part = chunk.length > budget.left ? chunk.subarray(0, budget.left) : chunk;
    budget.left -= chunk.length;
    await send({ id, ev: "out", fd, data: base64(part) });
    if (budget.left <= 0 && !child.killed) {
      child.killed = "output";
      child.process.kill("SIGKILL");
    }
  }
}

async function run(message: Record<string, unknown>): Promise<void> {
  if (!isRunRequest(message)) {
    await send({ id: String(message.id ?? ""), ev: "exit", code: 125, signal: null, killed: null, error: "malformed run request" });
    return;
  }
  const { id: requested, hosts, timeoutSeconds, outputLimitBytes: limit, code } = message;
  starting.add(requested);
  try {
    await runStarted(requested, hosts, timeoutSeconds, limit, code);
  } finally {
    starting.delete(requested);
    killedEarly.delete(requested);
  }
}

// Runs whose request arrived but whose process is not running yet, and kills asked of them.
const starting = new Set<string>();
const killedEarly = new Set<string>();

async function runStarted(requested: string, hosts: string[], timeoutSeconds: number, limit: number, code: string): Promise<void> {
  const unclean = uncleaned.size || retrying ? await stillUncleaned() : undefined;
  if (unclean) {
    const error = `the sandbox cannot clean up after an earlier execution (${unclean}), so it runs nothing new; ` +
      "the operator must restart it: docker compose restart sandbox";
    await send({ id: requested, ev: "exit", code: 125, signal: null, killed: null, error });
    return;
  }
  const prestarted = await takeWarm(hosts);
  refill(hosts);
  const { child, id: egressId } = prestarted ?? { child: await spawnWaiting(hosts, requested, timeoutSeconds + 30), id: requested };
  running.set(requested, child);
  if (killedEarly.has(requested)) kill(requested);
  await send({ id: requested, ev: "started", egressId });
  let handedOver = false;
  try {
    await Deno.writeTextFile(`${child.scratch}/work/main.ts`, code);
    handedOver = true;
    const writer = child.process.stdin.getWriter();
    await writer.write(encoder.encode("go\n"));
    await writer.close();
  } catch (err) {
    if (!handedOver) {
      // The program could not even be written (a full scratch disk): a fault of the sandbox,
      // reported at once — the child would otherwise wait for a go signal until its timeout.
      child.process.kill("SIGKILL");
      await child.process.status;
      running.delete(requested);
      await send({ id: requested, ev: "exit", code: 125, signal: null, killed: null, error: `cannot write the program to the sandbox's scratch disk: ${err}` });
      await removeScratch(child.scratch);
      return;
    }
    // It died while waiting; its status below tells how.
  }
  const backstop = setTimeout(() => {
    child.killed ??= "backstop";
    child.process.kill("SIGKILL");
  }, (timeoutSeconds + 10) * 1000);
  const quota = setInterval(() => {
    void overQuota(`${child.scratch}/work`).then((over) => {
      if (!over || child.killed) return;
      child.killed = "disk";
      try {
        child.process.kill("SIGKILL");
      } catch {
        // already gone
      }
    });
  }, QUOTA_INTERVAL_MS);
  const budget = { left: limit };
  await Promise.all([
    pump(requested, child, child.process.stdout, 1, budget),
    pump(requested, child, child.process.stderr, 2, budget),
  ]);
  const status = await child.process.status;
  clearTimeout(backstop);
  clearInterval(quota);
  running.delete(requested);
  await send({ id: requested, ev: "exit", code: status.code, signal: status.signal, killed: child.killed });
  await removeScratch(child.scratch);
}

/** Whether a scratch folder holds more than the quota (or more entries than a walk should read). */
async function overQuota(dir: string): Promise<boolean> {
  let bytes = 0;
  let entries = 0;
  const walk = async (path: string): Promise<boolean> => {
    for await (const entry of Deno.readDir(path)) {
      if (++entries > QUOTA_MAX_ENTRIES) return true;
      const info = await Deno.lstat(`${path}/${entry.name}`);
      bytes += info.size;
      if (bytes > SCRATCH_QUOTA_BYTES) return true;
      if (info.isDirectory && (await walk(`${path}/${entry.name}`))) return true;
    }
    return false;
  };
  try {
    return await walk(dir);
  } catch (err) {
    // Gone (the execution ended, or removed what it listed): nothing to count. Anything else,
    // a folder the code made unreadable or nested past the path limit, is a walk it defeated,
    // and counts as over: what cannot be measured cannot be allowed to grow.
    return !(err instanceof Deno.errors.NotFound);
  }
}

// Folders that could not be removed, with why. While any is left the scratch disk is not known
// to be clean (nor the next execution's view of it), so new runs are refused, saying so.
const uncleaned = new Map<string, string>();
let faultReported = false;

function cleanupFailed(dir: string, err: unknown): void {
  uncleaned.set(dir, String(err));
  console.error(`launcher: cannot remove scratch folder ${dir}: ${err}`);
  if (!faultReported) {
    faultReported = true;
    void send({ ev: "fault", reason: `cannot remove scratch folder ${dir}: ${err}` });
  }
}

/** Tries the folders that could not be removed again: what still fails, if anything. One retry
 *  at a time: a run arriving meanwhile waits for its verdict rather than run on a dirty disk. */
let retrying: Promise<string | undefined> | undefined;
function stillUncleaned(): Promise<string | undefined> {
  retrying ??= (async () => {
    for (const dir of [...uncleaned.keys()]) {
      uncleaned.delete(dir);
      await removeScratch(dir);
    }
    if (uncleaned.size === 0 && faultReported) {
      faultReported = false;
      await send({ ev: "fault", reason: null });
    }
    const [first] = uncleaned;
    return first ? `${first[0]}: ${first[1]}` : undefined;
  })().finally(() => (retrying = undefined));
  return retrying;
}

/** Removes an execution's scratch folder whatever the code did to it. A folder already gone
 *  counts as removed (two retries may race for it). */
async function removeScratch(dir: string): Promise<void> {
  try {
    await Deno.remove(dir, { recursive: true });
    ownScratch.delete(dir);
    return;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return void ownScratch.delete(dir);
    // A folder the code made read-only or unsearchable, or nested deeper than a path may be
    // long, defeats a recursive removal by path: clean.sh walks it by directory handles.
  }
  try {
    const { code, stderr } = await new Deno.Command("/opt/airlock/clean", { args: [dir], stdin: "null", stdout: "null", stderr: "piped" }).output();
    const left = await Deno.lstat(dir).then(() => true, () => false);
    if (left) throw new Error(`clean exited ${code}: ${new TextDecoder().decode(stderr).trim().slice(0, 300)}`);
    ownScratch.delete(dir);
  } catch (err) {
    // Never silent: a fault the gateway shows in /health, and new runs are refused until a retry
    // (before each run) or the next launcher's sweep succeeds.
    cleanupFailed(dir, err);
  }
}

/** Kills executions orphaned by a launcher that died (see reap.sh), relaying what it did. */
async function reapOrphans(): Promise<void> {
  try {
    const { stdout, stderr } = await new Deno.Command("/opt/airlock/reap", { stdin: "null", stdout: "piped", stderr: "piped" }).output();
    const said = (new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr)).trim();
    if (said) console.error(`launcher: ${said}`);
  } catch (err) {
    console.error(`launcher: cannot look for orphaned executions: ${err}`);
  }
}

function kill(id: string): void {
  const child = running.get(id);
  if (!child) {
    // Asked before its process was ready (still being taken or spawned): done as soon as it is.
    if (starting.has(id)) killedEarly.add(id);
    return;
  }
  child.killed ??= "request";
  try {
    child.process.kill("SIGKILL");
  } catch {
    // already gone
  }
}

// Whatever an earlier launcher left (it was killed, or its exec dropped): first its processes
// (orphans only: another live launcher's children have a parent), then the scratch folders.
await reapOrphans();
for await (const entry of Deno.readDir("/tmp")) {
  if (entry.isDirectory && entry.name.startsWith("exec.")) await removeScratch(`/tmp/${entry.name}`);
}

/** Removes scratch folders that are not ours and that no process works in (reap.sh lists them):
 *  an earlier launcher's execution can outlive the sweep above by a moment (a child it was still
 *  starting when it died has no parent-death signal yet; a dying Deno makes its cache folder
 *  again) and leave a folder behind after it exits. Never one of ours: reap.sh lists only
 *  folders older than 2 s with no process, and ours are skipped by name as well. */
async function collectUnused(): Promise<void> {
  let listed = "";
  try {
    const { stdout } = await new Deno.Command("/opt/airlock/reap", { args: ["--list-unused"], stdin: "null", stdout: "piped", stderr: "null" }).output();
    listed = new TextDecoder().decode(stdout);
  } catch (err) {
    console.error(`launcher: cannot look for unused scratch folders: ${err}`);
    return;
  }
  for (const line of listed.split("\n")) {
    const dir = /^unused: (\/tmp\/exec\.[^/\s]+)$/.exec(line)?.[1];
    if (dir && !ownScratch.has(dir)) {
      console.error(`launcher: removing ${dir}, left by an earlier launcher`);
      await removeScratch(dir);
    }
  }
}
// Often at first (what an earlier launcher left shows up within seconds), then now and then.
for (const delay of [3_000, 6_000, 9_000, 12_000]) Deno.unrefTimer(setTimeout(() => void collectUnused(), delay));
Deno.unrefTimer(setInterval(() => void collectUnused(), 60_000));
await send({ ev: "ready" });
let pending = "";
const decoder = new TextDecoder();
for await (const chunk of Deno.stdin.readable) {
  pending += decoder.decode(chunk, { stream: true });
  let newline: number;
  while ((newline = pending.indexOf("\n")) !== -1) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line);
    } catch {
      continue;
    }
    if (message.op === "run") {
      run(message).catch((err) =>
        send({ id: String(message.id ?? ""), ev: "exit", code: 125, signal: null, killed: null, error: String(err) }),
      );
    }
    else if (message.op === "kill") kill(String(message.id));
  }
}
// The gateway closed our stdin: nothing may outlive it.
for (const id of running.keys()) kill(id);
for (const list of warm.values()) for (const w of list) w.child?.process.kill("SIGKILL");
Deno.exit(0);
