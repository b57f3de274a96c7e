import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Spawned programs and packs run the compiled JavaScript: build it first when stale.
    globalSetup: ["test/support/globalSetup.ts"],
    // The Pulumi runtime keeps per-process global state (mocks, settings): each test file
    // gets its own worker process, and files within one worker run one at a time.
    pool: "forks",
    // Every core: vitest's default leaves one idle (on CI's 2 cores, files would run one at a time).
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
