/** The integration suites' one stack (test/helpers/stack-setup.ts). */
import { randomBytes } from "node:crypto";
import { stackSetup } from "./helpers/stack-setup.ts";

// A small concurrency limit so the suites can observe queueing; a small memory limit so the
// memory-limit test is quick.
export const { setup, teardown } = stackSetup(() => ({
  AIRLOCK_MAX_CONCURRENCY: "3",
  AIRLOCK_MAX_TIMEOUT_SECONDS: "60",
  AIRLOCK_SANDBOX_MEMORY: "512m",
  // Short, so the test of an approval no one gives ends quickly.
  AIRLOCK_APPROVAL_TIMEOUT_SECONDS: "4",
  // The operator's own console token: approvals on the console need it.
  AIRLOCK_CONSOLE_TOKEN: `operator-${randomBytes(16).toString("hex")}`,
}));
