/**
 * Starts one real stack for all integration suites and hands its coordinates to them through
 * vitest's provide/inject. Docker is required: without it this setup fails loudly, never skips.
 */
import { readFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startStack, type StackInfo } from "./helpers/stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

let stop: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  // For iterating on tests: reuse a running stack described by a JSON file (see startStack's info).
  const reuse = process.env.AIRLOCK_TEST_STACK_INFO;
  if (reuse) {
    project.provide("stack", JSON.parse(readFileSync(reuse, "utf8")) as StackInfo);
    return;
  }
  // A small concurrency limit so the suites can observe queueing; a small memory limit so the
  // memory-limit test is quick.
  const started = await startStack({
    AIRLOCK_MAX_CONCURRENCY: "3",
    AIRLOCK_MAX_TIMEOUT_SECONDS: "60",
    AIRLOCK_SANDBOX_MEMORY: "512m",
  });
  stop = started.stop;
  project.provide("stack", started.info);
}

export async function teardown(): Promise<void> {
  await stop?.();
}
