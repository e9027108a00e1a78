import { describe, expect, it } from "vitest";
import { decide, type FilterRequest } from "./policy.ts";
import { LAUNCHER_PATH, SANDBOX_USER } from "../../../sandbox/protocol.ts";
import { launcherExecCreate } from "../shared/filter-contract.ts";

const rules = { launcher: LAUNCHER_PATH, user: SANDBOX_USER };
const KNOWN = "a".repeat(64);
const UNKNOWN = "b".repeat(64);
const ID = "0123456789abcdef0123456789abcdef";
const known = (id: string) => id === KNOWN;

const createBody = (over: Record<string, unknown> = {}) => JSON.stringify({ ...launcherExecCreate(SANDBOX_USER, LAUNCHER_PATH), ...over });

function req(method: string, target: string, body = "", extra: Partial<FilterRequest> = {}): FilterRequest {
  return { method, target, body, contentType: body ? "application/json" : undefined, upgrade: false, ...extra };
}

describe("docker filter policy", () => {
  it.each([
    ["exec create on the sandbox", req("POST", "/containers/sandbox/exec", createBody()), "exec-create"],
    ["exec create with a version prefix", req("POST", "/v1.45/containers/sandbox/exec", createBody()), "exec-create"],
    ["exec start of a known exec", req("POST", `/exec/${KNOWN}/start`, '{"Detach":false,"Tty":false,"hijack":true,"stdin":true}', { upgrade: true }), "exec-start"],
    ["exec inspect of a known exec", req("GET", `/v1.41/exec/${KNOWN}/json`), "exec-inspect"],
    ["doubled slashes", req("GET", `//exec//${KNOWN}//json`), "exec-inspect"],
    // Decoded before matching, and the daemon only ever sees the canonical path the filter builds.
    ["an encoded slash", req("POST", "/containers/sandbox%2Fexec", createBody()), "exec-create"],
    ["a dot segment", req("GET", `/exec/./${KNOWN}/json`), "exec-inspect"],
  ])("should allow %s", (_name, request, action) => {
    const decision = decide(request, rules, known);
    expect(decision).toMatchObject({ allow: true, action });
  });

  it.each([
    ["container list", req("GET", "/containers/json"), "allowlist"],
    ["container create", req("POST", "/containers/create", "{}"), "allowlist"],
    ["image pull", req("POST", "/images/create?fromImage=alpine"), "query"],
    ["ping", req("GET", "/_ping"), "allowlist"],
    ["exec on another container", req("POST", "/containers/server/exec", createBody()), "only allowed on the 'sandbox'"],
    ["exec on the sandbox by a traversal", req("POST", "/containers/x/../sandbox/../server/exec", createBody()), "only allowed"],
    ["a path climbing above root", req("POST", "/../containers/sandbox/exec", createBody()), "climbs"],
    ["double encoding", req("POST", "/containers/sandbox%252F/exec", createBody()), "encoded"],
    ["bad percent-encoding", req("POST", "/containers/%zz/exec", createBody()), "percent"],
    ["a backslash", req("POST", "/containers\\sandbox/exec", createBody()), "backslash"],
    ["a query string on exec create", req("POST", "/containers/sandbox/exec?x=1", createBody()), "query"],
    ["a privileged exec", req("POST", "/containers/sandbox/exec", createBody({ Privileged: true })), "Privileged"],
    ["a root exec", req("POST", "/containers/sandbox/exec", createBody({ User: "0" })), "User"],
    ["an exec with no user", req("POST", "/containers/sandbox/exec", createBody({ User: undefined })), "User"],
    ["a shell command", req("POST", "/containers/sandbox/exec", createBody({ Cmd: ["sh", "-c", "id"] })), "Cmd"],
    ["launcher arguments", req("POST", "/containers/sandbox/exec", createBody({ Cmd: ["/opt/airlock/launch", "--x"] })), "Cmd"],
    ["the old runner", req("POST", "/containers/sandbox/exec", createBody({ Cmd: ["/opt/airlock/run", "5", "-", ID] })), "Cmd"],
    ["a relative launcher path", req("POST", "/containers/sandbox/exec", createBody({ Cmd: ["launch"] })), "Cmd"],
    ["deno directly", req("POST", "/containers/sandbox/exec", createBody({ Cmd: ["deno", "eval", "1"] })), "Cmd"],
    ["a command as a string", req("POST", "/containers/sandbox/exec", createBody({ Cmd: "/opt/airlock/launch" })), "Cmd"],
    ["extra env", req("POST", "/containers/sandbox/exec", createBody({ Env: ["A=1"] })), "Env"],
    ["a working dir", req("POST", "/containers/sandbox/exec", createBody({ WorkingDir: "/" })), "WorkingDir"],
    ["a tty", req("POST", "/containers/sandbox/exec", createBody({ Tty: true })), "Tty"],
    ["a key given twice, the last one harmless", req("POST", "/containers/sandbox/exec", createBody().replace("{", '{"Privileged":true,').replace(/}$/, ',"Privileged":false}')), "twice"],
    ["a key given twice, the first one harmless", req("POST", "/containers/sandbox/exec", createBody({ User: "0" }).replace("{", '{"User":"10001:10001",')), "twice"],
    ["a smuggled privilege", req("POST", "/containers/sandbox/exec", createBody().replace("{", '{"Privileged":true,')), "Privileged"],
    ["a non-JSON body", req("POST", "/containers/sandbox/exec", "AttachStdin=1"), "JSON"],
    ["a wrong content type", req("POST", "/containers/sandbox/exec", createBody(), { contentType: "text/plain" }), "application/json"],
    ["an upgraded exec create", req("POST", "/containers/sandbox/exec", createBody(), { upgrade: true }), "upgraded"],
    ["exec start of an unknown exec", req("POST", `/exec/${UNKNOWN}/start`, '{"Detach":false}'), "not created"],
    ["exec inspect of an unknown exec", req("GET", `/exec/${UNKNOWN}/json`), "not created"],
    ["a malformed exec id", req("GET", "/exec/abc/json"), "malformed"],
    ["a detached exec start", req("POST", `/exec/${KNOWN}/start`, '{"Detach":true}'), "Detach"],
    ["an exec start with a tty", req("POST", `/exec/${KNOWN}/start`, '{"Detach":false,"Tty":true}'), "Tty"],
    ["an exec start with unknown fields", req("POST", `/exec/${KNOWN}/start`, '{"Detach":false,"ConsoleSize":[1,1]}'), "exec-start body"],
    ["exec resize", req("POST", `/exec/${KNOWN}/resize`), "allowlist"],
    ["a GET exec start", req("GET", `/exec/${KNOWN}/start`), "allowlist"],
    ["an exec inspect with a body", req("GET", `/exec/${KNOWN}/json`, "{}"), "no body"],
    ["a relative target", req("GET", "exec/x/json"), "absolute"],
  ])("should deny %s", (_name, request, reason) => {
    const decision = decide(request, rules, known);
    expect(decision.allow).toBe(false);
    if (!decision.allow) expect(decision.reason).toContain(reason);
  });

  it("should forward a re-serialised exec-create body, not the client's bytes", () => {
    const decision = decide(req("POST", "/containers/sandbox/exec", createBody()), rules, known);
    if (!decision.allow || decision.action !== "exec-create") throw new Error("expected an allow");
    expect(JSON.parse(decision.body)).toEqual({
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Privileged: false,
      User: "10001:10001",
      Env: [],
      Cmd: ["/opt/airlock/launch"],
    });
  });

  it("should forward a canonical exec-start body without dockerode's hints", () => {
    const decision = decide(req("POST", `/exec/${KNOWN}/start`, '{"Detach":false,"hijack":true,"stdin":true}'), rules, known);
    if (!decision.allow || decision.action !== "exec-start") throw new Error("expected an allow");
    expect(JSON.parse(decision.body)).toEqual({ Detach: false, Tty: false });
  });
});
