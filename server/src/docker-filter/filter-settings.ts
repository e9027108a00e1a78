/**
 * @module The docker-socket filter's settings, parsed once at start like the gateway's: a bad value
 * stops the filter with the variable's name, never becomes NaN or a silent default. The names are
 * the gateway's where both read the same thing (AIRLOCK_SANDBOX_LAUNCHER, AIRLOCK_SANDBOX_USER).
 */
import { z } from "zod";
import { parseEnv } from "../shared/parse-env.ts";
import { LAUNCHER_PATH, SANDBOX_USER } from "../../../sandbox/protocol.ts";

const schema = z.object({
  AIRLOCK_DOCKER_SOCKET: z.string().min(1).default("/var/run/docker.sock"),
  AIRLOCK_FILTER_PORT: z.coerce.number().int().min(1).max(65535).default(2375),
  AIRLOCK_SANDBOX_SERVICE: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).default("sandbox"),
  AIRLOCK_SANDBOX_LAUNCHER: z.string().regex(/^\/[^\0\s]+$/).default(LAUNCHER_PATH),
  AIRLOCK_SANDBOX_USER: z.string().regex(/^\d+:\d+$/, { message: "must be uid:gid" }).default(SANDBOX_USER),
  AIRLOCK_FILTER_KEY_FILE: z.string().min(1).default("/run/airlock-filter/key"),
  AIRLOCK_COMPOSE_PROJECT: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/).optional(),
});

export type FilterSettings = z.infer<typeof schema>;

export function parseFilterSettings(env: Record<string, string | undefined>): FilterSettings {
  return parseEnv(schema, env);
}
