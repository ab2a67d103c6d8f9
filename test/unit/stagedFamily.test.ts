import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_STAGED,
  defaultStagedFor,
  stagedSubgroupMatrixSource,
  stagedTile,
  stagedUnsupported,
  stagedWorkgroupBytes,
} from '../../src/suites/matmul.js';
import { familyByName, matmulSubgroupMatrixFamily, stagedFromConfig } from '../../src/tuning/families.js';
import { entryFromOutcome, tunedShapes } from '../../src/tuning/stored.js';
import type { TuneOutcome } from '../../src/tuning/search.js';
import { H100_TUNE, LAVAPIPE_INFO, tuneLimits } from '../helpers/tuneDevices.js';

describe('the staged subgroup-matrix tuner family', () => {
  const template = readFileSync('kernels/matmul_subgroup_tiled.wgsl', 'utf8');

  it('has a target per input the adapter lists, and none on an adapter without matrix units', () => {
    expect(familyByName('matmul-subgroup-matrix')).toEqual([matmulSubgroupMatrixFamily]);
    const targets = matmulSubgroupMatrixFamily.targets(H100_TUNE);
    expect(targets.map((t) => [t.shapeClass, t.defaultConfig])).toEqual([
      [
        'f16 4096x4096x4096',
        {
          matrixM: 16,
          matrixN: 16,
          matrixK: 16,
          kStep: 32,
          pad: 8,
          sgRows: 2,
          sgCols: 4,
          mTiles: 4,
          nTiles: 2,
          prefetch: false,
          doubleBuffer: false,
        },
      ],
      [
        'int8 4096x4096x4096',
        {
          matrixM: 16,
          matrixN: 16,
          matrixK: 32,
          kStep: 64,
          pad: 16,
          sgRows: 2,
          sgCols: 4,
          mTiles: 4,
          nTiles: 2,
          prefetch: false,
          doubleBuffer: false,
        },
      ],
    ]);
    expect(matmulSubgroupMatrixFamily.targets({ info: LAVAPIPE_INFO, limits: tuneLimits(32768), quick: true })).toEqual(
      [],
    );
    // Every parameter the issue names is in the space: matrix config, layout, matrices per subgroup, K step, padding,
    // pipelining.
    expect(matmulSubgroupMatrixFamily.parameters.map((p) => p.name)).toEqual([
      'matrixM',
      'matrixN',
      'matrixK',
      'sgRows',
      'sgCols',
      'mTiles',
      'nTiles',
      'kStep',
      'pad',
      'prefetch',
      'doubleBuffer',
    ]);
  });

  it('rules out what the kernel or the device cannot take, and tries the rest', () => {
    const [f16, int8] = matmulSubgroupMatrixFamily.targets(H100_TUNE);
    if (f16 === undefined || int8 === undefined) throw new Error('no targets');
    const u = (c: Record<string, number | boolean>, t = f16, d = H100_TUNE): string | null =>
      matmulSubgroupMatrixFamily.unsupported({ ...t.defaultConfig, ...c }, t, d);
    expect(u({ kStep: 16, pad: 0 }, int8)).toMatch(/K step must be a multiple of the matrix step 32 \(got 16\)/);
    // Only configs the adapter lists (the H100 lists f16 16×16×16 and i8 16×16×32, not 8×8×8).
    expect(u({ matrixM: 8, matrixN: 8, matrixK: 8 })).toMatch(
      /the adapter lists no f16→f32 8×8×8 subgroup-matrix config/,
    );
    expect(u({ kStep: 64, pad: 8 }, int8)).toMatch(/padding must be a multiple of 16 elements/);
    expect(u({ kStep: 128, pad: 32 })).toMatch(/needs 81920 bytes of workgroup memory; the device allows 49152/);
    // Two buffers double the workgroup memory.
    expect(stagedWorkgroupBytes('f16', { ...DEFAULT_STAGED.f16, doubleBuffer: true })).toBe(
      2 * (128 * 40 + 32 * 136) * 2,
    );
    expect(u({ kStep: 64, pad: 8, doubleBuffer: true })).toMatch(/needs 71680 bytes/);
    // Registers: at most 16 result matrices per subgroup; invocations: subgroups × 32 within the limit.
    expect(u({ mTiles: 8, nTiles: 4 })).toMatch(/8x4 result matrices per subgroup exceed 16/);
    expect(
      u({ sgRows: 8, sgCols: 8, mTiles: 1, nTiles: 1 }, f16, { ...H100_TUNE, limits: tuneLimits(49152, 1024) }),
    ).toMatch(/runs 64 subgroups of 32 \(2048 invocations\); the device allows 1024/);
    // 16 subgroups on a 256×256 tile fit an H100; a tile that does not divide the problem is named.
    expect(u({ sgRows: 4, sgCols: 4, mTiles: 4, nTiles: 4 })).toBeNull();
    expect(
      matmulSubgroupMatrixFamily.unsupported(
        { ...f16.defaultConfig, sgRows: 4, mTiles: 4 },
        { ...f16, problem: { M: 384, N: 384, K: 384 } },
        H100_TUNE,
      ),
    ).toMatch(/the staged kernel's 256×128 tile needs M a multiple of 256, N of 128 and K of 32 \(got 384×384×384\)/);
    expect(stagedUnsupported('int8', DEFAULT_STAGED.int8, 32, tuneLimits(32768))).toBeNull();
    expect(stagedTile({ ...DEFAULT_STAGED.f16, sgRows: 4, mTiles: 4 })).toEqual({ M: 256, N: 128 });

    const tried = matmulSubgroupMatrixFamily
      .coarse(f16, H100_TUNE)
      .filter((c) => matmulSubgroupMatrixFamily.unsupported(c, f16, H100_TUNE) === null);
    expect(tried.length).toBeGreaterThanOrEqual(12);
    const labels = new Set(tried.map((c) => matmulSubgroupMatrixFamily.label(c, f16)));
    // The coarse pass reaches 256-wide tiles, other subgroup counts and the pipelined kernel.
    expect([...labels].some((l) => l.startsWith('256x128'))).toBe(true);
    expect([...labels].some((l) => l.includes('2x2 subgroups'))).toBe(true);
    expect([...labels].some((l) => l.endsWith('prefetch, 2 buffers'))).toBe(true);
    // Every candidate is real source: the template fills whole at each of them, with its layout in it.
    for (const c of tried) {
      const shape = stagedFromConfig(c, 'f16');
      const code = stagedSubgroupMatrixSource(template, 'f16', 32, shape);
      expect(code).toMatch(
        new RegExp(
          `const TK = ${String(shape.kStep)}u;[\\s\\S]*const PAD = ${String(shape.pad)}u;[\\s\\S]*const ` +
            `SG_ROWS = ${String(shape.sgRows)}u;[\\s\\S]*const PREFETCH = ` +
            `${String(shape.prefetch)};[\\s\\S]*const STAGES = ${shape.doubleBuffer ? 2 : 1}u;`,
        ),
      );
    }
  });

  it(
    'takes any matrix config the adapter lists: on one without 16×16 the default and the search move to its ' + 'own',
    () => {
      const eightOnly = {
        ...H100_TUNE.info,
        subgroupMatrixConfigs: [
          { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 },
          { componentType: 'f16', resultComponentType: 'f16', M: 8, N: 8, K: 8 },
        ],
      };
      const device = { ...H100_TUNE, info: eightOnly };
      expect(defaultStagedFor('f16', eightOnly)).toEqual({ ...DEFAULT_STAGED.f16, matrixM: 8, matrixN: 8, matrixK: 8 });
      expect(defaultStagedFor('int8', eightOnly)).toBeNull();
      const targets = matmulSubgroupMatrixFamily.targets(device);
      expect(targets.map((t) => t.shapeClass)).toEqual(['f16 4096x4096x4096']);
      const [f16] = targets;
      if (f16 === undefined) throw new Error('no target');
      expect(stagedTile(stagedFromConfig(f16.defaultConfig, 'f16'))).toEqual({ M: 64, N: 64 });
      expect(matmulSubgroupMatrixFamily.unsupported(f16.defaultConfig, f16, device)).toBeNull();
      // On the H100, the coarse pass adds every other listed config of the input's types.
      const withEight = {
        ...H100_TUNE,
        info: {
          ...H100_TUNE.info,
          subgroupMatrixConfigs: [
            ...H100_TUNE.info.subgroupMatrixConfigs,
            { componentType: 'f16', resultComponentType: 'f32', M: 8, N: 8, K: 8 },
          ],
        },
      };
      const [h100f16] = matmulSubgroupMatrixFamily.targets(withEight);
      if (h100f16 === undefined) throw new Error('no target');
      const coarse = matmulSubgroupMatrixFamily
        .coarse(h100f16, withEight)
        .filter((c) => matmulSubgroupMatrixFamily.unsupported(c, h100f16, withEight) === null);
      expect(coarse.some((c) => c['matrixM'] === 8 && c['matrixK'] === 8 && c['kStep'] === 32)).toBe(true);
      expect(
        stagedSubgroupMatrixSource(template, 'f16', 32, { ...DEFAULT_STAGED.f16, matrixM: 8, matrixN: 8, matrixK: 8 }),
      ).toMatch(
        new RegExp(
          'subgroup_matrix_result<f32, 8, 8>[\\s\\S]*subgroup_matrix_left<f16, 8, 8>[\\s\\S]*subgroup_matrix_ri' +
            'ght<f16, 8, 8>',
        ),
      );
    },
  );

  it(
    'a stored winner reaches the matmul suite as the staged shape for that input and problem; an entry from ' +
      'before the layout parameters takes the default layout',
    () => {
      const [f16] = matmulSubgroupMatrixFamily.targets(H100_TUNE);
      const best = {
        matrixM: 16,
        matrixN: 16,
        matrixK: 16,
        kStep: 64,
        pad: 0,
        sgRows: 4,
        sgCols: 2,
        mTiles: 4,
        nTiles: 4,
        prefetch: true,
        doubleBuffer: true,
      };
      const outcome = {
        family: 'matmul-subgroup-matrix',
        shapeClass: f16?.shapeClass ?? '',
        description: '',
        kernelHash: 'h',
        source: 'tuned',
        bestConfig: best,
        bestLabel: 'x',
        defaultLabel: 'y',
        bestMedianNs: 1,
        defaultMedianNs: 2,
        speedup: 2,
      } as unknown as TuneOutcome;
      expect(tunedShapes([entryFromOutcome(outcome, '2026-12-06T00:00:00Z', 'test')]).staged).toEqual({
        'f16 4096x4096x4096': best,
      });
      expect(stagedFromConfig({ kStep: 64, pad: 32 }, 'int8')).toEqual({ ...DEFAULT_STAGED.int8, kStep: 64, pad: 32 });
    },
  );
});
