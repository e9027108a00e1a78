import { describe, expect, it } from "vitest";
import { classify } from "./outcome.ts";

const exit = (over: Partial<Parameters<typeof classify>[0]> = {}) => ({ code: 0, signal: null, killed: null, ...over });

describe("classify", () => {
  it.each([
    [exit(), "", "success"],
    [exit({ code: 3 }), "boom", "error"],
    [exit({ code: 137, signal: "SIGKILL" }), "", "memory_limit"],
    [exit({ code: 137, signal: "SIGKILL", killed: "request" }), "", "error"],
    [exit({ code: 133, signal: "SIGTRAP" }), "Fatal JavaScript out of memory: Reached heap limit", "memory_limit"],
    [exit({ code: 1 }), "out of memory (but exited normally)", "error"],
    [exit({ code: 137, signal: "SIGKILL", killed: "output" }), "", "output_limit"],
    [exit({ code: 137, signal: "SIGKILL", killed: "backstop" }), "", "timeout"],
    [exit({ code: 137, signal: "SIGKILL", killed: "disk" }), "", "disk_limit"],
    [exit({ code: 153, signal: "SIGXFSZ" }), "", "file_size_limit"],
    [exit({ code: 1 }), "No space left on device (os error 28)", "disk_limit"],
    [exit({ code: 134, signal: "SIGABRT" }), "failed to spawn thread", "process_limit"],
    [exit({ code: 1 }), "error: Uncaught (in promise) WouldBlock: Resource temporarily unavailable (os error 11)\n    at createWorker (ext:runtime/11_workers.js:1:1287)", "process_limit"],
    [exit({ code: 1 }), 'error: Uncaught (in promise) WouldBlock: Resource temporarily unavailable (os error 11)\nws.push(new Worker("data:"));\n        ^\n    at createWorker (ext:runtime/11_workers.js:1:1287)', "process_limit"],
    // The same error from the code's own I/O is the code's error.
    [exit({ code: 1 }), "error: Uncaught WouldBlock: Resource temporarily unavailable (os error 11)\n    at readSync (ext:deno_io/12_io.js:1:1)", "error"],
    [exit({ code: 125, error: "malformed run request" }), "", "sandbox_error"],
  ])("should classify %j with stderr %j as %s", (report, stderr, outcome) => {
    expect(classify(report, stderr).outcome).toBe(outcome);
  });

  it("should name the disk limit", () => {
    expect(classify(exit({ code: 1 }), "No space left on device (os error 28)").message).toContain("disk limit");
  });
});
