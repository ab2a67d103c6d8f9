import { compareRuleLine, comparisonCells, type RunComparison } from '../ci/compare.js';
import type { GateEvaluation } from '../ci/evaluate.js';
import type { LlmRunMetrics } from '../llm/metrics.js';
import type { KVCacheResult } from '../metrics/kvCache.js';
import { overPeak } from '../metrics/utilization.js';
import type { RunResult } from '../results/schema.js';
import {
  describeCanary,
  describeDevice,
  describeSpread,
  describeRunNoise,
  describeTimer,
  formatFlops,
} from './describe.js';
import { formatNs, formatNumber } from './format.js';
import { describeDecodeOverhead, overheadRows } from './overhead.js';

/**
 * Text from a results file into a Markdown table cell. GitHub renders HTML inside Markdown (job
 * summaries, pull-request comments), so markup characters are escaped as entities: a case name
 * like `<img onerror=…>` arrives as text, never as a tag.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
export const cell = (s: string): string =>
  s
    .replace(CONTROLS, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n/g, ' ');
const pct = (v: number | null | undefined, noise: number | null | undefined): string =>
  v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%${overPeak(v, noise) ? ' ⚠' : ''}`;

/** A run as Markdown, for a CI job summary or a pull-request comment. */
export function renderRunMarkdown(run: RunResult): string {
  const lines = [
    `## wgbench ${cell(run.tool.version)}: ${run.status}`,
    '',
    `- **device**: ${cell(describeDevice(run.device))}`,
    `- **timer**: ${cell(describeTimer(run.timer))}`,
    `- **peaks**: ` +
      `${run.peaks?.calibrated ? `calibrated ${cell(run.peaks.calibrated.measuredAt)}` : 'not calibrated'}; ` +
      `datasheet ${cell(run.peaks?.datasheet?.name ?? 'none')}`,
    `- **started**: ${cell(run.startedAt)}, seed ${run.options.seed}, ${run.options.quick ? 'quick' : 'full'}`,
  ];
  const noise = describeRunNoise(run);
  if (noise !== null) lines.push(`- **noise**: ${cell(noise.replace(/^noise: /, ''))}`);
  const canary = describeCanary(run);
  if (canary !== null) lines.push(`- **canary**: ${cell(canary.replace(/^canary: /, ''))}`);
  for (const suite of [...new Set(run.cases.map((c) => c.suite))]) {
    if (suite === 'overhead') {
      lines.push(
        '',
        '### overhead',
        '',
        'Fitted costs are the slope of time against count (the intercept is the fixed cost around them).',
        '',
        '| case | status | cost | median | p99 | n | fit | timer | note |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      for (const r of overheadRows(run))
        lines.push(
          `| ${[r.name, r.status, r.what, r.median, r.p99, r.n, r.fit, r.timer, r.note].map(cell).join(' | ')} |`,
        );
      continue;
    }
    lines.push(
      '',
      `### ${cell(suite)}`,
      '',
      '| case | status | median/dispatch | noise | achieved | MFU | MBU | bound |',
      '|---|---|---|---|---|---|---|---|',
    );
    for (const c of run.cases.filter((x) => x.suite === suite)) {
      const u = c.utilization?.[0];
      const achieved = c.compute
        ? formatFlops(c.compute.achievedTflops, c.compute.unit.includes('nt8'))
        : c.bandwidth
          ? `${formatNumber(c.bandwidth.medianGBps)} GB/s (${cell(c.bandwidth.bytesCounted)})`
          : '—';
      const status = c.status === 'ok' ? 'ok' : `**${c.status}**${c.message ? `: ${c.message}` : ''}`;
      const noise = describeSpread(c);
      lines.push(
        `| ${cell(c.name)} | ${cell(status)} | ${c.summary ? formatNs(c.summary.p50) : '—'} | ` +
          `${noise} | ${achieved} | ${pct(u?.mfu, u?.mfuNoise)} | ` +
          `${pct(u?.mbu, u?.mbuNoise)} | ${cell(u?.bound ?? '—')} |`,
      );
    }
    const serving = run.cases.filter((c) => c.suite === suite && c.extras?.['metrics'] !== undefined);
    if (serving.length > 0) {
      const ms = (v: { p50: number; p99: number; count: number } | null | undefined, q: 'p50' | 'p99'): string =>
        v ? `${v[q].toFixed(1)} ms` : '—';
      lines.push(
        '',
        '| serving | TTFT p50 | TTFT p99 | TPOT p50 | ITL p99 (n) | tokens/s | goodput/s | prefill MFU ' +
          '(host-timed) | decode MBU (host-timed) |',
        '|---|---|---|---|---|---|---|---|---|',
      );
      for (const c of serving) {
        const m = c.extras?.['metrics'] as LlmRunMetrics;
        const e = c.extras ?? {};
        const frac = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : '—');
        lines.push(
          `| ${cell(c.name)} | ${ms(m.ttftMs, 'p50')} | ${ms(m.ttftMs, 'p99')} | ${ms(m.tpotMs, 'p50')} | ` +
            `${ms(m.itlMs, 'p99')} (${m.itlMs?.count ?? 0}) | ${m.tokensPerSecond?.toFixed(1) ?? '—'} | ` +
            `${m.goodputRequestsPerSecond?.toFixed(2) ?? '— (no SLO)'} | ${frac(e['servingPrefillMfu'])} | ` +
            `${frac(e['servingDecodeMbu'])} |`,
        );
      }
    }
    for (const c of run.cases.filter((x) => x.suite === suite)) {
      const overhead = describeDecodeOverhead(c);
      if (overhead !== null) lines.push('', cell(overhead));
    }
    for (const c of run.cases.filter((x) => x.suite === suite && x.extras?.['kvCache'] !== undefined)) {
      const kv = c.extras?.['kvCache'] as KVCacheResult;
      const r = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
      lines.push(
        '',
        `**${cell(c.name)}**: hit rate ${r(kv.hitRate)}, prefix hit rate ${r(kv.prefixHitRate)}, reuse ` +
          `${r(kv.reuseRatio)}, ${kv.migrationCount} migrations ` +
          `(${cell(kv.migrations.map((x) => `${x.from}→${x.to} ${x.count}`).join(', ') || 'none')}).`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const VERDICT_MARK = {
  faster: '🟢 faster',
  slower: '🔴 slower',
  unchanged: 'unchanged',
  noisy: '🟡 noisy',
  ambiguous: '🟠 ambiguous',
  missing: 'missing',
  new: 'new',
  skipped: 'skipped in both',
  incomparable: 'not comparable',
} as const;

export function renderCompareMarkdown(cmp: RunComparison): string {
  const lines = [
    `## wgbench compare`,
    '',
    `- **base**: ${cell(cmp.baseDevice)}`,
    `- **new**: ${cell(cmp.newDevice)}${cmp.sameDevice ? '' : ' ⚠ different device'}`,
    `- threshold ${cmp.options.thresholdPct}%, Mann–Whitney U at α = ${cmp.options.alpha}, at least ` +
      `${cmp.options.minSamples} samples`,
    '',
    `- ${compareRuleLine(cmp)}`,
    '',
    '| case | base | new | change | p | verdict |',
    '|---|---|---|---|---|---|',
  ];
  for (const c of cmp.cases) {
    const cells = comparisonCells(c);
    const p = c.pValue === null ? '—' : c.pValue.toPrecision(2);
    lines.push(
      `| ${cell(cells.label)} | ${cells.base} | ${cells.next} | ${cells.change} | ${p} | ${VERDICT_MARK[c.verdict]} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderGateMarkdown(e: GateEvaluation): string {
  const s = e.summary;
  const lines = [
    `## wgbench gate: ${s.allPassed ? 'passed' : 'FAILED'}`,
    '',
    `${s.totalChecks} checks: ${s.passed} passed, ${s.failed} failed, ${s.noisy} noisy, ${s.untestable} ` +
      `untestable, ${s.skipped} skipped.`,
    '',
    '| check | status | message |',
    '|---|---|---|',
    ...e.results.map((r) => `| ${cell(r.name)} | ${cell(r.status)} | ${cell(r.message)} |`),
  ];
  return `${lines.join('\n')}\n`;
}
