import { keyOfCase } from '../results/caseKey.js';
import type { DeviceInfo } from '../gpu/adapterInfo.js';
import { BufferPool } from '../gpu/buffers.js';
import { withErrorScopes } from '../gpu/errorScope.js';
import { createPassTimer, hostWallTimer, type PassTimer, type TimerInfo } from '../gpu/timer.js';
import { MemoryMetric } from '../metrics/memory.js';
import { MetricSummary, percentile } from '../metrics/summary.js';
import { utilizationAgainst, type Utilization } from '../metrics/utilization.js';
import { RESULT_SCHEMA_VERSION, type CaseResult, type RunPeaks, type RunResult } from '../results/schema.js';
import type { CasePlan, Measurement, Suite, SuiteContext } from '../suites/types.js';
import { mergeCaseCanary, startCanary, type Canary } from './canary.js';
import {
  caseNoise,
  MAX_RESOLUTION_SHARE,
  shouldStop,
  stoppingCriterion,
  type CaseNoise,
  type StoppingCriterion,
  type StopReason,
} from './stopping.js';

export interface RunOptions {
  suites: readonly Suite[];
  quick: boolean;
  /**
   * A fixed number of timed passes per case. Without it a case runs until the noise of its median
   * reaches a target, within a time limit (src/runner/stopping.ts), the defaults per adapter class.
   */
  passes?: number;
  /** Relative noise target of the median (0.01 is 1%), overriding the adapter class's default. */
  noiseTarget?: number;
  /** Minimum timed work per case, ms. */
  minTimeMs?: number;
  /** Wall-clock limit of a case's timed passes, ms. */
  maxTimeMs?: number;
  /**
   * Rounds over every case (default 1): a device-timed case's rounds are pooled into one result, so
   * its noise spans the drift between them (calibrate: a peak measured once is one moment's).
   */
  rounds?: number;
  /**
   * Read the canary (src/runner/canary.ts) before the first case and after every timed one: its
   * drift marks the cases a clock change or a neighbour may have moved. The CLI's run, calibrate and
   * noise commands and the page ask for it; a library caller chooses (default off: ~50 ms per case
   * on a CPU adapter).
   */
  canary?: boolean;
  warmupPasses?: number;
  /** Dispatches per pass are chosen so one pass lasts about this long. */
  targetPassMs?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: ((event: ProgressEvent) => void) | undefined;
  /** Called after every case with the results so far, so they can be saved as the run goes. */
  onCaseDone?: (partial: RunResult) => void | Promise<void>;
  /** The run as it starts (status running, no cases), before any device work: a first save. */
  onStart?: (initial: RunResult) => void | Promise<void>;
}

export interface RunEnvironment {
  device: GPUDevice;
  info: DeviceInfo;
  loadKernel: (name: string) => Promise<string>;
  platform: { runtime: string; os: string };
  toolVersion: string;
  readHostRss: () => number | null;
  /** Peaks every case is divided by: calibrated (measured here) and datasheet; either may be null. */
  peaks?: RunPeaks;
  /** File storage for suites with a disk tier. */
  storage?: SuiteContext['storage'];
  openDevice?: SuiteContext['openDevice'];
  /** This device's stored tuning, which suites read from their context (SuiteContext.tuned). */
  tuned?: SuiteContext['tuned'];
  /** The code measured (git commit and branch, a label), recorded with the run. */
  source?: NonNullable<RunResult['source']>;
}

export type ProgressEvent =
  | { type: 'planned'; total: number }
  | { type: 'case-start'; index: number; total: number; id: string; name: string }
  | { type: 'case-done'; index: number; total: number; result: CaseResult };

const MAX_DISPATCHES_PER_PASS = 1024;
const MAX_EXTRA_WARMUP_PASSES = 8;
const WARMUP_SETTLED_FRACTION = 0.05;

interface Planned {
  suite: string;
  plan: CasePlan;
  /** The run's context, with the suite's own kernel loader where it brings one. */
  context: SuiteContext;
}

/** Runs every case of the given suites; a case's failure is recorded in its result, never thrown. */
export async function runSuites(env: RunEnvironment, options: RunOptions): Promise<RunResult> {
  const { device } = env;
  const criterion = stoppingCriterion(env.info.adapterClass, options.quick, {
    passes: options.passes,
    noiseTarget: options.noiseTarget,
    minTimeMs: options.minTimeMs,
    maxTimeMs: options.maxTimeMs,
  });
  const passes = criterion.minSamples;
  const rounds = options.rounds ?? 1;
  const warmupPasses = options.warmupPasses ?? (options.quick ? 1 : 2);
  const targetPassMs = options.targetPassMs ?? (options.quick ? 20 : 100);
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const memory = new MemoryMetric(env.readHostRss);
  const timer = createPassTimer(device);
  // A holder, not a local: the loss arrives in a callback at any time during the run.
  const loss: { message: string | null } = { message: null };
  void device.lost.then((info) => {
    loss.message = `device lost (${info.reason}): ${info.message}`;
  });

  const result: RunResult = {
    schemaVersion: RESULT_SCHEMA_VERSION,
    tool: { name: 'wgbench', version: env.toolVersion },
    status: 'running',
    startedAt: new Date().toISOString(),
    finishedAt: null,
    platform: env.platform,
    ...(env.source === undefined ? {} : { source: env.source }),
    device: env.info,
    timer: timer.info(),
    options: {
      suites: options.suites.map((s) => s.name),
      quick: options.quick,
      passes,
      warmupPasses,
      targetPassMs,
      seed,
      stopping: criterion,
    },
    memory: { peakGpuBytes: 0, hostRssBytes: null },
    peaks: env.peaks ?? { calibrated: null, datasheet: null },
    cases: [],
  };
  const ctx: SuiteContext = {
    device,
    info: env.info,
    quick: options.quick,
    loadKernel: env.loadKernel,
    seed,
    ...(env.storage === undefined ? {} : { storage: env.storage }),
    ...(env.peaks === undefined ? {} : { peaks: env.peaks }),
    ...(env.openDevice === undefined ? {} : { openDevice: env.openDevice }),
    ...(env.tuned === undefined ? {} : { tuned: env.tuned }),
  };

  const planned: Planned[] = [];
  for (const suite of options.suites) {
    const context = suite.loadKernel === undefined ? ctx : { ...ctx, loadKernel: suite.loadKernel };
    try {
      for (const plan of suite.plan(context)) planned.push({ suite: suite.name, plan, context });
    } catch (e) {
      result.cases.push(errorCase(suite.name, `${suite.name}/plan`, `${suite.name}: planning failed: ${messageOf(e)}`));
    }
  }
  options.onProgress?.({ type: 'planned', total: planned.length * rounds });
  await options.onStart?.(structuredClone(result));
  // Timing loops stop at a device loss, and at an interrupt after the pass in flight.
  const aborted = (): boolean => options.signal?.aborted === true;
  const stop = (): string | null => loss.message ?? (aborted() ? 'interrupted' : null);

  const canary = options.canary !== true ? null : await openCanary(env, timer, result, planned, aborted);
  // Per case id, the readings around each of its rounds: every case is judged again as the run's
  // fastest reading (the canary's reference) moves.
  const beside = new Map<string, { before: number; after: number | null; noise: number | null }[]>();
  let lastReading = 0;
  try {
    const total = planned.length * rounds;
    // Round by round over every case, so the rounds of one case are spread over the run's time.
    const first: (CaseResult | undefined)[] = [];
    outer: for (let round = 0; round < rounds; round++) {
      for (const [i, { suite, plan, context }] of planned.entries()) {
        const index = round * planned.length + i;
        if (loss.message !== null) break outer;
        if (aborted()) {
          result.status = 'interrupted';
          result.message = 'interrupted before all cases ran';
          break outer;
        }
        const earlier = first[i];
        if (round > 0 && (earlier === undefined || !repeatable(earlier))) continue;
        options.onProgress?.({ type: 'case-start', index, total, id: plan.id, name: plan.name });
        const timing = {
          criterion,
          warmupPasses,
          targetPassMs,
          ...(earlier?.dispatchesPerPass == null ? {} : { dispatchesPerPass: earlier.dispatchesPerPass }),
        };
        const caseResult = await runCase(suite, plan, context, timer, memory, timing, stop, result.peaks);
        if (aborted() && loss.message === null) {
          // Cut short: its samples are not what was asked for, so it is not recorded.
          result.status = 'interrupted';
          result.message = `interrupted during ${plan.id} (not recorded); the cases before it are kept`;
          break outer;
        }
        if (canary !== null && caseResult.samplesNs.length > 0 && stop() === null) {
          const after = await canary.read();
          const rounds = [
            ...(beside.get(plan.id) ?? []),
            { before: lastReading, after, noise: caseResult.noise?.reached ?? null },
          ];
          beside.set(plan.id, rounds);
          lastReading = after ?? lastReading;
        }
        const recorded =
          earlier === undefined ? caseResult : pooledRounds(plan, earlier, caseResult, round, criterion, result.peaks);
        first[i] = recorded;
        const at = earlier === undefined ? -1 : result.cases.indexOf(earlier);
        if (at >= 0) result.cases[at] = recorded;
        else result.cases.push(recorded);
        if (canary !== null) {
          for (const c of result.cases) {
            const rounds = beside.get(c.id);
            if (rounds !== undefined)
              c.canary = rounds.map((r) => canary.judge(r.before, r.after, r.noise)).reduce(mergeCaseCanary);
          }
          result.canary = canary.summary(result.cases.filter((c) => c.canary?.touched === true).length);
        }
        result.timer = timer.info();
        result.memory = { peakGpuBytes: memory.compute().peakGpuBytes, hostRssBytes: memory.compute().hostRssBytes };
        options.onProgress?.({ type: 'case-done', index, total, result: recorded });
        await options.onCaseDone?.(structuredClone(result));
      }
    }
  } finally {
    canary?.destroy();
    timer.destroy();
  }
  for (const suite of options.suites) suite.finalize?.(result.cases.filter((c) => c.suite === suite.name));
  if (loss.message !== null) {
    result.status = 'device-lost';
    result.message = `${loss.message}; results so far are kept`;
  } else if (result.status === 'running') {
    result.status = 'complete';
  }
  result.finishedAt = new Date().toISOString();
  result.timer = timer.info();
  return result;
}

interface Timing {
  criterion: StoppingCriterion;
  /** Fixed by an earlier round of the case, so the rounds' pass samples pool. */
  dispatchesPerPass?: number;
  warmupPasses: number;
  targetPassMs: number;
}

function emptyCase(suite: string, plan: Pick<CasePlan, 'id' | 'name' | 'params' | 'key'>): CaseResult {
  return {
    id: plan.id,
    key: keyOfCase({ ...plan, suite }),
    suite,
    name: plan.name,
    params: plan.params,
    status: 'ok',
    check: null,
    dispatchesPerPass: null,
    warmupPasses: 0,
    invalidSamples: 0,
    samplesNs: [],
    summary: null,
    timer: null,
    bandwidth: null,
    startedAt: new Date().toISOString(),
    durationMs: 0,
  };
}

function errorCase(suite: string, id: string, message: string): CaseResult {
  return { ...emptyCase(suite, { id, name: id, params: {} }), status: 'error', message };
}

async function runCase(
  suite: string,
  plan: CasePlan,
  ctx: SuiteContext,
  timer: PassTimer,
  memory: MemoryMetric,
  timing: Timing,
  stop: () => string | null,
  peaks: RunPeaks | undefined,
): Promise<CaseResult> {
  const out = emptyCase(suite, plan);
  const t0 = performance.now();
  const finish = (patch: Partial<CaseResult>): CaseResult => ({ ...out, ...patch, durationMs: performance.now() - t0 });
  if (plan.skipReason !== undefined) return finish({ status: 'skipped', message: plan.skipReason });

  const pool = new BufferPool(ctx.device, memory);
  let dispose: (() => Promise<void>) | undefined;
  try {
    const prepared = await withErrorScopes(ctx.device, () => plan.prepare(ctx, pool));
    if (!prepared.ok) return finish({ status: 'error', message: `setup failed: ${prepared.errors.join('; ')}` });
    dispose = prepared.value.dispose;
    const checked = await withErrorScopes(ctx.device, () => prepared.value.check());
    if (!checked.ok)
      return finish({ status: 'error', message: `reference check could not run: ${checked.errors.join('; ')}` });
    out.check = checked.value;
    if (!checked.value.passed)
      return finish({ status: 'failed', message: `output does not match the reference: ${checked.value.detail}` });

    const measure = prepared.value.measure;
    if (measure !== undefined) {
      const startedAtMs = Date.now();
      const measured = await withErrorScopes(ctx.device, () =>
        measure({
          timer,
          rounds: timing.criterion.minSamples,
          warmupRounds: timing.warmupPasses,
          stopped: () => stop() !== null,
        }),
      );
      if (!measured.ok) return finish({ status: 'error', message: `timing failed: ${measured.errors.join('; ')}` });
      const noise = caseNoise(
        timing.criterion,
        measured.value.samplesNs,
        Date.now() - startedAtMs,
        stop() === null ? 'rounds' : 'interrupted',
        measured.value.timer.resolutionNs,
      );
      return finish({ ...measuredCase(measured.value, startedAtMs), noise });
    }
    const operation = prepared.value.timeOperation;
    const hostTimer =
      operation === undefined
        ? null
        : hostWallTimer(prepared.value.operationTimerMethod ?? 'host clock around one operation');
    const timed = await withErrorScopes(ctx.device, () =>
      operation === undefined || hostTimer === null
        ? timeCase(prepared.value.encode, timer, timing, stop)
        : timeOperations(operation, timing, stop, hostTimer.resolutionNs),
    );
    const caseTimer: TimerInfo = hostTimer ?? timer.info();
    if (!timed.ok) return finish({ status: 'error', message: `timing failed: ${timed.errors.join('; ')}` });
    const { samplesNs, invalid, dispatchesPerPass, warmupPasses, passStartsNs, timingStartedAtMs, noise } = timed.value;
    if (samplesNs.length === 0) {
      return finish({
        status: 'error',
        message: `no valid timing samples (${invalid} invalid); the timer returned nothing usable`,
        invalidSamples: invalid,
      });
    }
    const { summary, bandwidth, compute, utilization } = figuresOf(plan, samplesNs, dispatchesPerPass, noise, peaks);
    let timingCheck = null;
    if (prepared.value.validateTiming !== undefined && stop() === null) {
      const validate = prepared.value.validateTiming;
      const validated = await withErrorScopes(ctx.device, () =>
        validate(summary.p50, (record) => timer.timePass(record)),
      );
      timingCheck = validated.ok
        ? validated.value
        : {
            passed: false,
            method: 'timing',
            compared: 0,
            mismatches: 0,
            maxRelError: null,
            detail: `timing check could not run: ${validated.errors.join('; ')}`,
          };
    }
    const quantError = prepared.value.quantizationError?.() ?? null;
    const extras = prepared.value.extras?.() ?? null;
    const quantization = quantError === null ? null : { ...quantError, speedupVsF32: null, f32CaseId: null };
    const timingFailed = timingCheck !== null && !timingCheck.passed;
    return finish({
      ...(timingFailed
        ? { status: 'failed' as const, message: `timing check failed: ${timingCheck?.detail ?? ''}` }
        : {}),
      compute,
      utilization,
      timingCheck,
      extras,
      passStartsNs,
      timingStartedAt: new Date(timingStartedAtMs).toISOString(),
      quantization,
      dispatchesPerPass,
      warmupPasses,
      invalidSamples: invalid,
      samplesNs,
      noise,
      summary,
      timer: caseTimer,
      bandwidth,
    });
  } catch (e) {
    return finish({ status: 'error', message: messageOf(e) });
  } finally {
    pool.destroyAll();
    await dispose?.().catch(() => undefined);
  }
}

/**
 * Starts the canary when any case will be timed; where it cannot run, the run goes on without it and
 * says why (`canary: null`, `canaryUnavailable`).
 */
async function openCanary(
  env: RunEnvironment,
  timer: PassTimer,
  result: RunResult,
  planned: readonly Planned[],
  aborted: () => boolean,
): Promise<Canary | null> {
  if (planned.every((p) => p.plan.skipReason !== undefined)) return null;
  try {
    const canary = await startCanary(env.device, env.info.adapterClass === 'cpu', env.loadKernel, timer, aborted);
    result.canary = canary.summary(0);
    return canary;
  } catch (e) {
    result.canary = null;
    result.canaryUnavailable = messageOf(e);
    return null;
  }
}

/** A case is timed again in later rounds when it ran ok, timed by passes (not a self-timed fit). */
function repeatable(c: CaseResult): boolean {
  return c.status === 'ok' && c.noise !== undefined && c.noise.stoppedBy !== 'rounds' && c.samplesNs.length > 0;
}

/** Two rounds of one case as one result: samples pooled, figures and noise recomputed from them. */
function pooledRounds(
  plan: CasePlan,
  earlier: CaseResult,
  next: CaseResult,
  round: number,
  criterion: StoppingCriterion,
  peaks: RunPeaks | undefined,
): CaseResult {
  if (next.status !== 'ok')
    return {
      ...next,
      message: `round ${round + 1}: ${next.message ?? next.status}`,
      durationMs: earlier.durationMs + next.durationMs,
    };
  if (earlier.noise === undefined || next.noise === undefined || earlier.dispatchesPerPass !== next.dispatchesPerPass)
    return earlier;
  const samplesNs = [...earlier.samplesNs, ...next.samplesNs];
  const noise: CaseNoise = {
    ...caseNoise(
      criterion,
      samplesNs,
      earlier.noise.wallMs + next.noise.wallMs,
      next.noise.stoppedBy,
      next.timer?.resolutionNs ?? null,
    ),
    timedOut: earlier.noise.timedOut || next.noise.timedOut,
    rounds: (earlier.noise.rounds ?? 1) + 1,
    roundMediansNs: [
      ...(earlier.noise.roundMediansNs ?? [percentile(earlier.samplesNs, 50)]),
      percentile(next.samplesNs, 50),
    ],
  };
  return {
    ...earlier,
    ...figuresOf(plan, samplesNs, earlier.dispatchesPerPass ?? 1, noise, peaks),
    samplesNs,
    noise,
    passStartsNs: null,
    warmupPasses: earlier.warmupPasses + next.warmupPasses,
    invalidSamples: earlier.invalidSamples + next.invalidSamples,
    durationMs: earlier.durationMs + next.durationMs,
  };
}

/** The figures a device-timed case reports, from its samples and its declared work. */
function figuresOf(
  plan: Pick<CasePlan, 'bytesPerDispatch' | 'bytesCounted' | 'work'>,
  samplesNs: readonly number[],
  dispatchesPerPass: number,
  noise: CaseNoise,
  peaks: RunPeaks | undefined,
): Pick<CaseResult, 'bandwidth' | 'compute' | 'utilization'> & { summary: MetricSummary } {
  const summary = MetricSummary.fromValues(
    'timePerDispatch',
    samplesNs.map((s) => s / dispatchesPerPass),
    'ns',
  );
  // bytes per ns is GB/s.
  // A case whose work is not a fixed number of bytes (a serving session) reports no bandwidth.
  const bandwidth =
    plan.bytesPerDispatch > 0
      ? {
          bytesPerDispatch: plan.bytesPerDispatch,
          bytesCounted: plan.bytesCounted,
          medianGBps: plan.bytesPerDispatch / summary.p50,
          minGBps: plan.bytesPerDispatch / summary.max,
          maxGBps: plan.bytesPerDispatch / summary.min,
        }
      : null;
  const timeS = summary.p50 * 1e-9;
  const compute =
    plan.work === undefined
      ? null
      : {
          flopsPerDispatch: plan.work.flopsPerDispatch,
          flopsFormula: plan.work.formula,
          unit: plan.work.unit,
          achievedTflops: plan.work.flopsPerDispatch / timeS / 1e12,
          arithmeticIntensity: plan.work.flopsPerDispatch / plan.bytesPerDispatch,
        };
  const work = {
    flops: plan.work?.flopsPerDispatch ?? 0,
    unit: plan.work?.unit ?? null,
    bytes: plan.bytesPerDispatch,
    timeS,
  };
  const utilization: Utilization[] = [];
  // Every case that did measurable work, FLOPs or bytes: a compute case without bytes keeps its MFU.
  if (bandwidth !== null || compute !== null) {
    const reached = noise.reached;
    if (peaks?.calibrated) utilization.push(utilizationAgainst('calibrated', peaks.calibrated, work, reached));
    if (peaks?.datasheet) utilization.push(utilizationAgainst('datasheet', peaks.datasheet, work, reached));
  }
  return { summary, bandwidth, compute, utilization };
}

/** A self-timed case's result: its rounds summarised, its fit and timer recorded as it gave them. */
function measuredCase(m: Measurement, startedAtMs: number): Partial<CaseResult> {
  const common = {
    samplesNs: m.samplesNs,
    invalidSamples: m.invalid,
    timer: m.timer,
    extras: m.extras,
    timingCheck: m.timingCheck,
    dispatchesPerPass: 1,
    passStartsNs: null,
  };
  if (m.samplesNs.length === 0)
    return {
      ...common,
      samplesNs: [],
      status: 'error',
      message: `no valid rounds (${m.invalid} invalid); the timer returned nothing usable`,
    };
  const failed = m.timingCheck !== null && !m.timingCheck.passed;
  return {
    ...common,
    ...(failed ? { status: 'failed' as const, message: `timing check failed: ${m.timingCheck?.detail ?? ''}` } : {}),
    summary: MetricSummary.fromValues('timePerDispatch', m.samplesNs, 'ns'),
    timingStartedAt: new Date(startedAtMs).toISOString(),
  };
}

/** Upper bound on samples of a host-timed operation: enough for a p99 on small transfers. */
const MAX_OPERATION_SAMPLES = 1000;

interface Timed {
  samplesNs: number[];
  invalid: number;
  dispatchesPerPass: number;
  warmupPasses: number;
  passStartsNs: number[] | null;
  timingStartedAtMs: number;
  noise: CaseNoise;
}

/**
 * Host-timed operations (transfers): warm up, then sample until the stopping rule says so, and
 * not before the old pass budget (min samples × targetPassMs) has passed on the wall clock, so
 * small blocks still get enough samples for their p99.
 */
async function timeOperations(
  operation: () => Promise<number | null>,
  timing: Timing,
  stop: () => string | null,
  resolutionNs: number,
): Promise<Timed> {
  let invalid = 0;
  const warmupPasses = Math.max(1, timing.warmupPasses);
  for (let i = 0; i < warmupPasses; i++) if ((await operation()) === null) invalid++;
  const samplesNs: number[] = [];
  const starts: number[] = [];
  const timingStartedAtMs = Date.now();
  const t0 = performance.now();
  const criterion = { ...timing.criterion, maxSamples: Math.min(timing.criterion.maxSamples, MAX_OPERATION_SAMPLES) };
  const budgetMs = criterion.rule === 'noise' ? criterion.minSamples * timing.targetPassMs : 0;
  let stoppedBy: StopReason = 'interrupted';
  for (let attempt = 0; ; attempt++) {
    if (stop() !== null) break;
    const wallMs = performance.now() - t0;
    // The attempt bound holds whatever the noise says: a coarse clock (100 µs in a tab) reads most
    // fast operations as 0 ns, and waiting out the budget on those ran 10,000 attempts (97 s).
    if (attempt >= criterion.maxSamples * 2) {
      stoppedBy = 'max-samples';
      break;
    }
    const reason = shouldStop(criterion, samplesNs, wallMs, attempt);
    if (reason !== null && (reason !== 'noise' || wallMs >= budgetMs)) {
      stoppedBy = reason;
      break;
    }
    const startNs = (performance.now() - t0) * 1e6;
    const ns = await operation();
    if (ns === null) invalid++;
    else {
      samplesNs.push(ns);
      starts.push(startNs);
    }
  }
  const noise = caseNoise(criterion, samplesNs, performance.now() - t0, stoppedBy, resolutionNs);
  return { samplesNs, invalid, dispatchesPerPass: 1, warmupPasses, passStartsNs: starts, timingStartedAtMs, noise };
}

async function timeCase(
  encode: (pass: GPUComputePassEncoder, repeats: number) => void,
  timer: PassTimer,
  timing: Timing,
  stop: () => string | null,
): Promise<Timed> {
  let invalid = 0;
  // One single-dispatch pass sizes the work; warm-up then runs at full pass length, since on a
  // GPU the first ~100 ms at a new load still ran at half bandwidth (clocks ramping) on an H100.
  const estimateNs = await timer.timePass((pass) => {
    encode(pass, 1);
  });
  if (estimateNs === null) invalid++;
  let dispatchesPerPass = timing.dispatchesPerPass ?? passSize(estimateNs, 1, timing.targetPassMs, timer.info());
  // After the minimum, warm-up goes on until two passes in a row agree, within a bound: on the
  // H100 the first two full passes after seconds of host-side checking ran at 40% speed.
  let warmupPasses = 0;
  let previous: number | null = null;
  while (warmupPasses < timing.warmupPasses + MAX_EXTRA_WARMUP_PASSES && stop() === null) {
    const ns = await timer.timePass((pass) => {
      encode(pass, dispatchesPerPass);
    });
    warmupPasses++;
    if (ns === null) invalid++;
    const settled = ns !== null && previous !== null && Math.abs(ns - previous) <= WARMUP_SETTLED_FRACTION * previous;
    if (warmupPasses >= timing.warmupPasses && settled) break;
    if (ns !== null) previous = ns;
  }
  // The timer's step is known once it has shown a few timestamps: grow the pass if it is too coarse.
  if (previous !== null && timing.dispatchesPerPass === undefined)
    dispatchesPerPass = Math.max(dispatchesPerPass, passSize(previous, dispatchesPerPass, 0, timer.info()));

  const samplesNs: number[] = [];
  const begins: number[] = [];
  const timingStartedAtMs = Date.now();
  const t0 = performance.now();
  let stoppedBy: StopReason = 'interrupted';
  // Invalid samples count as attempts, within a bound, so a flaky clock cannot stall the run.
  for (let attempt = 0; ; attempt++) {
    if (stop() !== null) break;
    const reason = shouldStop(timing.criterion, samplesNs, performance.now() - t0, attempt);
    if (reason !== null) {
      stoppedBy = reason;
      break;
    }
    const ns = await timer.timePass((pass) => {
      encode(pass, dispatchesPerPass);
    });
    if (ns === null) invalid++;
    else {
      samplesNs.push(ns);
      begins.push(timer.lastBeginNs() ?? Number.NaN);
    }
  }
  const first = begins[0] ?? 0;
  const passStartsNs = begins.every(Number.isFinite) ? begins.map((b) => b - first) : null;
  const noise = caseNoise(timing.criterion, samplesNs, performance.now() - t0, stoppedBy, timer.info().resolutionNs);
  return { samplesNs, invalid, dispatchesPerPass, warmupPasses, passStartsNs, timingStartedAtMs, noise };
}

/**
 * Dispatches per pass: enough for the target pass length, and for the timer's step to stay under
 * 0.1% of a sample (a 65,536 ns quantized step asks for 66 ms passes), within the dispatch cap.
 */
export function passSize(
  measuredNs: number | null,
  dispatchesMeasured: number,
  targetPassMs: number,
  timer: Pick<TimerInfo, 'resolutionNs' | 'rawTimestampsSeen' | 'kind'>,
): number {
  if (measuredNs === null || measuredNs <= 0) return 1;
  const perDispatch = measuredNs / dispatchesMeasured;
  const trustedStep = timer.kind !== 'timestamp-query' || timer.rawTimestampsSeen >= 4;
  const stepPassNs = trustedStep ? timer.resolutionNs / MAX_RESOLUTION_SHARE : 0;
  const wanted = Math.max(targetPassMs * 1e6, stepPassNs) / perDispatch;
  return Math.max(1, Math.min(MAX_DISPATCHES_PER_PASS, Math.round(wanted)));
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
