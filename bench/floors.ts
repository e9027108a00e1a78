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
