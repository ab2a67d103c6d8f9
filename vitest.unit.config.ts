import { defineConfig } from 'vitest/config';

// The tests that need no adapter (test/unit): metrics, schema, reporters, gates, history, the lab
// server. No adapter is measured at load and files run in parallel, so a change can be checked in
// under a minute; `npm test` runs these again with the GPU tests and coverage.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Most of the time here is spent waiting on timeouts and child processes, not on the CPU.
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The concurrent history writers race 2 rounds here, 5 in `npm test`.
    env: { WGBENCH_TEST_ROUNDS: '2' },
  },
});
