import { defineConfig } from 'vitest/config';
import { measureAdapterSlowness } from './test/helpers/adapterSlowness.js';

// Time limits follow the adapter in use (measured once here), not a fixed number: GL ES on Mesa 22
// or a busy 2-core runner takes several times lavapipe's time for the same checks.
const slowness = measureAdapterSlowness();
process.stderr.write(`wgbench tests: ${slowness.note}\n`);
// The backend matrix's legs keep their old floor: their compilers were measured up to 5× slower.
const limit = Math.max(process.env['WGBENCH_TEST_BACKEND'] ? 900_000 : 0, Math.round(120_000 * slowness.factor));

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // GPU tests share one CPU adapter on two cores; running files one at a time keeps timings sane.
    fileParallelism: false,
    testTimeout: limit,
    hookTimeout: limit,
    provide: { adapterSlowness: slowness.factor },
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
