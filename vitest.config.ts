import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests share one CPU adapter on two cores; running files one at a time keeps timings sane.
    fileParallelism: false,
    // The matrix's other compilers (SwiftShader, GL ES) run the same checks up to 5× slower.
    testTimeout: process.env['WGBENCH_TEST_BACKEND'] ? 900_000 : 120_000,
    hookTimeout: process.env['WGBENCH_TEST_BACKEND'] ? 900_000 : 120_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // Entry points with no logic: the bin shim's target and the re-export barrel.
      exclude: ['src/cli.ts', 'src/index.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 80 },
    },
  },
});
