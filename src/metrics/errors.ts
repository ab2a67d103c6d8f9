/** Why a metric could not be computed; callers can switch on `code` instead of parsing messages. */
export type MetricErrorCode =
  'EMPTY_SAMPLES' | 'NON_FINITE' | 'NON_POSITIVE_DURATION' | 'NOT_STARTED' | 'INVALID_ARGUMENT';

export class MetricError extends Error {
  readonly code: MetricErrorCode;

  constructor(code: MetricErrorCode, message: string) {
    super(message);
    this.name = 'MetricError';
    this.code = code;
  }
}

export function requireFinite(name: string, value: number): number {
  if (!Number.isFinite(value)) {
    throw new MetricError('NON_FINITE', `${name} must be a finite number, got ${String(value)}`);
  }
  return value;
}

export function requirePositiveDuration(name: string, value: number): number {
  requireFinite(name, value);
  if (value <= 0) {
    throw new MetricError(
      'NON_POSITIVE_DURATION',
      `${name} must be > 0 to compute a rate, got ${value}; measure a longer window or check the clock`,
    );
  }
  return value;
}

export function requireNonNegative(name: string, value: number): number {
  requireFinite(name, value);
  if (value < 0) {
    throw new MetricError('INVALID_ARGUMENT', `${name} must be >= 0, got ${value}`);
  }
  return value;
}

export function requireNonNegativeInteger(name: string, value: number): number {
  requireNonNegative(name, value);
  if (!Number.isInteger(value)) {
    throw new MetricError('INVALID_ARGUMENT', `${name} must be an integer, got ${value}`);
  }
  return value;
}
