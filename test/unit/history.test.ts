import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HistoryStore, historyPath } from '../../src/platform/historyStore.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { withSamples } from '../helpers/sampleRun.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);

/** The recorded run, moved to minute `i` after it and with its copy case scaled by `factor`. */
function variant(dir: string, i: number, factor = 1): string {
  const run = recorded();
  run.startedAt = new Date(Date.parse(run.startedAt) + i * 60_000).toISOString();
  const c = run.cases[0];
  if (c) run.cases[0] = withSamples(c, c.samplesNs.map((s) => s * factor));
  const file = join(dir, `run-${i}.json`);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

describe('history', () => {
  it('lives in a documented file, overridable', () => {
    expect(historyPath('/x.sqlite', {})).toBe('/x.sqlite');
    expect(historyPath(undefined, { WGBENCH_HISTORY_DB: '/env.sqlite' })).toBe('/env.sqlite');
    expect(historyPath(undefined, { XDG_DATA_HOME: '/data' })).toBe(join('/data', 'wgbench', 'history.sqlite'));
  });

  it('add, list and show through the CLI; adding the same run twice keeps one copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = join(dir, 'h.sqlite');
    const files = [variant(dir, 1), variant(dir, 2)];
    const add = await runCli(['history', 'add', ...files, '--db', db]);
    expect(add.code).toBe(0);
    expect(add.out.match(/^added /gm)).toHaveLength(2);
    expect((await runCli(['history', 'add', files[0] as string, '--db', db])).out).toMatch(/already in history/);
    const list = await runCli(['history', 'list', '--db', db]);
    expect(list.out.match(/mesa_software_llvmpipe/g)).toHaveLength(2);
    const show = await runCli(['history', 'show', 'memcopy/copy/bytes=134217728', '--db', db]);
    expect(show.code).toBe(0);
    expect(show.out.match(/│ ok +│/g)).toHaveLength(2);
    const missing = await runCli(['history', 'show', 'nope', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/"nope": no such case in the history/);
  });

  it('the --history baseline is the rolling median of the last k runs of the case on the device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = join(dir, 'h.sqlite');
    const factors = [1.0, 1.02, 0.98, 1.01, 0.99, 3.0];
    // Six earlier runs; the oldest (3×) falls outside the last five and must not count.
    await runCli(['history', 'add', ...factors.map((f, i) => variant(dir, 10 - i, f)), '--db', db]);
    const store = new HistoryStore(db);
    const next = parseRunResult(JSON.parse(readFileSync(variant(dir, 20, 1.25), 'utf8')));
    const baseline = store.baselineFor(next, 5);
    store.close();
    expect(baseline.samplesNs.get('memcopy/copy/bytes=134217728')).toHaveLength(5);
    const r = await runCli(['gate', variant(dir, 20, 1.25), '--history', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=134217728 +│ FAILED/);
  });

  it('two processes adding at once lose nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = join(dir, 'h.sqlite');
    const batches = [0, 1].map((p) => Array.from({ length: 15 }, (_, i) => variant(dir, 100 + p * 50 + i)));
    const bin = join(process.cwd(), 'bin', 'wgbench.js');
    const exits = await Promise.all(
      batches.map(
        (files) =>
          new Promise<number>((resolve) => {
            // One process per file, all started together, so the writers really overlap.
            const procs = files.map((f) => spawn(process.execPath, [bin, 'history', 'add', f, '--db', db], { stdio: 'ignore' }));
            let left = procs.length;
            let worst = 0;
            for (const p of procs) p.on('exit', (code) => { worst = Math.max(worst, code ?? 1); if (--left === 0) resolve(worst); });
          }),
      ),
    );
    expect(exits).toEqual([0, 0]);
    const store = new HistoryStore(db);
    expect(store.listRuns()).toHaveLength(30);
    expect(store.showCase('peak/fma-f32')).toHaveLength(30);
    store.close();
  });
});
