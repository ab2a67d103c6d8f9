import { describe, expect, it } from 'vitest';
import { createStderrFilter } from '../../src/cli/dawnWarnings.js';

const U =
  'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 90 to 16 to fit dynamic ' +
  'offset allocation limit.\n';
const S =
  'Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 80 to 16 to fit dynamic ' +
  'offset allocation limit.\n';

function filtered(chunks: string[]): string {
  const f = createStderrFilter();
  return chunks.map((c) => f.push(c)).join('') + f.end();
}

describe("Dawn's limit warnings", () => {
  it('fold four lines (two adapters) into one that says what they mean', () => {
    const out = filtered([U, S, '[1/3] memcopy/copy: ok 5.5 GB/s\n', U, S, 'done\n']);
    expect(out.match(/artificially reduced/g)).toBeNull();
    expect(out.match(/wgbench: Dawn caps/g)).toHaveLength(1);
    expect(out).toContain(
      'maxDynamicUniformBuffersPerPipelineLayout 90→16, maxDynamicStorageBuffersPerPipelineLayout 80→16',
    );
    expect(out).toContain('no result is affected');
    expect(out).toContain('[1/3] memcopy/copy: ok 5.5 GB/s\ndone\n');
  });

  it('pass every other line, split chunks and unterminated progress redraws through untouched', () => {
    expect(filtered(['Warning: something else\n', 'wgbench: error\n'])).toBe(
      'Warning: something else\nwgbench: error\n',
    );
    const f = createStderrFilter();
    expect(f.push('\rwgbench [====    ] 2/5 copy')).toBe('\rwgbench [====    ] 2/5 copy');
    expect(f.push(U.slice(0, 20))).toBe('');
    expect(f.push(U.slice(20))).toBe('');
    expect(f.push('next\n')).toMatch(/^wgbench: Dawn caps .*\nnext\n$/s);
    expect(f.end()).toBe('');
  });

  it('a warning as the last thing printed still gets its note', () => {
    expect(filtered([U])).toMatch(/^wgbench: Dawn caps .*90→16.*\n$/);
  });
});

describe('the note of a quiet stream', () => {
  it('comes out when the stream goes idle after a complete pair, once', () => {
    const f = createStderrFilter();
    expect(f.push(U + S)).toBe('');
    expect(f.idle()).toMatch(/^wgbench: Dawn caps/);
    expect(f.idle()).toBe('');
    expect(f.push(U + S + 'x\n')).toBe('x\n');
  });
});

describe("the Vulkan loader's warnings while Dawn looks for adapters", () => {
  it('a machine without libvulkan: the warning and its native stack line become one note, once', () => {
    const missing =
      "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or " +
      'directory\n    at operator() (/x/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n\n';
    const out = filtered([missing, 'Adapter\n', missing, '  llvmpipe\n']);
    expect(out).toBe(
      `wgbench: no Vulkan loader (libvulkan.so.1) here, so no Vulkan adapter (a GPU driver, lavapipe, ` +
        `SwiftShader); the next adapter is used. For those: apt-get install libvulkan1 and a driver (wgbench ` +
        `probe says which)\nAdapter\n  llvmpipe\n`,
    );
  });

  it('a loader with no driver: every loader line folds into one note; other warnings pass', () => {
    const noDriver = [
      'Warning: loader_get_json: Failed to open JSON file /nonexistent.json\n',
      'Warning: vkCreateInstance: Found no drivers!\n',
      'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER\n',
      '    at CheckVkSuccessImpl (/x/VulkanError.cpp:106)\n',
      '\n',
      'Error: Loader Message: setup_loader_term_phys_devs:  Failed to detect any valid GPUs in the current config\n',
      'Warning: vkEnumeratePhysicalDevices\n',
      '    at GatherPhysicalDevices (/x/VulkanInfo.cpp:147)\n',
      '\n',
    ];
    const out = filtered([...noDriver, 'Warning: something else\n', 'done\n']);
    expect(out).toBe(
      'wgbench: the Vulkan loader found no usable driver here; the next adapter is used (wgbench probe ' +
        'says which)\nWarning: something else\ndone\n',
    );
  });
});
