import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTimer } from '../../src/gpu/probeTimer.js';
import { NoAdapterError, acquireDevice, type AcquiredDevice } from '../../src/gpu/acquire.js';
import { withErrorScopes } from '../../src/gpu/errorScope.js';
import { computePipeline } from '../../src/gpu/pipelines.js';
import { createPassTimer } from '../../src/gpu/timer.js';
import { dawnToggles } from '../../src/platform/node.js';
import { expectedTimerKind, realDevice, testBackendFlag } from '../helpers/gpu.js';

let acquired: AcquiredDevice;

beforeAll(async () => {
  acquired = await realDevice();
});

afterAll(() => {
  acquired?.device.destroy();
});

describe('device acquisition on a real adapter', () => {
  it('finds an adapter and records what it is', () => {
    const { info } = acquired;
    expect(info.description.length + info.device.length).toBeGreaterThan(0);
    expect(['gpu', 'cpu']).toContain(info.adapterClass);
    expect(info.limits['maxStorageBufferBindingSize']).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(info.deviceFeatures.includes('timestamp-query')).toBe(acquired.adapter.features.has('timestamp-query'));
    expect(info.toggles.disabled).toContain('timestamp_quantization');
    expect(acquired.tried.length).toBeGreaterThanOrEqual(1);
  });

  it('raises the device limits to the adapter’s maxima', () => {
    expect(acquired.device.limits.maxStorageBufferBindingSize).toBe(
      acquired.adapter.limits.maxStorageBufferBindingSize,
    );
  });

  it('names what to install when no candidate yields an adapter', async () => {
    const provider = {
      installHint: 'apt-get install -y mesa-vulkan-drivers',
      toggles: { enabled: [], disabled: [] },
      candidates: () => [
        {
          label: 'nothing',
          backend: 'vulkan' as const,
          featureLevel: 'core' as const,
          requestAdapter: () => Promise.resolve(null),
        },
      ],
    };
    await expect(acquireDevice(provider)).rejects.toThrow(NoAdapterError);
    await expect(acquireDevice(provider)).rejects.toThrow(/nothing: no adapter[\s\S]*mesa-vulkan-drivers/);
  });

  // SwiftShader ships inside Debian's chromium package; without it there is nothing to select.
  // Under the matrix's GL ES legs every Vulkan driver is hidden on purpose: nothing to select back.
  it.runIf(existsSync('/usr/lib/chromium/vk_swiftshader_icd.json') && ['auto', 'vulkan'].includes(testBackendFlag()))(
    'selecting SwiftShader does not hide other Vulkan drivers from later devices',
    async () => {
      const swift = await realDevice({ backends: ['vulkan-swiftshader'] });
      expect(swift.info.architecture).toBe('swiftshader');
      swift.device.destroy();
      const again = await realDevice({ backends: ['vulkan'] });
      expect(again.info.architecture).not.toBe('swiftshader');
      again.device.destroy();
    },
  );

  it('merges user toggles with the benchmarking defaults', () => {
    expect(dawnToggles({ enable: ['foo'], disable: ['allow_unsafe_apis'] })).toEqual({
      enabled: ['vulkan_enable_f16_on_nvidia', 'foo'],
      disabled: ['timestamp_quantization', 'allow_unsafe_apis'],
    });
    expect(dawnToggles({ noDefaultToggles: true })).toEqual({ enabled: [], disabled: [] });
  });
});

describe('timer', () => {
  it('times passes with timestamp queries where the device has them (else the host clock), unquantized', async () => {
    const info = await probeTimer(acquired.device);
    expect(info.kind).toBe(expectedTimerKind(acquired));
    if (info.kind === 'timestamp-query') expect(info.rawTimestampsSeen).toBeGreaterThanOrEqual(8);
    expect(info.quantized).toBe(false);
  });

  it('a longer pass measures longer: doubling the dispatches roughly doubles the time', async () => {
    const device = acquired.device;
    const code =
      '@group(0) @binding(0) var<storage, read_write> b: array<u32>;\n@compute @workgroup_size(64) fn ' +
      'main(@builtin(global_invocation_id) g: vec3u) { var x = b[g.x]; for (var i = 0u; i < 2000u; i++) { ' +
      'x = x * 1664525u + 1013904223u; } b[g.x] = x; }';
    const pipeline = await computePipeline(device, 'timer-test', code, 'main');
    const buffer = device.createBuffer({ size: 4096 * 4, usage: GPUBufferUsage.STORAGE });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer } }],
    });
    const timer = createPassTimer(device);
    const time = async (n: number): Promise<number | null> =>
      timer.timePass((pass) => {
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, bindGroup);
        for (let d = 0; d < n; d++) pass.dispatchWorkgroups(64);
      });
    await time(1);
    // Interleaved pairs, the ratio taken within each pair: a neighbour on the shared cores (or a
    // host-timed adapter's drift) slows both sides of a pair alike, not one series.
    const ratios: number[] = [];
    for (let i = 0; i < 9; i++) {
      const a = await time(4);
      const b = await time(8);
      if (a !== null && b !== null) ratios.push(b / a);
    }
    const ratio = ratios.sort((x, y) => x - y)[Math.floor(ratios.length / 2)] as number;
    const pairs = `pair ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`;
    expect(ratio, pairs).toBeGreaterThan(1.4);
    expect(ratio, pairs).toBeLessThan(2.8);
    timer.destroy();
    buffer.destroy();
  });

  it('falls back to CPU time around onSubmittedWorkDone without timestamp-query', async () => {
    const noTs = await realDevice({ withoutFeatures: ['timestamp-query'] });
    try {
      expect(noTs.info.deviceFeatures).not.toContain('timestamp-query');
      const info = await probeTimer(noTs.device);
      expect(info.kind).toBe('cpu-submit-to-done');
      expect(info.method).toMatch(/onSubmittedWorkDone/);
      expect(info.resolutionNs).toBeGreaterThan(0);
    } finally {
      noTs.device.destroy();
    }
  });
});

describe('error scopes', () => {
  it('turn an invalid shader into a message instead of an uncaptured error', async () => {
    const device = acquired.device;
    const r = await withErrorScopes(device, async () => {
      const module = device.createShaderModule({ code: '@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }' });
      return device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join('\n')).toMatch(/error/i);
  });

  it('turn an oversized buffer into an error', async () => {
    const device = acquired.device;
    const r = await withErrorScopes(device, () =>
      Promise.resolve().then(() =>
        device.createBuffer({ size: device.limits.maxBufferSize + 4, usage: GPUBufferUsage.STORAGE }),
      ),
    );
    expect(r.ok).toBe(false);
  });

  it('pass the value through when nothing went wrong', async () => {
    const r = await withErrorScopes(acquired.device, () => Promise.resolve(42));
    expect(r).toEqual({ ok: true, value: 42 });
  });
});
