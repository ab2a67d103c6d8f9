import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dtypeValues, fillWgslTemplate } from '../../src/gpu/wgslTemplate.js';
import { ATTENTION_KERNEL, attentionSource, defaultFlashTile } from '../../src/suites/attention.js';
import { DEFAULT_TILE, tileSource } from '../../src/suites/matmul/shapes.js';
import { peakSource } from '../../src/suites/peak.js';
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

  const kernel = (name: string): string => readFileSync(`kernels/${name}.wgsl`, 'utf8');

  it.each(['f32', 'f16'] as const)(
    'every dtype kernel is filled whole at %s; f16 enables the extension first',
    async (dtype) => {
      const flash = defaultFlashTile({ adapterClass: 'gpu', backend: 'vulkan' });
      const load = (name: string): Promise<string> => Promise.resolve(kernel(name));
      const kinds = Object.keys(ATTENTION_KERNEL) as (keyof typeof ATTENTION_KERNEL)[];
      const attention = await Promise.all(kinds.map((kind) => attentionSource(load, kind, dtype, 128, flash)));
      const sources = [
        tileSource(kernel('matmul'), DEFAULT_TILE, dtype),
        peakSource(kernel('peak'), dtype),
        fillWgslTemplate('gemv.wgsl', kernel('gemv'), dtypeValues('W', dtype)),
        fillWgslTemplate('llm.wgsl', kernel('llm'), dtypeValues('W', dtype)),
        ...attention,
      ];
      for (const src of sources) {
        expect(src).not.toContain('{{');
        const enable = src.indexOf('enable f16;');
        if (dtype === 'f32') expect(enable).toBe(-1);
        // A directive must come before the first declaration.
        else expect(enable).toBeLessThan(src.search(/^(alias|const|struct|var|fn|@)/m));
        expect(src).toMatch(new RegExp(`^alias \\w+ = ${dtype};$`, 'm'));
      }
      expect(sources[0]).toContain('const TILE_K = 8u;');
      for (const src of attention) expect(src).toContain('const HEAD_DIM = 128u;');
      // One kernel per module: the flash-tiled source holds its own entry point and no other kind's.
      expect(attention[kinds.indexOf('flash-tiled')]?.match(/^fn \w+_kernel/gm)).toEqual(['fn flash_tiled_kernel']);
    },
  );
});
