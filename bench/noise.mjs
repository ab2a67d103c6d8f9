#!/usr/bin/env node
// Noise on a CPU adapter, for BENCHMARKS.md (#27):
//  1. repeat: N quick runs of memcopy and peak under the noise rule; per case, the spread of the N
//     medians (half their range over their median) beside the noise each run recorded;
//  2. time to 1%: per suite, the old fixed passes (10, the old default) against the noise rule at 1%
//     (the timing wall each took, the noise reached, how many cases reached the target).
// Usage: node bench/noise.mjs [--backend opengles] [--runs 10] [--suites memcopy,peak,matmul,attention]
// (--suites '' measures only the repeat; --runs 0 only the time to 1%)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const backend = flag('--backend', null);
const runs = Number(flag('--runs', '10'));
const suites = flag('--suites', 'memcopy,peak,matmul,attention')
  .split(',')
  .filter((x) => x !== '');
const dir = mkdtempSync(join(tmpdir(), 'wgbench-noise-'));
let n = 0;

function run(extra) {
  const file = join(dir, `run-${n++}.json`);
  const started = performance.now();
  execFileSync(
    process.execPath,
    [
      'bin/wgbench.js',
      'run',
      '--quick',
      '--no-progress',
      '--no-calibration',
      '--json',
      file,
      ...extra,
      ...(backend ? ['--backend', backend] : []),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return { run: JSON.parse(readFileSync(file, 'utf8')), wallS: (performance.now() - started) / 1000 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

const first = run(['--suite', 'memcopy', '--passes', '1']).run;
console.log(`device: ${first.device.description} (${first.device.backend}); ${new Date().toISOString().slice(0, 10)}`);

// 1. Run-to-run spread of medians against the recorded noise.
const repeated = [];
for (let i = 0; i < runs; i++) repeated.push(run(['--suite', 'memcopy,peak']).run);
if (runs > 0)
  console.log(`\n| case | median of ${runs} medians | run-to-run spread | noise recorded (median, max) | within |`);
if (runs > 0) console.log('|---|---|---|---|---|');
// The canary of each run (read by `run` since #27 item 3): its reference level says how fast the
// machine was at the start of that run, its largest drift how much it moved during it.
if (runs > 0) {
  const refs = repeated.map((r) => r.canary?.reference?.medianNs ?? null).filter((x) => x !== null);
  const drifts = repeated.map((r) => r.canary?.maxDriftPct ?? null).filter((x) => x !== null);
  const touched = repeated.reduce((s, r) => s + (r.canary?.touchedCases ?? 0), 0);
  const cases = repeated.reduce((s, r) => s + r.cases.filter((c) => c.canary !== undefined).length, 0);
  if (refs.length > 0) {
    const m = median(refs);
    console.log(
      `canary: reference ${(m / 1e3).toFixed(0)} µs per dispatch (median of ${refs.length} runs), run-to-run ` +
        `±${pct((Math.max(...refs) - Math.min(...refs)) / 2 / m)}; largest drift within a run ` +
        `${Math.min(...drifts).toFixed(0)}% … +${Math.max(...drifts).toFixed(0)}%; ${touched} of ${cases} ` +
        `cases touched`,
    );
  }
}
for (const c of (repeated[0]?.cases ?? []).filter((x) => x.status === 'ok')) {
  const all = repeated.map((r) => r.cases.find((x) => x.id === c.id)).filter((x) => x?.status === 'ok');
  const medians = all.map((x) => x.summary.p50);
  const m = median(medians);
  const spread = (Math.max(...medians) - Math.min(...medians)) / 2 / m;
  const noises = all.map((x) => x.noise?.reached ?? null).filter((x) => x !== null);
  const within = all.filter((x) => Math.abs(x.summary.p50 - m) / m <= (x.noise?.reached ?? 0)).length;
  const touched = all.filter((x) => x.canary?.touched === true).length;
  const recorded = `±${pct(median(noises))}, ±${pct(Math.max(...noises))}`;
  console.log(
    `| ${c.name} | ${(m / 1e6).toFixed(3)} ms | ±${pct(spread)} | ${recorded} | ` +
      `${within} of ${all.length} medians within their own noise of the median of medians; canary touched ` +
      `${touched} |`,
  );
}

// 2. Time to a figure at 1% noise, per suite, against the old fixed passes.
console.log('\n| suite | rule | timing wall (s) | command wall (s) | median noise | cases at ≤ 1% |');
console.log('|---|---|---|---|---|---|');
for (const suite of suites) {
  for (const [label, extra] of [
    ['10 fixed passes (the old default)', ['--passes', '10']],
    ['noise ≤ 1%, ≤ 5 s a case', ['--noise', '1', '--max-case-ms', '5000']],
  ]) {
    const { run: r, wallS } = run(['--suite', suite, ...extra]);
    const ok = r.cases.filter((c) => c.status === 'ok' && c.noise);
    const timing = ok.reduce((s, c) => s + c.noise.wallMs, 0) / 1000;
    const reached = ok.filter((c) => c.noise.reached !== null && c.noise.reached <= 0.01).length;
    const typical = median(ok.map((c) => c.noise.reached).filter((x) => x !== null));
    console.log(
      `| ${suite} | ${label} | ${timing.toFixed(1)} | ${wallS.toFixed(1)} | ±${pct(typical)} | ` +
        `${reached} of ${ok.length} |`,
    );
  }
}
