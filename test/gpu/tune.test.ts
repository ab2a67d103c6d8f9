import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AcquiredDevice } from '../../src/gpu/acquire.js';
import { calibrationKey } from '../../src/probe/calibration.js';
import { parseRunResult } from '../../src/results/schema.js';
import type { TuneOutcome } from '../../src/tuning/search.js';
import type { StoredTuning } from '../../src/tuning/stored.js';
import { runCli } from '../helpers/cli.js';
import { realDevice } from '../helpers/gpu.js';
import { scaled } from '../helpers/timeouts.js';

let acquired: AcquiredDevice;
beforeAll(async () => {
  acquired = await realDevice();
});
afterAll(() => {
  acquired?.device.destroy();
});

describe('wgbench tune', () => {
  it('refuses a zero, negative or non-numeric budget and an unknown family (exit 2)', async () => {
    for (const budget of ['0', '-5', 'abc', '1e9']) {
      const r = await runCli(['tune', '--budget', budget]);
      expect(r.code, budget).toBe(2);
      expect(r.err).toMatch(/--budget takes a number between 0 and 86401 \(exclusive\)/);
    }
    const unknown = await runCli(['tune', '--family', 'memcopy,warp-drive', '--budget', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown family "warp-drive"; tunable: memcopy, matmul-tiled, gemv/);
  });

  it(
    'ends within 10% of a 60 s budget, beats or equals every default, stores the shapes, and run uses them ' +
      '(tuned or default, per case)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-tune-'));
      const report = join(dir, 'tune.json');
      const t0 = performance.now();
      const html = join(dir, 'tune.html');
      const tune = await runCli([
        'tune',
        '--budget',
        '60',
        '--quick',
        '--calibration-dir',
        dir,
        '--json',
        report,
        '--html',
        html,
        '--no-progress',
      ]);
      const seconds = (performance.now() - t0) / 1000;
      expect(tune.code, tune.err).toBe(0);
      expect(seconds).toBeGreaterThan(54);
      expect(seconds).toBeLessThan(66);
      expect(tune.out).toMatch(/tuned 6 problems in [\d.]+ s of a 60 s budget; saved to .*\.tuning\.json/);
      expect(tune.out).toMatch(
        new RegExp(
          '^matmul-subgroup-matrix: nothing to tune on this device \\(needs an adapter that lists subgroup-m' +
            'atrix configs',
          'm',
        ),
      );
      expect(tune.out).toMatch(
        new RegExp(
          '^attention-subgroup-matrix: nothing to tune on this device \\(needs an adapter that lists the f16' +
            '→f32 16×16×16 subgroup-matrix config',
          'm',
        ),
      );
      const json = JSON.parse(readFileSync(report, 'utf8')) as { outcomes: TuneOutcome[]; elapsedSeconds: number };
      expect(json.outcomes.map((o) => `${o.family}/${o.shapeClass}`)).toEqual([
        'memcopy/copy',
        'memcopy/read',
        'memcopy/write',
        'matmul-tiled/256x256x256',
        'gemv/1x1024x1024',
        'attention/d64',
      ]);
      for (const o of json.outcomes) {
        expect(o.speedup, `${o.family} ${o.decision}`).not.toBeNull();
        expect(o.speedup ?? 0).toBeGreaterThanOrEqual(1);
        expect(o.candidates.some((c) => c.label === o.defaultLabel && c.samplesNs.length > 0)).toBe(true);
      }
      const page = readFileSync(html, 'utf8');
      for (let i = 0; i < 6; i++) expect(page).toContain(`<canvas id="c${i}" role="img"`);
      expect(page).toMatch(/median per dispatch \(ms\); grey: the default, green: the stored choice/);
      const key = calibrationKey(acquired.info);
      const storedFile = join(dir, `${key}.tuning.json`);
      const stored = JSON.parse(readFileSync(storedFile, 'utf8')) as StoredTuning;
      expect(stored.entries).toHaveLength(6);

      const out = join(dir, 'run.json');
      const run = await runCli([
        'run',
        '--suite',
        'memcopy,matmul',
        '--quick',
        '--calibration-dir',
        dir,
        '--json',
        out,
        '--no-progress',
      ]);
      expect(run.code, run.err).toBe(0);
      const result = parseRunResult(JSON.parse(readFileSync(out, 'utf8')));
      const copy = result.cases.find((c) => c.id === 'memcopy/copy/bytes=134217728');
      const copyEntry = stored.entries.find((e) => e.family === 'memcopy' && e.shapeClass === 'copy');
      expect(copy?.params['source']).toBe(copyEntry?.source);
      if (copyEntry?.source === 'tuned') expect(copy?.params['workgroupSize']).toBe(copyEntry.config['workgroupSize']);
      const tiled = result.cases.find((c) => c.id === 'matmul/tiled-f32/256x256x256');
      const tileEntry = stored.entries.find((e) => e.family === 'matmul-tiled');
      expect(tiled?.params['source']).toBe(tileEntry?.source);
      expect(tiled?.params['tile']).toBe(tileEntry?.source === 'tuned' ? tileEntry.label : '128x128x8/8x8');
      if (result.cases.some((c) => c.params['source'] === 'tuned'))
        expect(run.out).toMatch(/tuned shapes \(.*\.tuning\.json; --no-tuning for the defaults\):/);

      const plain = await runCli([
        'run',
        '--suite',
        'memcopy',
        '--quick',
        '--calibration-dir',
        dir,
        '--json',
        out,
        '--no-tuning',
        '--no-progress',
      ]);
      expect(plain.code).toBe(0);
      expect(
        parseRunResult(JSON.parse(readFileSync(out, 'utf8'))).cases.every((c) => c.params['source'] === 'default'),
      ).toBe(true);

      // A tuning made for older kernel source is ignored with a note, never used.
      const stale: StoredTuning = {
        ...stored,
        entries: stored.entries.map((e) => ({
          ...e,
          source: 'tuned' as const,
          kernelHash: e.family === 'memcopy' ? 'fnv1a:0000000000000000' : e.kernelHash,
        })),
      };
      writeFileSync(storedFile, JSON.stringify(stale));
      const older = await runCli([
        'run',
        '--suite',
        'memcopy',
        '--quick',
        '--calibration-dir',
        dir,
        '--json',
        out,
        '--no-progress',
      ]);
      expect(older.err).toMatch(
        new RegExp(
          'tuning of memcopy copy in .* was made for another version of its kernel source .*: ignored; run ' +
            '`wgbench tune` again',
        ),
      );
      expect(
        parseRunResult(JSON.parse(readFileSync(out, 'utf8'))).cases.every((c) => c.params['source'] === 'default'),
      ).toBe(true);

      // One from another device is ignored whole.
      writeFileSync(storedFile, JSON.stringify({ ...stored, device: { ...stored.device, device: 'Some Other GPU' } }));
      const other = await runCli([
        'run',
        '--suite',
        'memcopy',
        '--quick',
        '--calibration-dir',
        dir,
        '--json',
        out,
        '--no-progress',
      ]);
      expect(other.err).toMatch(/tuning .* is for another device .*: ignored; run `wgbench tune` here/);
      expect(
        parseRunResult(JSON.parse(readFileSync(out, 'utf8'))).cases.every((c) => c.params['source'] === 'default'),
      ).toBe(true);
    },
    scaled(300_000),
  );

  it(
    'SIGTERM stops the search, saves what was decided and the report marked interrupted, and exits 143',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-tune-'));
      const report = join(dir, 'tune.json');
      const child = spawn(
        process.execPath,
        [
          join('bin', 'wgbench.js'),
          'tune',
          '--budget',
          '24',
          '--quick',
          '--family',
          'gemv,matmul-tiled',
          '--calibration-dir',
          dir,
          '--json',
          report,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let err = '';
      const exit = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          resolve(code);
        }),
      );
      await new Promise<void>((resolve) => {
        child.stderr.on('data', (d: Buffer) => {
          err += d.toString();
          // The progress lines (stderr is not a terminal). Stopped in the second problem: the first one's decision is
          // kept, the second one's search is cut short.
          if (err.includes('[tune 2/2]')) resolve();
        });
      });
      child.kill('SIGTERM');
      expect(await exit).toBe(143);
      const json = JSON.parse(readFileSync(report, 'utf8')) as {
        status: string;
        outcomes: TuneOutcome[];
        elapsedSeconds: number;
      };
      expect(json.status).toBe('interrupted');
      expect(json.outcomes.map((o) => o.family)).toEqual(['gemv', 'matmul-tiled']);
      expect(json.elapsedSeconds).toBeLessThan(20);
      expect(existsSync(join(dir, `${calibrationKey(acquired.info)}.tuning.json`))).toBe(true);
    },
    scaled(180_000),
  );
});
