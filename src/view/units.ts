import { formatBytes } from '../reporters/format.js';

/** A unit prefix chosen for the data on an axis: values are divided by `factor` to be shown. */
export interface UnitScale {
  prefix: string;
  factor: number;
}

const PREFIXES: UnitScale[] = [
  { prefix: 'P', factor: 1e15 },
  { prefix: 'T', factor: 1e12 },
  { prefix: 'G', factor: 1e9 },
  { prefix: 'M', factor: 1e6 },
  { prefix: 'k', factor: 1e3 },
  { prefix: '', factor: 1 },
];

/** The largest prefix under which the largest value still reads as 1 or more (12.3 GFLOP/s, not 0.0123 TFLOP/s). */
export function scaleFor(maxValue: number): UnitScale {
  return PREFIXES.find((p) => maxValue >= p.factor) ?? { prefix: '', factor: 1 };
}

/** A number with three significant figures and no float noise (0.1, 20.6, 1,000). */
export function tidyNumber(v: number): string {
  if (v === 0) return '0';
  const rounded = Number(v.toPrecision(3));
  return Math.abs(rounded) >= 1000 ? rounded.toLocaleString('en-US') : String(rounded);
}

/** A value in base units (FLOP/s, B/s) with its prefix: "12.3 GFLOP/s". */
export function formatScaled(valueBase: number, unit: string): string {
  const s = scaleFor(Math.abs(valueBase));
  return `${tidyNumber(valueBase / s.factor)} ${s.prefix}${unit}`;
}

export interface Tick {
  value: number;
  label: string;
}

export function decadeFloor(v: number): number {
  return 10 ** Math.floor(Math.log10(v));
}

export function decadeCeil(v: number): number {
  return 10 ** Math.ceil(Math.log10(v));
}

/**
 * Ticks for a log axis: one per decade, labelled once each. Across fewer than two decades the
 * 2 and 5 of each decade join them, so an axis never has fewer than three labels.
 */
export function logTicks(min: number, max: number): Tick[] {
  const lo = Math.floor(Math.log10(min) + 1e-9);
  const hi = Math.ceil(Math.log10(max) - 1e-9);
  const mantissas = Math.log10(max / min) < 2 ? [1, 2, 5] : [1];
  const ticks: Tick[] = [];
  for (let e = lo; e <= hi; e++) {
    for (const m of mantissas) {
      const value = Number((m * 10 ** e).toPrecision(12));
      if (value >= min * (1 - 1e-9) && value <= max * (1 + 1e-9)) ticks.push({ value, label: tidyNumber(value) });
    }
  }
  return ticks;
}

/** Ticks for a linear axis from `min` to at least `max`, on steps of 1, 2 or 5 × 10ⁿ. */
export function linearTicks(min: number, max: number, target = 6): Tick[] {
  const span = max > min ? max - min : Math.abs(max) || 1;
  const raw = span / target;
  const base = decadeFloor(raw);
  const step = ([1, 2, 5, 10].find((m) => m * base >= raw) ?? 10) * base;
  const ticks: Tick[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 0.999; v += step) {
    const value = Number(v.toPrecision(12));
    ticks.push({ value, label: tidyNumber(value) });
  }
  return ticks;
}

/** Byte sizes as ticks (the sizes a sweep measured), labelled in KiB … GiB. */
export function byteTicks(sizes: number[]): Tick[] {
  return [...new Set(sizes)].sort((a, b) => a - b).map((value) => ({ value, label: formatBytes(value) }));
}
