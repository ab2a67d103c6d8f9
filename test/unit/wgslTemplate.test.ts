import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fillWgslTemplate } from '../../src/gpu/wgslTemplate.js';
import { matrixPeakSource } from '../../src/suites/peakSubgroupMatrix.js';

describe('WGSL templates', () => {
  it('fills every placeholder and refuses one left without a value or a value with no placeholder', () => {
    expect(fillWgslTemplate('k.wgsl', 'var<storage> a: array<{{T}}, {{N}}>;', { T: 'f16', N: 4 })).toBe(
      'var<storage> a: array<f16, 4>;',
    );
    expect(() => fillWgslTemplate('k.wgsl', 'array<{{T}}, {{N}}>', { T: 'f16' })).toThrow(
      'k.wgsl: placeholder {{N}} has no value',
    );
    expect(() => fillWgslTemplate('k.wgsl', 'array<{{T}}>', { T: 'f16', N: 4 })).toThrow(
      'k.wgsl: no placeholder for {{N}}',
    );
  });

  it('the matrix peak kernel is filled whole for an int8 config: no placeholder left, no f16 enabled', () => {
    const src = matrixPeakSource(readFileSync('kernels/peak_subgroup_matrix.wgsl', 'utf8'), {
      componentType: 'i8',
      resultComponentType: 'i32',
      M: 16,
      N: 16,
      K: 32,
    });
    expect(src).not.toMatch(/\{\{/);
    expect(src).not.toContain('enable f16;');
    expect(src).toContain('subgroup_matrix_left<i8, 32, 16>');
  });
});
