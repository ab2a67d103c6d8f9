import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunComparison } from '../../src/ci/compare.js';
import { keyOfCase } from '../../src/results/caseKey.js';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { testBackendFlag } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

/**
 * What a user runs first, on whatever backend the matrix pinned: `wgbench run --quick`, every
 * suite, as a process. Every case must pass its check or be not applicable here, and a case may
 * only be not applicable for a reason the adapter or the plan really gives: nothing the adapter
 * can run is skipped, and no case is planned that no device could run (a shape rule is never a skip).
 */
const NOT_APPLICABLE: { reason: RegExp; holds: (run: RunResult, c: CaseResult) => boolean }[] = [
  { reason: /needs shader-f16, which/, holds: (run) => !run.device.deviceFeatures.includes('shader-f16') },
  {
    reason: /needs subgroup matrices/,
    holds: (run) => !run.device.deviceFeatures.includes('chromium-experimental-subgroup-matrix'),
  },
  { reason: /needs subgroups, which/, holds: (run) => !run.device.deviceFeatures.includes('subgroups') },
  { reason: /WebGL2 needs a browser page/, holds: (_run, c) => c.params['peer'] === 'gpujs-webgl2' },
];

describe(`wgbench run --quick --backend ${testBackendFlag()}`, () => {
  it(
    'exits 0 with every case ok (checked) or not applicable with a reason the adapter gives',
    () => {
      const file = join(mkdtempSync(join(tmpdir(), 'wgbench-matrix-')), 'run.json');
      const r = spawnSync(
        process.execPath,
        ['bin/wgbench.js', 'run', '--quick', '--backend', testBackendFlag(), '--json', file, '--no-progress'],
        {
          encoding: 'utf8',
          env: {
            ...process.env,
            NO_COLOR: '1',
            WGBENCH_CALIBRATION_DIR: join(tmpdir(), 'wgbench-matrix-no-calibration'),
          },
        },
      );
      const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
      const bad = run.cases
        .filter((c) => c.status !== 'ok' && c.status !== 'skipped')
        .map((c) => `${c.id}: ${c.status}: ${c.message ?? ''}`);
      expect(bad, r.stderr.slice(-2000)).toEqual([]);
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(run.status).toBe('complete');
      for (const c of run.cases) {
        if (c.status === 'ok') {
          expect(c.check?.passed, c.id).toBe(true);
          expect(c.samplesNs.length, c.id).toBeGreaterThan(0);
          continue;
        }
        const rule = NOT_APPLICABLE.find((n) => n.reason.test(c.message ?? ''));
        expect(rule, `${c.id} skipped for an unknown reason: ${c.message ?? ''}`).toBeDefined();
        expect(rule?.holds(run, c), `${c.id} skipped ("${c.message ?? ''}") but the adapter has what it needs`).toBe(
          true,
        );
      }
      // Every suite ran something on every adapter.
      for (const suite of ['memcopy', 'peak', 'matmul', 'attention', 'llm', 'kvtier', 'peers']) {
        expect(
          run.cases.some((c) => c.suite === suite && c.status === 'ok'),
          suite,
        ).toBe(true);
      }
      // Against the saved H100 run: every kind both ran meets on its key, compared by throughput.
      const cmpFile = join(dirname(file), 'compare.json');
      const h100 = 'bench/results/h100-2026-11-27-compute/compute.json';
      const cmp = spawnSync(
        process.execPath,
        ['bin/wgbench.js', 'compare', h100, file, '--allow-device-mismatch', '--json', cmpFile],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      );
      expect(cmp.status, cmp.stderr).toBe(0);
      const comparison = JSON.parse(readFileSync(cmpFile, 'utf8')) as RunComparison;
      const base = parseRunResult(JSON.parse(readFileSync(h100, 'utf8')), h100);
      const bothRan = base.cases.filter(
        (b) => b.status === 'ok' && run.cases.some((c) => c.status === 'ok' && keyOfCase(c) === keyOfCase(b)),
      );
      expect(bothRan.map((c) => keyOfCase(c))).toEqual(
        expect.arrayContaining([
          'peak/fma-f32',
          'matmul/tiled-f32/square',
          'matmul/dot4-int8/square',
          'matmul/naive-f32/square',
          'matmul/naive-f32/gemv',
        ]),
      );
      for (const b of bothRan) {
        const row = comparison.cases.find((c) => c.baseId === b.id);
        expect(row?.metric, b.id).toBe('throughput');
        expect(row?.newId, b.id).toBe(run.cases.find((c) => c.status === 'ok' && keyOfCase(c) === keyOfCase(b))?.id);
      }
      // The H100's FMA f32 does thousands of times what a CPU adapter does: a ratio, not a time change.
      const fma = comparison.cases.find((c) => c.key === 'peak/fma-f32');
      expect(fma?.ratio ?? 1).toBeLessThan(1 / 500);
      expect(fma?.verdict).toBe('slower');
      expect(cmp.stdout).toMatch(/matmul\/tiled-f32\/square .*×[\d.e+-]+ throughput/);
      // The peers ran on the run's adapter, not another one.
      const gpujs = run.cases.find((c) => c.params['peer'] === 'gpujs-webgpu');
      expect(gpujs?.extras?.['adapter']).toBe(
        run.cases.find((c) => c.params['peer'] === 'wgbench-tiled')?.extras?.['adapter'],
      );
    },
    scaled(900_000),
  );
});
