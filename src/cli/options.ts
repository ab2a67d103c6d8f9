import { InvalidArgumentError } from 'commander';

/**
 * Numeric command-line values, parsed strictly: plain decimal digits only, within bounds that
 * make sense for the option. `Number()` alone takes "0x10", "1e12", " 5" and "Infinity".
 */
const DECIMAL_INTEGER = /^\d+$/;
const DECIMAL_NUMBER = /^(\d+(\.\d*)?|\.\d+)$/;

export function boundedInteger(name: string, min: number, max: number, why = '') {
  return (value: string): number => {
    const n = DECIMAL_INTEGER.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        `${name} takes a whole number from ${min} to ${max}${why === '' ? '' : ` (${why})`}, written in ` +
          `decimal digits; got "${value}"`,
      );
    }
    return n;
  };
}

/** A decimal number in [min, max], or in (min, max) with `exclusive`. */
export function boundedNumber(
  name: string,
  min: number,
  max: number,
  options: { exclusive?: boolean; why?: string } = {},
) {
  return (value: string): number => {
    const n = DECIMAL_NUMBER.test(value) ? Number(value) : Number.NaN;
    const inside = options.exclusive === true ? n > min && n < max : n >= min && n <= max;
    if (!Number.isFinite(n) || !inside) {
      const range = options.exclusive === true ? `between ${min} and ${max} (exclusive)` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(
        `${name} takes a number ${range}${options.why === undefined ? '' : ` (${options.why})`}; got "${value}"`,
      );
    }
    return n;
  };
}

/** Bounds of the run options: a run must end, and a seed must fit the generators' 32 bits. */
export const RUN_BOUNDS = {
  passes: [1, 10_000],
  warmup: [0, 1_000],
  targetPassMs: [1, 60_000],
  seed: [0, 2 ** 32 - 1],
  /** Percent: below 0.01% no timer resolves it; above 50% the median means little. */
  noisePct: [0.01, 50],
  caseTimeMs: [0, 600_000],
} as const;

/** A label recorded with a run (--label): 1 to 200 printable characters. */
export function runLabel(value: string): string {
  // eslint-disable-next-line no-control-regex -- a label must carry no control character into files and terminals
  if (value.trim() === '' || value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new InvalidArgumentError(
      `--label takes 1 to 200 printable characters (a build name, a PR number); got ` +
        JSON.stringify(value.slice(0, 40)),
    );
  }
  return value;
}
