import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import { runSuites } from '../../src/runner/run.js';
import {
  attendedPositions,
  attentionBytes,
  attentionFlops,
  createAttentionSuite,
  defaultFlashTile,
  flashTileKey,
  flashTileLabel,
  flashTileUnsupported,
  type FlashTile,
} from '../../src/suites/attention.js';
import { realDevice } from '../helpers/gpu.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

const small = {
  prefill: [{ B: 1, H: 4, Hkv: 2, T: 40, S: 40, headDim: 64 as const }],
  decode: [{ B: 2, H: 4, Hkv: 1, S: 150, headDim: 128 as const }],
};

describe('attention FLOPs and bytes (docs/metrics.md)', () => {
  it('counts T(T+1)/2 attended positions when causal and T·S otherwise', () => {
    expect(attendedPositions({ T: 4096, S: 4096, causal: true })).toBe((4096 * 4097) / 2);
    expect(attendedPositions({ T: 10, S: 10, causal: false })).toBe(100);
    // Prefill of 2 new tokens after 3 cached: they attend 4 and 5 keys.
    expect(attendedPositions({ T: 2, S: 5, causal: true })).toBe(9);
    const sdpa = { B: 4, H: 32, Hkv: 32, T: 4096, S: 4096, headDim: 128 as const, causal: true };
    expect(attentionFlops(sdpa)).toBe(4 * 4 * 32 * 128 * ((4096 * 4097) / 2));
    expect(attentionBytes({ ...sdpa, Hkv: 8 }, 2)).toBe(
      (4 * 32 * 4096 * 128 + 2 * 4 * 8 * 4096 * 128) * 2 + 4 * 32 * 4096 * 128 * 4,
    );
  });
});

describe('attention on a real adapter', () => {
  it('flash, naive and paged decode, f32 and f16, causal and not, GQA: every case checked against f64', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), { suites: [createAttentionSuite(small)], quick: true });
    // Per causal mode: flash, flash tiled and naive in f32 and f16, the two flash kernels on
    // subgroup matrices in f16 only; then two decode kernels per dtype.
    expect(run.cases.length).toBe(2 * (2 * 3 + 2) + 2 * 2);
    for (const c of run.cases) {
      if (c.params['dtype'] === 'f16' && !acquired.info.deviceFeatures.includes('shader-f16')) continue;
      if (String(c.params['kind']).startsWith('flash-subgroup-matrix')) {
        expect(c.params['dtype']).toBe('f16');
        if (!acquired.info.deviceFeatures.includes('chromium-experimental-subgroup-matrix'))
          expect(c.message).toMatch(/needs subgroup matrices/);
        // T = 40 is not a multiple of 16 where the feature exists.
        else expect(c.message).toMatch(/multiples of 16|fixed subgroup size/);
        expect(c.status).toBe('skipped');
        continue;
      }
      expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      expect(c.check?.passed).toBe(true);
      expect(c.compute?.flopsPerDispatch).toBeGreaterThan(0);
    }
    for (const kind of ['decode-paged', 'decode-paged-thread'])
      expect(run.cases.find((c) => c.params['kind'] === kind)?.extras?.['splits']).toBe(2);
  });

  it('a flash kernel that drops the causal mask fails its check', async () => {
    const wrong = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace(
        '(p.causal == 0u || key <= t + p.qOffset)',
        '(p.causal == 0u || key <= t + p.qOffset + 1u)',
      );
    const run = await runSuites(
      { ...nodeRunEnvironment(acquired), loadKernel: wrong },
      { suites: [createAttentionSuite({ ...small, kinds: ['flash'], dtypes: ['f32'] })], quick: true },
    );
    const causal = run.cases.find((c) => c.params['causal'] === true);
    expect(causal?.status).toBe('failed');
    expect(causal?.message).toMatch(/rows differ/);
    expect(run.cases.find((c) => c.params['causal'] === false)?.status).toBe('ok');
  });

  it(
    'paged decode folds key chunks into a running max and sum: correct with 16-key chunks, wrong without the ' +
      'rescale',
    async () => {
      const chunked =
        (extra: [string, string] | null) =>
        async (name: string): Promise<string> => {
          let code = await loadKernelFromDisk(name);
          if (name !== 'attention_decode') return code;
          code = code.replace('const DEC_CHUNK = 256u;', 'const DEC_CHUNK = 16u;');
          if (extra !== null) {
            expect(code).toContain(extra[0]);
            code = code.replace(extra[0], extra[1]);
          }
          return code;
        };
      const options = { ...small, kinds: ['decode-paged' as const], dtypes: ['f32' as const] };
      const good = await runSuites(
        { ...nodeRunEnvironment(acquired), loadKernel: chunked(null) },
        { suites: [createAttentionSuite(options)], quick: true },
      );
      expect(good.cases[0]?.status, good.cases[0]?.message).toBe('ok');
      const bad = await runSuites(
        {
          ...nodeRunEnvironment(acquired),
          loadKernel: chunked(['acc = fma(acc, correction, part);', 'acc = acc + part;']),
        },
        { suites: [createAttentionSuite(options)], quick: true },
      );
      expect(bad.cases[0]?.status).toBe('failed');
      expect(bad.cases[0]?.message).toMatch(/rows differ/);
    },
  );

  it(
    'the register-blocked flash kernel rescales its output across key blocks: correct over 3 blocks, wrong ' +
      'without the rescale',
    async () => {
      const options = {
        prefill: [{ B: 1, H: 2, Hkv: 1, T: 150, S: 150, headDim: 128 as const }],
        kinds: ['flash-tiled' as const],
        dtypes: ['f32' as const],
      };
      const good = await runSuites(nodeRunEnvironment(acquired), {
        suites: [createAttentionSuite(options)],
        quick: true,
      });
      for (const c of good.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      const from = 'o[e][i] *= correction;';
      const wrong = async (name: string): Promise<string> => {
        const code = await loadKernelFromDisk(name);
        if (name !== 'attention_flash_tiled') return code;
        expect(code).toContain(from);
        return code.replace(from, '');
      };
      const bad = await runSuites(
        { ...nodeRunEnvironment(acquired), loadKernel: wrong },
        { suites: [createAttentionSuite(options)], quick: true },
      );
      expect(bad.cases.map((c) => c.status)).toEqual(['failed', 'failed']);
    },
  );

  it(
    'the flash-tiled kernel is right at every block shape the tuner may pick (rows, keys, threads per side), ' +
      'and records the shape it ran',
    async () => {
      // T = 150 leaves a partial query block and a partial key block at every shape; GQA and both masks.
      const shape = { B: 1, H: 2, Hkv: 1, T: 150, S: 150, headDim: 64 as const };
      const tiles: FlashTile[] = [
        { threadsX: 8, threadsY: 16, rowsPerThread: 2, keysPerThread: 2 },
        { threadsX: 16, threadsY: 8, rowsPerThread: 8, keysPerThread: 2 },
        { threadsX: 32, threadsY: 4, rowsPerThread: 4, keysPerThread: 1 },
      ];
      for (const tile of tiles) {
        expect(flashTileUnsupported(tile, 64, acquired.device.limits), flashTileLabel(tile)).toBeNull();
        const run = await runSuites(nodeRunEnvironment(acquired), {
          suites: [
            createAttentionSuite({ prefill: [shape], kinds: ['flash-tiled'], dtypes: ['f32'], flashTile: tile }),
          ],
          quick: true,
        });
        for (const c of run.cases) {
          expect(c.status, `${flashTileLabel(tile)} ${c.id}: ${c.message ?? ''}`).toBe('ok');
          expect(c.params['tile']).toBe(flashTileLabel(tile));
          expect(c.params['source']).toBe('explicit');
        }
      }
      // A tuned block is used for its head dim only, and says so.
      const tuned = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createAttentionSuite({
            prefill: [shape, { ...shape, headDim: 128 }],
            kinds: ['flash-tiled'],
            dtypes: ['f32'],
            tunedFlashTiles: { [flashTileKey(64)]: tiles[0] as FlashTile },
          }),
        ],
        quick: true,
      });
      expect(tuned.cases.filter((c) => c.params['headDim'] === 64).map((c) => [c.params['source'], c.status])).toEqual([
        ['tuned', 'ok'],
        ['tuned', 'ok'],
      ]);
      expect(
        tuned.cases.filter((c) => c.params['headDim'] === 128).map((c) => [c.params['tile'], c.params['source']]),
      ).toEqual([
        [flashTileLabel(defaultFlashTile(acquired.info)), 'default'],
        [flashTileLabel(defaultFlashTile(acquired.info)), 'default'],
      ]);
      // A block the device cannot hold is a skipped case naming the limit, never a failed compile.
      const huge = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createAttentionSuite({
            prefill: [shape],
            kinds: ['flash-tiled'],
            dtypes: ['f32'],
            flashTile: { threadsX: 64, threadsY: 64, rowsPerThread: 8, keysPerThread: 8 },
          }),
        ],
        quick: true,
      });
      expect(huge.cases[0]?.status).toBe('skipped');
      expect(huge.cases[0]?.message).toMatch(/per workgroup|workgroup memory/);
    },
  );
});
