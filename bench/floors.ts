/**
 * @module The raw floors every Airlock figure is compared with: a `docker exec` of `true` in the
 * sandbox through the Docker API, and an in-container `deno run` of the same trivial code
 * (docker exec + deno, with a writable Deno cache), both straight on the host's Docker socket.
 */
import Docker from "dockerode";
import type { Duplex } from "node:stream";
import { summarise, timed, type Summary } from "./stats.ts";

async function execOnce(container: Docker.Container, cmd: string[]): Promise<void> {
  const exec = await container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, User: "10001:10001" });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.resume();
  });
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${info.ExitCode}`);
}

/** Deno's own start-up in the sandbox, without Docker's exec: one shell runs `deno run` of the
 *  trivial file `n` times and times the loop. Milliseconds per run. */
export async function denoStartMs(sandboxContainer: string, n = 20): Promise<number> {
  const container = new Docker().getContainer(sandboxContainer);
  const script = "mkdir -p /tmp/bench-start && printf 'console.log(1)\\n' > /tmp/bench-start/main.ts && " +
    "export DENO_DIR=/tmp/bench-start/cache; deno run --quiet /tmp/bench-start/main.ts >/dev/null; " +
    `s=$(date +%s%N); i=0; while [ $i -lt ${n} ]; do deno run --quiet --no-prompt /tmp/bench-start/main.ts >/dev/null; i=$((i+1)); done; ` +
    `e=$(date +%s%N); rm -rf /tmp/bench-start; echo $(( (e - s) / ${n} / 1000 ))`;
  const exec = await container.exec({ Cmd: ["sh", "-c", script], AttachStdout: true, AttachStderr: true, User: "10001:10001" });
  const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
  let out = "";
  await new Promise<void>((resolve) => {
    stream.on("data", (d: Buffer) => (out += d.toString("latin1")));
    stream.on("end", resolve);
    stream.on("close", resolve);
  });
  // The stream is multiplexed (8-byte frame headers): the figure is the last run of digits.
  const micros = Number(/(\d+)\s*$/.exec(out.replace(/[^\x20-\x7e\n]/g, ""))?.[1]);
  return Math.round(micros / 100) / 10;
}

export async function measureFloors(sandboxContainer: string, n: number): Promise<{ execTrue: Summary; execDeno: Summary }> {
  const docker = new Docker();
  const container = docker.getContainer(sandboxContainer);
  const prep = "mkdir -p /tmp/bench && printf 'console.log(1)\\n' > /tmp/bench/main.ts";
  await execOnce(container, ["sh", "-c", prep]);
  const denoCmd = ["env", "DENO_DIR=/tmp/bench/cache", "deno", "run", "--quiet", "--no-prompt", "/tmp/bench/main.ts"];
  for (let i = 0; i < 3; i++) await execOnce(container, denoCmd);
  const execTrue: number[] = [];
  const execDeno: number[] = [];
  for (let i = 0; i < n; i++) {
    execTrue.push((await timed(() => execOnce(container, ["true"])))[0]);
    execDeno.push((await timed(() => execOnce(container, denoCmd)))[0]);
  }
  await execOnce(container, ["rm", "-rf", "/tmp/bench"]);
  return { execTrue: summarise(execTrue), execDeno: summarise(execDeno) };
}
