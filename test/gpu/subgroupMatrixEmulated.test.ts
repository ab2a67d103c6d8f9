import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import type { RunEnvironment } from '../../src/runner/run.js';
import { runSuites } from '../../src/runner/run.js';
import { createAttentionSuite } from '../../src/suites/attention.js';
import { createMatmulSuite } from '../../src/suites/matmul.js';
import { createPeakSuite } from '../../src/suites/peak.js';
import { expectRanOrNotApplicable, has, realDevice } from '../helpers/gpu.js';
import { emulateSubgroupMatrix } from '../helpers/subgroupMatrixEmulation.js';
import { scaled } from '../helpers/timeouts.js';

// The subgroup-matrix kernels, with the matrix operations emulated in plain WGSL, on the real
// adapter: their tiling, staging and offsets are checked against f64 by the suites' own checks
// here, before a GPU with matrix units runs them. The device claims the feature and an H100's
// configs and subgroup size only so the suites plan those cases.
let acquired: AcquiredDevice;
let env: RunEnvironment;
beforeAll(async () => {
  acquired = await realDevice();
  const features = new Set<string>([...acquired.device.features, 'chromium-experimental-subgroup-matrix']);
  const device = new Proxy(acquired.device, {
    get(target, prop): unknown {
      if (prop === 'features') return features;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const configs = [
    { componentType: 'f16', resultComponentType: 'f32', M: 16, N: 16, K: 16 },
    { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 },
    // A second int8 config, for the staged GEMM at another matrix shape.
    { componentType: 'i8', resultComponentType: 'i32', M: 8, N: 8, K: 32 },
  ];
  env = {
    ...nodeRunEnvironment(acquired),
    device,
    // The adapter facts claim what the device claims: suites read requirements from the facts.
    info: {
      ...acquired.info,
      deviceFeatures: [...features],
      subgroupMinSize: 32,
      subgroupMaxSize: 32,
      subgroupMatrixConfigs: configs,
    },
    loadKernel: emulated(null),
  };
});
afterAll(() => {
  acquired?.device.destroy();
});

/**
 * Decided by the adapter in use, not by how the tests were started: a bare machine's only adapter
 * is GL ES, and `npm test` there must skip what the GL ES leg skips.
 */
function skipOnGles(ctx: { skip: (note: string) => void }): void {
  if (acquired.info.backend === 'opengles') {
    ctx.skip(
      "GL ES (compatibility) never offers subgroup matrices, so these kernels meet Mesa's GL compiler only " +
        'emulated, where it takes minutes each; lavapipe and SwiftShader check the arithmetic',
    );
  }
}

function emulated(mutation: [string, string] | null): (name: string) => Promise<string> {
  return async (name) => {
    let code = await loadKernelFromDisk(name);
    if (mutation !== null && code.includes(mutation[0])) code = code.replace(mutation[0], mutation[1]);
    // The staged matmul template is emulated once filled, by the suite's transform (matrixSuite
    // below): its matrix types are placeholders. The flash kernel's placeholders are only sizes.
    const types = name === 'attention_subgroup_f16' || !code.includes('{{');
    return name.includes('subgroup') && types ? emulateSubgroupMatrix(code) : code;
  };
}

/** The matmul suite with the staged kernel's template emulated after the suite fills it. */
function matrixSuite(options: Parameters<typeof createMatmulSuite>[0]): ReturnType<typeof createMatmulSuite> {
  return createMatmulSuite({
    ...options,
    transformSource: (kernel, code) => (kernel === 'matmul_subgroup_tiled' ? emulateSubgroupMatrix(code) : code),
  });
}

const shapes = [{ M: 128, N: 128, K: 64, label: '128×128×64' }];
const matrixVariants = [
  'subgroup-matrix-f16',
  'subgroup-matrix-int8',
  'subgroup-matrix-f16-tiled',
  'subgroup-matrix-int8-tiled',
] as const;

describe('subgroup-matrix kernels, matrix operations emulated', () => {
  // Not on GL ES (skipOnGles): Mesa's GL compiler took over 5 minutes on the emulated chains and
  // 420 s on the two emulated int8 GEMMs; a real device's matrix kernels never reach it.
  it(
    'the register-only matrix peak chains pass their exact check for every listed config, and a chain that slips fails',
    { timeout: scaled(600_000) },
    async (ctx) => {
      skipOnGles(ctx);
      // The template is emulated after its placeholders are filled, by the suite's transform.
      // Two configs (each emulated chain takes lavapipe ~20 s to compile): an f16 result, whose chain
      // must stay short to be exact, and i8 → i32.
      const configs = [
        { componentType: 'f16', resultComponentType: 'f16', M: 16, N: 16, K: 16 },
        { componentType: 'i8', resultComponentType: 'i32', M: 16, N: 16, K: 32 },
      ];
      const raw = { ...env, loadKernel: loadKernelFromDisk, info: { ...env.info, subgroupMatrixConfigs: configs } };
      const run = await runSuites(raw, {
        suites: [createPeakSuite({ transformMatrixSource: emulateSubgroupMatrix })],
        quick: true,
        passes: 1,
        warmupPasses: 0,
        targetPassMs: 1,
      });
      const matrix = run.cases.filter((c) => c.id.startsWith('peak/matrix-'));
      expect(matrix.map((c) => c.id).sort()).toEqual(['peak/matrix-f16-f16-16x16x16', 'peak/matrix-i8-i32-16x16x32']);
      for (const c of matrix) {
        if (!expectRanOrNotApplicable(acquired, c, String(c.params['componentType']) === 'f16' ? ['shader-f16'] : []))
          continue;
        expect(c.check?.method).toMatch(/^exact/);
        expect(c.check?.compared).toBe(2 * 4 * 256);
        expect(c.compute?.unit).toBe(c.params['componentType'] === 'f16' ? 'matrixF16' : 'matrixInt8');
      }
      // An f16 result holds integers exactly only to 2048: its chain is shortened to stay exact.
      expect(matrix.find((c) => c.id === 'peak/matrix-f16-f16-16x16x16')?.params['iterations']).toBeLessThanOrEqual(
        127,
      );
      const slipOnce = (code: string): string =>
        emulateSubgroupMatrix(
          code.replace(
            '    c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);\n  }',
            '    c3 = subgroupMatrixMultiplyAccumulate(a, b, c3);\n  }\n  c3 = ' +
              'subgroupMatrixMultiplyAccumulate(a, b, c3);',
          ),
        );
      const int8Only = { ...raw, info: { ...raw.info, subgroupMatrixConfigs: configs.slice(1) } };
      const slip = await runSuites(int8Only, {
        suites: [createPeakSuite({ transformMatrixSource: slipOnce })],
        quick: true,
        passes: 1,
        warmupPasses: 0,
        targetPassMs: 1,
      });
      const int8 = slip.cases.find((c) => c.id === 'peak/matrix-i8-i32-16x16x32');
      expect(int8?.status).toBe('failed');
      expect(int8?.message).toMatch(/chain 3/);
    },
  );

  // The f16 kernels need shader-f16 (SwiftShader and GL ES lack it): not applicable there.
  // Up to 15 minutes: with a cold shader cache Mesa 22's GL compiler took 420 s for the two int8 GEMMs.
  it('the direct and staged GEMMs (f16 and int8) pass the suite check', { timeout: scaled(900_000) }, async (ctx) => {
    skipOnGles(ctx);
    const run = await runSuites(env, {
      suites: [matrixSuite({ shapes, variants: matrixVariants })],
      quick: true,
      passes: 1,
      warmupPasses: 0,
      targetPassMs: 1,
    });
    for (const c of run.cases)
      expectRanOrNotApplicable(acquired, c, String(c.params['variant']).includes('f16') ? ['shader-f16'] : []);
    const staged = run.cases.find((c) => c.params['variant'] === 'subgroup-matrix-int8-tiled');
    expect(staged?.check?.maxRelError).toBe(0);
    expect(staged?.params).toMatchObject({ kStep: 64, pad: 16, source: 'default' });
  });

  // Not on GL ES: Mesa's GL compiler takes minutes per emulated GEMM, and these are four more;
  // the template's arithmetic at these shapes is the same on every compiler, checked on lavapipe
  // and SwiftShader. Three K steps, so that a prefetched or double-buffered step lands in the
  // buffer the next one reads; the last shape runs on an 8×8×32 matrix config. At most 8 result
  // matrices per subgroup here: with 16, SwiftShader's worker dies on the emulation's private
  // arrays (32 KiB per invocation), which a real matrix unit never has.
  it(
    'the staged template at other matrix configs, layouts, K steps and pipelining is the same GEMM',
    { timeout: scaled(900_000) },
    async (ctx) => {
      skipOnGles(ctx);
      const deep = [{ M: 128, N: 128, K: 96, label: '128×128×96' }];
      const others = [
        { kStep: 32, pad: 0, prefetch: true, doubleBuffer: true, sgRows: 4, sgCols: 2, mTiles: 2, nTiles: 4 },
        { kStep: 32, pad: 16, prefetch: true, doubleBuffer: false, sgRows: 2, sgCols: 2, mTiles: 2, nTiles: 2 },
        { kStep: 32, pad: 0, prefetch: false, doubleBuffer: true, sgRows: 1, sgCols: 2, mTiles: 4, nTiles: 2 },
        {
          matrixM: 8,
          matrixN: 8,
          matrixK: 32,
          kStep: 32,
          pad: 16,
          prefetch: true,
          doubleBuffer: true,
          sgRows: 2,
          sgCols: 2,
          mTiles: 4,
          nTiles: 2,
        },
      ];
      for (const shape of others) {
        const other = await runSuites(env, {
          suites: [matrixSuite({ shapes: deep, variants: ['subgroup-matrix-int8-tiled'], staged: { int8: shape } })],
          quick: true,
          passes: 1,
          warmupPasses: 0,
          targetPassMs: 1,
        });
        const c = other.cases[0];
        expect(c?.status, `${JSON.stringify(shape)}: ${c?.message ?? ''}`).toBe('ok');
        expect(c?.check?.maxRelError).toBe(0);
        expect(c?.params).toMatchObject({ ...shape, source: 'explicit' });
      }
    },
  );

  it(
    'a staged GEMM whose subgroups all take the same columns fails the check',
    { timeout: scaled(600_000) },
    async (ctx) => {
      skipOnGles(ctx);
      for (const variant of has(acquired, 'shader-f16')
        ? (['subgroup-matrix-f16-tiled', 'subgroup-matrix-int8-tiled'] as const)
        : (['subgroup-matrix-int8-tiled'] as const)) {
        const run = await runSuites(
          { ...env, loadKernel: emulated(['let bCol = (sg % SG_COLS) * SN;', 'let bCol = 0u;']) },
          {
            suites: [matrixSuite({ shapes, variants: [variant] })],
            quick: true,
            passes: 1,
            warmupPasses: 0,
            targetPassMs: 1,
          },
        );
        expect(run.cases[0]?.status, variant).toBe('failed');
      }
    },
  );

  it(
    'flash attention on subgroup matrices passes the check, causal and not, with and without a query offset',
    { timeout: scaled(900_000) },
    async (ctx) => {
      skipOnGles(ctx);
      const prefill = [
        { B: 1, H: 2, Hkv: 1, T: 32, S: 32, headDim: 64 as const },
        { B: 1, H: 1, Hkv: 1, T: 16, S: 48, headDim: 128 as const },
      ];
      const run = await runSuites(env, {
        suites: [createAttentionSuite({ prefill, kinds: ['flash-subgroup-matrix'], dtypes: ['f16'] })],
        quick: true,
        passes: 1,
        warmupPasses: 0,
        targetPassMs: 1,
      });
      expect(run.cases).toHaveLength(4);
      // The kernel is f16 only: without shader-f16 every case is not applicable, with the reason.
      if (!has(acquired, 'shader-f16')) {
        for (const c of run.cases) expectRanOrNotApplicable(acquired, c, ['shader-f16']);
        return;
      }
      for (const c of run.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      // The staged kernel: 64 rows per workgroup in 4 subgroups that stop at different keys when causal.
      const staged = await runSuites(env, {
        suites: [
          createAttentionSuite({
            prefill: [{ B: 1, H: 1, Hkv: 1, T: 64, S: 80, headDim: 64 }],
            kinds: ['flash-subgroup-matrix-staged'],
            dtypes: ['f16'],
          }),
        ],
        quick: true,
        passes: 1,
        warmupPasses: 0,
        targetPassMs: 1,
      });
      expect(staged.cases).toHaveLength(2);
      for (const c of staged.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      // Other shapes `wgbench tune` may pick: 2 subgroups over two workgroups, rows unpadded, each
      // block loaded when it is staged (no prefetch); 8 subgroups (128 rows) of which the causal ones
      // stop at eight different keys, rows padded by 32 bytes, at head dim 128.
      const counts = await runSuites(env, {
        suites: [
          createAttentionSuite({
            prefill: [{ B: 1, H: 1, Hkv: 1, T: 64, S: 80, headDim: 64 }],
            kinds: ['flash-subgroup-matrix-staged'],
            dtypes: ['f16'],
            sgmatStaged: { subgroups: 2, kvPad: 0, prefetch: false },
          }),
          createAttentionSuite({
            prefill: [{ B: 1, H: 2, Hkv: 1, T: 128, S: 144, headDim: 128 }],
            kinds: ['flash-subgroup-matrix-staged'],
            dtypes: ['f16'],
            sgmatStaged: { subgroups: 8, kvPad: 16 },
          }),
        ],
        quick: true,
        passes: 1,
        warmupPasses: 0,
        targetPassMs: 1,
      });
      expect(counts.cases.map((c) => [c.params['subgroups'], c.params['kvPad'], c.params['prefetch']])).toEqual([
        [2, 0, false],
        [2, 0, false],
        [8, 16, true],
        [8, 16, true],
      ]);
      for (const c of counts.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
      // The second sweep must use the final max and sum: with the first block's, rows differ.
      const broken = await runSuites(
        { ...env, loadKernel: emulated(['exp(x - ml.x) / ml.y', 'exp(x - ml.x)']) },
        {
          suites: [createAttentionSuite({ prefill, kinds: ['flash-subgroup-matrix'], dtypes: ['f16'] })],
          quick: true,
          passes: 1,
          warmupPasses: 0,
          targetPassMs: 1,
        },
      );
      expect(broken.cases.every((c) => c.status === 'failed')).toBe(true);
    },
  );
});
