import { defineConfig } from "vitest/config";

// Two projects: fast unit tests beside the code, and end-to-end suites that start the real stack.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["server/src/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
