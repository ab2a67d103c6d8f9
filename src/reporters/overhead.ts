import type { CaseResult, RunResult } from '../results/schema.js';
import { formatNs } from './format.js';

/** One row of the overhead table, as text, shared by the console, Markdown and HTML reports. */
export interface OverheadRow {
  id: string;
  name: string;
  status: CaseResult['status'];
  /** "per dispatch (fitted)" or "per call". */
  what: string;
  median: string;
  p99: string;
  n: string;
  /** Fixed cost and R² of a fitted case; the size fit of a transfer; blank otherwise. */
  fit: string;
  timer: string;
  note: string;
}

interface Fit {
  slopeNs: number;
  interceptNs: number;
  r2: number;
  points: number;
}
interface OverSizes {
  fixedNs: number;
  gbps: number | null;
  r2: number;
}

/** The overhead suite's cases as rows: fitted costs show their line, per-call ones their p99. */
export function overheadRows(run: Pick<RunResult, 'cases'>): OverheadRow[] {
  return run.cases
    .filter((c) => c.suite === 'overhead')
    .map((c) => {
      const fit = c.extras?.['fit'] as Fit | undefined;
      const sizes = c.extras?.['overSizes'] as OverSizes | undefined;
      const item = typeof c.extras?.['item'] === 'string' ? c.extras['item'] : null;
      const s = c.summary;
      const vs = c.extras?.['vsPlainDispatch'];
      const fitText = fit
        ? `slope ${formatNs(fit.slopeNs)}, intercept ${formatNs(fit.interceptNs)}, R² ${fit.r2.toFixed(3)} ` +
          `(${fit.points} points)`
        : sizes
          ? `over sizes: ${formatNs(sizes.fixedNs)} ` +
            `fixed${sizes.gbps === null ? '' : ` + ${sizes.gbps.toFixed(2)} GB/s`}, R² ${sizes.r2.toFixed(3)}`
          : '';
      const notes = [
        typeof vs === 'number' ? `${vs.toFixed(2)}× a plain dispatch` : '',
        typeof c.extras?.['timerNote'] === 'string' ? 'host-timed: no timestamp-query' : '',
        c.timingCheck?.verdict === 'noisy' ? 'noisy fit' : '',
        // Browsers coarsen performance.now() (100 µs in Chromium without cross-origin isolation).
        c.timer?.quantized === true
          ? `clock steps of ${formatNs(c.timer.resolutionNs)}: figures below that are not resolved`
          : '',
        c.status === 'ok' ? '' : (c.message ?? c.status),
      ].filter((x) => x !== '');
      return {
        id: c.id,
        name: c.name,
        status: c.status,
        what: item === null ? 'per call' : `per ${item} (fitted)`,
        median: s ? formatNs(s.p50) : '—',
        p99: s ? `${formatNs(s.p99)}${s.lowConfidence.p99 ? '*' : ''}` : '—',
        n: s ? `${s.count}${item === null ? '' : ' rounds'}` : '—',
        fit: fitText,
        timer: c.timer?.kind ?? '—',
        note: notes.join('; '),
      };
    });
}

/** The llm decode step's share of time in per-dispatch cost, as one sentence, or null. */
export function describeDecodeOverhead(c: CaseResult): string | null {
  const o = c.extras?.['overhead'] as
    | {
        dispatches: number;
        perDispatchNs: number | null;
        estimatedNs: number | null;
        shareOfStep: number | null;
        bound: string | null;
      }
    | undefined;
  if (o === undefined) return null;
  if (o.shareOfStep === null || o.perDispatchNs === null || o.estimatedNs === null)
    return (
      `${c.id}: ${o.dispatches} dispatches; no per-dispatch cost could be measured, so no overhead share is ` +
      `claimed`
    );
  const verdict =
    o.bound === 'dispatch-overhead'
      ? 'bound by per-dispatch overhead, not by bandwidth'
      : 'bound by its work more than by dispatch overhead';
  return (
    `${c.id}: ${o.dispatches} dispatches × ${formatNs(o.perDispatchNs)} = ${formatNs(o.estimatedNs)}, ` +
    `${(o.shareOfStep * 100).toFixed(1)}% of the step — ${verdict}`
  );
}
