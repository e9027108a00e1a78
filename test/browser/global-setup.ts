/**
 * The browser suite's own stack: like the integration suites', but with AIRLOCK_AUTH_TOKEN set,
 * so every test goes through the console's login as an operator's browser would.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startStack, type StackInfo } from "../helpers/stack.ts";

let stop: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  const reuse = process.env.AIRLOCK_TEST_STACK_INFO;
  if (reuse) {
    project.provide("stack", JSON.parse(readFileSync(reuse, "utf8")) as StackInfo);
    return;
  }
  const started = await startStack({
    AIRLOCK_MAX_CONCURRENCY: "3",
    AIRLOCK_MAX_TIMEOUT_SECONDS: "60",
    AIRLOCK_AUTH_TOKEN: `console-${randomBytes(16).toString("hex")}`,
  });
  stop = started.stop;
  project.provide("stack", started.info);
}

export async function teardown(): Promise<void> {
  await stop?.();
}
