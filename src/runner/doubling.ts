import { percentile } from '../metrics/summary.js';
import type { CheckResult, PreparedCase } from '../suites/types.js';

/**
 * The doubling check of a timed loop: the same kernel with twice the iterations must take about
 * twice the time. A compiler that folded or removed the loop makes the ratio fall towards 1; a
 * busy machine makes it wander, mostly upwards (a slow spell on the longer passes). Only a ratio
 * well below 2 that stays there on re-measurement fails; a ratio above the band is recorded as
 * noise and never fails a case.
 */
export type DoublingVerdict = 'linear' | 'folded' | 'noisy';

export interface DoublingCheck extends CheckResult {
  ratio: number | null;
  verdict: DoublingVerdict;
  /** The ratio of every round measured, in order. */
  rounds: number[];
}

/** Below this the work did not scale with the iterations: a folded loop is near 1. */
export const FOLDED_BELOW = 1.5;
/** Above this, noise (CPU adapters on a busy machine reach 3×). */
export const NOISY_ABOVE = 2.6;
const MAX_ROUNDS = 3;

/** A round: alternated base and doubled passes, as pairs of durations (null where a pass gave none). */
export type DoublingRound = () => Promise<{ base: (number | null)[]; doubled: (number | null)[] }>;

/** Ratio of one round: the median over alternated pairs, so a slow spell hits both members of a pair. */
export function roundRatio(base: readonly (number | null)[], doubled: readonly (number | null)[]): number | null {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(base.length, doubled.length); i++) {
    const b = base[i];
    const d = doubled[i];
    if (b !== null && b !== undefined && d !== null && d !== undefined && b > 0) ratios.push(d / b);
  }
  return ratios.length === 0 ? null : percentile(ratios, 50);
}

export function classifyRatio(ratio: number): DoublingVerdict {
  if (ratio < FOLDED_BELOW) return 'folded';
  return ratio > NOISY_ABOVE ? 'noisy' : 'linear';
}

/** Measures rounds until one is linear (at most three), then judges: only a lasting fold fails. */
export async function judgeDoubling(iterations: number, measure: DoublingRound): Promise<DoublingCheck> {
  const rounds: number[] = [];
  let compared = 0;
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const { base, doubled } = await measure();
    compared += base.length + doubled.length;
    const ratio = roundRatio(base, doubled);
    if (ratio === null) continue;
    rounds.push(ratio);
    if (classifyRatio(ratio) === 'linear') break;
  }
  const method =
    `twice the iterations must take ${FOLDED_BELOW}–${NOISY_ABOVE}× the time (alternated passes, median of ` +
    `pair ratios, up to ${MAX_ROUNDS} rounds); a ratio below ${FOLDED_BELOW} in every round means a folded ` +
    `loop and fails, one above ${NOISY_ABOVE} is noise and passes`;
  if (rounds.length === 0)
    return {
      passed: false,
      method,
      compared,
      mismatches: 0,
      maxRelError: null,
      detail: 'no valid samples for the doubling check',
      ratio: null,
      verdict: 'noisy',
      rounds,
    };
  const verdicts = rounds.map(classifyRatio);
  // The round that decides: a linear one if any; else a fold only when every round saw one.
  const verdict: DoublingVerdict = verdicts.includes('linear')
    ? 'linear'
    : verdicts.every((v) => v === 'folded')
      ? 'folded'
      : 'noisy';
  const ratio =
    verdict === 'linear' ? (rounds[verdicts.indexOf('linear')] as number) : (rounds[rounds.length - 1] as number);
  const shown = rounds.map((r) => `${r.toFixed(2)}×`).join(', ');
  const detail =
    verdict === 'folded'
      ? `${iterations * 2} iterations took ${shown} the time of ${iterations}: the loop did not scale ` +
        `(folded or removed by the compiler)`
      : verdict === 'noisy'
        ? `${iterations * 2} iterations took ${shown} the time of ${iterations}: above ${NOISY_ABOVE}× is ` +
          `timing noise (busy machine), not folding`
        : `${iterations * 2} iterations took ${ratio.toFixed(2)}× the time of ` +
          `${iterations}${rounds.length > 1 ? ` (rounds: ${shown})` : ''}`;
  return {
    passed: verdict !== 'folded',
    method,
    compared,
    mismatches: verdict === 'folded' ? 1 : 0,
    maxRelError: Math.abs(ratio - 2) / 2,
    detail,
    ratio,
    verdict,
    rounds,
  };
}

type Encode = (pass: GPUComputePassEncoder, repeats: number) => void;

/**
 * After timing, a chain kernel with twice the iterations must take about twice the time (a
 * compiler that folded or hoisted the loop would not): base and doubled passes alternate, so a
 * slow spell on a shared machine hits both alike.
 */
export function doublingCheck(
  iterations: number,
  encode: Encode,
  encodeDoubled: Encode,
): NonNullable<PreparedCase['validateTiming']> {
  return async (perDispatchNs, timePass) => {
    const repeats = Math.max(1, Math.round(20e6 / perDispatchNs));
    await timePass((pass) => {
      encodeDoubled(pass, repeats);
    });
    return judgeDoubling(iterations, async () => {
      const base: (number | null)[] = [];
      const twice: (number | null)[] = [];
      for (let i = 0; i < 7; i++) {
        base.push(
          await timePass((pass) => {
            encode(pass, repeats);
          }),
        );
        twice.push(
          await timePass((pass) => {
            encodeDoubled(pass, repeats);
          }),
        );
      }
      return { base, doubled: twice };
    });
  };
}
