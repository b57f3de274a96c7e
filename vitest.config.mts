import { availableParallelism } from "node:os";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Spawned programs and packs run the compiled JavaScript: build it first when stale.
    globalSetup: ["test/support/globalSetup.ts"],
    // Worker processes, files within one worker one at a time. Files share their worker's modules
    // (isolate: false): the SDKs load once per worker instead of once per file (vitest's import
    // time on 2 cores: 36-44 s before, 5-6 s after). What the SDK keeps per process (mocks,
    // settings) is set per run by the in-process engine (src/offline/engine/inProcess.ts), runs
    // serialised; a test that mocks or spies restores in a finally (afterEach at the latest).
    pool: "forks",
    isolate: false,
    // Every core: vitest's default leaves one idle (on CI's 2 cores, files would run one at a time).
    maxWorkers: availableParallelism(),
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
