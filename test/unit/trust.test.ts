import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadCalibration } from '../../src/platform/calibrationStore.js';
import { calibrationKey } from '../../src/probe/calibration.js';
import { renderRunMarkdown } from '../../src/reporters/markdown.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { withSamples } from '../helpers/sampleRun.js';

// Each defect found by probing the CLI as a careless user and a hostile CI would, re-created.
const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wgbench-trust-'));
});

function save(name: string, run: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

/** The recorded run a minute later (a "new" run to gate), changed by `edit`. */
function later(name: string, edit: (r: RunResult) => void = () => undefined): string {
  const run = recorded();
  run.startedAt = new Date(Date.parse(run.startedAt) + 60_000).toISOString();
  edit(run);
  return save(name, run);
}

describe('the gate fails what it used to pass', () => {
  it.each(['interrupted', 'device-lost', 'running'] as const)(
    'a %s run fails the gate (exit 1); --allow-incomplete judges what it has',
    async (status) => {
      const file = later(`${status}.json`, (r) => {
        r.status = status;
        r.cases = r.cases.slice(0, 2);
      });
      const r = await runCli(['gate', file, '--baseline', RECORDED]);
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.out).toMatch(new RegExp(`run_complete +│ FAILED +│ the run is ${status}`));
      const allowed = await runCli(['gate', file, '--baseline', RECORDED, '--allow-incomplete', '--allow-missing']);
      expect(allowed.code, allowed.out).toBe(0);
    },
  );

  it('baseline cases the new run lacks are listed and fail; --allow-missing lets them pass', async () => {
    const file = later('fewer.json', (r) => {
      r.cases = r.cases.filter((c) => c.suite === 'memcopy');
    });
    const r = await runCli(['gate', file, '--baseline', RECORDED]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/missing_peak\/fma-f32 +│ FAILED +│ peak\/fma-f32: in the baseline/);
    expect(r.out).toMatch(/but missing from this/);
    expect(r.out).toMatch(/missing_peak\/fma-f16 +│ FAILED/);
    expect((await runCli(['gate', file, '--baseline', RECORDED, '--allow-missing'])).code).toBe(0);
  });

  it('a baseline sharing no case, or an empty history, checks nothing and fails', async () => {
    const other = later('other.json', (r) => {
      // A case is matched by its key (suite, kernel, shape class), so only a new key makes it another case.
      for (const c of r.cases) {
        c.id = `renamed/${c.id}`;
        c.key = `renamed/${c.id}`;
      }
    });
    const none = await runCli(['gate', other, '--baseline', RECORDED, '--allow-missing']);
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/checked_something +│ FAILED +│ the gate checked nothing/);
    const empty = await runCli(['gate', RECORDED, '--history', '--db', join(dir, 'empty.sqlite')]);
    expect(empty.code).toBe(1);
    expect(empty.out).toMatch(/the gate checked nothing/);
  });

  it('a baseline from another device is refused (exit 2) unless --allow-device-mismatch', async () => {
    const h100 = later('h100.json', (r) => {
      r.device = { ...r.device, vendor: 'nvidia', device: 'nvidia-h100-80gb-hbm3', description: 'NVIDIA' };
    });
    const r = await runCli(['gate', h100, '--baseline', RECORDED]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"device": the baseline is from .*llvmpipe.*the run from .*H100.*--allow-device-mismatch/);
    expect((await runCli(['gate', h100, '--baseline', RECORDED, '--allow-device-mismatch'])).code).toBe(0);
  });

  it(
    'an ok case without samples, or a summary its samples do not give, is bad input naming the ' + 'field (exit 2)',
    async () => {
      const noSamples = later('nosamples.json', (r) => {
        (r.cases[0] as RunResult['cases'][number]).samplesNs = [];
      });
      const a = await runCli(['gate', noSamples, '--baseline', RECORDED]);
      expect(a.code).toBe(2);
      expect(a.err).toContain(
        `${noSamples}: "cases[0].samplesNs": case "memcopy/copy/bytes=134217728" is ok but carries no timed samples`,
      );
      const forged = later('forged.json', (r) => {
        const s = r.cases[0]?.summary;
        if (s) s.p50 = -5;
      });
      const config = save('gates.json', { thresholds: [{ case: 'memcopy/copy/*', metric: 'timeNs', max: 1000 }] });
      const b = await runCli(['gate', forged, '--config', config]);
      expect(b.code).toBe(2);
      expect(b.err).toMatch(/"cases\[0\]\.summary\.p50": .* p50 -5 does not follow from its 5 samples/);
      // The recorded run itself is consistent, and a rescaled run recomputed as a real one would be too.
      const rescaled = later('rescaled.json', (r) => {
        r.cases[0] = withSamples(
          r.cases[0] as RunResult['cases'][number],
          (r.cases[0]?.samplesNs ?? []).map((x) => x * 1.01),
        );
      });
      expect((await runCli(['gate', rescaled, '--baseline', RECORDED])).code).toBe(0);
    },
  );

  it('duplicate case ids are bad input (exit 2), for the gate and for history add', async () => {
    const dup = later('dup.json', (r) => {
      r.cases.push({ ...(r.cases[0] as RunResult['cases'][number]) });
    });
    for (const args of [
      ['gate', dup, '--baseline', RECORDED],
      ['history', 'add', dup, '--db', join(dir, 'h.sqlite')],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/"cases\[5\]\.id": case id "memcopy\/copy\/bytes=134217728" appears twice/);
    }
  });
});

describe('no command destroys its input or loses its output', () => {
  it(
    'an output equal to an input is refused before anything is written (exit 2), and the input is ' + 'untouched',
    async () => {
      const input = later('in.json');
      const before = readFileSync(input, 'utf8');
      const base = later('base.json');
      for (const args of [
        ['report', input, '--md', input],
        ['compare', base, input, '--json', base],
        ['gate', input, '--baseline', base, '--junit', base],
        ['report', input, '--md', join(dir, 'same.md'), '--html', join(dir, 'same.md')],
        ['run', '--suite', 'memcopy', '--json', join(dir, 'x.json'), '--html', join(dir, 'x.json')],
        ['history', 'add', input, '--db', input],
      ]) {
        const r = await runCli(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.err).toMatch(/is also (input|output) .*choose another path/);
      }
      expect(readFileSync(input, 'utf8')).toBe(before);
      expect(readFileSync(base, 'utf8')).toBe(before.replace(/.*/s, (s) => s));
    },
  );

  it('a missing or unwritable output folder is refused before measuring (exit 2), not after', async () => {
    const run = await runCli(['run', '--suite', 'memcopy', '--quick', '--json', join(dir, 'missing', 'x.json')]);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/"--json": the folder .*missing does not exist; create it first \(nothing was measured\)/);
    const file = save('a-file', {});
    const cal = await runCli(['calibrate', '--quick', '--calibration-dir', file]);
    expect(cal.code).toBe(2);
    expect(cal.err).toMatch(/"--calibration-dir": .*a-file is a file, not a folder of calibration profiles/);
    const nested = await runCli(['calibrate', '--quick', '--calibration-dir', join(file, 'below')]);
    expect(nested.code).toBe(2);
    expect(nested.err).toMatch(/is a file, so .* cannot be created as a folder/);
    const folderAsFile = await runCli(['report', RECORDED, '--md', dir]);
    expect(folderAsFile.code).toBe(2);
    expect(folderAsFile.err).toMatch(/is a folder; give a file name inside it/);
  });

  it('temporary files an atomic write left behind (SIGKILL mid-write) are removed by the next write', async () => {
    const out = join(dir, 'report.md');
    writeFileSync(`${out}.1176016570`, 'half a file');
    writeFileSync(join(dir, 'unrelated.md.123'), 'kept');
    const r = await runCli(['report', RECORDED, '--md', out]);
    expect(r.code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['report.md', 'unrelated.md.123']);
  });
});

describe('numeric options take what they mean, nothing Number() merely tolerates', () => {
  it.each([
    [['run', '--passes', '1e12'], /--passes takes a whole number from 1 to 10000/],
    [['run', '--passes', '0x10'], /--passes takes a whole number/],
    [['run', '--passes', '0'], /--passes takes a whole number/],
    [['run', '--seed', '1e30'], /--seed takes a whole number from 0 to 4294967295/],
    [['run', '--seed', '4294967296'], /--seed takes a whole number from 0 to 4294967295/],
    [['run', '--warmup', '-1'], /--warmup takes a whole number/],
    [['run', '--target-pass-ms', ' 5'], /--target-pass-ms takes a whole number/],
    [['compare', RECORDED, RECORDED, '--alpha', '5'], /--alpha takes a number between 0 and 1 \(exclusive\)/],
    [['compare', RECORDED, RECORDED, '--alpha', '0'], /--alpha takes a number between 0 and 1/],
    [['compare', RECORDED, RECORDED, '--min-samples', '0'], /--min-samples takes a whole number from 2/],
    [['compare', RECORDED, RECORDED, '--threshold', 'Infinity'], /--threshold takes a number from 0 to 1000/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('a threshold with min above max is refused in gates.json', async () => {
    const config = save('gates.json', {
      thresholds: [{ case: 'memcopy/*', metric: 'bandwidthGBps', min: 10, max: 1 }],
    });
    const r = await runCli(['gate', RECORDED, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/"thresholds\.0": a threshold with min above max can never pass/);
  });
});

describe("nothing that is not this device's is trusted", () => {
  it('a calibration profile whose key or device names another adapter is ignored, with a note', () => {
    const recordedRun = recorded();
    const key = calibrationKey(recordedRun.device);
    const h100 = {
      vendor: 'nvidia',
      architecture: '',
      device: 'nvidia-h100-80gb-hbm3',
      description: 'NVIDIA',
      backend: 'vulkan',
    };
    const profile = {
      schemaVersion: 1,
      key: calibrationKey(h100),
      device: h100,
      measuredAt: '2026-11-27T18:04:15.427Z',
      toolVersion: '0.1.0',
      quick: false,
      peaks: { compute: {}, bandwidth: { gbps: 3000, source: 'calibrated' } },
      evidence: [],
    };
    save(`${key}.json`, profile);
    const notes: string[] = [];
    expect(loadCalibration(dir, key, (n) => notes.push(n))).toBeNull();
    expect(notes[0]).toMatch(/is for another device .*nvidia-h100.* ignored; run `wgbench calibrate` here/);
    // Its key rewritten to this device's but its device left: still another device's.
    save(`${key}.json`, { ...profile, key });
    expect(loadCalibration(dir, key, (n) => notes.push(n))).toBeNull();
    save(`${key}.json`, { ...profile, key, device: { ...recordedRun.device } });
    expect(loadCalibration(dir, key)?.profile.peaks.bandwidth?.gbps).toBe(3000);
  });

  it('a corrupt calibration profile is an InputError naming the file', () => {
    writeFileSync(join(dir, 'k.json'), '{ "schemaVersion": 1, "key": ');
    expect(() => loadCalibration(dir, 'k')).toThrow(
      expect.objectContaining({
        name: 'InputError',
        message: expect.stringMatching(/k\.json: not valid JSON/) as unknown,
      }),
    );
  });

  it('a corrupt history database exits 2 and names the file', async () => {
    const db = join(dir, 'history.sqlite');
    writeFileSync(db, 'this is not a database, just text long enough to have a header '.repeat(100));
    for (const args of [
      ['history', 'add', RECORDED, '--db', db],
      ['history', 'list', '--db', db],
      ['gate', RECORDED, '--history', '--db', db],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(`${db}: not a usable wgbench history database`);
    }
  });
});

describe('reports meant for CI comments', () => {
  it('Markdown escapes markup from case names and messages', () => {
    const run = recorded();
    const first = run.cases[0] as RunResult['cases'][number];
    run.cases[0] = {
      ...first,
      name: '<img src=x onerror=alert(1)>',
      status: 'failed',
      message: '</script><script>alert(2)</script>',
    };
    const md = renderRunMarkdown(run);
    expect(md).not.toMatch(/<img|<\/?script/);
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(md).toContain('&lt;/script&gt;&lt;script&gt;');
  });
});

describe('files stay valid', () => {
  it('the recorded fixture passes the consistency check it is held to', async () => {
    expect(existsSync(RECORDED)).toBe(true);
    expect((await runCli(['report', RECORDED])).code).toBe(0);
  });
});
