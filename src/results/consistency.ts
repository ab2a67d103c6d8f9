import { InputError } from '../ci/gateConfig.js';
import { MetricSummary } from '../metrics/summary.js';
import type { RunResult } from './schema.js';

/** Stored statistics must follow from the stored samples to this relative tolerance. */
const SUMMARY_TOLERANCE = 1e-9;
const SUMMARY_FIELDS = ['p50', 'mean', 'min', 'max'] as const;

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= SUMMARY_TOLERANCE * Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);
}

/**
 * What the schema cannot say about a results file, checked once for every command that reads
 * one (report, compare, gate, history): case ids are unique, an ok case carries the samples it
 * was timed with, and its summary is what those samples give, so no gate or history entry can
 * trust a number the samples do not back. Throws an InputError naming the file and the field.
 */
export function checkRunConsistency(run: RunResult, file: string): void {
  const seen = new Map<string, number>();
  run.cases.forEach((c, i) => {
    const first = seen.get(c.id);
    if (first !== undefined)
      throw new InputError(
        file,
        `cases[${i}].id`,
        `case id "${c.id}" appears twice (cases[${first}] and cases[${i}]); a results file holds each case once`,
      );
    seen.set(c.id, i);
    if (c.status !== 'ok') return;
    if (c.samplesNs.length === 0)
      throw new InputError(
        file,
        `cases[${i}].samplesNs`,
        `case "${c.id}" is ok but carries no timed samples; an ok case keeps every sample it was timed with`,
      );
    if (c.summary === null)
      throw new InputError(file, `cases[${i}].summary`, `case "${c.id}" is ok but has no summary of its samples`);
    const perDispatch = c.samplesNs.map((s) => s / (c.dispatchesPerPass ?? 1));
    const want = MetricSummary.fromValues('timePerDispatch', perDispatch, 'ns');
    for (const field of SUMMARY_FIELDS) {
      const got = c.summary[field];
      if (!close(got, want[field])) {
        throw new InputError(
          file,
          `cases[${i}].summary.${field}`,
          `case "${c.id}": ${field} ${got} does not follow from its ${c.samplesNs.length} samples ` +
            `(${want[field]}); the file was edited or damaged`,
        );
      }
    }
    if (c.summary.count !== perDispatch.length)
      throw new InputError(
        file,
        `cases[${i}].summary.count`,
        `case "${c.id}": count ${c.summary.count} but ${perDispatch.length} samples`,
      );
  });
}

/** Whether a run finished: a gate or baseline built on a crashed run would judge half a run. */
export function isComplete(run: RunResult): boolean {
  return run.status === 'complete';
}
