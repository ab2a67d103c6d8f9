import { compareSamples, perDispatchSamples } from '../ci/compare.js';
import { relativeNoise } from '../metrics/noise.js';
import { percentile } from '../metrics/summary.js';
import { runSuites, type RunEnvironment } from '../runner/run.js';
import type { CaseResult } from '../results/schema.js';
import { type FamilyName, type TunableFamily, type TuneConfig, type TuneDevice, type TuneTarget } from './families.js';

export type RejectionKind = 'wrong-result' | 'compile-failure' | 'validation-error' | 'out-of-memory' | 'error';

/** Everything the search learned about one configuration. */
export interface CandidateRecord {
  label: string;
  config: TuneConfig;
  /** cut: the command's budget ran out while it compiled or ran; it has no verdict. */
  status: 'measured' | 'rejected' | 'not-applicable' | 'cut';
  rejection: RejectionKind | null;
  reason: string | null;
  /** Per-dispatch times of every timed pass, over all its evaluations. */
  samplesNs: number[];
  medianNs: number | null;
  stages: string[];
}

export interface TuneOutcome {
  family: FamilyName;
  shapeClass: string;
  description: string;
  kernelHash: string;
  defaultLabel: string;
  defaultConfig: TuneConfig;
  bestLabel: string;
  bestConfig: TuneConfig;
  /** tuned: a candidate beat the default, significantly, in interleaved confirmation rounds. */
  source: 'tuned' | 'default';
  /** Medians of the confirmation rounds (or of everything measured when there was no time for them). */
  defaultMedianNs: number | null;
  bestMedianNs: number | null;
  /** default ÷ best: 1 when the default stays. */
  speedup: number | null;
  /**
   * Relative noise of each confirmation median (src/metrics/noise.ts), the run's rule: a gain within
   * their sum is not taken. Null where there were no confirmation rounds or too few samples.
   */
  noise: { default: number | null; best: number | null };
  decision: string;
  candidates: CandidateRecord[];
  evaluations: number;
  seconds: number;
  budgetSeconds: number;
}

export type TuneEvent =
  | { type: 'target-start'; target: TuneTarget; index: number; total: number; budgetMs: number }
  | {
      type: 'evaluated';
      target: TuneTarget;
      candidate: CandidateRecord;
      stage: string;
      elapsedMs: number;
      budgetMs: number;
    }
  | { type: 'target-done'; outcome: TuneOutcome };

export interface TuneOptions {
  budgetMs: number;
  /** Milliseconds, monotonic: injected so the budget is testable. */
  clock: () => number;
  signal?: AbortSignal;
  onEvent?: (e: TuneEvent) => void;
  /** Milliseconds each timed pass aims for (dispatches per pass follow from it). */
  targetPassMs?: number;
  seed?: number;
  /** Replaces a family's suite for one label (tests plant a wrong candidate through it). */
  plant?: {
    family: FamilyName;
    label: string;
    suite: (c: TuneConfig, t: TuneTarget) => ReturnType<TunableFamily['suite']>;
  };
}

/** FNV-1a (64-bit as two 32-bit halves) of the kernels' compiled sources: a tuning made for other source is stale. */
export function sourceHash(sources: readonly string[]): string {
  let h1 = 0x811c9dc5;
  let h2 = 0xcbf29ce4;
  for (const s of sources) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x01000193 ^ 0x5bd1e995) >>> 0;
    }
    h1 = Math.imul(h1 ^ 0xff, 0x01000193) >>> 0;
  }
  return `fnv1a:${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

export async function familyKernelHash(
  family: TunableFamily,
  loadKernel: (name: string) => Promise<string>,
): Promise<string> {
  return sourceHash(await family.sources(loadKernel));
}

export class TuneDeviceLost extends Error {}

/** The run, or null when `ms` pass first (the run goes on in the background, its result ignored). */
async function beforeDeadline<T>(running: Promise<T>, ms: number): Promise<T | null> {
  if (!Number.isFinite(ms)) return running;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(
      () => {
        resolve(null);
      },
      Math.max(0, ms),
    );
  });
  running.catch(() => undefined);
  try {
    return await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
  }
}

function classify(c: CaseResult): { kind: RejectionKind; reason: string } {
  if (c.status === 'failed')
    return { kind: 'wrong-result', reason: `wrong result: ${c.check?.detail ?? c.message ?? 'the check failed'}` };
  const m = c.message ?? 'error';
  if (/out of memory|OutOfMemory|allocation failed/i.test(m))
    return { kind: 'out-of-memory', reason: `out of memory: ${m}` };
  if (/shader|WGSL|compil|createShaderModule|createComputePipeline|parse/i.test(m))
    return { kind: 'compile-failure', reason: `compile failure: ${m}` };
  if (/validation/i.test(m)) return { kind: 'validation-error', reason: `validation error: ${m}` };
  return { kind: 'error', reason: m };
}

const pctOf = (x: number | null): string => (x === null ? '?' : `${(x * 100).toFixed(1)}%`);

const median = (xs: readonly number[]): number | null => (xs.length === 0 ? null : percentile(xs, 50));

const COARSE_PASSES = 3;
const LOCAL_PASSES = 5;
/** Six: the fewest samples whose median has a 95% interval, so each round's noise is known. */
const CONFIRM_PASSES = 6;
const EXPLORE_SHARE = 0.7;
/** Where exploring stops while the default is still the fastest measured: nothing needs confirming yet. */
const EXPLORE_SHARE_DEFAULT_LEADS = 0.9;
/** A candidate counts as beating the default only by more than this, significantly. */
const CONFIRM = { thresholdPct: 1, alpha: 0.05, minSamples: 5 };

/**
 * Tunes one target within `budgetMs`: every coarse candidate timed briefly (the default first),
 * successive halving with doubled passes on the faster half, a local walk one step at a time from
 * the best, then the default and the best timed in turn until the budget is spent, so the verdict
 * rests on interleaved samples. A candidate runs as a case of its family's suite: checked against
 * the reference before it is timed; a wrong result, compile failure, validation error or
 * out-of-memory is recorded as rejected and the search goes on.
 */
export async function tuneTarget(
  env: RunEnvironment,
  family: TunableFamily,
  target: TuneTarget,
  device: TuneDevice,
  kernelHash: string,
  budgetMs: number,
  o: TuneOptions,
  hardDeadline = Number.POSITIVE_INFINITY,
): Promise<TuneOutcome> {
  const start = o.clock();
  let cut = false;
  const deadline = start + budgetMs;
  // Exploring stops at 70% of the budget while some candidate beats the default: the rest times the
  // default and that one in turn, so the verdict always rests on interleaved samples. While the
  // default leads there is nothing to confirm, so exploring goes on to 90%.
  const defaultLabel = family.label(target.defaultConfig, target);
  const exploreUntil = (): number =>
    start + (measured()[0]?.label === defaultLabel ? EXPLORE_SHARE_DEFAULT_LEADS : EXPLORE_SHARE) * budgetMs;
  const records = new Map<string, CandidateRecord>();
  let evaluations = 0;
  // Milliseconds per (pass + 2): warm-up and the check cost about a pass each.
  let perPassMs = 0;
  const estimate = (passes: number): number => perPassMs * (passes + 2) * 1.25;
  const fitsBy = (until: number, passes: number): boolean =>
    !cut && !(o.signal?.aborted ?? false) && o.clock() + estimate(passes) <= until;
  const fits = (passes: number): boolean => fitsBy(exploreUntil(), passes);

  const record = (config: TuneConfig): CandidateRecord => {
    const label = family.label(config, target);
    let r = records.get(label);
    if (r === undefined) {
      const why = family.unsupported(config, target, device);
      r = {
        label,
        config,
        status: why === null ? 'measured' : 'not-applicable',
        rejection: null,
        reason: why,
        samplesNs: [],
        medianNs: null,
        stages: [],
      };
      records.set(label, r);
    }
    return r;
  };

  const measure = async (r: CandidateRecord, passes: number, stage: string): Promise<number[]> => {
    if (r.status !== 'measured') return [];
    const t0 = o.clock();
    const suite =
      o.plant !== undefined && o.plant.family === family.name && o.plant.label === r.label
        ? o.plant.suite(r.config, target)
        : family.suite(r.config, target);
    if (o.clock() >= hardDeadline) cut = true;
    const running = cut
      ? null
      : runSuites(env, {
          suites: [suite],
          quick: false,
          passes,
          warmupPasses: 1,
          targetPassMs: o.targetPassMs ?? 20,
          ...(o.seed === undefined ? {} : { seed: o.seed + evaluations }),
        });
    // The command's budget is a promise: a compile that outlasts it is left behind, not waited for
    // (a CPU compiler can take seconds per candidate, and nothing is measured after this point).
    const run = running === null ? null : await beforeDeadline(running, hardDeadline - o.clock());
    if (run === null) {
      cut = true;
      // One measured before keeps its samples; one never measured has no verdict.
      if (r.samplesNs.length === 0) {
        r.status = 'cut';
        r.reason = `the budget ran out before it was measured (${stage}); not measured`;
      }
      r.stages.push(`${stage} (cut)`);
      o.onEvent?.({ type: 'evaluated', target, candidate: r, stage, elapsedMs: o.clock() - start, budgetMs });
      return [];
    }
    evaluations++;
    perPassMs = Math.max(perPassMs * 0.5, (o.clock() - t0) / (passes + 2));
    if (run.status === 'device-lost')
      throw new TuneDeviceLost(`the device was lost while timing ${family.name} ${r.label}: ${run.message ?? ''}`);
    const c = run.cases[0];
    r.stages.push(stage);
    let samples: number[] = [];
    if (c === undefined || c.status === 'skipped') {
      r.status = 'not-applicable';
      r.reason = c?.message ?? 'the suite planned no case';
    } else if (c.status !== 'ok') {
      const { kind, reason } = classify(c);
      r.status = 'rejected';
      r.rejection = kind;
      r.reason = reason;
    } else {
      samples = perDispatchSamples(c);
      r.samplesNs.push(...samples);
      r.medianNs = median(r.samplesNs);
    }
    o.onEvent?.({ type: 'evaluated', target, candidate: r, stage, elapsedMs: o.clock() - start, budgetMs });
    return samples;
  };

  const measured = (): CandidateRecord[] =>
    [...records.values()]
      .filter((r) => r.status === 'measured' && r.medianNs !== null)
      .sort((a, b) => (a.medianNs as number) - (b.medianNs as number));

  // Coarse: the default first, so it is measured whatever the budget.
  const def = record(target.defaultConfig);
  await measure(def, COARSE_PASSES, 'coarse');
  for (const c of family.coarse(target, device)) {
    const r = record(c);
    if (r.stages.length > 0 || r.status !== 'measured') continue;
    if (!fits(COARSE_PASSES)) break;
    await measure(r, COARSE_PASSES, 'coarse');
  }
  // Successive halving: the faster half again, with twice the passes.
  let pool = measured();
  let passes = COARSE_PASSES;
  for (let round = 1; pool.length > 2; round++) {
    pool = pool.slice(0, Math.ceil(pool.length / 2));
    passes *= 2;
    let finished = true;
    for (const r of pool) {
      if (!fits(passes)) {
        finished = false;
        break;
      }
      await measure(r, passes, `halving-${round}`);
    }
    if (!finished) break;
    pool = measured().filter((r) => pool.includes(r));
  }
  // Local: one step from the best in each parameter, while that finds something faster.
  for (let round = 1; round <= 4; round++) {
    const best = measured()[0];
    if (best === undefined) break;
    let improved = false;
    for (const n of family.neighbours(best.config, target, device)) {
      const r = record(n);
      if (r.stages.length > 0 || r.status !== 'measured') continue;
      if (!fits(LOCAL_PASSES)) break;
      await measure(r, LOCAL_PASSES, `local-${round}`);
      if (r.medianNs !== null && best.medianNs !== null && r.medianNs < best.medianNs) improved = true;
    }
    if (!improved) break;
  }
  // Confirm: the default and the best in turn until the budget is spent. Where the default leads,
  // its closest rival takes the best's place: the default is then kept on interleaved samples, not
  // on a few coarse ones, and the share left after exploring is spent on that, not given up.
  const ranked = measured();
  const leader = ranked[0] ?? def;
  const best = leader !== def ? leader : (ranked[1] ?? def);
  const confirmDefault: number[] = [];
  const confirmBest: number[] = [];
  if (best !== def && def.status === 'measured') {
    // Both are compiled by now, so the pass estimate (inflated by the compiles explored, seconds each
    // on a CPU compiler) does not size a round: the first is tried while a second is left (the
    // budget's timer cuts one that overruns, keeping what was measured), then each round's own time decides.
    let roundMs: number | null = null;
    const another = (): boolean =>
      !cut && !(o.signal?.aborted ?? false) && o.clock() + (roundMs === null ? 1000 : roundMs * 1.25) <= deadline;
    while (another()) {
      const t0 = o.clock();
      confirmDefault.push(...(await measure(def, CONFIRM_PASSES, 'confirm')));
      confirmBest.push(...(await measure(best, CONFIRM_PASSES, 'confirm')));
      roundMs = o.clock() - t0;
    }
  }

  let source: TuneOutcome['source'] = 'default';
  let decision: string;
  let defaultMedianNs = def.medianNs;
  let bestMedianNs = best.medianNs;
  let noise: TuneOutcome['noise'] = { default: null, best: null };
  if (def.status === 'cut') {
    decision = `the budget ran out before the default (${def.label}) was measured; nothing stored (raise --budget)`;
  } else if (def.status !== 'measured' || def.medianNs === null) {
    decision =
      `the default (${def.label}) did not run: ${def.reason ?? 'no samples'}; nothing to compare with, ` +
      `nothing stored as tuned`;
  } else if (best === def) {
    decision = `the default (${def.label}) was the fastest of ${measured().length} measured candidates`;
  } else if (confirmBest.length === 0) {
    decision =
      leader === def
        ? `the default (${def.label}) was the fastest of ${measured().length} measured candidates (no time ` +
          `left to time its closest rival, ${best.label}, against it in interleaved rounds)`
        : o.signal?.aborted === true
          ? `stopped by a signal before ${best.label} could be confirmed against the default; the default stays`
          : `no time left to confirm ${best.label} against the default in interleaved rounds; the default ` +
            `stays (raise --budget)`;
  } else {
    const cmp = compareSamples(`${family.name}/${target.shapeClass}`, confirmDefault, confirmBest, CONFIRM);
    defaultMedianNs = cmp.baseMedianNs;
    bestMedianNs = cmp.newMedianNs;
    noise = { default: relativeNoise(confirmDefault), best: relativeNoise(confirmBest) };
    const allowance = (noise.default ?? Number.POSITIVE_INFINITY) + (noise.best ?? Number.POSITIVE_INFINITY);
    const gain = cmp.baseMedianNs !== null && cmp.newMedianNs !== null ? cmp.baseMedianNs / cmp.newMedianNs - 1 : 0;
    if (cmp.verdict === 'faster' && gain <= allowance) {
      decision =
        `${best.label} was faster than the default by ${(gain * 100).toFixed(1)}%, within the noise of the two ` +
        `medians (±${pctOf(noise.default)} and ±${pctOf(noise.best)}); the default stays`;
    } else if (cmp.verdict === 'faster') {
      source = 'tuned';
      decision = `${best.label} beat the default in ${confirmBest.length} interleaved samples each: ${cmp.reason}`;
    } else if (leader === def) {
      decision =
        `the default (${def.label}) was the fastest of ${measured().length} measured candidates, and its ` +
        `closest rival, ${best.label}, did not beat it in ${confirmBest.length} interleaved samples each ` +
        `(${cmp.verdict}: ${cmp.reason})`;
    } else {
      decision =
        `${best.label} did not beat the default significantly in ${confirmBest.length} interleaved samples ` +
        `each (${cmp.verdict}: ${cmp.reason}); the default stays`;
    }
  }
  const chosen = source === 'tuned' ? best : def;
  const outcome: TuneOutcome = {
    family: family.name,
    shapeClass: target.shapeClass,
    description: target.description,
    kernelHash,
    defaultLabel: def.label,
    defaultConfig: def.config,
    bestLabel: chosen.label,
    bestConfig: chosen.config,
    source,
    defaultMedianNs,
    bestMedianNs: source === 'tuned' ? bestMedianNs : defaultMedianNs,
    speedup:
      source === 'tuned' && defaultMedianNs !== null && bestMedianNs !== null
        ? defaultMedianNs / bestMedianNs
        : defaultMedianNs === null
          ? null
          : 1,
    noise,
    decision,
    // Only what ran: a candidate the budget never reached has no verdict to report.
    candidates: [...records.values()].filter((r) => r.stages.length > 0 || r.status !== 'measured'),
    evaluations,
    seconds: (o.clock() - start) / 1000,
    budgetSeconds: budgetMs / 1000,
  };
  o.onEvent?.({ type: 'target-done', outcome });
  return outcome;
}

/**
 * Tunes every target of the families within one budget: an equal share per family, split among
 * its targets (what a target does not use passes to the next), so the whole search ends at the budget.
 * `o.clock` must count real milliseconds: the budget's end is also a timer that cuts a candidate
 * still compiling. Once it has passed, the remaining targets are reported as cut, not measured.
 */
export async function tuneFamilies(
  env: RunEnvironment,
  families: readonly TunableFamily[],
  device: TuneDevice,
  o: TuneOptions,
): Promise<TuneOutcome[]> {
  const deadline = o.clock() + o.budgetMs;
  const work = families.flatMap((family) => {
    const targets = family.targets(device);
    return targets.map((target) => ({ family, target, weight: 1 / targets.length }));
  });
  const outcomes: TuneOutcome[] = [];
  let weightLeft = work.reduce((s, w) => s + w.weight, 0);
  // The longest a default's first measurement took (its compile included, seconds on a CPU
  // compiler): each target leaves that much per target after it, so none of them loses its default.
  let defaultCostMs = 0;
  let firstOfTarget = true;
  const watch: TuneOptions = {
    ...o,
    onEvent: (e) => {
      if (e.type === 'evaluated' && firstOfTarget) {
        firstOfTarget = false;
        defaultCostMs = Math.max(defaultCostMs, e.elapsedMs);
      }
      o.onEvent?.(e);
    },
  };
  for (const [index, w] of work.entries()) {
    if (o.signal?.aborted === true) break;
    const reserveMs = (work.length - index - 1) * defaultCostMs * 1.25;
    const share = Math.max(
      0,
      Math.min(((deadline - o.clock()) * w.weight) / weightLeft, deadline - o.clock() - reserveMs),
    );
    weightLeft -= w.weight;
    firstOfTarget = true;
    o.onEvent?.({ type: 'target-start', target: w.target, index, total: work.length, budgetMs: share });
    outcomes.push(
      await tuneTarget(
        env,
        w.family,
        w.target,
        device,
        await familyKernelHash(w.family, env.loadKernel),
        share,
        watch,
        deadline,
      ),
    );
  }
  return outcomes;
}
