/**
 * @module The only exec-create and exec-start bodies the filter lets through. Both are parsed
 * strictly (unknown fields are refused) and the filter forwards a body it re-serialises itself,
 * never the client's bytes.
 */
import { z } from "zod";

export interface ExecRules {
  /** Absolute path of the sandbox's launcher: the one command an exec may run, with no arguments. */
  launcher: string;
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
      Cmd: z.tuple([z.literal(rules.launcher)]),
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
