/**
 * @module Reads a process's settings from its environment through a zod schema, the same way in
 * every process: an empty value means "not set" (compose passes `VAR=` through), and the first
 * bad value stops the start with the variable's name.
 */
import type { z } from "zod";

export function parseEnv<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>): z.infer<S> {
  const given = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = schema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`invalid setting ${issue.path.join(".")}: ${issue.message}`);
  }
  return parsed.data;
}
