// Runs inside the execution's own fresh Deno process, started before the code arrives: waits for
// the launcher's go signal on stdin (a pipe only the launcher holds), then imports the code the
// launcher has written to ./main.ts. Plain JavaScript so that nothing needs transpiling first.
const signal = new Uint8Array(3);
let received = 0;
while (received < signal.length) {
  const n = await Deno.stdin.read(signal.subarray(received));
  if (n === null) Deno.exit(0); // discarded before use
  received += n;
}
await import(new URL("./main.ts", `file://${Deno.cwd()}/`).href);
