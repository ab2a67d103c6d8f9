import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { createNodeGpuJs, nodeRunEnvironment } from '../../src/platform/node.js';
import { runSuites } from '../../src/runner/run.js';
import { createPeersSuite } from '../../src/suites/peers.js';
import { realDevice } from '../helpers/gpu.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

describe('peers suite on a real adapter', () => {
  it('runs gpu.js (WebGPU, on our Dawn) and a plain JavaScript loop, each checked, beside wgbench', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), {
      suites: [createPeersSuite({ sizes: [128], gpuJs: createNodeGpuJs(acquired), gpuJsModes: ['webgpu'] })],
      quick: true,
    });
    const byPeer = new Map(run.cases.map((c) => [c.params['peer'], c]));
    for (const peer of ['wgbench-tiled', 'wgbench-tiled-e2e', 'gpujs-webgpu', 'js-loop']) {
      const c = byPeer.get(peer);
      expect(c?.status, `${peer}: ${c?.message ?? ''}`).toBe('ok');
      expect(c?.check?.passed).toBe(true);
    }
    expect(byPeer.get('gpujs-webgl2')?.status).toBe('skipped');
    const gpujs = byPeer.get('gpujs-webgpu');
    expect(gpujs?.extras?.['wgbenchKernelSpeedup']).toBeGreaterThan(0);
    expect(gpujs?.extras?.['wgbenchEndToEndSpeedup']).toBeGreaterThan(0);
    expect(gpujs?.timer?.method).toMatch(/gpu\.js webgpu kernel call/);
  });

  it('without gpu.js the peers are skipped with the reason, and the rest still runs', async () => {
    const run = await runSuites(nodeRunEnvironment(acquired), {
      suites: [createPeersSuite({ sizes: [128] })],
      quick: true,
    });
    expect(run.cases.find((c) => c.params['peer'] === 'gpujs-webgpu')?.message).toMatch(/not available here/);
    expect(run.cases.find((c) => c.params['peer'] === 'js-loop')?.status).toBe('ok');
  });
});
