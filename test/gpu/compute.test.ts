import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import {
  atBestRound,
  calibrationFromRun,
  calibrationKey,
  calibrationRounds,
  calibrationSuites,
} from '../../src/probe/calibration.js';
import { runPeaks } from '../../src/probe/profile.js';
import { parseRunResult } from '../../src/results/schema.js';
import { runSuites } from '../../src/runner/run.js';
import {
  createMatmulSuite,
  DEFAULT_STAGED,
  DEFAULT_TILE,
  stagedLabel,
  stagedSubgroupMatrixSource,
  stagedUnsupported,
  tileLabel,
  type StagedShape,
} from '../../src/suites/matmul.js';
import { createPeakSuite, peakSuite } from '../../src/suites/peak.js';
import { createMemcopySuite } from '../../src/suites/memcopy.js';
import { expectRanOrNotApplicable, has, realDevice, withTestBackend } from '../helpers/gpu.js';
import { GEMV_COLUMNS4, planGemv } from '../../src/gpu/gemvPlan.js';
import { sgmatAttentionSource, sgmatStagedLabel } from '../../src/suites/attention.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

describe('peak suite on a real adapter', () => {
  it('checks the FMA chains, times them, and proves twice the iterations take twice the time', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), { suites: [peakSuite], quick: true });
    for (const c of run.cases) {
      const needs =
        c.params['dtype'] === 'f16'
          ? ['shader-f16']
          : String(c.params['dtype']).startsWith('matrix')
            ? ['chromium-experimental-subgroup-matrix']
            : [];
      if (!expectRanOrNotApplicable(acquired, c, needs)) continue;
      expect(c.timingCheck?.passed).toBe(true);
      expect(c.timingCheck?.verdict).toMatch(/linear|noisy/);
      expect(c.timingCheck?.detail).toMatch(/took \d\.\d\d× the time/);
      expect(c.compute?.achievedTflops).toBeGreaterThan(0);
      expect(c.compute?.unit).toBe(
        {
          f32: 'fp32',
          f16: 'fp16',
          i8x4: 'int8Dot4',
          'matrix-f16': 'matrixF16',
          'matrix-i8': 'matrixInt8',
          'matrix-u8': 'matrixInt8',
        }[String(c.params['dtype'])],
      );
    }
    const dot4 = run.cases.find((c) => c.id === 'peak/dot4-i8');
    expect(dot4?.status, dot4?.message).toBe('ok');
    expect(dot4?.check?.method).toMatch(/replayed in integers/);
    expect(dot4?.check?.compared).toBeGreaterThanOrEqual(1024);
  });

  it('a dot4I8Packed chain one off in one step fails its exact replay and is not timed', async () => {
    const wrong = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace(
        '{{CHAINS_STEP}}',
        '{{CHAINS_STEP}}\n    x7 = x7 + select(0u, 1u, i == 17u);',
      );
    const run = await runSuites(
      { ...nodeRunEnvironment(acquired), loadKernel: wrong },
      { suites: [peakSuite], quick: true },
    );
    const dot4 = run.cases.find((c) => c.id === 'peak/dot4-i8');
    expect(dot4?.status).toBe('failed');
    // Which thread shows the error first depends on the fresh random inputs (a wrapped sum can hide it).
    expect(dot4?.message).toMatch(/\d+ of \d+ threads differ; first: thread \d+: got 0x/);
    expect(dot4?.samplesNs).toEqual([]);
  });

  it('a chain that computes the wrong thing fails its check and is not timed', async () => {
    const wrong = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace('let sum = {{CHAINS_SUM}};', 'let sum = {{CHAINS_SUM}} + x0;');
    // One chain summed twice, at every chain count the probe may take.
    const run = await runSuites(
      { ...nodeRunEnvironment(acquired), loadKernel: wrong },
      { suites: [createPeakSuite({ fmaChains: [1, 3, 8] })], quick: true },
    );
    const fma32 = run.cases.filter((c) => c.id.startsWith('peak/fma-f32'));
    expect(fma32.map((c) => c.id)).toEqual(['peak/fma-f32/chains=1', 'peak/fma-f32/chains=3', 'peak/fma-f32']);
    for (const c of fma32) {
      expect(c.status).toBe('failed');
      expect(c.check?.mismatches).toBeGreaterThan(0);
      expect(c.samplesNs).toEqual([]);
    }
    // The same shapes unplanted pass, and their FLOPs follow the chain count.
    const right = await runSuites(nodeRunEnvironment(acquired), {
      suites: [createPeakSuite({ fmaChains: [1, 3, 8] })],
      quick: true,
      passes: 2,
    });
    const ok = right.cases.filter((c) => c.id.startsWith('peak/fma-f32'));
    expect(ok.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(ok.map((c) => (c.compute?.flopsPerDispatch ?? 0) / (ok[0]?.compute?.flopsPerDispatch ?? 1))).toEqual([
      1, 3, 8,
    ]);
  });
});

describe('matmul suite on a real adapter', () => {
  const shapes = [
    { M: 128, N: 256, K: 64, label: '128×256×64' },
    { M: 1, N: 512, K: 256, label: 'GEMV' },
  ];

  it('runs every variant the device allows, each checked first, and skips the rest with a reason', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), { suites: [createMatmulSuite({ shapes })], quick: true });
    const byId = new Map(run.cases.map((c) => [c.id, c]));
    const f16 = has(acquired, 'shader-f16');
    for (const id of [
      'naive-f32/128x256x64',
      'tiled-f32/128x256x64',
      'tiled-f16/128x256x64',
      'dot4-int8/128x256x64',
      'block-sparse-f32/128x256x64',
      'naive-f32/1x512x256',
      'dot4-int8/1x512x256',
      'gemv-f32/1x512x256',
      'gemv-f16/1x512x256',
    ]) {
      const c = byId.get(`matmul/${id}`);
      if (expectRanOrNotApplicable(acquired, c, id.includes('f16') ? ['shader-f16'] : []))
        expect(c?.compute?.flopsPerDispatch).toBeGreaterThan(0);
    }
    // A pair no device runs (a tile on one row, a GEMV kernel on 128 rows) is not planned at all.
    expect(byId.has('matmul/tiled-f32/1x512x256')).toBe(false);
    expect(byId.has('matmul/gemv-f32/128x256x64')).toBe(false);
    const half = byId.get('matmul/gemv-f16/1x512x256');
    if (f16) {
      expect(half?.quantization?.f32CaseId).toBe('matmul/gemv-f32/1x512x256');
      expect(half?.quantization?.relL2).toBeLessThan(5e-3);
      expect(half?.bandwidth?.bytesPerDispatch).toBe(256 * 4 + 256 * 512 * 2 + 512 * 4);
    }
    if (!acquired.info.deviceFeatures.includes('chromium-experimental-subgroup-matrix')) {
      for (const v of ['subgroup-matrix-f16', 'subgroup-matrix-f16-tiled', 'subgroup-matrix-int8-tiled']) {
        const c = byId.get(`matmul/${v}/128x256x64`);
        expect(c?.status, v).toBe('skipped');
        // Without shader-f16 the f16 kernels are ruled out first, for that reason.
        expect(c?.message).toMatch(
          v.includes('f16') && !has(acquired, 'shader-f16') ? /shader-f16/ : /subgroup-matrix/,
        );
      }
    }
    const int8 = byId.get('matmul/dot4-int8/128x256x64');
    expect(int8?.check?.maxRelError).toBe(0);
    expect(int8?.quantization?.relL2).toBeGreaterThan(0);
    expect(int8?.quantization?.relL2).toBeLessThan(0.05);
    expect(int8?.quantization?.speedupVsF32).toBeGreaterThan(0);
    if (f16) expect(byId.get('matmul/tiled-f16/128x256x64')?.quantization?.relL2).toBeLessThan(5e-3);
    expect(byId.get('matmul/block-sparse-f32/128x256x64')?.sparsity?.speedupVsDense).toBeGreaterThan(0);
    expect(parseRunResult(JSON.parse(JSON.stringify(run)))).toEqual(run);
  });

  it('a GEMV that drops its split-K partials fails its check, with one split or several', async () => {
    const wrong = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace(
        'red[lid] += red[lid + s * COLS4];',
        'red[lid] += 0.0 * red[lid + s * COLS4];',
      );
    for (const gemvTargetWorkgroups of [1, 512]) {
      const run = await runSuites(
        { ...nodeRunEnvironment(acquired), loadKernel: wrong },
        {
          suites: [
            createMatmulSuite({
              shapes: [{ M: 3, N: 256, K: 512, label: 's' }],
              variants: ['gemv-f32'],
              gemvTargetWorkgroups,
            }),
          ],
          quick: true,
        },
      );
      expect(run.cases[0]?.status).toBe('failed');
      expect(run.cases[0]?.message).toMatch(/mismatches; first: C\[/);
    }
  });

  it(
    "takes the GEMV's columns per workgroup as a parameter: every value the kernel takes passes the check, " +
      'with one split or several (f16 weights at one width)',
    async () => {
      // N = 264 leaves the last workgroup partly outside N at every width; K = 1040 is not a whole number of sweeps.
      const shapes = [{ M: 3, N: 264, K: 1040, label: 's' }];
      for (const gemvColumns4 of GEMV_COLUMNS4) {
        for (const gemvTargetWorkgroups of [1, 512]) {
          const run = await runSuites(nodeRunEnvironment(acquired), {
            suites: [
              createMatmulSuite({
                shapes,
                variants: gemvColumns4 === 32 ? ['gemv-f32', 'gemv-f16'] : ['gemv-f32'],
                gemvTargetWorkgroups,
                gemvColumns4,
              }),
            ],
            quick: true,
            passes: 1,
            warmupPasses: 0,
            targetPassMs: 1,
          });
          for (const c of run.cases) {
            if (!expectRanOrNotApplicable(acquired, c, c.params['variant'] === 'gemv-f16' ? ['shader-f16'] : []))
              continue;
            expect(c.params).toMatchObject({
              gemvColumns: 4 * gemvColumns4,
              gemvSplits: planGemv(3, 1040, 264, gemvTargetWorkgroups, false, gemvColumns4).splits,
              source: 'explicit',
            });
          }
        }
      }
      const odd = await runSuites(nodeRunEnvironment(acquired), {
        suites: [createMatmulSuite({ shapes, variants: ['gemv-f32'], gemvColumns4: 12 })],
        quick: true,
      });
      expect(odd.cases[0]?.status).toBe('skipped');
      expect(odd.cases[0]?.message).toMatch(/vec4 columns per workgroup \(got 12\)/);
    },
  );

  it('a tiled kernel with a wrong index fails its check', async () => {
    const from = 'b[vn] = Bs[k * (TILE_N / 4u) + lid.x * VEC_N + vn];';
    const wrong = async (name: string): Promise<string> => {
      const code = await loadKernelFromDisk(name);
      expect(code).toContain(from);
      return code.replace(from, 'b[vn] = Bs[k * (TILE_N / 4u) + lid.x * VEC_N];');
    };
    const run = await runSuites(
      { ...nodeRunEnvironment(acquired), loadKernel: wrong },
      {
        suites: [createMatmulSuite({ shapes: [{ M: 128, N: 128, K: 16, label: 's' }], variants: ['tiled-f32'] })],
        quick: true,
      },
    );
    expect(run.cases[0]?.status).toBe('failed');
    expect(run.cases[0]?.message).toMatch(/mismatches; first: C\[/);
  });

  it(
    'takes the tile shape as a parameter: other shapes pass the same check, impossible ones are skipped with ' +
      'the reason',
    async () => {
      const shapes = [{ M: 128, N: 128, K: 64, label: 's' }];
      for (const tile of [
        { M: 64, N: 64, K: 16, vecM: 1, vecN: 2 },
        { M: 32, N: 128, K: 4, vecM: 2, vecN: 1 },
        { M: 64, N: 64, K: 16, vecM: 1, vecN: 2, prefetch: true },
      ]) {
        const run = await runSuites(nodeRunEnvironment(acquired), {
          suites: [createMatmulSuite({ shapes, variants: ['tiled-f32', 'block-sparse-f32'], tile })],
          quick: true,
        });
        for (const c of run.cases) {
          expect(c.status, `${c.id} ${JSON.stringify(tile)}: ${c.message ?? ''}`).toBe('ok');
          expect(c.params['tile']).toBe(tileLabel(tile));
        }
        expect(run.cases[1]?.sparsity?.blockSize).toBe(tile.M * tile.K);
      }
      // The pipelined kernel loads the next K step early; loading the current one again breaks it.
      const stale = async (name: string): Promise<string> => {
        const code = await loadKernelFromDisk(name);
        expect(code).toContain('loadAhead(t, wid, (kb + 1u) * TILE_K);');
        return code.replace('loadAhead(t, wid, (kb + 1u) * TILE_K);', 'loadAhead(t, wid, kb * TILE_K);');
      };
      const broken = await runSuites(
        { ...nodeRunEnvironment(acquired), loadKernel: stale },
        {
          suites: [createMatmulSuite({ shapes, variants: ['tiled-f32'], tile: { ...DEFAULT_TILE, prefetch: true } })],
          quick: true,
        },
      );
      expect(broken.cases[0]?.status).toBe('failed');
      expect(
        (
          await runSuites(nodeRunEnvironment(acquired), {
            suites: [
              createMatmulSuite({
                shapes,
                variants: ['tiled-f32'],
                tile: { M: 32, N: 128, K: 4, vecM: 2, vecN: 1, prefetch: true },
              }),
            ],
            quick: true,
          })
        ).cases[0]?.message,
      ).toMatch(/prefetching needs/);
      const huge = await runSuites(nodeRunEnvironment(acquired), {
        suites: [
          createMatmulSuite({ shapes, variants: ['tiled-f32'], tile: { M: 128, N: 128, K: 64, vecM: 1, vecN: 1 } }),
        ],
        quick: true,
      });
      expect(huge.cases[0]?.status).toBe('skipped');
      expect(huge.cases[0]?.message).toMatch(/tile 128x128x64\/4x4 needs a 32×32 workgroup|bytes of workgroup memory/);
    },
  );
});

describe('calibration and utilisation on a real adapter', () => {
  it('calibrates, and a later run divides by the calibrated peaks first', async () => {
    const env = nodeRunEnvironment(acquired);
    const cal = await runSuites(env, {
      suites: calibrationSuites(acquired.info, true),
      quick: true,
      rounds: calibrationRounds(true),
    });
    // Each case was timed in two rounds spread over the calibration, its samples pooled.
    for (const c of cal.cases.filter((x) => x.status === 'ok')) expect(c.noise?.rounds, c.id).toBe(2);
    const profile = calibrationFromRun(cal, calibrationKey(acquired.info));
    expect(profile.peaks.compute.fp32?.tflops).toBeGreaterThan(0);
    expect(profile.peaks.bandwidth?.gbps).toBeGreaterThan(0);
    // The int8 peak is the best of the register-only dot4 chain and the dot4 GEMM, never a guess.
    const int8 = profile.evidence.find((e) => e.unit === 'int8Dot4');
    const candidates = cal.cases.filter((c) => c.status === 'ok' && c.compute?.unit === 'int8Dot4');
    expect(candidates.map((c) => c.id)).toContain('peak/dot4-i8');
    // Each at its fastest round: the calibration keeps the best the device reached.
    expect(int8?.value).toBe(Math.max(...candidates.map((c) => atBestRound(c).compute?.achievedTflops ?? 0)));
    // The FMA probe ran at every chain count, each checked; the stored peak is the best shape, named.
    const fma = cal.cases.filter((c) => c.status === 'ok' && c.compute?.unit === 'fp32' && c.suite === 'peak');
    expect(fma.map((c) => c.params['vec4Chains']).sort()).toEqual([1, 2, 4, 8]);
    for (const c of fma) expect(c.check?.passed).toBe(true);
    // Each shape at its fastest round, as the calibration ranks them (the pooled medians may rank otherwise).
    const bestFma = fma
      .map(atBestRound)
      .reduce((a, b) => ((a.compute?.achievedTflops ?? 0) >= (b.compute?.achievedTflops ?? 0) ? a : b));
    expect(profile.peaks.compute.fp32?.tflops).toBeGreaterThanOrEqual(bestFma.compute?.achievedTflops ?? Infinity);
    // The dot4 probe too: every chain count checked exactly, the best kept as the int8 ceiling.
    const dot4 = cal.cases.filter((c) => c.suite === 'peak' && c.compute?.unit === 'int8Dot4');
    expect(dot4.map((c) => c.params['dot4Chains']).sort((x, y) => Number(x) - Number(y))).toEqual([2, 4, 8, 16]);
    for (const c of dot4) expect(c.check?.passed, c.id).toBe(true);
    expect(profile.probeShapes?.find((p) => p.unit === 'int8Dot4')?.shapes).toHaveLength(4);
    const shape = profile.probeShapes?.find((p) => p.unit === 'fp32');
    expect(shape?.shapes).toHaveLength(4);
    expect(shape?.best).toBe(bestFma.id);
    expect(shape?.note).toMatch(/moves it \d\.\d\d×/);
    // The copy kernel ran at its launch shapes too, each checked; the bandwidth peak is the best one's.
    const copies = cal.cases.filter((c) => c.status === 'ok' && c.suite === 'memcopy' && c.params['kernel'] === 'copy');
    expect(copies.length).toBeGreaterThanOrEqual(3);
    for (const c of copies) expect(c.check?.passed, c.id).toBe(true);
    expect(copies.filter((c) => /\/wg=\d+\/ept=\d+$/.test(c.id)).length).toBe(copies.length - 1);
    const bandwidthShapes = profile.probeShapes?.find((p) => p.unit === 'bandwidth');
    expect(bandwidthShapes?.shapes).toHaveLength(copies.length);
    expect(profile.peaks.bandwidth?.gbps).toBeGreaterThanOrEqual(
      Math.max(...copies.map((c) => atBestRound(c).bandwidth?.medianGBps ?? Infinity)),
    );
    // Each peak carries the noise its case reached, under the same stopping rule as every run.
    expect(profile.peaks.compute.fp32?.noise).toBeGreaterThan(0);
    expect(profile.peaks.bandwidth?.noise).toBeGreaterThan(0);
    const peaks = runPeaks(acquired.info, { profile, file: null });
    const largest = cal.cases.find((c) => c.suite === 'memcopy')?.params['bufferBytes'];
    const run = await runSuites(
      { ...env, peaks },
      { suites: [peakSuite, createMemcopySuite({ sizesBytes: [Number(largest)] })], quick: true },
    );
    // The device's own run right after calibrating: nothing above 100% beyond the noise both recorded.
    for (const c of run.cases.filter((x) => x.status === 'ok'))
      for (const x of c.utilization ?? []) {
        expect(x.mfuNoise ?? x.mbuNoise, c.id).toBeGreaterThan(0);
        expect(x.flags, c.id).toEqual([]);
      }
    const u = run.cases[0]?.utilization?.[0];
    expect(u?.against).toBe('calibrated');
    expect(u?.mfu).toBeGreaterThan(0.3);
    expect(u?.bound).toBe('compute');
    expect(u?.ridgePoint).toBeGreaterThan(0);
    expect(run.peaks?.calibrated?.measuredAt).toBe(profile.measuredAt);
  });
});

describe('kernels that need hardware this machine lacks still compile', () => {
  it('subgroup-matrix kernels pass Dawn’s compiler on the validation-only backend', async () => {
    const { create } = await import('webgpu');
    const gpu = create(['backend=null', 'enable-dawn-features=allow_unsafe_apis']);
    const adapter = await gpu.requestAdapter();
    expect(adapter).not.toBeNull();
    const device = await (adapter as GPUAdapter).requestDevice({
      requiredFeatures: ['shader-f16', 'chromium-experimental-subgroup-matrix' as GPUFeatureName],
    });
    const staged = readFileSync(join('kernels', 'matmul_subgroup_tiled.wgsl'), 'utf8');
    const sources: [string, string][] = [
      ...['matmul_subgroup_f16', 'matmul_subgroup_i8'].map((name): [string, string] => [
        name,
        readFileSync(join('kernels', `${name}.wgsl`), 'utf8'),
      ]),
      [
        'attention_subgroup_f16',
        sgmatAttentionSource(readFileSync(join('kernels', 'attention_subgroup_f16.wgsl'), 'utf8'), 64, {
          subgroups: 4,
          kvPad: 8,
          prefetch: true,
        }),
      ],
      ['matmul_subgroup_tiled (f16)', stagedSubgroupMatrixSource(staged, 'f16', 32)],
      ['matmul_subgroup_tiled (int8)', stagedSubgroupMatrixSource(staged, 'int8', 32)],
    ];
    for (const [name, code] of sources) {
      const module = device.createShaderModule({ code });
      const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
      expect(
        errors.map((e) => e.message),
        name,
      ).toEqual([]);
    }
    // Every pipelining (plain, prefetch, two buffers, both) and other layouts, K steps and
    // paddings build pipelines too, within this adapter's 16 KiB and 256 invocations.
    const shapes: ['f16' | 'int8', Partial<StagedShape>][] = [
      ['f16', { kStep: 16, pad: 16 }],
      ['int8', { kStep: 32, pad: 0 }],
      ['f16', { kStep: 16, prefetch: true }],
      ['int8', { kStep: 32, pad: 0, doubleBuffer: true }],
      ['f16', { kStep: 16, pad: 0, prefetch: true, doubleBuffer: true, sgRows: 4, sgCols: 2, mTiles: 2, nTiles: 4 }],
      ['int8', { prefetch: true, doubleBuffer: true, sgRows: 2, sgCols: 2, mTiles: 1, nTiles: 1, kStep: 32 }],
      ['f16', { sgRows: 2, sgCols: 2, mTiles: 8, nTiles: 2, kStep: 16, pad: 0, prefetch: true }],
      ['f16', { matrixM: 8, matrixN: 8, matrixK: 8, kStep: 16, pad: 0, prefetch: true, doubleBuffer: true }],
    ];
    // The staged flash kernel at both head dims, with and without prefetch and padding.
    const flash = readFileSync(join('kernels', 'attention_subgroup_f16.wgsl'), 'utf8');
    for (const [headDim, shape] of [
      [64, { subgroups: 4, kvPad: 0, prefetch: false }],
      [128, { subgroups: 4, kvPad: 16, prefetch: true }],
    ] as const) {
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code: sgmatAttentionSource(flash, headDim, shape) });
      await device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint: 'flash_sgmat_staged_kernel', constants: { SUBGROUP_SIZE: 32 } },
      });
      expect((await device.popErrorScope())?.message, `flash d${headDim} ${sgmatStagedLabel(shape)}`).toBeUndefined();
    }
    for (const [input, shape] of shapes) {
      const full = { ...DEFAULT_STAGED[input], ...shape };
      expect(stagedUnsupported(input, full, 32, device.limits), stagedLabel(full)).toBeNull();
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code: stagedSubgroupMatrixSource(staged, input, 32, full) });
      await device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module, entryPoint: input === 'f16' ? 'sgmat_f16_tiled_kernel' : 'sgmat_i8_tiled_kernel' },
      });
      expect((await device.popErrorScope())?.message, `${input} ${stagedLabel(full)}`).toBeUndefined();
    }
    device.destroy();
    // Keep the Dawn instance alive until its device is gone (Dawn aborts if it is collected first).
    expect(gpu).toBeDefined();
  });
});

describe('wgbench calibrate (CLI)', () => {
  it('saves a profile, shows it beside the datasheet, and run uses it', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { Writable } = await import('node:stream');
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-cal-'));
    let out = '';
    const sink = new Writable({
      write(c: Buffer, _e, done) {
        out += c.toString();
        done();
      },
    });
    let err = '';
    const io = {
      stdout: sink,
      stderr: new Writable({
        write(c: Buffer, _e, done) {
          err += c.toString();
          done();
        },
      }),
      env: { NO_COLOR: '1', WGBENCH_CALIBRATION_DIR: dir },
    };
    expect(await main(withTestBackend(['calibrate', '--quick', '--no-progress']), io), `${out}\n${err}`).toBe(0);
    expect(out).toMatch(/calibration saved to .*wgbench-cal-.*\.json/);
    const file = /calibration saved to (\S+)/.exec(out)?.[1] ?? '';
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      schemaVersion: 1,
      key: calibrationKey(acquired.info),
    });
    out = '';
    expect(await main(withTestBackend(['calibrate', '--show']), io)).toBe(0);
    expect(out).toMatch(/FP32 \(scalar FMA\) +│ [\d.]+ TFLOP\/s/);
    expect(out).toMatch(
      new RegExp(
        'datasheet: this device is not in the table; calibration alone supplies its peaks|datasheet: NVIDIA' +
          '|datasheet: AMD|datasheet: Apple',
      ),
    );
    const json = join(dir, 'run.json');
    out = '';
    expect(
      await main(withTestBackend(['run', '--suite', 'peak', '--quick', '--json', json, '--no-progress']), io),
    ).toBe(0);
    expect(out).toMatch(/MFU, MBU and bound against the calibrated peaks/);
    const run = parseRunResult(JSON.parse(readFileSync(json, 'utf8')));
    const ran = run.cases.filter((c) => c.status === 'ok');
    expect(ran.length).toBeGreaterThan(0);
    expect(ran.every((c) => c.utilization?.[0]?.against === 'calibrated' && (c.utilization[0].mfu ?? 0) > 0)).toBe(
      true,
    );
    out = '';
    expect(
      await main(
        withTestBackend(['run', '--suite', 'peak', '--quick', '--no-calibration', '--json', json, '--no-progress']),
        io,
      ),
    ).toBe(0);
    expect(parseRunResult(JSON.parse(readFileSync(json, 'utf8'))).peaks?.calibrated).toBeNull();
  });
});
