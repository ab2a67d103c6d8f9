import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { nodeRunEnvironment } from '../../src/platform/node.js';
import { createMatmulSuite } from '../../src/suites/matmul.js';
import { tileFromConfig, matmulTiledFamily, type TuneTarget } from '../../src/tuning/families.js';
import { familyKernelHash, tuneFamilies, tuneTarget, type TuneOutcome } from '../../src/tuning/search.js';
import { entriesToStore, tunedSummary } from '../../src/tuning/stored.js';
import type { Suite } from '../../src/suites/types.js';
import { realDevice } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

// Runs in the backend matrix too: the tuner's candidates are the tiled kernel at many tile shapes,
// each checked on the compiler at hand, and a wrong one must be caught on every compiler.
let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

// The second candidate the coarse stage times (after the default), so any budget reaches it.
const PLANTED = '32x32x8/4x4';

describe('wgbench tune on the compiler at hand', () => {
  it(
    'rejects a planted wrong candidate (half the K loop: faster, and wrong) and never picks it',
    async () => {
      const device = { info: acquired.info, limits: acquired.device.limits, quick: true };
      const [target] = matmulTiledFamily.targets(device) as [TuneTarget];
      const shape = {
        M: target.problem['M'] ?? 0,
        N: target.problem['N'] ?? 0,
        K: target.problem['K'] ?? 0,
        label: target.description,
      };
      const env = nodeRunEnvironment(acquired);
      const outcome: TuneOutcome = await tuneTarget(
        env,
        matmulTiledFamily,
        target,
        device,
        await familyKernelHash(matmulTiledFamily, env.loadKernel),
        25_000,
        {
          budgetMs: 25_000,
          clock: () => performance.now(),
          plant: {
            family: 'matmul-tiled',
            label: PLANTED,
            suite: (c) =>
              createMatmulSuite({
                shapes: [shape],
                variants: ['tiled-f32'],
                tile: tileFromConfig(c),
                transformSource: (kernel, code) =>
                  kernel === 'matmul'
                    ? code.replace(
                        'for (var kb = 0u; kb < dims.kBlocks; kb++) {',
                        'for (var kb = 0u; kb < dims.kBlocks / 2u; kb++) {',
                      )
                    : code,
              }),
          },
        },
      );
      const planted = outcome.candidates.find((c) => c.label === PLANTED);
      expect(planted?.status).toBe('rejected');
      expect(planted?.rejection).toBe('wrong-result');
      expect(planted?.reason).toMatch(/^wrong result: \d+ mismatches; first: C\[/);
      expect(planted?.samplesNs).toEqual([]);
      expect(outcome.bestLabel).not.toBe(PLANTED);
      // Whatever it chose, it beat or equals the default in its own numbers.
      expect(outcome.speedup ?? 0).toBeGreaterThanOrEqual(1);
      expect(outcome.candidates.filter((c) => c.status === 'measured').length).toBeGreaterThanOrEqual(2);
    },
    scaled(120_000),
  );

  it(
    'ends at its budget when a candidate outlasts it (a slow compile): the candidate is cut, not waited ' +
      'for, and nothing is stored for it',
    async () => {
      const device = { info: acquired.info, limits: acquired.device.limits, quick: true };
      const [target] = matmulTiledFamily.targets(device) as [TuneTarget];
      const shape = {
        M: target.problem['M'] ?? 0,
        N: target.problem['N'] ?? 0,
        K: target.problem['K'] ?? 0,
        label: target.description,
      };
      // The default's setup takes 4 s, as a cold compile can on a CPU adapter; the budget is 1.5 s.
      const slow = (c: Parameters<typeof tileFromConfig>[0]): Suite => {
        const inner = createMatmulSuite({ shapes: [shape], variants: ['tiled-f32'], tile: tileFromConfig(c) });
        return {
          ...inner,
          plan: (ctx) =>
            inner.plan(ctx).map((p) => ({
              ...p,
              prepare: async (cx, pool) => {
                await new Promise((r) => setTimeout(r, 4000));
                return p.prepare(cx, pool);
              },
            })),
        };
      };
      const env = nodeRunEnvironment(acquired);
      const t0 = performance.now();
      const outcomes = await tuneFamilies(env, [matmulTiledFamily], device, {
        budgetMs: 1500,
        clock: () => performance.now(),
        plant: { family: 'matmul-tiled', label: matmulTiledFamily.label(target.defaultConfig, target), suite: slow },
      });
      const seconds = (performance.now() - t0) / 1000;
      expect(seconds).toBeLessThan(1.5 * 1.1);
      const [o] = outcomes as [TuneOutcome];
      expect(o.candidates[0]?.status).toBe('cut');
      expect(o.decision).toMatch(
        /the budget ran out before the default \(128x128x8\/8x8\) was measured; nothing stored/,
      );
      expect(o.speedup).toBeNull();
      expect(entriesToStore(outcomes, '2026-12-06T00:00:00Z', 'test')).toEqual([]);
      expect(tunedSummary(outcomes)).toBe(
        'tuned 0 problems (1 more cut by the budget before their default was measured: matmul-tiled ' +
          '256x256x256; raise the budget)',
      );
      // Let the abandoned setup finish before the device goes.
      await new Promise((r) => setTimeout(r, 3000));
    },
    scaled(60_000),
  );
});
