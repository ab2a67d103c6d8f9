import { relativeNoise } from '../metrics/noise.js';
import { mannWhitneyU } from '../metrics/significance.js';
import { percentile } from '../metrics/summary.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { deviceTitle } from '../reporters/describe.js';
import { formatNs } from '../reporters/format.js';
import { keyOfCase } from '../results/caseKey.js';
import { formatScaled } from '../view/units.js';

/**
 * `incomparable`: two sizes of one key with neither FLOPs nor bytes to put their times on one scale.
 * `ambiguous`: a change the test would call, beside which the run's canary moved past the case's
 * noise on either side (src/runner/canary.ts): the clock or a neighbour may have made it.
 */
export type Verdict =
  'faster' | 'slower' | 'unchanged' | 'noisy' | 'ambiguous' | 'missing' | 'new' | 'skipped' | 'incomparable';

export interface CompareOptions {
  /** A change smaller than this (in %) is "unchanged" whatever the test says. */
  thresholdPct: number;
  /** Significance level of the Mann–Whitney U test. */
  alpha: number;
  /** Fewer samples than this on either side cannot show significance: the verdict is "noisy". */
  minSamples: number;
}

export const DEFAULT_COMPARE: CompareOptions = { thresholdPct: 5, alpha: 0.05, minSamples: 5 };

/**
 * One matched pair. Same device and same id: the time per dispatch, compared (the code got faster or
 * slower). Otherwise — another device, engine or framework, or another size of the same key — the
 * work differs, so the throughput (FLOP/s, OP/s, GB/s) and the share of peak are compared instead.
 */
export interface CaseComparison {
  /** The new run's id (the base's when the new run lacks the case). */
  id: string;
  /** What both sides measured (src/results/caseKey.ts). */
  key: string;
  baseId: string | null;
  newId: string | null;
  metric: 'timeNs' | 'throughput';
  baseMedianNs: number | null;
  newMedianNs: number | null;
  /** (new − base) / base time in %, positive = slower; null for throughput comparisons. */
  changePct: number | null;
  /** Throughput comparisons: the unit, each side's median, new ÷ base (above 1 = new does more per second). */
  throughputUnit: ThroughputUnit | null;
  baseThroughput: number | null;
  newThroughput: number | null;
  ratio: number | null;
  /** MFU (or MBU for work without FLOPs) against each run's first peak set, when it had one. */
  baseShareOfPeak: number | null;
  newShareOfPeak: number | null;
  pValue: number | null;
  test: string | null;
  nBase: number;
  nNew: number;
  verdict: Verdict;
  reason: string;
}

export type ThroughputUnit = 'FLOP/s' | 'OP/s' | 'B/s';

export class DeviceMismatchError extends Error {
  constructor(base: string, next: string) {
    super(
      `the runs are from different devices ("${base}" and "${next}"); their times say nothing about the code. ` +
        'Pass --allow-device-mismatch to compare their throughput and share of peak, case by case on the key',
    );
    this.name = 'DeviceMismatchError';
  }
}

export function deviceLabel(run: RunResult): string {
  return `${deviceTitle(run.device)} (${run.device.backend})`;
}

/** Per-dispatch times: each pass's duration divided by the dispatches it held. */
export function perDispatchSamples(c: CaseResult): number[] {
  const d = c.dispatchesPerPass ?? 1;
  return c.samplesNs.map((s) => s / d);
}

const TIME_ONLY = {
  throughputUnit: null,
  baseThroughput: null,
  newThroughput: null,
  ratio: null,
  baseShareOfPeak: null,
  newShareOfPeak: null,
};

/**
 * Whether a change of `changePct` between two medians is worth calling: within the threshold it is
 * unchanged; past it, it needs enough samples a side and p < α, else it is noisy. Times and
 * throughputs are judged alike; the caller names the direction.
 */
function judge(
  changePct: number,
  pValue: number,
  sides: readonly (readonly number[])[],
  o: CompareOptions,
): { verdict: 'unchanged' | 'noisy'; changed: false; why: string } | { changed: true; why: string } {
  const fewest = Math.min(...sides.map((x) => x.length));
  const noises = sides.map((x) => relativeNoise(x)).filter((x): x is number => x !== null);
  const noisiest = noises.length === 0 ? null : Math.max(...noises);
  // Within the threshold it is unchanged; where the medians are less certain than the threshold the
  // reason says so (the gate calls such a case untestable rather than passing it).
  const caveat =
    noisiest !== null && noisiest * 100 > o.thresholdPct
      ? ` (but the medians' noise, ±${(noisiest * 100).toFixed(1)}%, is above it: a change that size could hide)`
      : '';
  // A change of exactly the threshold is not called: only one that exceeds it (the gate agrees).
  if (Math.abs(changePct) <= o.thresholdPct)
    return {
      verdict: 'unchanged',
      changed: false,
      why: `|change| ${Math.abs(changePct).toFixed(1)}% ≤ ${o.thresholdPct}%${caveat}`,
    };
  if (fewest < o.minSamples)
    return {
      verdict: 'noisy',
      changed: false,
      why: `${fewest} samples on one side, fewer than the ${o.minSamples} needed to call it`,
    };
  const p = pValue.toPrecision(2);
  if (pValue >= o.alpha)
    return {
      verdict: 'noisy',
      changed: false,
      why: `change ${changePct.toFixed(1)}% but p = ${p} ≥ ${o.alpha}: the samples overlap`,
    };
  return { changed: true, why: `change ${changePct.toFixed(1)}%, p = ${p} < ${o.alpha}` };
}

/** Compares one case's timing samples: median change, Mann–Whitney U, and a verdict. */
export function compareSamples(
  id: string,
  base: readonly number[],
  next: readonly number[],
  options: CompareOptions = DEFAULT_COMPARE,
): CaseComparison {
  const common = {
    ...TIME_ONLY,
    id,
    key: id,
    baseId: id,
    newId: id,
    metric: 'timeNs' as const,
    nBase: base.length,
    nNew: next.length,
  };
  if (base.length === 0 || next.length === 0) {
    return {
      ...common,
      baseMedianNs: null,
      newMedianNs: null,
      changePct: null,
      pValue: null,
      test: null,
      verdict: base.length === 0 ? 'new' : 'missing',
      reason: base.length === 0 ? 'no timed samples in the baseline' : 'no timed samples in the new run',
    };
  }
  const b = percentile(base, 50);
  const n = percentile(next, 50);
  const changePct = ((n - b) / b) * 100;
  const test = mannWhitneyU(base, next);
  const judged = judge(changePct, test.pValue, [base, next], options);
  const verdict: Verdict = judged.changed ? (changePct > 0 ? 'slower' : 'faster') : judged.verdict;
  const reason = judged.why;
  return {
    ...common,
    baseMedianNs: b,
    newMedianNs: n,
    changePct,
    pValue: test.pValue,
    test: `Mann–Whitney U (${test.method})`,
    verdict,
    reason,
  };
}

export interface RunComparison {
  baseDevice: string;
  newDevice: string;
  sameDevice: boolean;
  options: CompareOptions;
  cases: CaseComparison[];
}

/**
 * Every case of either run, matched by key (src/results/caseKey.ts); refuses runs from different
 * devices unless allowed.
 */
export function compareRuns(
  base: RunResult,
  next: RunResult,
  options: CompareOptions = DEFAULT_COMPARE,
  allowDeviceMismatch = false,
): RunComparison {
  const baseDevice = deviceLabel(base);
  const newDevice = deviceLabel(next);
  const sameDevice = baseDevice === newDevice;
  if (!sameDevice && !allowDeviceMismatch) throw new DeviceMismatchError(baseDevice, newDevice);
  const cases = matchCases(base.cases, next.cases).map(([b, n]) =>
    canaryCaveat(compareCases(b, n, sameDevice, options), b, n, options.thresholdPct),
  );
  return { baseDevice, newDevice, sameDevice, options, cases };
}

/**
 * Pairs the cases of two runs: by key, and within a key by id first; what is left of a key on both
 * sides is paired largest work with largest work (the steady state a size sweep approaches), and
 * the rest stands alone. Keeps the new run's order, then the base run's leftovers.
 */
export function matchCases(
  base: readonly CaseResult[],
  next: readonly CaseResult[],
): [CaseResult | null, CaseResult | null][] {
  const pairs: [CaseResult | null, CaseResult | null][] = [];
  const group = (cases: readonly CaseResult[]): Map<string, CaseResult[]> => {
    const byKey = new Map<string, CaseResult[]>();
    for (const c of cases) byKey.set(keyOfCase(c), [...(byKey.get(keyOfCase(c)) ?? []), c]);
    return byKey;
  };
  const baseByKey = group(base);
  const nextByKey = group(next);
  for (const key of new Set([...nextByKey.keys(), ...baseByKey.keys()])) {
    const b = baseByKey.get(key) ?? [];
    const n = nextByKey.get(key) ?? [];
    const paired = new Set<CaseResult>();
    for (const nc of n) {
      const bc = b.find((c) => c.id === nc.id);
      if (bc === undefined) continue;
      pairs.push([bc, nc]);
      paired.add(bc).add(nc);
    }
    const [bTop, ...bRest] = largestFirst(b.filter((c) => !paired.has(c)));
    const [nTop, ...nRest] = largestFirst(n.filter((c) => !paired.has(c)));
    if (bTop !== undefined && nTop !== undefined) pairs.push([bTop, nTop]);
    else if (nTop !== undefined) pairs.push([null, nTop]);
    else if (bTop !== undefined) pairs.push([bTop, null]);
    for (const c of nRest) pairs.push([null, c]);
    for (const c of bRest) pairs.push([c, null]);
  }
  return pairs;
}

function workOf(c: CaseResult): number {
  return c.compute?.flopsPerDispatch ?? c.bandwidth?.bytesPerDispatch ?? 0;
}

function largestFirst(cases: CaseResult[]): CaseResult[] {
  return [...cases].sort((a, b) => workOf(b) - workOf(a));
}

/** Per-dispatch throughput samples in the case's unit, or null when it measured neither FLOPs nor bytes. */
export function throughputSamples(c: CaseResult): { unit: ThroughputUnit; samples: number[] } | null {
  const times = perDispatchSamples(c);
  if (c.compute) {
    const integer = c.compute.unit === 'int8Dot4' || c.compute.unit === 'matrixInt8';
    const flops = c.compute.flopsPerDispatch;
    return { unit: integer ? 'OP/s' : 'FLOP/s', samples: times.map((t) => flops / (t * 1e-9)) };
  }
  if (c.bandwidth) {
    const bytes = c.bandwidth.bytesPerDispatch;
    return { unit: 'B/s', samples: times.map((t) => bytes / (t * 1e-9)) };
  }
  return null;
}

function shareOfPeak(c: CaseResult): number | null {
  const u = c.utilization?.[0];
  if (u === undefined) return null;
  return c.compute ? u.mfu : u.mbu;
}

function compareCases(
  b: CaseResult | null,
  n: CaseResult | null,
  sameDevice: boolean,
  options: CompareOptions,
): CaseComparison {
  // matchCases never pairs two nulls.
  const either = (n ?? b) as CaseResult;
  const ids = { id: either.id, key: keyOfCase(either), baseId: b?.id ?? null, newId: n?.id ?? null };
  // Not applicable on either side is neither new nor missing: nothing was there to compare.
  if (b?.status === 'skipped' && n?.status === 'skipped') {
    return {
      ...TIME_ONLY,
      ...ids,
      metric: 'timeNs',
      nBase: 0,
      nNew: 0,
      baseMedianNs: null,
      newMedianNs: null,
      changePct: null,
      pValue: null,
      test: null,
      verdict: 'skipped',
      reason: `skipped in both runs${n.message ? `: ${n.message}` : ''}`,
    };
  }
  const bOk = b?.status === 'ok' ? b : null;
  const nOk = n?.status === 'ok' ? n : null;
  const sameWork = b !== null && n !== null && b.id === n.id && sameDevice;
  const bRate = bOk === null ? null : throughputSamples(bOk);
  const nRate = nOk === null ? null : throughputSamples(nOk);
  if (!sameWork && bRate !== null && nRate !== null && bRate.unit === nRate.unit) {
    return compareThroughput(
      ids,
      bRate.unit,
      bRate.samples,
      nRate.samples,
      shareOfPeak(bOk as CaseResult),
      shareOfPeak(nOk as CaseResult),
      options,
    );
  }
  const timed = compareSamples(ids.id, bOk ? perDispatchSamples(bOk) : [], nOk ? perDispatchSamples(nOk) : [], options);
  if (!sameWork && b !== null && n !== null && b.id !== n.id && timed.changePct !== null) {
    // Different sizes and no throughput to put them on one scale: their times say nothing together.
    return {
      ...timed,
      ...ids,
      changePct: null,
      pValue: null,
      test: null,
      verdict: 'incomparable',
      reason: `different work (${b.id} and ${n.id}) and no FLOPs or bytes to compare their rates`,
    };
  }
  return { ...timed, ...ids };
}

/**
 * A faster or slower verdict beside a moving canary is ambiguous (nvbench-compare's AMBG, with the
 * canary standing in for the SM clock WebGPU hides) when the canary's move could have made the
 * change; the reason says which side and how far it moved. A change far past the move (an H100
 * against a CPU: 500×, beside a canary that moved 2×) stays called.
 */
export function canaryCaveat(
  cmp: CaseComparison,
  b: CaseResult | null,
  n: CaseResult | null,
  thresholdPct: number = DEFAULT_COMPARE.thresholdPct,
): CaseComparison {
  if (cmp.verdict !== 'faster' && cmp.verdict !== 'slower') return cmp;
  const ratio =
    cmp.ratio ??
    (cmp.baseMedianNs !== null && cmp.newMedianNs !== null && cmp.baseMedianNs > 0
      ? cmp.newMedianNs / cmp.baseMedianNs
      : null);
  if (ratio === null || !(ratio > 0)) return cmp;
  const moved = canaryMoves(b, n, Math.max(ratio, 1 / ratio), thresholdPct);
  if (moved === null) return cmp;
  return { ...cmp, verdict: 'ambiguous', reason: `${cmp.reason}, but ${moved}` };
}

/**
 * "the canary moved +12.0% beside the new run's case", or null where it held on both sides or where
 * the change (a factor ≥ 1) is larger than the canary's moves together could make, past the threshold.
 */
export function canaryMoves(
  b: Pick<CaseResult, 'canary'> | null,
  n: Pick<CaseResult, 'canary'> | null,
  changeFactor: number,
  thresholdPct: number,
): string | null {
  const sides = [
    ['base', b?.canary],
    ['new', n?.canary],
  ] as const;
  const moved = sides.filter(([, c]) => c?.touched === true);
  if (moved.length === 0) return null;
  const canaryFactor = moved.reduce((f, [, c]) => f * (1 + Math.abs(c?.driftPct ?? 0) / 100), 1);
  if (changeFactor > canaryFactor * (1 + thresholdPct / 100)) return null;
  const pct = (x: number): string => `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;
  const where = moved.map(([side, c]) => `${pct(c?.driftPct ?? 0)} beside the ${side} run's case`);
  return (
    `the canary moved ${where.join(' and ')} (past the case's noise): the clock or a neighbour may have ` +
    `made the change`
  );
}

/** Throughput of the same key on two sides: ratio of medians, Mann–Whitney U on the rate samples. */
export function compareThroughput(
  ids: Pick<CaseComparison, 'id' | 'key' | 'baseId' | 'newId'>,
  unit: ThroughputUnit,
  base: readonly number[],
  next: readonly number[],
  baseShare: number | null,
  newShare: number | null,
  options: CompareOptions = DEFAULT_COMPARE,
): CaseComparison {
  const b = percentile(base, 50);
  const n = percentile(next, 50);
  const ratio = n / b;
  const test = mannWhitneyU(base, next);
  const judged = judge((ratio - 1) * 100, test.pValue, [base, next], options);
  const verdict: Verdict = judged.changed ? (ratio > 1 ? 'faster' : 'slower') : judged.verdict;
  const sizes = ids.baseId === ids.newId ? '' : `${ids.baseId ?? ''} → ${ids.newId ?? ''}: `;
  const reason = `${sizes}throughput ${judged.why}`;
  return {
    ...ids,
    metric: 'throughput',
    baseMedianNs: null,
    newMedianNs: null,
    changePct: null,
    throughputUnit: unit,
    baseThroughput: b,
    newThroughput: n,
    ratio,
    baseShareOfPeak: baseShare,
    newShareOfPeak: newShare,
    pValue: test.pValue,
    test: `Mann–Whitney U (${test.method}) on ${unit}`,
    nBase: base.length,
    nNew: next.length,
    verdict,
    reason,
  };
}

/** new ÷ base, to three significant figures: ×1.08, ×0.512, ×1.81e+4. */
export function formatRatio(ratio: number): string {
  return `×${ratio >= 1e4 || ratio < 1e-3 ? ratio.toExponential(2) : ratio.toPrecision(3)}`;
}

/** The three cells every comparison view shows — base, new, change — by the same rule. */
export function comparisonCells(c: CaseComparison): { label: string; base: string; next: string; change: string } {
  // One id on both sides names the case; two ids (two sizes) meet on their key.
  const label = c.baseId !== null && c.newId !== null && c.baseId !== c.newId ? c.key : c.id;
  if (c.metric === 'throughput' && c.throughputUnit !== null) {
    const unit = c.throughputUnit;
    const side = (v: number | null, share: number | null): string =>
      v === null
        ? '—'
        : `${formatScaled(v, unit)}${share === null ? '' : ` (${(share * 100).toPrecision(3)}% of peak)`}`;
    return {
      label,
      base: side(c.baseThroughput, c.baseShareOfPeak),
      next: side(c.newThroughput, c.newShareOfPeak),
      change: c.ratio === null ? '—' : `${formatRatio(c.ratio)} throughput`,
    };
  }
  return {
    label,
    base: c.baseMedianNs === null ? '—' : formatNs(c.baseMedianNs),
    next: c.newMedianNs === null ? '—' : formatNs(c.newMedianNs),
    change: c.changePct === null ? '—' : `${c.changePct > 0 ? '+' : ''}${c.changePct.toFixed(1)}%`,
  };
}

/** What the numbers mean, for the line above every comparison table. */
export function compareRuleLine(cmp: RunComparison): string {
  return cmp.sameDevice
    ? 'same device: one id on both sides compares time per dispatch (positive change = slower); ' +
        'two sizes of one key compare throughput'
    : 'different devices: cases matched by key compare throughput and share of peak (×ratio = new ÷ base); ' +
        'only latencies with one id compare time';
}
