import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stagedSubgroupMatrixSource, stagedUnsupported, stagedWorkgroupBytes } from '../../src/suites/matmul.js';
import { familyByName, matmulSubgroupMatrixFamily } from '../../src/tuning/families.js';
import { entryFromOutcome, tunedShapes } from '../../src/tuning/stored.js';
import type { TuneOutcome } from '../../src/tuning/search.js';
import { H100_TUNE, LAVAPIPE_INFO, tuneLimits } from '../helpers/tuneDevices.js';


describe('the staged subgroup-matrix tuner family', () => {
  it('has a target per input the adapter lists, and none on an adapter without matrix units', () => {
    expect(familyByName('matmul-subgroup-matrix')).toEqual([matmulSubgroupMatrixFamily]);
    const targets = matmulSubgroupMatrixFamily.targets(H100_TUNE);
    expect(targets.map((t) => [t.shapeClass, t.defaultConfig])).toEqual([
      ['f16 4096x4096x4096', { kStep: 32, pad: 8 }],
      ['int8 4096x4096x4096', { kStep: 64, pad: 16 }],
    ]);
    expect(matmulSubgroupMatrixFamily.targets({ info: LAVAPIPE_INFO, limits: tuneLimits(32768), quick: true })).toEqual([]);
  });

  it('rules out what the kernel or the device cannot take, and tries the rest', () => {
    const [f16, int8] = matmulSubgroupMatrixFamily.targets(H100_TUNE);
    if (f16 === undefined || int8 === undefined) throw new Error('no targets');
    expect(matmulSubgroupMatrixFamily.unsupported({ kStep: 16, pad: 0 }, int8, H100_TUNE)).toMatch(/K step must be a multiple of 32/);
    expect(matmulSubgroupMatrixFamily.unsupported({ kStep: 64, pad: 8 }, int8, H100_TUNE)).toMatch(/padding must be a multiple of 16 elements/);
    expect(matmulSubgroupMatrixFamily.unsupported({ kStep: 128, pad: 32 }, f16, H100_TUNE)).toMatch(/needs 81920 bytes of workgroup memory; the device allows 49152/);
    expect(stagedWorkgroupBytes('f16', { kStep: 32, pad: 8 })).toBe((128 * 40 + 32 * 136) * 2);
    expect(stagedUnsupported('int8', { kStep: 64, pad: 16 }, tuneLimits(32768))).toBeNull();
    const tried = matmulSubgroupMatrixFamily.coarse(f16, H100_TUNE).filter((c) => matmulSubgroupMatrixFamily.unsupported(c, f16, H100_TUNE) === null);
    expect(tried.length).toBeGreaterThanOrEqual(6);
    expect(new Set(tried.map((c) => matmulSubgroupMatrixFamily.label(c, f16)))).toContain('K step 64, pad 0');
    // Every candidate is real source: the template fills whole at each of them.
    for (const c of tried) expect(stagedSubgroupMatrixSource(readFileSync('kernels/matmul_subgroup_tiled.wgsl', 'utf8'), 'f16', { kStep: Number(c['kStep']), pad: Number(c['pad']) })).toMatch(new RegExp(`const TK = ${String(c['kStep'])}u;[\\s\\S]*const PAD = ${String(c['pad'])}u;`));
  });

  it('a stored winner reaches the matmul suite as the staged shape for that input and problem', () => {
    const [f16] = matmulSubgroupMatrixFamily.targets(H100_TUNE);
    const outcome = { family: 'matmul-subgroup-matrix', shapeClass: f16?.shapeClass ?? '', description: '', kernelHash: 'h', source: 'tuned', bestConfig: { kStep: 64, pad: 0 }, bestLabel: 'K step 64, pad 0', defaultLabel: 'K step 32, pad 8', bestMedianNs: 1, defaultMedianNs: 2, speedup: 2 } as unknown as TuneOutcome;
    expect(tunedShapes([entryFromOutcome(outcome, '2026-12-06T00:00:00Z', 'test')]).staged).toEqual({ 'f16 4096x4096x4096': { kStep: 64, pad: 0 } });
  });
});
