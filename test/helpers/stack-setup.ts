/**
 * @module A vitest global setup that starts one real stack for a project's suites and hands its
 * coordinates to them through provide/inject. Docker is required: without it the setup fails
 * loudly, never skips. AIRLOCK_TEST_STACK_INFO reuses a running stack (for iterating on tests).
 */
import { readFileSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { startStack, type StackInfo } from "./stack.ts";

declare module "vitest" {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}

export function stackSetup(env: () => Record<string, string>) {
  let stop: (() => Promise<void>) | undefined;
  return {
    async setup(project: TestProject): Promise<void> {
      const reuse = process.env.AIRLOCK_TEST_STACK_INFO;
      if (reuse) {
        project.provide("stack", JSON.parse(readFileSync(reuse, "utf8")) as StackInfo);
        return;
      }
      const started = await startStack(env());
      stop = started.stop;
      project.provide("stack", started.info);
    },
    async teardown(): Promise<void> {
      await stop?.();
    },
  };
}
