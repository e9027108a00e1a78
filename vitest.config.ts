import { defineConfig } from "vitest/config";

// Three projects: fast unit tests beside the code; end-to-end suites that start the real stack;
// the console in a real browser, on a stack of its own with an access token set (run after the
// integration project, never beside it: one stack at a time on these machines).
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["server/src/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          globalSetup: ["test/browser/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
