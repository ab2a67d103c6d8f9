import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { nodeRunEnvironment } from '../../src/platform/node.js';
import { createMatmulSuite } from '../../src/suites/matmul.js';
import { tileFromConfig, matmulTiledFamily, type TuneTarget } from '../../src/tuning/families.js';
import { familyKernelHash, tuneTarget, type TuneOutcome } from '../../src/tuning/search.js';
import { realDevice } from '../helpers/gpu.js';

// Runs in the backend matrix too: the tuner's candidates are the tiled kernel at many tile shapes,
// each checked on the compiler at hand, and a wrong one must be caught on every compiler.
let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => { acquired?.device.destroy(); });

// The second candidate the coarse stage times (after the default), so any budget reaches it.
const PLANTED = '32x32x8/4x4';

describe('wgbench tune on the compiler at hand', () => {
  it('rejects a planted wrong candidate (half the K loop: faster, and wrong) and never picks it', async () => {
    const device = { info: acquired.info, limits: acquired.device.limits, quick: true };
    const [target] = matmulTiledFamily.targets(device) as [TuneTarget];
    const shape = { M: target.problem['M'] ?? 0, N: target.problem['N'] ?? 0, K: target.problem['K'] ?? 0, label: target.description };
    const env = nodeRunEnvironment(acquired);
    const outcome: TuneOutcome = await tuneTarget(env, matmulTiledFamily, target, device, await familyKernelHash(matmulTiledFamily, env.loadKernel), 25_000, {
      budgetMs: 25_000,
      clock: () => performance.now(),
      plant: {
        family: 'matmul-tiled',
        label: PLANTED,
        suite: (c) => createMatmulSuite({ shapes: [shape], variants: ['tiled-f32'], tile: tileFromConfig(c), transformSource: (kernel, code) => (kernel === 'matmul' ? code.replace('for (var kb = 0u; kb < dims.kBlocks; kb++) {', 'for (var kb = 0u; kb < dims.kBlocks / 2u; kb++) {') : code) }),
      },
    });
    const planted = outcome.candidates.find((c) => c.label === PLANTED);
    expect(planted?.status).toBe('rejected');
    expect(planted?.rejection).toBe('wrong-result');
    expect(planted?.reason).toMatch(/^wrong result: \d+ mismatches; first: C\[/);
    expect(planted?.samplesNs).toEqual([]);
    expect(outcome.bestLabel).not.toBe(PLANTED);
    // Whatever it chose, it beat or equals the default in its own numbers.
    expect(outcome.speedup ?? 0).toBeGreaterThanOrEqual(1);
    expect(outcome.candidates.filter((c) => c.status === 'measured').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

});
