import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { TimerInfo } from '../gpu/timer.js';
import { PEAK_UNIT_LABEL, type PeakUnit } from '../probe/peaks.js';
import { describeCanary, deviceDriver, deviceFacts, deviceTitle } from '../reporters/describe.js';
import { formatNs } from '../reporters/format.js';
import type { CaseResult, RunPeaks, RunResult } from '../results/schema.js';
import { percentCell, type Percent } from './tables.js';
import { formatScaled } from './units.js';

/** One figure a person came for, beside what the datasheet says and the share of it reached. */
export interface Card {
  key: string;
  title: string;
  /** Whether `value` is a figure: readers pick cards by this, never by the words of `value`. */
  state: 'measured' | 'not-measured' | 'unavailable';
  value: string;
  /** Where the value comes from (a case's name, or the calibration). */
  from: string;
  /** The datasheet's figure, or why there is none. */
  datasheet: string;
  /** MFU or MBU against the datasheet (else the calibrated peak), flagged above 100%. */
  share: (Percent & { label: string }) | null;
  /** Said plainly when the figure needs care (quantized timer) or is missing (what to run). */
  warning: string | null;
}

export interface Headline {
  title: string;
  facts: string;
  driver: string | null;
  run: string | null;
  /** Which launch shapes were tuned on this device (the store), or ran tuned (a run). */
  tuning: string | null;
  /** The run's canary: held still, or moved and beside how many cases (src/runner/canary.ts). */
  canary: string | null;
  /** Whether the canary moved past some case's noise: the line is a warning then. */
  canaryMoved: boolean;
  cards: Card[];
}

/** What a headline is made from: a run, or (before any run) the probed device. */
export interface HeadlineInput {
  device: Pick<
    DeviceInfo,
    | 'vendor'
    | 'architecture'
    | 'device'
    | 'description'
    | 'backend'
    | 'adapterClass'
    | 'featureLevel'
    | 'subgroupMatrixConfigs'
    | 'adapterFeatures'
  >;
  timer: TimerInfo | null;
  peaks: RunPeaks | null;
  cases: CaseResult[];
  run: Pick<RunResult, 'status' | 'startedAt' | 'tool' | 'options' | 'canary' | 'canaryUnavailable'> | null;
  tuning: string | null;
}

const isInt = (u: PeakUnit): boolean => u === 'int8Dot4' || u === 'matrixInt8';
const opUnit = (u: PeakUnit): string => (isInt(u) ? 'OP/s' : 'FLOP/s');
const SHORT: Record<PeakUnit, string> = {
  fp32: 'FP32',
  fp16: 'FP16',
  int8Dot4: 'INT8 dot4',
  matrixF16: 'FP16 matrix',
  matrixInt8: 'INT8 matrix',
};

type Ok = CaseResult & { status: 'ok' };
const okCases = (cases: CaseResult[]): Ok[] => cases.filter((c): c is Ok => c.status === 'ok');
const best = <T>(list: T[], by: (x: T) => number): T | undefined =>
  list.reduce<T | undefined>((b, x) => (b === undefined || by(x) > by(b) ? x : b), undefined);

function share(c: CaseResult, metric: 'mfu' | 'mbu'): Card['share'] {
  const u =
    c.utilization?.find((x) => x.against === 'datasheet' && x[metric] !== null) ??
    c.utilization?.find((x) => x[metric] !== null);
  if (u === undefined) return null;
  const noise = (metric === 'mfu' ? u.mfuNoise : u.mbuNoise) ?? null;
  return { ...percentCell(u[metric], noise), label: `${metric.toUpperCase()} vs ${u.against}` };
}

/** Why a card has no figure: what to run, or that the adapter cannot run it at all. */
interface Missing {
  unavailable: boolean;
  why: string;
}
const toRun = (why: string): Missing => ({ unavailable: false, why });
const unavailable = (why: string): Missing => ({ unavailable: true, why: `not available: ${why}` });

function computeCard(
  key: string,
  title: string,
  unit: PeakUnit,
  c: Ok | undefined,
  input: HeadlineInput,
  missing: Missing,
): Card {
  const sheet = input.peaks?.datasheet?.compute[unit];
  const datasheet =
    sheet === undefined
      ? 'no datasheet figure for this device'
      : `datasheet ${formatScaled(sheet.tflops * 1e12, opUnit(unit))}`;
  if (c?.compute)
    return {
      key,
      title,
      state: 'measured',
      value: formatScaled(c.compute.achievedTflops * 1e12, opUnit(unit)),
      from: c.name,
      datasheet,
      share: share(c, 'mfu'),
      warning: null,
    };
  const cal = input.peaks?.calibrated;
  const calibrated = cal?.compute[unit];
  if (cal && calibrated !== undefined)
    return {
      key,
      title,
      state: 'measured',
      value: formatScaled(calibrated.tflops * 1e12, opUnit(unit)),
      from: `calibrated ${cal.measuredAt.slice(0, 10)}`,
      datasheet,
      share: sheet === undefined ? null : { ...percentCell(calibrated.tflops / sheet.tflops), label: 'of datasheet' },
      warning: null,
    };
  return {
    key,
    title,
    state: missing.unavailable ? 'unavailable' : 'not-measured',
    value: missing.unavailable ? 'not available' : 'not measured',
    from: '',
    datasheet,
    share: null,
    warning: missing.why,
  };
}

/** The served LLM's output rate: tokens per second over the serving window (docs/metrics.md). */
function decodeCard(ok: Ok[]): Card | null {
  const serving = ok.filter(
    (c) =>
      c.suite === 'llm' &&
      typeof (c.extras?.['metrics'] as { tokensPerSecond?: unknown } | undefined)?.tokensPerSecond === 'number',
  );
  const c = best(serving, (x) => (x.extras?.['metrics'] as { tokensPerSecond: number }).tokensPerSecond);
  if (c === undefined) return null;
  const rate = (c.extras?.['metrics'] as { tokensPerSecond: number }).tokensPerSecond;
  return {
    key: 'decode',
    title: 'LLM serving',
    state: 'measured',
    value: `${rate.toPrecision(3)} tokens/s`,
    from: c.name,
    datasheet: '',
    share: null,
    warning: null,
  };
}

function bandwidthCard(input: HeadlineInput): Card {
  const copies = okCases(input.cases).filter((c) => c.suite === 'memcopy' && c.bandwidth);
  const dram = copies.filter((c) => c.params['region'] !== 'cache-sweep');
  const c = best(dram.length > 0 ? dram : copies, (x) => x.bandwidth?.medianGBps ?? 0);
  const sheet = input.peaks?.datasheet?.bandwidth;
  const datasheet = sheet
    ? `datasheet ${formatScaled(sheet.gbps * 1e9, 'B/s')}`
    : 'no datasheet figure for this device';
  const title = 'Memory bandwidth';
  if (c?.bandwidth) {
    const cacheOnly = dram.length === 0 ? 'every buffer fits in cache: this is cache bandwidth' : null;
    return {
      key: 'bandwidth',
      title,
      state: 'measured',
      value: formatScaled(c.bandwidth.medianGBps * 1e9, 'B/s'),
      from: c.name,
      datasheet,
      share: share(c, 'mbu'),
      warning: cacheOnly,
    };
  }
  const cal = input.peaks?.calibrated;
  if (cal?.bandwidth)
    return {
      key: 'bandwidth',
      title,
      state: 'measured',
      value: formatScaled(cal.bandwidth.gbps * 1e9, 'B/s'),
      from: `calibrated ${cal.measuredAt.slice(0, 10)}`,
      datasheet,
      share: sheet ? { ...percentCell(cal.bandwidth.gbps / sheet.gbps), label: 'of datasheet' } : null,
      warning: null,
    };
  return {
    key: 'bandwidth',
    title,
    state: 'not-measured',
    value: 'not measured',
    from: '',
    datasheet,
    share: null,
    warning: 'run the memcopy suite',
  };
}

function timerCard(timer: TimerInfo | null): Card {
  if (timer === null)
    return {
      key: 'timer',
      title: 'Timer',
      state: 'not-measured',
      value: 'unknown',
      from: '',
      datasheet: '',
      share: null,
      warning: 'the device was not probed',
    };
  const value =
    timer.kind === 'timestamp-query'
      ? 'GPU timestamps'
      : timer.kind === 'host-wall'
        ? 'host clock'
        : 'CPU around submit';
  const warning = timer.quantized
    ? `timestamps are quantized to ${formatNs(timer.resolutionNs)}: a kernel shorter than ~100× that carries ` +
      `a visible error`
    : timer.kind === 'timestamp-query'
      ? null
      : 'no GPU timestamps on this device: times include submit and wait overhead';
  return {
    key: 'timer',
    title: 'Timer',
    state: 'measured',
    value,
    from: `resolution ${formatNs(timer.resolutionNs)}`,
    datasheet: timer.method,
    share: null,
    warning,
  };
}

/** The headline and its cards, for a finished run or for the device alone before any run. */
export function headline(input: HeadlineInput): Headline {
  const ok = okCases(input.cases);
  const peakCase = (unit: PeakUnit): Ok | undefined =>
    best(
      ok.filter((c) => c.suite === 'peak' && c.compute?.unit === unit),
      (c) => c.compute?.achievedTflops ?? 0,
    );
  const hint = toRun(input.cases.length === 0 ? 'press Run (peak suite)' : 'run the peak suite');
  const noF16 = !input.device.adapterFeatures.includes('shader-f16');
  const cards: Card[] = [
    bandwidthCard(input),
    computeCard('fp32', 'FP32 peak', 'fp32', peakCase('fp32'), input, hint),
    computeCard(
      'fp16',
      'FP16 peak',
      'fp16',
      peakCase('fp16'),
      input,
      noF16 ? unavailable('this adapter has no shader-f16 feature') : hint,
    ),
  ];
  const gemms = ok.filter((c) => c.suite === 'matmul' && c.compute);
  for (const unit of [...new Set(gemms.map((c) => c.compute?.unit))].filter((u): u is PeakUnit => u !== undefined)) {
    cards.push(
      computeCard(
        `gemm-${unit}`,
        `Best GEMM · ${SHORT[unit]}`,
        unit,
        best(
          gemms.filter((c) => c.compute?.unit === unit),
          (c) => c.compute?.achievedTflops ?? 0,
        ),
        input,
        toRun('run the matmul suite'),
      ),
    );
  }
  // Figures of the suites that ran, when they did: dot4, attention and the LLM's decode rate.
  const dot4 = peakCase('int8Dot4');
  if (dot4 !== undefined) cards.push(computeCard('int8Dot4', 'INT8 dot4 peak', 'int8Dot4', dot4, input, hint));
  const attention = best(
    ok.filter((c) => c.suite === 'attention' && c.compute),
    (c) => c.compute?.achievedTflops ?? 0,
  );
  if (attention?.compute)
    cards.push(
      computeCard(
        'attention',
        `Attention · ${SHORT[attention.compute.unit]}`,
        attention.compute.unit,
        attention,
        input,
        toRun('run the attention suite'),
      ),
    );
  const decode = decodeCard(ok);
  if (decode !== null) cards.push(decode);
  const matrixUnits = (['matrixF16', 'matrixInt8'] as const).filter(
    (u) =>
      peakCase(u) !== undefined ||
      input.peaks?.calibrated?.compute[u] !== undefined ||
      input.peaks?.datasheet?.compute[u] !== undefined,
  );
  if (matrixUnits.length === 0 && input.device.subgroupMatrixConfigs.length === 0) {
    cards.push({
      key: 'matrix',
      title: 'Matrix units',
      state: 'unavailable',
      value: 'not reachable',
      from: 'this adapter lists no subgroup-matrix configs',
      datasheet: '',
      share: null,
      warning: null,
    });
  }
  for (const unit of matrixUnits)
    cards.push(
      computeCard(
        unit,
        `${PEAK_UNIT_LABEL[unit].replace(' (dense)', '').replace(' (dense, TOP/s)', '')} peak`,
        unit,
        peakCase(unit),
        input,
        input.device.subgroupMatrixConfigs.length === 0
          ? unavailable('this adapter lists no subgroup-matrix configs')
          : hint,
      ),
    );
  cards.push(timerCard(input.timer));
  const r = input.run;
  return {
    title: deviceTitle(input.device),
    facts: deviceFacts(input.device).join(' · '),
    driver: deviceDriver(input.device),
    tuning: input.tuning,
    canary: r === null ? null : describeCanary({ ...r, cases: input.cases }),
    canaryMoved: (r?.canary?.touchedCases ?? 0) > 0,
    run:
      r === null
        ? null
        : `${r.status} run of ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} · wgbench ` +
          `${r.tool.version}${r.options.quick ? ' · quick mode' : ''} · ${r.options.suites.join(', ')}`,
    cards,
  };
}

export function headlineOfRun(run: RunResult): Headline {
  const tuned = run.cases.filter((c) => c.params['source'] === 'tuned').length;
  const tuning =
    tuned === 0
      ? null
      : `${String(tuned)} case${tuned === 1 ? '' : 's'} ran on launch shapes tuned on this device (wgbench tune)`;
  return headline({ device: run.device, timer: run.timer, peaks: run.peaks ?? null, cases: run.cases, run, tuning });
}
