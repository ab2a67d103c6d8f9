import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { familyKernelHash } from '../../src/tuning/search.js';
import {
  createAttentionSuite,
  defaultFlashTile,
  DEFAULT_FLASH_TILE,
  DEFAULT_SGMAT_STAGED,
  flashTileLabel,
  flashTileWorkgroupBytes,
  sgmatAttentionSource,
  sgmatAttentionWorkgroupBytes,
  sgmatStagedLabel,
  sgmatStagedUnsupported,
} from '../../src/suites/attention.js';
import {
  attentionFamily,
  attentionSubgroupMatrixFamily,
  familyByName,
  flashTileFromConfig,
  type TuneDevice,
} from '../../src/tuning/families.js';
import { entryFromOutcome, tunedShapes } from '../../src/tuning/stored.js';
import type { TuneOutcome } from '../../src/tuning/search.js';
import { H100_TUNE, LAVAPIPE_INFO, tuneLimits } from '../helpers/tuneDevices.js';

describe('the attention tuner family (flash-tiled blocks)', () => {
  it('has one target per head dim of the run’s prefill shapes, on f16 where the adapter has it', () => {
    expect(familyByName('attention')).toEqual([attentionFamily]);
    const targets = attentionFamily.targets(H100_TUNE);
    expect(targets.map((t) => [t.shapeClass, t.description])).toEqual([
      ['d128', 'flash-tiled f16 B4 H32/32 T4096 d128 causal'],
      ['d64', 'flash-tiled f16 B4 H32/8 T4096 d64 causal'],
    ]);
    expect(targets[0]?.defaultConfig).toEqual({ ...DEFAULT_FLASH_TILE });
    // A quick run on a CPU adapter takes head dim 64 only; the full run both.
    const quickCpu = attentionFamily.targets({ info: LAVAPIPE_INFO, limits: tuneLimits(32768, 256), quick: true });
    expect(quickCpu.map((t) => t.shapeClass)).toEqual(['d64']);
    const cpu = attentionFamily.targets({ info: LAVAPIPE_INFO, limits: tuneLimits(32768, 256), quick: false });
    expect(cpu.map((t) => t.shapeClass)).toEqual(['d64', 'd128']);
    expect(cpu[0]?.defaultConfig).toEqual({ ...defaultFlashTile(LAVAPIPE_INFO) });
    expect(defaultFlashTile(LAVAPIPE_INFO)).not.toEqual(DEFAULT_FLASH_TILE);
  });

  it('rules out blocks the device or the head dim cannot take, and tries the rest', () => {
    const [d128] = attentionFamily.targets(H100_TUNE);
    if (d128 === undefined) throw new Error('no target');
    const small: TuneDevice = { ...H100_TUNE, limits: tuneLimits(16384, 256) };
    expect(
      attentionFamily.unsupported({ threadsX: 32, threadsY: 16, rowsPerThread: 2, keysPerThread: 2 }, d128, small),
    ).toMatch(/32×16 threads exceed the device's 256 per workgroup/);
    expect(
      attentionFamily.unsupported({ threadsX: 8, threadsY: 16, rowsPerThread: 2, keysPerThread: 1 }, d128, H100_TUNE),
    ).toMatch(/key block \(8\) must be a multiple of the 16-key V slice/);
    // 128 rows × 64 keys: stage 16·192 = 3072, reductions 128·16, P 128·64 floats.
    expect(flashTileWorkgroupBytes({ threadsX: 16, threadsY: 16, rowsPerThread: 8, keysPerThread: 4 }, 128)).toBe(
      4 * (3072 + 2048 + 8192),
    );
    expect(
      attentionFamily.unsupported({ threadsX: 16, threadsY: 16, rowsPerThread: 8, keysPerThread: 4 }, d128, small),
    ).toMatch(/needs 53248 bytes of workgroup memory; the device has 16384/);
    const tried = attentionFamily
      .coarse(d128, H100_TUNE)
      .filter((c) => attentionFamily.unsupported(c, d128, H100_TUNE) === null);
    expect(tried.length).toBeGreaterThanOrEqual(12);
    expect(tried.map((c) => attentionFamily.label(c, d128))).toContain(flashTileLabel(DEFAULT_FLASH_TILE));
    // Each neighbour differs from its origin in one parameter.
    for (const n of attentionFamily.neighbours(d128.defaultConfig, d128, H100_TUNE))
      expect(Object.keys(n).filter((k) => n[k] !== d128.defaultConfig[k])).toHaveLength(1);
  });

  it(
    'a stored winner reaches the attention suite as the block for that head dim, both dtypes, recorded as ' + 'tuned',
    () => {
      const best = { threadsX: 16, threadsY: 8, rowsPerThread: 8, keysPerThread: 2 };
      const outcome = {
        family: 'attention',
        shapeClass: 'd64',
        description: '',
        kernelHash: 'h',
        source: 'tuned',
        bestConfig: best,
        bestLabel: flashTileLabel(best),
        defaultLabel: flashTileLabel(DEFAULT_FLASH_TILE),
        bestMedianNs: 1,
        defaultMedianNs: 2,
        speedup: 2,
      } as unknown as TuneOutcome;
      const shapes = tunedShapes([entryFromOutcome(outcome, '2026-12-06T00:00:00Z', 'test')]);
      expect(shapes.flashTiles).toEqual({ d64: best });
      expect(flashTileFromConfig(best)).toEqual(best);
      // The run hands the tuning to every suite through its context; an explicit block does not override it.
      const suite = createAttentionSuite({ flashTile: DEFAULT_FLASH_TILE });
      const ctx = {
        info: LAVAPIPE_INFO,
        quick: true,
        tuned: shapes,
        device: { features: new Set(['shader-f16']), limits: tuneLimits(32768, 256) },
      } as unknown as Parameters<typeof suite.plan>[0];
      const tiled = suite.plan(ctx).filter((c) => c.params['kind'] === 'flash-tiled');
      expect(
        tiled
          .filter((c) => c.params['headDim'] === 64)
          .map((c) => [c.params['dtype'], c.params['source'], c.params['tile'], c.skipReason]),
      ).toEqual([
        ['f32', 'tuned', flashTileLabel(best), undefined],
        ['f16', 'tuned', flashTileLabel(best), undefined],
        ['f32', 'tuned', flashTileLabel(best), undefined],
        ['f16', 'tuned', flashTileLabel(best), undefined],
      ]);
      expect(tiled.filter((c) => c.params['headDim'] === 128).every((c) => c.params['source'] === 'default')).toBe(
        true,
      );
    },
  );
});

describe('the attention-subgroup-matrix tuner family (the staged flash kernel on subgroup matrices)', () => {
  it('has one target per head dim where the adapter lists f16 subgroup matrices, none elsewhere', () => {
    expect(familyByName('attention-subgroup-matrix')).toEqual([attentionSubgroupMatrixFamily]);
    const targets = attentionSubgroupMatrixFamily.targets(H100_TUNE);
    expect(targets.map((t) => [t.shapeClass, t.description, t.defaultConfig])).toEqual([
      [
        'd128',
        'flash-subgroup-matrix-staged f16 B4 H32/32 T4096 d128 causal',
        { subgroups: 4, kvPad: 8, prefetch: true },
      ],
      ['d64', 'flash-subgroup-matrix-staged f16 B4 H32/8 T4096 d64 causal', { subgroups: 4, kvPad: 8, prefetch: true }],
    ]);
    expect(attentionSubgroupMatrixFamily.parameters.map((p) => p.name)).toEqual(['subgroups', 'kvPad', 'prefetch']);
    expect(
      attentionSubgroupMatrixFamily.targets({ info: LAVAPIPE_INFO, limits: tuneLimits(32768, 256), quick: true }),
    ).toEqual([]);
  });

  it('rules out shapes the device or the sequence cannot take', () => {
    const [d128] = attentionSubgroupMatrixFamily.targets(H100_TUNE);
    if (d128 === undefined) throw new Error('no target');
    const u = (c: Record<string, number | boolean>, d = H100_TUNE): string | null =>
      attentionSubgroupMatrixFamily.unsupported({ ...d128.defaultConfig, ...c }, d128, d);
    // 16 subgroups: 16 · 256 · 6 bytes of scores and probabilities + padded K and V blocks.
    expect(sgmatAttentionWorkgroupBytes({ ...DEFAULT_SGMAT_STAGED, subgroups: 16 }, 128)).toBe(
      16 * 256 * 6 + 2 * 16 * 136 * 2,
    );
    expect(u({ subgroups: 16 }, { ...H100_TUNE, limits: tuneLimits(49152, 256) })).toMatch(
      /runs 16 subgroups of 32 per workgroup; the device allows 256 invocations/,
    );
    expect(u({ subgroups: 16 }, { ...H100_TUNE, limits: tuneLimits(16384, 1024) })).toMatch(
      /needs 33280 bytes of workgroup memory; the device allows 16384/,
    );
    expect(u({ kvPad: 4 })).toMatch(/padding must be a multiple of 8 f16/);
    expect(
      sgmatStagedUnsupported({ ...DEFAULT_SGMAT_STAGED, subgroups: 8 }, { T: 64, headDim: 64 }, 32, tuneLimits(49152)),
    ).toMatch(/T must be a multiple of 128/);
    const tried = attentionSubgroupMatrixFamily
      .coarse(d128, H100_TUNE)
      .filter((c) => attentionSubgroupMatrixFamily.unsupported(c, d128, H100_TUNE) === null);
    const labels = new Set(tried.map((c) => attentionSubgroupMatrixFamily.label(c, d128)));
    for (const n of [1, 2, 4, 8, 16])
      expect(labels).toContain(`${n} subgroups (${16 * n} query rows), pad 8, prefetch`);
    expect(labels).toContain('4 subgroups (64 query rows), pad 0');
  });

  it(
    'a stored shape reaches the attention suite’s staged subgroup-matrix cases for that head dim, and the ' +
      'kernel source',
    () => {
      const best = { subgroups: 8, kvPad: 0, prefetch: false };
      const outcome = {
        family: 'attention-subgroup-matrix',
        shapeClass: 'd64',
        description: '',
        kernelHash: 'h',
        source: 'tuned',
        bestConfig: best,
        bestLabel: sgmatStagedLabel(best),
        defaultLabel: sgmatStagedLabel(DEFAULT_SGMAT_STAGED),
        bestMedianNs: 1,
        defaultMedianNs: 2,
        speedup: 2,
      } as unknown as TuneOutcome;
      const shapes = tunedShapes([entryFromOutcome(outcome, '2026-12-06T00:00:00Z', 'test')]);
      expect(shapes.sgmatStaged).toEqual({ d64: best });
      const suite = createAttentionSuite();
      const info = { ...H100_TUNE.info, adapterClass: 'discrete' };
      const ctx = {
        info,
        quick: false,
        tuned: shapes,
        device: {
          features: new Set(['shader-f16', 'chromium-experimental-subgroup-matrix']),
          limits: tuneLimits(49152, 1024),
        },
      } as unknown as Parameters<typeof suite.plan>[0];
      const staged = suite.plan(ctx).filter((c) => c.params['kind'] === 'flash-subgroup-matrix-staged');
      expect(
        staged.map((c) => [
          c.params['headDim'],
          c.params['subgroups'],
          c.params['queryBlock'],
          c.params['kvPad'],
          c.params['prefetch'],
          c.params['source'],
          c.skipReason,
        ]),
      ).toEqual([
        [128, 4, 64, 8, true, 'default', undefined],
        [128, 4, 64, 8, true, 'default', undefined],
        [64, 8, 128, 0, false, 'tuned', undefined],
        [64, 8, 128, 0, false, 'tuned', undefined],
      ]);
      const code = sgmatAttentionSource(readFileSync('kernels/attention_subgroup_f16.wgsl', 'utf8'), 64, best);
      expect(code).toMatch(
        new RegExp(
          'const HEAD_DIM = 64u;[\\s\\S]*const SGS = 8u; \\/\\/ subgroups per workgroup[\\s\\S]*const KV_PAD = 0u' +
            ';[\\s\\S]*const PREFETCH = false;',
        ),
      );
      expect(code).not.toContain('{{');
      expect(() => sgmatAttentionSource('const HEAD_DIM = {{HEAD_DIM}}u;', 64, best)).toThrow(
        'attention_subgroup_f16.wgsl: no placeholder for {{SGS}}, {{KV_PAD}}, {{PREFETCH}}',
      );
    },
  );
});

describe("a stored tuning's hash covers its kernel as compiled, and nothing else", () => {
  const disk = (name: string): Promise<string> => Promise.resolve(readFileSync(`kernels/${name}.wgsl`, 'utf8'));
  const edited =
    (file: string, from: string, to: string) =>
    async (name: string): Promise<string> => {
      const code = await disk(name);
      if (name !== file) return code;
      expect(code).toContain(from);
      return code.replace(from, to);
    };

  it(
    'editing the decode kernel leaves the flash-tiled tuning current; editing its own kernel or the shared ' +
      'part does not',
    async () => {
      const now = await familyKernelHash(attentionFamily, disk);
      expect(
        await familyKernelHash(attentionFamily, edited('attention_decode', 'DEC_CHUNK = 256u', 'DEC_CHUNK = 128u')),
      ).toBe(now);
      expect(
        await familyKernelHash(attentionFamily, edited('attention_flash_tiled', 'FT_SLICE = 16u', 'FT_SLICE = 8u')),
      ).not.toBe(now);
      expect(
        await familyKernelHash(attentionFamily, edited('attention_common', '  scale: f32,', '  scale: f32, // x')),
      ).not.toBe(now);
    },
  );
});
