import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { loadKernelFromDisk, nodeRunEnvironment } from '../../src/platform/node.js';
import { parseRunResult } from '../../src/results/schema.js';
import { runSuites, type ProgressEvent } from '../../src/runner/run.js';
import { createMemcopySuite } from '../../src/suites/memcopy.js';
import { expectedTimerKind, realDevice } from '../helpers/gpu.js';

const MiB = 1024 * 1024;
let acquired: AcquiredDevice;

beforeAll(async () => {
  acquired = await realDevice();
});

afterAll(() => {
  acquired?.device.destroy();
});

describe('memcopy on a real adapter', () => {
  it('checks, times and reports every case, and the result is plain schema-valid data', async () => {
    const events: ProgressEvent['type'][] = [];
    const partials: number[] = [];
    const run = await runSuites(nodeRunEnvironment(acquired), {
      suites: [createMemcopySuite({ sizesBytes: [16 * MiB] })],
      quick: true,
      onProgress: (e) => events.push(e.type),
      onCaseDone: (partial) => {
        partials.push(partial.cases.length);
      },
    });
    expect(run.status).toBe('complete');
    expect(run.cases.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    for (const c of run.cases) {
      expect(c.check?.passed).toBe(true);
      // Timed until the noise rule stopped it: at least the six samples a 95% interval needs.
      expect(c.samplesNs.length).toBeGreaterThanOrEqual(6);
      expect(c.summary?.count).toBe(c.samplesNs.length);
      expect(c.noise?.samples).toBe(c.samplesNs.length);
      expect(c.noise?.reached).toBeGreaterThan(0);
      expect(['noise', 'max-time']).toContain(c.noise?.stoppedBy);
      expect(c.noise?.timedOut).toBe(c.noise?.stoppedBy === 'max-time');
      if (c.noise?.stoppedBy === 'noise') expect(c.noise.reached).toBeLessThanOrEqual(c.noise.target ?? 0);
      expect(c.noise?.resolutionShare).toBeLessThan(0.001);
      expect(c.bandwidth?.medianGBps).toBeGreaterThan(0.05);
      expect(c.bandwidth?.medianGBps).toBeCloseTo((c.bandwidth?.bytesPerDispatch ?? 0) / (c.summary?.p50 ?? 1), 6);
      expect(c.timer?.kind).toBe(expectedTimerKind(acquired));
      expect(c.warmupPasses).toBeGreaterThanOrEqual(1);
    }
    expect(run.cases[0]?.check?.compared).toBe((16 * MiB) / 4);
    expect(run.cases[1]?.check?.method).toBe('exact-u32-wrapping-sum');
    expect(run.cases[0]?.bandwidth?.bytesCounted).toBe('read+write');
    expect(run.memory.peakGpuBytes).toBeGreaterThanOrEqual(32 * MiB);
    expect(events).toEqual([
      'planned',
      'case-start',
      'case-done',
      'case-start',
      'case-done',
      'case-start',
      'case-done',
    ]);
    expect(partials).toEqual([1, 2, 3]);
    expect(run.options.stopping).toMatchObject({ rule: 'noise', minSamples: 6 });
    expect(JSON.parse(JSON.stringify(run))).toEqual(run);
    expect(parseRunResult(JSON.parse(JSON.stringify(run)))).toEqual(run);
  });

  it('stops on the noise target, or at the time limit marked as timed out', async () => {
    const suite = createMemcopySuite({ sizesBytes: [MiB], kernels: ['copy'] });
    const env = nodeRunEnvironment(acquired);
    // A loose target is met at the first six samples (their range within ±50% of the median).
    const loose = await runSuites(env, { suites: [suite], quick: true, noiseTarget: 0.5, minTimeMs: 0 });
    expect(loose.cases[0]?.noise).toMatchObject({ stoppedBy: 'noise', samples: 6, timedOut: false, target: 0.5 });
    // An unreachable target within 1 ms stops at the limit, after the six samples the noise needs.
    const strict = await runSuites(env, { suites: [suite], quick: true, noiseTarget: 0.0001, maxTimeMs: 1 });
    const c = strict.cases[0];
    expect(c?.noise).toMatchObject({ stoppedBy: 'max-time', samples: 6, timedOut: true, target: 0.0001 });
    expect(c?.noise?.reached).toBeGreaterThan(0);
    expect(strict.options.stopping).toMatchObject({ noiseTarget: 0.0001, maxTimeMs: 1 });
    // A fixed count is honoured and its noise still recorded.
    const fixed = await runSuites(env, { suites: [suite], quick: true, passes: 7 });
    expect(fixed.cases[0]?.noise).toMatchObject({
      rule: 'fixed-passes',
      stoppedBy: 'passes',
      samples: 7,
      target: null,
    });
  });

  it('a kernel that writes a wrong value fails its check and is never timed', async () => {
    const broken = async (name: string): Promise<string> => {
      const code = await loadKernelFromDisk(name);
      // One wrong element in the whole buffer must be caught.
      return code.replace('dst[i] = src[i];', 'dst[i] = select(src[i], vec4<u32>(7u), i == 12345u);');
    };
    const env = { ...nodeRunEnvironment(acquired), loadKernel: broken };
    const run = await runSuites(env, {
      suites: [createMemcopySuite({ sizesBytes: [4 * MiB], kernels: ['copy'] })],
      quick: true,
    });
    const [c] = run.cases;
    expect(c?.status).toBe('failed');
    expect(c?.check?.mismatches).toBeGreaterThanOrEqual(1);
    expect(c?.message).toMatch(/does not match the reference.*word 4938[0-3]/);
    expect(c?.samplesNs).toEqual([]);
    expect(c?.bandwidth).toBeNull();
  });

  it('a kernel that does nothing cannot pass: outputs are poisoned before the check', async () => {
    const noop = async (name: string): Promise<string> =>
      (await loadKernelFromDisk(name)).replace(
        /dst\[i\] = pattern\(i, params\.seed\);/,
        'if (params.count == 0u) { dst[i] = pattern(i, params.seed); }',
      );
    const env = { ...nodeRunEnvironment(acquired), loadKernel: noop };
    const run = await runSuites(env, {
      suites: [createMemcopySuite({ sizesBytes: [MiB], kernels: ['write'] })],
      quick: true,
    });
    expect(run.cases[0]?.status).toBe('failed');
    expect(run.cases[0]?.check?.mismatches).toBe(MiB / 4);
  });

  it('a shader that does not compile becomes an error case, and the run goes on', async () => {
    const bad = (): Promise<string> => Promise.resolve('this is not WGSL');
    const env = { ...nodeRunEnvironment(acquired), loadKernel: bad };
    const run = await runSuites(env, { suites: [createMemcopySuite({ sizesBytes: [MiB] })], quick: true });
    expect(run.status).toBe('complete');
    expect(run.cases.map((c) => c.status)).toEqual(['error', 'error', 'error']);
    expect(run.cases[0]?.message).toMatch(/setup failed/);
  });

  it('device loss ends the run cleanly with the results so far', async () => {
    const own = await realDevice();
    const run = await runSuites(nodeRunEnvironment(own), {
      suites: [createMemcopySuite({ sizesBytes: [MiB] })],
      quick: true,
      onCaseDone: async () => {
        own.device.destroy();
        await own.device.lost;
      },
    });
    expect(run.status).toBe('device-lost');
    expect(run.message).toMatch(/device lost.*results so far are kept/);
    expect(run.cases).toHaveLength(1);
    expect(run.cases[0]?.status).toBe('ok');
    expect(run.finishedAt).not.toBeNull();
  });

  it('an aborted run stops between cases and says so', async () => {
    const abort = new AbortController();
    const run = await runSuites(nodeRunEnvironment(acquired), {
      suites: [createMemcopySuite({ sizesBytes: [MiB] })],
      quick: true,
      signal: abort.signal,
      onCaseDone: () => {
        abort.abort();
      },
    });
    expect(run.status).toBe('interrupted');
    expect(run.cases).toHaveLength(1);
  });
});

describe('other backends', () => {
  it('runs memcopy on Dawn’s OpenGL ES backend in compatibility mode, timed on the CPU', async () => {
    const gles = await realDevice({ backends: ['opengles'] });
    try {
      expect(gles.info.featureLevel).toBe('compatibility');
      expect(gles.info.backend).toBe('opengles');
      const run = await runSuites(nodeRunEnvironment(gles), {
        suites: [createMemcopySuite({ sizesBytes: [4 * MiB] })],
        quick: true,
      });
      expect(run.cases.map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
      expect(run.timer.kind).toBe(
        gles.info.deviceFeatures.includes('timestamp-query') ? 'timestamp-query' : 'cpu-submit-to-done',
      );
    } finally {
      gles.device.destroy();
    }
  });
});
