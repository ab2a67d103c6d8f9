import { mannWhitneyU } from '../metrics/significance.js';
import { percentile } from '../metrics/summary.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { deviceTitle } from '../reporters/describe.js';

export type Verdict = 'faster' | 'slower' | 'unchanged' | 'noisy' | 'missing' | 'new' | 'skipped';

export interface CompareOptions {
  /** A change smaller than this (in %) is "unchanged" whatever the test says. */
  thresholdPct: number;
  /** Significance level of the Mann–Whitney U test. */
  alpha: number;
  /** Fewer samples than this on either side cannot show significance: the verdict is "noisy". */
  minSamples: number;
}

export const DEFAULT_COMPARE: CompareOptions = { thresholdPct: 5, alpha: 0.05, minSamples: 5 };

export interface CaseComparison {
  id: string;
  metric: 'timeNs';
  baseMedianNs: number | null;
  newMedianNs: number | null;
  /** (new − base) / base in %, positive = slower. */
  changePct: number | null;
  pValue: number | null;
  test: string | null;
  nBase: number;
  nNew: number;
  verdict: Verdict;
  reason: string;
}

export class DeviceMismatchError extends Error {
  constructor(base: string, next: string) {
    super(`the runs are from different devices ("${base}" and "${next}"); comparing them says nothing about the code. Pass --allow-device-mismatch to compare anyway`);
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

/** Compares one case's timing samples: median change, Mann–Whitney U, and a verdict. */
export function compareSamples(id: string, base: readonly number[], next: readonly number[], options: CompareOptions = DEFAULT_COMPARE): CaseComparison {
  const common = { id, metric: 'timeNs' as const, nBase: base.length, nNew: next.length };
  if (base.length === 0 || next.length === 0) {
    return { ...common, baseMedianNs: null, newMedianNs: null, changePct: null, pValue: null, test: null, verdict: base.length === 0 ? 'new' : 'missing', reason: base.length === 0 ? 'no timed samples in the baseline' : 'no timed samples in the new run' };
  }
  const b = percentile(base, 50);
  const n = percentile(next, 50);
  const changePct = ((n - b) / b) * 100;
  const test = mannWhitneyU(base, next);
  const enough = base.length >= options.minSamples && next.length >= options.minSamples;
  const significant = enough && test.pValue < options.alpha;
  let verdict: Verdict;
  let reason: string;
  if (Math.abs(changePct) < options.thresholdPct) {
    verdict = 'unchanged';
    reason = `|change| ${Math.abs(changePct).toFixed(1)}% < ${options.thresholdPct}%`;
  } else if (!enough) {
    verdict = 'noisy';
    reason = `${Math.min(base.length, next.length)} samples on one side, fewer than the ${options.minSamples} needed to call it`;
  } else if (!significant) {
    verdict = 'noisy';
    reason = `change ${changePct.toFixed(1)}% but p = ${test.pValue.toPrecision(2)} ≥ ${options.alpha}: the samples overlap`;
  } else {
    verdict = changePct > 0 ? 'slower' : 'faster';
    reason = `change ${changePct.toFixed(1)}%, p = ${test.pValue.toPrecision(2)} < ${options.alpha}`;
  }
  return { ...common, baseMedianNs: b, newMedianNs: n, changePct, pValue: test.pValue, test: `Mann–Whitney U (${test.method})`, verdict, reason };
}

export interface RunComparison {
  baseDevice: string;
  newDevice: string;
  sameDevice: boolean;
  options: CompareOptions;
  cases: CaseComparison[];
}

/** Every case of either run, matched by id; refuses runs from different devices unless allowed. */
export function compareRuns(base: RunResult, next: RunResult, options: CompareOptions = DEFAULT_COMPARE, allowDeviceMismatch = false): RunComparison {
  const baseDevice = deviceLabel(base);
  const newDevice = deviceLabel(next);
  const sameDevice = baseDevice === newDevice;
  if (!sameDevice && !allowDeviceMismatch) throw new DeviceMismatchError(baseDevice, newDevice);
  const ids = [...new Set([...base.cases.map((c) => c.id), ...next.cases.map((c) => c.id)])];
  const cases = ids.map((id): CaseComparison => {
    const b = base.cases.find((c) => c.id === id && c.status === 'ok');
    const n = next.cases.find((c) => c.id === id && c.status === 'ok');
    const bAny = base.cases.find((c) => c.id === id);
    const nAny = next.cases.find((c) => c.id === id);
    // Not applicable on either side is neither new nor missing: nothing was there to compare.
    if (bAny?.status === 'skipped' && nAny?.status === 'skipped') {
      return { id, metric: 'timeNs', nBase: 0, nNew: 0, baseMedianNs: null, newMedianNs: null, changePct: null, pValue: null, test: null, verdict: 'skipped', reason: `skipped in both runs${nAny.message ? `: ${nAny.message}` : ''}` };
    }
    return compareSamples(id, b ? perDispatchSamples(b) : [], n ? perDispatchSamples(n) : [], options);
  });
  return { baseDevice, newDevice, sameDevice, options, cases };
}
