/**
 * @module The gateway's settings, parsed once from the environment at start-up. A bad value stops
 * the start with a message naming the variable; no setting is silently replaced by a default.
 */
import { z } from "zod";
import { parseEnv } from "../shared/parse-env.ts";
import { LAUNCHER_PATH, SANDBOX_USER } from "../../../sandbox/protocol.ts";

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const settingsSchema = z.object({
  AIRLOCK_LISTEN_HOST: z.string().default("0.0.0.0"),
  AIRLOCK_LISTEN_PORT: int(1, 65535).default(8080),
  AIRLOCK_DOCKER_FILTER_URL: z.url().default("http://docker-filter:2375"),
  AIRLOCK_FILTER_KEY_FILE: z.string().default("/run/airlock-filter/key"),
  AIRLOCK_APIS_DIR: z.string().default("/apis"),
  AIRLOCK_MAX_CONCURRENCY: int(1, 64).default(4),
  AIRLOCK_MAX_QUEUE: int(0, 10_000).default(64),
  AIRLOCK_DEFAULT_TIMEOUT_SECONDS: int(1, 3600).default(30),
  AIRLOCK_MAX_TIMEOUT_SECONDS: int(1, 3600).default(300),
  AIRLOCK_OUTPUT_LIMIT_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  AIRLOCK_MAX_CODE_BYTES: int(1, 8 * 1024 * 1024).default(512 * 1024),
  AIRLOCK_SANDBOX_LAUNCHER: z.string().default(LAUNCHER_PATH),
  AIRLOCK_EGRESS_EVENTS_DIR: z.string().optional(),
  AIRLOCK_BIND_ADDRESS: z.string().default("127.0.0.1"),
  AIRLOCK_AUTH_TOKEN: z.string().min(16, { message: "must be at least 16 characters" }).optional(),
  AIRLOCK_CONSOLE_TOKEN: z.string().min(16, { message: "must be at least 16 characters" }).optional(),
  AIRLOCK_INSECURE_NO_AUTH_ON_NETWORK: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  AIRLOCK_ALLOWED_HOSTS: z.string().default(""),
  AIRLOCK_ALLOWED_ORIGINS: z.string().default(""),
  AIRLOCK_SESSION_IDLE_SECONDS: int(10, 7 * 24 * 3600).default(1800),
  AIRLOCK_MAX_SESSIONS: int(1, 100_000).default(256),
  AIRLOCK_AUDIT_DIR: z.string().optional(),
  AIRLOCK_AUDIT_CODE: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  AIRLOCK_AUDIT_MAX_BYTES: int(4096, 10 * 1024 * 1024 * 1024).default(50 * 1024 * 1024),
  AIRLOCK_SKILLS_DIR: z.string().default("/skills"),
  AIRLOCK_SKILL_MAX_BYTES: int(1024, 4 * 1024 * 1024).default(256 * 1024),
  AIRLOCK_SKILLS_STORE_MAX_BYTES: int(64 * 1024, 10 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  AIRLOCK_OPEN_EGRESS: z.enum(["true", "false"], { message: "must be true or false" }).default("false"),
  AIRLOCK_SANDBOX_USER: z.string().default(SANDBOX_USER),
  AIRLOCK_HISTORY_DIR: z.string().optional(),
  AIRLOCK_APPROVALS_PORT: int(1, 65535).default(8090),
  AIRLOCK_APPROVALS_KEY_FILE: z.string().optional(),
  AIRLOCK_APPROVALS_ELICITATION: z.enum(["on", "off"], { message: "must be on or off" }).default("on"),
  AIRLOCK_HISTORY: z.enum(["on", "off"], { message: "must be on or off" }).default("on"),
  AIRLOCK_HISTORY_MAX_ENTRIES: int(1, 1_000_000).default(2000),
  AIRLOCK_HISTORY_MAX_AGE_DAYS: int(1, 3650).default(14),
  AIRLOCK_HISTORY_OUTPUT_BYTES: int(1024, 16 * 1024 * 1024).default(64 * 1024),
});

export interface Settings {
  listenHost: string;
  listenPort: number;
  dockerFilterUrl: URL;
  filterKeyFile: string;
  apisDir: string;
  maxConcurrency: number;
  maxQueue: number;
  defaultTimeoutSeconds: number;
  maxTimeoutSeconds: number;
  outputLimitBytes: number;
  maxCodeBytes: number;
  sandboxLauncher: string;
  sandboxUser: string;
  egressEventsDir: string | undefined;
  bindAddress: string;
  authToken: string | undefined;
  /** The operator's own token for the console; MCP clients never hold it. */
  consoleToken: string | undefined;
  insecureNoAuthOnNetwork: boolean;
  allowedHosts: string[];
  allowedOrigins: string[];
  sessionIdleSeconds: number;
  maxSessions: number;
  auditDir: string | undefined;
  auditCode: boolean;
  auditMaxBytes: number;
  skillsDir: string;
  skillMaxBytes: number;
  skillsStoreMaxBytes: number;
  openEgress: boolean;
  /** The endpoint the proxy asks for a person's approval (internal network), and its key. */
  approvals: { port: number; keyFile: string | undefined; elicitation: boolean };
  /** The console's execution history: where it is kept (none: not kept), and its bounds. */
  history: { dir: string | undefined; maxEntries: number; maxAgeDays: number; outputBytes: number };
}

export function parseSettings(env: Record<string, string | undefined>): Settings {
  const s = parseEnv(settingsSchema, env);
  if (!isLoopback(s.AIRLOCK_BIND_ADDRESS) && !s.AIRLOCK_AUTH_TOKEN && s.AIRLOCK_INSECURE_NO_AUTH_ON_NETWORK !== "true") {
    throw new Error(
      `refusing to start: AIRLOCK_BIND_ADDRESS=${s.AIRLOCK_BIND_ADDRESS} exposes the gateway beyond this machine without ` +
        "AIRLOCK_AUTH_TOKEN, and anyone who reaches it can run code with your APIs' credentials. Set AIRLOCK_AUTH_TOKEN " +
        "(recommended) or, if you really mean it, AIRLOCK_INSECURE_NO_AUTH_ON_NETWORK=true",
    );
  }
  if (s.AIRLOCK_CONSOLE_TOKEN !== undefined && s.AIRLOCK_CONSOLE_TOKEN === s.AIRLOCK_AUTH_TOKEN) {
    throw new Error("invalid setting AIRLOCK_CONSOLE_TOKEN: must differ from AIRLOCK_AUTH_TOKEN, which every MCP client holds");
  }
  if (s.AIRLOCK_DEFAULT_TIMEOUT_SECONDS > s.AIRLOCK_MAX_TIMEOUT_SECONDS) {
    throw new Error("invalid setting AIRLOCK_DEFAULT_TIMEOUT_SECONDS: larger than AIRLOCK_MAX_TIMEOUT_SECONDS");
  }
  return {
    listenHost: s.AIRLOCK_LISTEN_HOST,
    listenPort: s.AIRLOCK_LISTEN_PORT,
    dockerFilterUrl: new URL(s.AIRLOCK_DOCKER_FILTER_URL),
    filterKeyFile: s.AIRLOCK_FILTER_KEY_FILE,
    apisDir: s.AIRLOCK_APIS_DIR,
    maxConcurrency: s.AIRLOCK_MAX_CONCURRENCY,
    maxQueue: s.AIRLOCK_MAX_QUEUE,
    defaultTimeoutSeconds: s.AIRLOCK_DEFAULT_TIMEOUT_SECONDS,
    maxTimeoutSeconds: s.AIRLOCK_MAX_TIMEOUT_SECONDS,
    outputLimitBytes: s.AIRLOCK_OUTPUT_LIMIT_BYTES,
    maxCodeBytes: s.AIRLOCK_MAX_CODE_BYTES,
    sandboxLauncher: s.AIRLOCK_SANDBOX_LAUNCHER,
    sandboxUser: s.AIRLOCK_SANDBOX_USER,
    egressEventsDir: s.AIRLOCK_EGRESS_EVENTS_DIR,
    bindAddress: s.AIRLOCK_BIND_ADDRESS,
    authToken: s.AIRLOCK_AUTH_TOKEN,
    consoleToken: s.AIRLOCK_CONSOLE_TOKEN,
    insecureNoAuthOnNetwork: s.AIRLOCK_INSECURE_NO_AUTH_ON_NETWORK === "true",
    allowedHosts: list(s.AIRLOCK_ALLOWED_HOSTS).map((h) => h.toLowerCase()),
    allowedOrigins: list(s.AIRLOCK_ALLOWED_ORIGINS).map((o) => o.toLowerCase()),
    sessionIdleSeconds: s.AIRLOCK_SESSION_IDLE_SECONDS,
    maxSessions: s.AIRLOCK_MAX_SESSIONS,
    auditDir: s.AIRLOCK_AUDIT_DIR,
    auditCode: s.AIRLOCK_AUDIT_CODE === "true",
    auditMaxBytes: s.AIRLOCK_AUDIT_MAX_BYTES,
    skillsDir: s.AIRLOCK_SKILLS_DIR,
    skillMaxBytes: s.AIRLOCK_SKILL_MAX_BYTES,
    skillsStoreMaxBytes: s.AIRLOCK_SKILLS_STORE_MAX_BYTES,
    openEgress: s.AIRLOCK_OPEN_EGRESS === "true",
    approvals: { port: s.AIRLOCK_APPROVALS_PORT, keyFile: s.AIRLOCK_APPROVALS_KEY_FILE, elicitation: s.AIRLOCK_APPROVALS_ELICITATION === "on" },
    history: {
      dir: s.AIRLOCK_HISTORY === "on" ? s.AIRLOCK_HISTORY_DIR : undefined,
      maxEntries: s.AIRLOCK_HISTORY_MAX_ENTRIES,
      maxAgeDays: s.AIRLOCK_HISTORY_MAX_AGE_DAYS,
      outputBytes: s.AIRLOCK_HISTORY_OUTPUT_BYTES,
    },
  };
}

function list(value: string): string[] {
  return value.split(",").map((v) => v.trim()).filter(Boolean);
}

/** Loopback addresses: the only ones the gateway may be published on without a token. */
export function isLoopback(address: string): boolean {
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return a === "localhost" || a === "::1" || /^127(\.\d{1,3}){3}$/.test(a);
}
