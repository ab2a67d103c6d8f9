import type { DeviceInfo } from '../gpu/adapterInfo.js';
import type { TimerInfo } from '../gpu/timer.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { formatNs, formatNumber } from './format.js';
import { percentile } from '../metrics/summary.js';

type DeviceNaming = Pick<
  DeviceInfo,
  'description' | 'device' | 'vendor' | 'architecture' | 'backend' | 'adapterClass' | 'featureLevel'
>;

/** How vendors write the words that Dawn's lower-case, dash-joined device names flatten. */
const PROPER: Record<string, string> = {
  nvidia: 'NVIDIA',
  amd: 'AMD',
  ati: 'ATI',
  intel: 'Intel',
  apple: 'Apple',
  google: 'Google',
  arm: 'Arm',
  qualcomm: 'Qualcomm',
  mesa: 'Mesa',
  microsoft: 'Microsoft',
  imagination: 'Imagination',
  samsung: 'Samsung',
  geforce: 'GeForce',
  quadro: 'Quadro',
  radeon: 'Radeon',
  instinct: 'Instinct',
  arc: 'Arc',
  iris: 'Iris',
  adreno: 'Adreno',
  mali: 'Mali',
  swiftshader: 'SwiftShader',
  llvmpipe: 'llvmpipe',
  lavapipe: 'lavapipe',
  software: 'software',
  hopper: 'Hopper',
  ampere: 'Ampere',
  ada: 'Ada',
  turing: 'Turing',
  blackwell: 'Blackwell',
  rdna: 'RDNA',
  cdna: 'CDNA',
  xe: 'Xe',
  bits: 'bits',
  graphics: 'Graphics',
  tesla: 'Tesla',
  llvm: 'LLVM',
};

/** A name as a person writes it: Dawn's slugs ("nvidia-h100-80gb-hbm3") spelled out, others kept. */
export function properName(s: string): string {
  const trimmed = s.trim();
  if (!/^[a-z0-9][a-z0-9-]*$/.test(trimmed)) return trimmed;
  // A version flattened into three numeric tokens ("llvm-15-0-6") gets its dots back.
  const tokens = trimmed.split('-').filter((t) => t !== '');
  const words: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const run = tokens.slice(i, i + 3);
    if (run.length === 3 && run.every((t) => /^\d+$/.test(t))) {
      words.push(run.join('.'));
      i += 2;
      continue;
    }
    const t = tokens[i] ?? '';
    words.push(
      PROPER[t] ?? (/\d/.test(t) || t.length <= 3 ? t.toUpperCase() : `${t.charAt(0).toUpperCase()}${t.slice(1)}`),
    );
  }
  return words.join(' ');
}

/**
 * The device's name for a headline: the device, else vendor and architecture, else what kind of
 * adapter it is. Never empty and never "?": browsers leave device and description blank.
 */
export function deviceTitle(
  info: Pick<DeviceInfo, 'device' | 'vendor' | 'architecture'> & { adapterClass?: DeviceInfo['adapterClass'] },
): string {
  if (info.device.trim() !== '') return properName(info.device);
  const maker = [info.vendor, info.architecture].map((s) => s.trim()).filter((s) => s !== '');
  if (info.architecture.trim() !== '') return maker.map(properName).join(' ');
  if (info.vendor.trim() !== '')
    return `${properName(info.vendor)} ${info.adapterClass === 'cpu' ? 'CPU adapter' : 'GPU'}`;
  return info.adapterClass === 'cpu' ? 'CPU adapter (unnamed)' : 'GPU (unnamed by the browser)';
}

/** What the headline's second line says: maker, architecture, API path and adapter class. */
export function deviceFacts(info: DeviceNaming): string[] {
  const facts: string[] = [];
  if (info.vendor.trim() !== '') facts.push(`vendor ${info.vendor}`);
  if (info.architecture.trim() !== '') facts.push(`architecture ${info.architecture}`);
  facts.push(
    `via ${info.backend}`,
    info.adapterClass === 'cpu' ? 'CPU adapter' : 'GPU',
    `${info.featureLevel} features`,
  );
  return facts;
}

/** The driver's description on its own line, or null when the adapter gives none. */
export function deviceDriver(info: Pick<DeviceInfo, 'description'>): string | null {
  return info.description.trim() === '' ? null : info.description.trim();
}

/** The device's name with its driver beside it, for lists of runs from many machines. */
export function deviceWithDriver(
  info: Pick<DeviceInfo, 'device' | 'vendor' | 'architecture' | 'description' | 'adapterClass'>,
): string {
  const driver = deviceDriver(info);
  return driver === null ? deviceTitle(info) : `${deviceTitle(info)} (${driver})`;
}

export function describeDevice(info: DeviceNaming): string {
  const maker = [info.vendor, info.architecture].filter((x) => x.trim() !== '').join(' / ');
  const driver = deviceDriver(info);
  return (
    `${deviceTitle(info)}${maker === '' ? '' : ` [${maker}]`}${driver === null ? '' : ` (${driver})`} via ` +
    `${info.backend} (${info.adapterClass === 'cpu' ? 'CPU adapter' : 'GPU'}, ${info.featureLevel})`
  );
}

export function describeTimer(t: TimerInfo): string {
  const q = t.quantized ? `, QUANTIZED to ${formatNs(t.resolutionNs)}` : '';
  return `${t.kind} (resolution ${formatNs(t.resolutionNs)}${q})`;
}

/** FLOP/s with a unit that keeps three significant figures readable, from GFLOP/s to TFLOP/s. */
export function formatFlops(tflops: number, integer = false): string {
  const unit = integer ? 'OP/s' : 'FLOP/s';
  return tflops >= 1 ? `${tflops.toFixed(1)} T${unit}` : `${(tflops * 1000).toPrecision(3)} G${unit}`;
}

/**
 * What a case achieved, in the unit of its work: FLOP/s, OP/s for integer work, GB/s for
 * bandwidth-only cases; null when it measured neither. The table and the progress line share it.
 */
export function describeAchieved(c: Pick<CaseResult, 'compute' | 'bandwidth'>): string | null {
  if (c.compute)
    return formatFlops(c.compute.achievedTflops, c.compute.unit === 'matrixInt8' || c.compute.unit === 'int8Dot4');
  if (c.bandwidth) return `${formatNumber(c.bandwidth.medianGBps)} GB/s`;
  return null;
}

/**
 * A case's noise as a table shows it: "±0.8%", the half-width of its median's 95% interval; "†"
 * when it stopped at its time or sample limit before its target. Null without a noise record.
 */
export function describeNoise(c: Pick<CaseResult, 'noise'>): string | null {
  const n = c.noise;
  if (n === undefined) return null;
  if (n.reached === null) return `n=${n.samples}, too few`;
  const pct = n.reached * 100;
  return `±${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%${n.timedOut ? '†' : ''}`;
}

/**
 * A table's spread cell: the median's noise (older files: the cv), and ≈ where the canary moved past
 * it beside the case (describeCanary's line says what that means).
 */
export function describeSpread(c: Pick<CaseResult, 'noise' | 'canary' | 'summary'>): string {
  const cv = c.summary?.cv;
  const spread = describeNoise(c) ?? (cv === null || cv === undefined ? '—' : `cv ${(cv * 100).toFixed(1)}%`);
  return c.canary?.touched === true ? `${spread} ≈` : spread;
}

/** A canary whose reference reading is noisier than this cannot show the moves it is read for. */
const UNSTEADY_CANARY = 0.1;

/**
 * One line on the run's canary (src/runner/canary.ts): whether it held still, and if not, how far it
 * moved and how many cases ran beside a move past their noise (≈ in the tables).
 */
export function describeCanary(run: Pick<RunResult, 'canary' | 'canaryUnavailable' | 'cases'>): string | null {
  if (run.canary === undefined) return null;
  if (run.canary === null)
    return run.canaryUnavailable === undefined ? null : `canary: not read (${run.canaryUnavailable})`;
  const { maxDriftPct, readings, reference, touchedCases } = run.canary;
  const pct = (x: number): string => `${x > 0 ? '+' : ''}${x.toFixed(1)}%`;
  const own = reference.noise === null ? '' : `, its own noise ±${(reference.noise * 100).toFixed(1)}%`;
  const beside = run.cases.filter((c) => c.canary !== undefined).length;
  if (touchedCases === 0 && reference.noise !== null && reference.noise > UNSTEADY_CANARY)
    return (
      `canary: unsteady (its fastest reading's own noise ±${(reference.noise * 100).toFixed(0)}%): the device is ` +
      `busy or its clock unsteady, and moves smaller than that go unseen`
    );
  if (touchedCases === 0)
    return (
      `canary: held still — at most ${pct(maxDriftPct)} above its fastest reading over ${readings.length} ` +
      `readings${own}`
    );
  return (
    `canary: MOVED ${pct(maxDriftPct)} above its fastest reading (clock or neighbours${own}); ${touchedCases} of ` +
    `${beside} cases ran beside a move past their noise (≈): their figures may carry it, and compare calls ` +
    `their changes ambiguous`
  );
}

/** One line on a run's noise: how many cases reached their target, and the limit the others hit. */
export function describeRunNoise(run: Pick<RunResult, 'cases' | 'options'>): string | null {
  const timed = run.cases.filter((c) => c.status === 'ok' && c.noise !== undefined);
  const stopping = run.options.stopping;
  if (timed.length === 0 || stopping === undefined) return null;
  const reached = timed.map((c) => c.noise?.reached).filter((r): r is number => r !== null && r !== undefined);
  const median = reached.length === 0 ? null : percentile(reached, 50);
  const typical = median === null ? '' : `; median noise ±${(median * 100).toFixed(1)}%`;
  if (stopping.rule === 'fixed-passes')
    return `noise: ${stopping.minSamples} fixed passes per case (--passes)${typical}`;
  const late = timed.filter((c) => c.noise?.timedOut === true).length;
  return (
    `noise: ${timed.length - late} of ${timed.length} timed cases reached ` +
    `±${(stopping.noiseTarget * 100).toFixed(1)}% ` +
    `(95% interval of the median)${typical}` +
    (late === 0 ? '' : `; † ${late} stopped at the ${formatLimit(stopping.maxTimeMs)} limit first`)
  );
}

function formatLimit(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${ms} ms`;
}
