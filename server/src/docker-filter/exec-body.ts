/**
 * @module The only exec-create and exec-start bodies the filter lets through. Both are parsed
 * strictly (unknown fields are refused) and the filter forwards a body it re-serialises itself,
 * never the client's bytes.
 */
import { z } from "zod";

/** What the sandbox runner accepts as arguments: a timeout in seconds, a host list ("-" none,
 *  "*" any: open egress) and the execution id. */
const TIMEOUT_ARG = /^[1-9][0-9]{0,4}$/;
const HOSTS_ARG = /^(-|\*|[a-z0-9.-]{1,253}(,[a-z0-9.-]{1,253}){0,255})$/;
const EXEC_ID_ARG = /^[0-9a-f]{32}$/;

export interface ExecRules {
  /** Absolute path of the runner inside the sandbox image. */
  runner: string;
  /** `uid:gid` every exec must run as. */
  user: string;
}

export function execCreateSchema(rules: ExecRules) {
  return z
    .object({
      AttachStdin: z.literal(true),
      AttachStdout: z.literal(true),
      AttachStderr: z.literal(true),
      Tty: z.literal(false).optional(),
      Privileged: z.literal(false).optional(),
      User: z.literal(rules.user),
      Cmd: z.tuple([
        z.literal(rules.runner),
        z.string().regex(TIMEOUT_ARG),
        z.string().regex(HOSTS_ARG),
        z.string().regex(EXEC_ID_ARG),
      ]),
    })
    .strict();
}

export type ExecCreateBody = z.infer<ReturnType<typeof execCreateSchema>>;

/** Re-serialised exec-create body: every security-relevant field is spelled out explicitly. */
export function canonicalExecCreate(body: ExecCreateBody): string {
  return JSON.stringify({
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Privileged: false,
    User: body.User,
    Env: [],
    Cmd: body.Cmd,
  });
}

/** dockerode adds its own transport hints (`hijack`, `stdin`) to the start body; Docker ignores them. */
export const execStartSchema = z
  .object({
    Detach: z.literal(false),
    Tty: z.literal(false).optional(),
    hijack: z.boolean().optional(),
    stdin: z.boolean().optional(),
  })
  .strict();

export const CANONICAL_EXEC_START = JSON.stringify({ Detach: false, Tty: false });
