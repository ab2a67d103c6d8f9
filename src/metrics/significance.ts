import erfc from '@stdlib/math-base-special-erfc';
import { MetricError } from './errors.js';

export interface MannWhitneyResult {
  /** U of the first sample: pairs (a, b) with a > b, ties counting one half. */
  uA: number;
  uB: number;
  nA: number;
  nB: number;
  /** Two-sided p-value. */
  pValue: number;
  method: 'exact' | 'normal-tie-corrected';
}

/**
 * When the exact null distribution is used (no ties): one side of at most 8 samples, as scipy's
 * `method='auto'` decides (the `gate --history` shape: a few new samples against many stored ones,
 * where the normal approximation's p was up to 10⁵× too large), or both sides of at most 25.
 */
const EXACT_SMALL_SIDE = 8;
const EXACT_BOTH_SIDES = 25;
/** Coefficient updates the exact tail may cost before the normal approximation is used instead. */
const EXACT_MAX_WORK = 5e6;

function ranks(values: readonly number[]): { ranks: number[]; tieTerm: number } {
  const order = values.map((v, i) => ({ v, i })).sort((x, y) => x.v - y.v);
  const out = new Array<number>(values.length);
  let tieTerm = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as { v: number }).v === (order[i] as { v: number }).v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[(order[k] as { i: number }).i] = rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  return { ranks: out, tieTerm };
}

/**
 * P(U ≤ u) under the null for sample sizes m and n without ties. The number of arrangements with
 * U = k is the coefficient of qᵏ in the Gaussian binomial [m+n choose m]_q = ∏ᵢ (1 − q^(n+i)) / (1 − qⁱ)
 * over i = 1..min(m, n); built one factor at a time in exact integers, truncated at degree u (the
 * low coefficients of a power series product depend on low coefficients only).
 */
function exactCdf(m: number, n: number, u: number): number {
  const [small, large] = m <= n ? [m, n] : [n, m];
  const degree = Math.floor(u);
  if (degree < 0) return 0;
  const c = new Array<bigint>(degree + 1).fill(0n);
  c[0] = 1n;
  for (let i = 1; i <= small; i++) {
    const shift = large + i;
    for (let k = degree; k >= shift; k--) c[k] = (c[k] as bigint) - (c[k - shift] as bigint);
    for (let k = i; k <= degree; k++) c[k] = (c[k] as bigint) + (c[k - i] as bigint);
  }
  let below = 0n;
  for (const x of c) below += x;
  let total = 1n;
  for (let i = 1; i <= small; i++) total = (total * BigInt(large + i)) / BigInt(i);
  return ratio(below, total);
}

/** a / b for big integers, to double precision at any size. */
function ratio(a: bigint, b: bigint): number {
  const bits = Math.max(0, b.toString(2).length - 1000);
  return Number(a >> BigInt(bits)) / Number(b >> BigInt(bits));
}

/**
 * Mann–Whitney U test (two-sided): do the two samples come from the same distribution? Exact
 * without ties when one side has at most 8 samples (scipy's rule) or both at most 25, else the
 * normal approximation with tie and continuity corrections (as scipy's 'asymptotic').
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  if (a.length === 0 || b.length === 0)
    throw new MetricError('EMPTY_SAMPLES', 'Mann–Whitney U needs at least one sample on each side');
  for (const v of [...a, ...b])
    if (!Number.isFinite(v)) throw new MetricError('NON_FINITE', `Mann–Whitney U: sample ${String(v)} is not finite`);
  const nA = a.length;
  const nB = b.length;
  const { ranks: r, tieTerm } = ranks([...a, ...b]);
  const rankSumA = r.slice(0, nA).reduce((s, x) => s + x, 0);
  const uA = rankSumA - (nA * (nA + 1)) / 2;
  const uB = nA * nB - uA;
  const uMin = Math.min(uA, uB);
  const exactRule = Math.min(nA, nB) <= EXACT_SMALL_SIDE || Math.max(nA, nB) <= EXACT_BOTH_SIDES;
  const exactWork = 2 * Math.min(nA, nB) * (uMin + 1);
  if (tieTerm === 0 && exactRule && exactWork <= EXACT_MAX_WORK) {
    return { uA, uB, nA, nB, pValue: Math.min(1, 2 * exactCdf(nA, nB, uMin)), method: 'exact' };
  }
  const n = nA + nB;
  const mean = (nA * nB) / 2;
  const variance = ((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { uA, uB, nA, nB, pValue: 1, method: 'normal-tie-corrected' };
  const z = Math.max(0, Math.abs(uMin - mean) - 0.5) / Math.sqrt(variance);
  // Two-sided normal tail 2·(1 − Φ(z)) = erfc(z/√2), taken from erfc directly: 1 − Φ cancels to 0
  // long before the tail does (fdlibm's erfc, ~1 ulp, down to the smallest doubles).
  const pValue = Math.min(1, erfc(z / Math.SQRT2));
  return { uA, uB, nA, nB, pValue, method: 'normal-tie-corrected' };
}
