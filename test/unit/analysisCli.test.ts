import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSamples } from '../../src/ci/compare.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { runResultJsonSchema } from '../../src/results/jsonSchema.js';
import { runCli } from '../helpers/cli.js';
import { withSamples } from '../helpers/sampleRun.js';

// A real quick run on lavapipe (memcopy and peak), recorded on 2026-11-27.
const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const WRITE = 'memcopy/write/bytes=134217728';

let dir: string;
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);

/** The recorded run with one case's samples scaled pass by pass, saved as a new results file. */
function planted(name: string, caseId: string, factors: number[]): string {
  const run = recorded();
  run.startedAt = new Date(Date.parse(run.startedAt) + 60_000).toISOString();
  const c = run.cases.find((x) => x.id === caseId);
  if (!c?.summary) throw new Error('fixture lacks the case');
  run.cases[run.cases.indexOf(c)] = withSamples(
    c,
    c.samplesNs.map((s, i) => s * (factors[i % factors.length] as number)),
  );
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'wgbench-gate-'));
});

describe('wgbench gate on recorded results', () => {
  it('a planted 20% slowdown with consistent samples fails the gate (exit 1)', async () => {
    const slow = planted('slow.json', WRITE, [1.2]);
    const junit = join(dir, 'gate.xml');
    const r = await runCli(['gate', slow, '--baseline', RECORDED, '--junit', junit]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/regression_timeNs_memcopy\/write\/bytes=134217728 +│ FAILED/);
    expect(r.out).toMatch(/20\.0% > 5%, p = 0\.0079 < 0\.05/);
    expect(r.out).toMatch(/GATE FAILED: 4 passed, 1 failed, 0 noisy/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toMatch(/<testsuite name="wgbench gate" tests="5" failures="1"/);
    expect(xml).toMatch(/name="regression_timeNs_memcopy\/write\/bytes=134217728"><failure message="FAILED: /);
  });

  it('the same 20% change with overlapping noisy samples is reported as noisy, and passes', async () => {
    const noisy = planted('noisy.json', WRITE, [0.75, 1.2, 1.6, 0.95, 1.25]);
    const md = join(dir, 'gate.md');
    const r = await runCli(['gate', noisy, '--baseline', RECORDED, '--md', md]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/regression_timeNs_memcopy\/write\/bytes=134217728 +│ NOISY/);
    expect(readFileSync(md, 'utf8')).toMatch(
      /## wgbench gate: passed[\s\S]*\| NOISY \| .*p = 0\.69 ≥ 0\.05: samples overlap, not called a regression/,
    );
  });

  it('thresholds and regression metrics from a config; rate metrics regress the other way round', async () => {
    const slow = planted('slow2.json', WRITE, [1.2]);
    const config = join(dir, 'gates.json');
    writeFileSync(
      config,
      JSON.stringify({
        maxRegressionPct: 10,
        regressionMetrics: ['bandwidthGBps'],
        thresholds: [
          { case: 'memcopy/*', metric: 'bandwidthGBps', min: 1 },
          { case: 'peak/*', metric: 'tflops', max: 1e-9 },
        ],
        maxMemoryGb: 100,
        minThroughputTps: 5,
      }),
    );
    const r = await runCli(['gate', slow, '--config', config, '--baseline', RECORDED]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/memcopy\/write\/bytes=134217728 bandwidthGBps regression 16\.7% > 10%/);
    expect(r.out).toMatch(/threshold_tflops_peak\/fma-f32 +│ FAILED/);
    expect(r.out).toMatch(/threshold_bandwidthGBps_memcopy\/copy\/bytes=134217728 +│ PASSED/);
    // Configured but measured by no case of this run: a run-level gate fails rather than passing unchecked.
    expect(r.out).toMatch(/throughput +│ FAILED +│ throughput: configured, but no case of this run measured it/);
    expect(r.out).toMatch(/memory +│ PASSED/);
  });

  it('malformed input exits 2 and names the file and the field', async () => {
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{"schemaVersion": 1, ');
    const a = await runCli(['gate', notJson, '--baseline', RECORDED]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(new RegExp(`${notJson.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not valid JSON`));

    const run = recorded() as unknown as { cases: { samplesNs: unknown }[] };
    (run.cases[2] as { samplesNs: unknown }).samplesNs = 'fast';
    const badField = join(dir, 'bad-field.json');
    writeFileSync(badField, JSON.stringify(run));
    const b = await runCli(['gate', badField, '--baseline', RECORDED]);
    expect(b.code).toBe(2);
    expect(b.err).toContain(`${badField}: "cases.2.samplesNs"`);

    const config = join(dir, 'bad-gates.json');
    writeFileSync(config, JSON.stringify({ thresholds: [{ case: 'memcopy/*', metric: 'joules', min: 1 }] }));
    const c = await runCli(['gate', RECORDED, '--config', config]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/bad-gates\.json: "thresholds\.0\.metric": Invalid option/);

    writeFileSync(config, JSON.stringify({ maxRegresionPct: 3 }));
    const d = await runCli(['gate', RECORDED, '--config', config]);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/bad-gates\.json: .*maxRegresionPct/);

    const e = await runCli(['gate', join(dir, 'missing.json'), '--baseline', RECORDED]);
    expect(e.code).toBe(2);
    expect(e.err).toMatch(/missing\.json: cannot read/);

    const f = await runCli(['gate', RECORDED]);
    expect(f.code).toBe(2);
    expect(f.err).toMatch(/"--baseline": the default gate is a regression check/);
  });
});

describe('wgbench compare on recorded results', () => {
  it('gives a median change, a p-value and a verdict per case', async () => {
    const slow = planted('slow3.json', WRITE, [1.2]);
    const json = join(dir, 'cmp.json');
    const r = await runCli(['compare', RECORDED, slow, '--json', json, '--md', join(dir, 'cmp.md')]);
    expect(r.code).toBe(0);
    const cmp = JSON.parse(readFileSync(json, 'utf8')) as {
      cases: { id: string; verdict: string; changePct: number }[];
    };
    const write = cmp.cases.find((c) => c.id === WRITE);
    expect(write?.verdict).toBe('slower');
    expect(write?.changePct).toBeCloseTo(20, 6);
    expect(cmp.cases.find((c) => c.id === 'peak/fma-f32')?.verdict).toBe('unchanged');
    expect(readFileSync(join(dir, 'cmp.md'), 'utf8')).toMatch(
      /\| memcopy\/write\/bytes=134217728 \|.*\| \+20\.0% \| 0\.0079 \| 🔴 slower \|/,
    );
  });

  it('refuses runs from different devices unless told to', async () => {
    const other = recorded();
    other.device.device = 'nvidia-h100-80gb-hbm3';
    const file = join(dir, 'other.json');
    writeFileSync(file, JSON.stringify(other));
    const r = await runCli(['compare', RECORDED, file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/different devices.*--allow-device-mismatch/);
    expect((await runCli(['compare', RECORDED, file, '--allow-device-mismatch'])).code).toBe(0);
  });

  it('verdicts: faster, noisy for too few samples, new and missing cases', () => {
    expect(compareSamples('x', [100, 101, 99, 100, 100], [80, 81, 79, 80, 80]).verdict).toBe('faster');
    expect(compareSamples('x', [100, 101, 99], [130, 131, 129]).verdict).toBe('noisy');
    expect(compareSamples('x', [], [1]).verdict).toBe('new');
    expect(compareSamples('x', [1], []).verdict).toBe('missing');
  });

  it('a case skipped in both runs is "skipped in both", not new', async () => {
    const withSkip = (name: string): string => {
      const run = recorded();
      run.cases.push({
        ...(run.cases[0] as NonNullable<(typeof run.cases)[number]>),
        id: 'matmul/subgroup-matrix-f16/256x256x256',
        status: 'skipped',
        message: 'the adapter lists no subgroup-matrix feature',
        samplesNs: [],
        summary: null,
        check: null,
      });
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify(run));
      return file;
    };
    const json = join(dir, 'skip.json');
    const r = await runCli([
      'compare',
      withSkip('skipA.json'),
      withSkip('skipB.json'),
      '--json',
      json,
      '--md',
      join(dir, 'skip.md'),
    ]);
    expect(r.code, r.err).toBe(0);
    const cmp = JSON.parse(readFileSync(json, 'utf8')) as { cases: { id: string; verdict: string; reason: string }[] };
    expect(cmp.cases.find((c) => c.id === 'matmul/subgroup-matrix-f16/256x256x256')).toMatchObject({
      verdict: 'skipped',
      reason: 'skipped in both runs: the adapter lists no subgroup-matrix feature',
    });
    expect(readFileSync(join(dir, 'skip.md'), 'utf8')).toMatch(
      /\| matmul\/subgroup-matrix-f16\/256x256x256 \| — \| — \| — \| — \| skipped in both \|/,
    );
  });
});

describe('wgbench report', () => {
  it('renders a recorded run as Markdown, HTML, JUnit, a trace and github-action-benchmark JSON', async () => {
    const f = (n: string): string => join(dir, n);
    const r = await runCli([
      'report',
      RECORDED,
      '--md',
      f('r.md'),
      '--html',
      f('r.html'),
      '--junit',
      f('r.xml'),
      '--trace',
      f('r.trace.json'),
      '--gh-bench',
      f('gh.json'),
      '--gh-bench-time',
      f('gh-time.json'),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('device: llvmpipe');
    expect(readFileSync(f('r.md'), 'utf8')).toMatch(/### memcopy\n\n\| case \|[\s\S]*\| copy 128 MiB \| ok \|/);
    expect(readFileSync(f('r.html'), 'utf8')).toContain('<canvas id="roofline"');
    expect(readFileSync(f('r.xml'), 'utf8')).toMatch(/<testsuite name="wgbench run" tests="5" failures="0"/);
    const trace = JSON.parse(readFileSync(f('r.trace.json'), 'utf8')) as {
      traceEvents: { ph: string; pid: number; name: string; dur?: number }[];
    };
    const host = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === 1);
    const gpu = trace.traceEvents.filter((e) => e.ph === 'X' && e.pid === 2);
    expect(host).toHaveLength(5);
    expect(gpu).toHaveLength(25);
    expect(gpu[0]?.dur).toBeCloseTo((recorded().cases[0]?.samplesNs[0] ?? 0) / 1000, 6);
    const gh = JSON.parse(readFileSync(f('gh.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    expect(gh.find((e) => e.name === WRITE)).toMatchObject({ unit: 'GB/s' });
    expect(gh.find((e) => e.name === 'peak/fma-f32')).toMatchObject({ unit: 'TFLOP/s' });
    const ght = JSON.parse(readFileSync(f('gh-time.json'), 'utf8')) as { unit: string }[];
    expect(ght.every((e) => e.unit === 'ns')).toBe(true);
  });
});

describe('the shipped JSON Schema', () => {
  it('is the one the code generates, so it cannot drift from the validator', () => {
    const shipped = JSON.parse(readFileSync(join('schema', 'run-result.v1.schema.json'), 'utf8')) as unknown;
    expect(shipped).toEqual(JSON.parse(JSON.stringify(runResultJsonSchema())));
    expect(existsSync(join('schema', 'run-result.v1.schema.json'))).toBe(true);
  });

  it('readers refuse files without a version or from before version 1, saying why', () => {
    expect(() => parseRunResult({ cases: [] }, 'x.json')).toThrow(
      /"schemaVersion": missing; this is not a wgbench results file/,
    );
    expect(() => parseRunResult({ ...recorded(), schemaVersion: 0 }, 'x.json')).toThrow(
      /predates the first released format/,
    );
  });
});

describe('noise options refuse bad input before any device work', () => {
  it.each([
    [['noise', '--runs', '1'], /--runs takes a whole number from 2 to 20/],
    [['noise', '--noise', '2', '--passes', '3'], /'--noise <percent>' cannot be used with option '--passes <n>'/],
    [['run', '--noise', '0'], /--noise takes a number from 0\.01 to 50; got "0"/],
    [['run', '--max-case-ms', '5', '--passes', '4'], /'--max-case-ms <ms>' cannot be used with option '--passes/],
    [['noise', '--suite', 'kvtier'], /kvtier writes to a scratch disk/],
  ])('%j exits 2 naming the problem', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });
});
