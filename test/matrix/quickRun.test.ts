import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { testBackendFlag } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

/**
 * What a user runs first, on whatever backend the matrix pinned: `wgbench run --quick`, every
 * suite, as a process. Every case must pass its check or be not applicable here, and a case may
 * only be not applicable for a reason the adapter or the plan really gives: nothing the adapter
 * can run is skipped.
 */
const NOT_APPLICABLE: { reason: RegExp; holds: (run: RunResult, c: CaseResult) => boolean }[] = [
  { reason: /has no shader-f16 feature/, holds: (run) => !run.device.deviceFeatures.includes('shader-f16') },
  { reason: /lists no subgroup-matrix feature/, holds: (run) => !run.device.deviceFeatures.includes('chromium-experimental-subgroup-matrix') },
  { reason: /has no subgroups feature/, holds: (run) => !run.device.deviceFeatures.includes('subgroups') },
  // Shape rules of the plan (a GEMV kernel on a square shape, a tile on a GEMV), the same everywhere.
  { reason: /GEMV kernel takes 1 to 8 rows|tile needs M, N multiples|multiples of 16/, holds: () => true },
  { reason: /WebGL2 needs a browser page/, holds: (_run, c) => c.params['peer'] === 'gpujs-webgl2' },
];

describe(`wgbench run --quick --backend ${testBackendFlag()}`, () => {
  it('exits 0 with every case ok (checked) or not applicable with a reason the adapter gives', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-matrix-')), 'run.json');
    const r = spawnSync(process.execPath, ['bin/wgbench.js', 'run', '--quick', '--backend', testBackendFlag(), '--json', file, '--no-progress'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', WGBENCH_CALIBRATION_DIR: join(tmpdir(), 'wgbench-matrix-no-calibration') } });
    const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
    const bad = run.cases.filter((c) => c.status !== 'ok' && c.status !== 'skipped').map((c) => `${c.id}: ${c.status}: ${c.message ?? ''}`);
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
      expect(rule?.holds(run, c), `${c.id} skipped ("${c.message ?? ''}") but the adapter has what it needs`).toBe(true);
    }
    // Every suite ran something on every adapter.
    for (const suite of ['memcopy', 'peak', 'matmul', 'attention', 'llm', 'kvtier', 'peers']) {
      expect(run.cases.some((c) => c.suite === suite && c.status === 'ok'), suite).toBe(true);
    }
    // The peers ran on the run's adapter, not another one.
    const gpujs = run.cases.find((c) => c.params['peer'] === 'gpujs-webgpu');
    expect(gpujs?.extras?.['adapter']).toBe(run.cases.find((c) => c.params['peer'] === 'wgbench-tiled')?.extras?.['adapter']);
  }, scaled(900_000));
});
