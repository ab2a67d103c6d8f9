import { overPeak } from '../metrics/utilization.js';
import type { CaseResult } from '../results/schema.js';
import { describeAchieved, describeSpread } from '../reporters/describe.js';
import { formatNs } from '../reporters/format.js';

/** A share of a peak as shown: above 100% is flagged (a peak below what was reached), never clipped. */
export interface Percent {
  text: string;
  over: boolean;
}

/** A share; `noise` (the case's and the peak's) is how far above 100% is still within measurement. */
export function percentCell(v: number | null | undefined, noise: number | null = null): Percent {
  if (v === null || v === undefined) return { text: '—', over: false };
  return { text: `${(v * 100).toFixed(1)}%`, over: overPeak(v, noise) };
}

export const OVER_100_NOTE =
  'above 100% by more than the noise: the peak it is divided by is below what this case reached ' +
  '(flagged, not clipped)';

/** One measured (or failed) case as the page and the report show it: the CLI's friendly name and cells. */
export interface CaseRow {
  id: string;
  name: string;
  status: CaseResult['status'];
  statusText: string;
  check: string;
  median: string;
  spread: string;
  achieved: string;
  mfu: Percent;
  mbu: Percent;
  bound: string;
  message: string | null;
}

export const CASE_COLUMNS = [
  'case',
  'status',
  'check',
  'median / dispatch',
  'spread',
  'achieved',
  'MFU',
  'MBU',
  'bound',
] as const;

export function caseRow(c: CaseResult): CaseRow {
  const u = c.utilization?.[0];
  const s = c.summary;
  return {
    id: c.id,
    name: c.name,
    status: c.status,
    statusText: c.status === 'ok' ? 'ok' : c.status.toUpperCase(),
    check: c.check === null ? '—' : c.check.passed ? 'pass' : 'FAIL',
    median: s === null ? '—' : formatNs(s.p50),
    spread: s === null ? '—' : c.timer?.kind === 'host-wall' ? `p99 ${formatNs(s.p99)}` : describeSpread(c),
    achieved: describeAchieved(c) ?? '—',
    mfu: percentCell(u?.mfu, u?.mfuNoise ?? null),
    mbu: percentCell(u?.mbu, u?.mbuNoise ?? null),
    bound: u?.bound ?? '—',
    message: c.status === 'ok' ? null : (c.message ?? null),
  };
}

/** Cases skipped for one reason, folded into one line. */
export interface SkipGroup {
  reason: string;
  names: string[];
}

export function skipGroups(cases: CaseResult[]): SkipGroup[] {
  const groups = new Map<string, string[]>();
  for (const c of cases.filter((x) => x.status === 'skipped')) {
    const reason = c.message ?? 'no reason given';
    groups.set(reason, [...(groups.get(reason) ?? []), c.name]);
  }
  return [...groups].map(([reason, names]) => ({ reason, names }));
}

/** A suite's measured rows and its skipped cases folded by reason, in run order. */
export interface SuiteSection {
  suite: string;
  rows: CaseRow[];
  skipped: SkipGroup[];
}

export function suiteSections(cases: CaseResult[]): SuiteSection[] {
  const suites = [...new Set(cases.map((c) => c.suite))];
  return suites.map((suite) => {
    const mine = cases.filter((c) => c.suite === suite);
    return { suite, rows: mine.filter((c) => c.status !== 'skipped').map(caseRow), skipped: skipGroups(mine) };
  });
}
