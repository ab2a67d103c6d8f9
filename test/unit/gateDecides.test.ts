import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareSamples, DEFAULT_COMPARE } from '../../src/ci/compare.js';
import { baselineFromRun, evaluateGates } from '../../src/ci/evaluate.js';
import { parseGateConfig } from '../../src/ci/gateConfig.js';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { withSamples } from '../helpers/sampleRun.js';

// A real quick run on lavapipe (memcopy and peak), recorded on 2026-11-27.
const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const COPY = 'memcopy/copy/bytes=134217728';
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);
const config = (c: object = {}): ReturnType<typeof parseGateConfig> => parseGateConfig(c, 'gates.json');
const statusOf = (run: RunResult, cfg: object, name: RegExp, baseline: RunResult | null = null): string[] =>
  evaluateGates(run, config(cfg), baseline === null ? null : baselineFromRun(baseline, 'base', run))
    .results.filter((r) => name.test(r.name))
    .map((r) => r.status);

/** The recorded run with one case's samples replaced (summary recomputed from them). */
function withCase(id: string, samples: number[], run = recorded()): RunResult {
  const i = run.cases.findIndex((c) => c.id === id);
  run.cases[i] = withSamples(run.cases[i] as CaseResult, samples);
  return run;
}

/** An llm serving case as the llm suite records it, with the given median TTFT. */
function llmCase(ttftP50Ms: number, tokensPerSecond: number | null = 40): CaseResult {
  const base = recorded().cases[0] as CaseResult;
  const latency = (p50: number) => ({ p50, p99: 2 * p50, count: 8 });
  return {
    ...base,
    id: 'llm/serve/tiny',
    suite: 'llm',
    name: 'serve tiny',
    params: { model: 'tiny' },
    bandwidth: null,
    compute: null,
    extras: {
      metrics: {
        requests: 8,
        completed: tokensPerSecond === null ? 0 : 8,
        windowMs: 1000,
        tokensPerSecond,
        requestsPerSecond: 8,
        decodeTokensPerSecond: 30,
        goodputRequestsPerSecond: null,
        ttftMs: latency(ttftP50Ms),
        tpotMs: latency(12),
        e2eMs: latency(300),
        itlMs: latency(12),
      },
      servingPrefillMfu: null,
    },
  };
}

describe('gates that decide right', () => {
  it('the run-level gates judge the llm case: a planted TTFT of 900 ms against 200 ms fails', () => {
    const run = recorded();
    run.cases.push(llmCase(900));
    expect(statusOf(run, { maxTtftMs: 200 }, /^ttft_/)).toEqual(['FAILED']);
    const fast = recorded();
    fast.cases.push(llmCase(150));
    expect(
      statusOf(
        fast,
        { maxTtftMs: 200, maxTpotMs: 20, maxP99LatencyMs: 1000, minThroughputTps: 10 },
        /^(ttft|tpot|p99|thr)/,
      ),
    ).toEqual(['PASSED', 'PASSED', 'PASSED', 'PASSED']);
    // Exactly at the limit passes; a model MFU with no peaks, or a rate over no completed request, fails.
    expect(statusOf(fast, { maxTtftMs: 150 }, /^ttft_/)).toEqual(['PASSED']);
    expect(statusOf(fast, { minMfu: 0.1 }, /^mfu_/)).toEqual(['FAILED']);
    const none = recorded();
    none.cases.push(llmCase(150, null));
    expect(statusOf(none, { minThroughputTps: 10 }, /^throughput_/)).toEqual(['FAILED']);
    // Configured, but the run has no llm case: it fails instead of passing unchecked.
    expect(statusOf(recorded(), { maxTtftMs: 200 }, /^ttft$/)).toEqual(['FAILED']);
  });

  it('a change of exactly the threshold is not a regression, in compare and in the gate alike', () => {
    const base = [1000, 1000, 1000, 1000, 1000, 1000];
    const at = base.map((t) => t * 1.1);
    const c = compareSamples('x', base, at, { ...DEFAULT_COMPARE, thresholdPct: 10 });
    expect(c.verdict).toBe('unchanged');
    const baseline = withCase(COPY, base);
    const next = withCase(COPY, at);
    next.startedAt = new Date(Date.parse(next.startedAt) + 60_000).toISOString();
    expect(statusOf(next, { maxRegressionPct: 10 }, /^regression_timeNs_memcopy\/copy/, baseline)).toEqual(['PASSED']);
    const past = withCase(
      COPY,
      base.map((t) => t * 1.11),
    );
    expect(statusOf(past, { maxRegressionPct: 10 }, /^regression_timeNs_memcopy\/copy/, baseline)).toEqual(['FAILED']);
  });

  it('a 10× slowdown with 2 samples a side is untestable and fails, unless the config says warn', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-gate-'));
    const base = withCase(COPY, [1e6, 1.01e6]);
    const slow = withCase(COPY, [1e7, 1.01e7]);
    slow.startedAt = new Date(Date.parse(slow.startedAt) + 60_000).toISOString();
    expect(statusOf(slow, {}, /^regression_timeNs_memcopy\/copy/, base)).toEqual(['UNTESTABLE']);
    const files = { base: join(dir, 'base.json'), slow: join(dir, 'slow.json'), warn: join(dir, 'warn.json') };
    writeFileSync(files.base, JSON.stringify(base));
    writeFileSync(files.slow, JSON.stringify(slow));
    writeFileSync(files.warn, JSON.stringify({ untestable: 'warn' }));
    const failing = await runCli(['gate', files.slow, '--baseline', files.base]);
    expect(failing.code, failing.out).toBe(1);
    expect(failing.out).toMatch(/GATE FAILED: .* 1 untestable/);
    expect(failing.out).toMatch(/untestable: 2 samples on one side, fewer than the 5/);
    const warned = await runCli(['gate', files.slow, '--baseline', files.base, '--config', files.warn]);
    expect(warned.code, warned.out).toBe(0);
    expect(warned.out).toMatch(/gate passed: .* 1 untestable \(untestable: "warn"\)/);
  });

  it('thresholds read figures recomputed from the samples and the declared work, never stored ones', () => {
    const run = recorded();
    const copy = run.cases.find((c) => c.id === COPY);
    if (!copy?.bandwidth) throw new Error('fixture lacks the copy case');
    const real = copy.bandwidth.medianGBps;
    expect(real).toBeLessThan(100);
    copy.bandwidth = { ...copy.bandwidth, medianGBps: 5000, minGBps: 5000, maxGBps: 5000 };
    const threshold = { thresholds: [{ case: COPY, metric: 'bandwidthGBps', min: 1000 }] };
    const result = evaluateGates(run, config(threshold), null).results.find((r) => r.name.startsWith('threshold_'));
    expect(result?.status).toBe('FAILED');
    expect(result?.actual).toBeCloseTo(real, 6);
  });

  it('an ok case whose check failed fails; a run with nothing measured fails whatever the config holds', () => {
    const run = recorded();
    const copy = run.cases.find((c) => c.id === COPY);
    if (!copy?.check) throw new Error('fixture lacks a check');
    copy.check = { ...copy.check, passed: false, mismatches: 3, detail: '3 words differ' };
    expect(statusOf(run, { maxMemoryGb: 100 }, /^check_/)).toEqual(['FAILED']);
    const skipped = recorded();
    skipped.cases = skipped.cases.map((c) => ({ ...c, status: 'skipped', message: 'not here', samplesNs: [] }));
    const all = evaluateGates(skipped, config({ maxMemoryGb: 100 }), null);
    expect(all.summary.allPassed).toBe(false);
    expect(all.results.find((r) => r.name === 'measured_something')?.status).toBe('FAILED');
    const empty = recorded();
    empty.cases = [];
    const none = evaluateGates(empty, config({ maxMemoryGb: 100 }), null);
    expect(none.summary.allPassed).toBe(false);
    expect(none.results.find((r) => r.name === 'measured_something')?.message).toMatch(/no cases/);
  });
});
