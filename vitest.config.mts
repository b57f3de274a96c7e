import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Spawned programs and packs run the compiled JavaScript: build it first when stale.
    globalSetup: ["test/support/globalSetup.ts"],
    // The Pulumi runtime keeps per-process global state (mocks, settings): each test file
    // gets its own worker process, and files within one worker run one at a time.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
