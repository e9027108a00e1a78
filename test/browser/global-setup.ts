/**
 * The browser suite's own stack: like the integration suites', but with both tokens set — one for
 * MCP clients, the operator's own for the console — so every test signs in as an operator's
 * browser would, and the MCP clients' token can be shown to stay out.
 */
import { randomBytes } from "node:crypto";
import { stackSetup } from "../helpers/stack-setup.ts";

export const { setup, teardown } = stackSetup(() => ({
  AIRLOCK_MAX_CONCURRENCY: "3",
  AIRLOCK_MAX_TIMEOUT_SECONDS: "60",
  AIRLOCK_AUTH_TOKEN: `mcp-${randomBytes(16).toString("hex")}`,
  AIRLOCK_CONSOLE_TOKEN: `operator-${randomBytes(16).toString("hex")}`,
  AIRLOCK_APPROVAL_TIMEOUT_SECONDS: "30",
}));
