/**
 * The browser suite's own stack: like the integration suites', but with AIRLOCK_AUTH_TOKEN set,
 * so every test goes through the console's login as an operator's browser would.
 */
import { randomBytes } from "node:crypto";
import { stackSetup } from "../helpers/stack-setup.ts";

export const { setup, teardown } = stackSetup(() => ({
  AIRLOCK_MAX_CONCURRENCY: "3",
  AIRLOCK_MAX_TIMEOUT_SECONDS: "60",
  AIRLOCK_AUTH_TOKEN: `console-${randomBytes(16).toString("hex")}`,
  AIRLOCK_APPROVAL_TIMEOUT_SECONDS: "30",
}));
