import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * test/helpers/adapterSpeed.mjs on lavapipe, 2 idle cores, warm shader cache, in seconds: the
 * reference the GPU tests' time limits were set against.
 */
export const REFERENCE_SECONDS = 1;

export interface AdapterSlowness {
  /** How many times longer than the reference this machine's test adapter took (at least 1). */
  factor: number;
  note: string;
}

/**
 * Measures the test adapter once, when vitest loads its config, so that time limits follow the
 * adapter in use: Mesa 22's GL compiler or a busy runner takes several times lavapipe's time, and
 * a fixed limit either fails them or waits for ever on a hung test. Without a build (dist/) or an
 * adapter the factor is 4 and the note says why.
 */
export function measureAdapterSlowness(env: Record<string, string | undefined> = process.env): AdapterSlowness {
  if (env['WGBENCH_TEST_SLOWNESS'] !== undefined) {
    const forced = Number(env['WGBENCH_TEST_SLOWNESS']);
    if (Number.isFinite(forced) && forced >= 1) return { factor: forced, note: `WGBENCH_TEST_SLOWNESS=${forced}` };
  }
  if (!existsSync('dist/suites/matmul.js'))
    return { factor: 4, note: 'no build in dist/ to measure the adapter with (npm test builds first); time limits ×4' };
  const r = spawnSync(process.execPath, ['test/helpers/adapterSpeed.mjs'], {
    encoding: 'utf8',
    timeout: 600_000,
    env: { ...process.env, ...env },
  });
  try {
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as {
      seconds: number;
      backend: string;
      device: string;
    };
    const factor = Math.max(1, m.seconds / REFERENCE_SECONDS);
    return {
      factor,
      note:
        `${m.device} via ${m.backend}: ${m.seconds.toFixed(1)} s for the reference work (lavapipe, idle: ` +
        `${REFERENCE_SECONDS} s), time limits ×${factor.toFixed(1)}`,
    };
  } catch {
    const why = r.error?.message ?? r.stderr.trim().split('\n').at(-1) ?? 'no output';
    return { factor: 4, note: `the adapter could not be measured (${why}); time limits ×4` };
  }
}
