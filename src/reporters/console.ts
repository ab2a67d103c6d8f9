import Table from 'cli-table3';
import pc from 'picocolors';
import type { CaseResult, RunResult } from '../results/schema.js';
import {
  describeAchieved,
  describeDevice,
  describeCanary,
  describeSpread,
  describeRunNoise,
  describeTimer,
  formatFlops,
} from './describe.js';
import { formatBytes, formatNs, terminalSafe } from './format.js';
import { headlineOfRun } from '../view/headline.js';
import { describeDecodeOverhead, overheadRows } from './overhead.js';

export { describeDevice, describeTimer, formatFlops };
import type { KVCacheResult } from '../metrics/kvCache.js';
import { overPeak } from '../metrics/utilization.js';
import type { LlmRunMetrics } from '../llm/metrics.js';

export interface ConsoleStyle {
  color: boolean;
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldUseColor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  return stream.isTTY === true && (env['NO_COLOR'] ?? '') === '';
}

/** A table that is coloured only when colour is on (cli-table3 colours its header by default). */
export function makeTable(
  head: string[],
  color: boolean,
  extra: { colWidths?: (number | null)[]; wordWrap?: boolean } = {},
): InstanceType<typeof Table> {
  // Compact: no rule between rows, so a suite's cases read as one block and the first screen holds more.
  return new Table({
    head,
    style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [], compact: true },
    ...extra,
  });
}

function painter(style: ConsoleStyle): ReturnType<typeof pc.createColors> {
  return pc.createColors(style.color);
}

function statusCell(c: CaseResult, p: ReturnType<typeof pc.createColors>): string {
  switch (c.status) {
    case 'ok':
      return p.green('ok');
    case 'failed':
      return p.red('FAILED');
    case 'error':
      return p.red('ERROR');
    case 'skipped':
      return p.yellow('skipped');
  }
}

function percent(v: number | null | undefined, noise: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%${overPeak(v, noise) ? '!' : ''}`;
}

function describeKvSimulation(id: string, kv: KVCacheResult, extras: Record<string, unknown>): string {
  const rate = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  const moves = kv.migrations.map((m) => `${m.from}→${m.to} ${m.count} (${formatBytes(m.bytes)})`).join(', ') || 'none';
  const perRequest =
    typeof extras['migrationMsPerRequest'] === 'number' ? `${extras['migrationMsPerRequest'].toFixed(3)} ms` : '—';
  return (
    `${id}: hit rate ${rate(kv.hitRate)}, prefix hit rate ${rate(kv.prefixHitRate)}, reuse ` +
    `${rate(kv.reuseRatio)} (block ${kv.blockTokens ?? '?'} tokens); migrations ${moves}; migration time per ` +
    `request ${perRequest}`
  );
}

function describeServing(id: string, m: LlmRunMetrics, extras: Record<string, unknown>): string {
  const p = (s: LlmRunMetrics['ttftMs'], q: 'p50' | 'p99'): string => (s === null ? '—' : `${s[q].toFixed(1)} ms`);
  const pct = (v: unknown): string => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : '—');
  return [
    `${id}: ${m.completed}/${m.requests} requests; TTFT p50 ${p(m.ttftMs, 'p50')} p99 ` +
      `${p(m.ttftMs, 'p99')} (n=${m.ttftMs?.count ?? 0});`,
    `TPOT p50 ${p(m.tpotMs, 'p50')} (n=${m.tpotMs?.count ?? 0}); ITL p50 ${p(m.itlMs, 'p50')} p99 ` +
      `${p(m.itlMs, 'p99')} (n=${m.itlMs?.count ?? 0});`,
    `${m.tokensPerSecond?.toFixed(1) ?? '—'} tokens/s, decode ${m.decodeTokensPerSecond?.toFixed(1) ?? '—'} ` +
      `tokens/s, ${m.requestsPerSecond?.toFixed(2) ?? '—'} requests/s, goodput ` +
      `${m.goodputRequestsPerSecond === null ? '— (no SLO given)' : `${m.goodputRequestsPerSecond.toFixed(2)}/s`};`,
    `prefill MFU ${pct(extras['servingPrefillMfu'])}, decode MBU ${pct(extras['servingDecodeMbu'])} ` +
      `(host-timed ` +
      `passes)${
        typeof extras['peaksFrom'] === 'string' ? ` (${extras['peaksFrom']} peaks)` : ' (no peaks: ' + 'calibrate)'
      }`,
  ].join(' ');
}

/** The overhead suite: what each call costs, fitted costs with their line, per-call ones with their p99. */
function renderOverheadTable(run: RunResult, style: ConsoleStyle): string {
  const p = painter(style);
  const table = makeTable(['case', 'status', 'cost', 'median', 'p99', 'n', 'fit', 'timer', 'note'], style.color);
  const rows = overheadRows(run);
  for (const r of rows)
    table.push([
      r.name,
      r.status === 'ok' ? p.green('ok') : r.status === 'skipped' ? p.yellow('skipped') : p.red(r.status.toUpperCase()),
      r.what,
      r.median,
      r.p99,
      r.n,
      r.fit,
      r.timer,
      r.note,
    ]);
  const notes = [
    'Fitted costs are the slope of time against count (median of per-round slopes; the intercept is the ' +
      'fixed cost around them); * marks a p99 from fewer than 662 samples.',
  ];
  const hostTimed = run.cases.find((c) => c.suite === 'overhead' && typeof c.extras?.['timerNote'] === 'string');
  if (hostTimed !== undefined) notes.push(`${p.yellow('note')} ${String(hostTimed.extras?.['timerNote'])}.`);
  return [table.toString(), ...notes].join('\n');
}

/** One table per suite, with the device, timer and peaks on top. */
export function renderRunTable(file: RunResult, style: ConsoleStyle): string {
  // Everything below prints text from a results file: no control character reaches the terminal.
  const run = terminalSafe(file);
  const p = painter(style);
  const cal = run.peaks?.calibrated ?? null;
  const sheet = run.peaks?.datasheet ?? null;
  const lines = [
    p.bold(`wgbench ${run.tool.version} — ${run.status}`),
    `device: ${describeDevice(run.device)}`,
    `timer:  ${describeTimer(run.timer)}`,
    `peaks:  ${cal ? `calibrated ${cal.measuredAt}` : 'not calibrated (run `wgbench calibrate`)'}; ` +
      `datasheet ${sheet ? sheet.name : 'none for this device'}`,
    ...headlineLines(run, p),
  ];
  const noise = describeRunNoise(run);
  if (noise !== null) lines.push(noise);
  const canary = describeCanary(run);
  if (canary !== null) lines.push(run.canary?.touchedCases ? p.bold(canary) : canary);
  const suites = [...new Set(run.cases.map((c) => c.suite))];
  for (const suite of suites) {
    if (suite === 'overhead') {
      lines.push('', p.bold(suite), renderOverheadTable(run, style));
      continue;
    }
    const table = makeTable(
      [
        'case',
        'status',
        'check',
        'median/dispatch',
        'spread',
        'achieved',
        'MFU',
        'MBU',
        'AI FLOP/B',
        'bound',
        'passes',
      ],
      style.color,
    );
    const shown = run.cases.filter((x) => x.suite === suite && x.status !== 'skipped');
    if (shown.length === 0) continue;
    for (const c of shown) {
      const s = c.summary;
      const u = c.utilization?.[0];
      table.push([
        c.name,
        statusCell(c, p),
        c.check === null ? '—' : c.check.passed ? 'pass' : 'FAIL',
        s === null ? '—' : formatNs(s.p50),
        s === null
          ? '—'
          : c.timer?.kind === 'host-wall'
            ? `p99 ${formatNs(s.p99)}${s.lowConfidence.p99 ? '*' : ''}`
            : describeSpread(c),
        describeAchieved(c) ?? '—',
        percent(u?.mfu, u?.mfuNoise),
        percent(u?.mbu, u?.mbuNoise),
        c.compute ? c.compute.arithmeticIntensity.toPrecision(3) : c.bandwidth ? '0' : '—',
        u?.bound ?? '—',
        c.summary === null ? '—' : `${c.samplesNs.length}×${c.dispatchesPerPass ?? 1}`,
      ]);
    }
    lines.push('', p.bold(suite), table.toString());
    const against = run.cases.find((c) => c.suite === suite && c.utilization?.[0])?.utilization?.[0]?.against;
    if (against !== undefined)
      lines.push(
        `MFU, MBU and bound against the ${against} peaks; "!" marks a value above 100% by more than the noise ` +
          `(flagged, not clipped).`,
      );
    const counted = new Map<string, Set<string>>();
    for (const c of run.cases.filter((x) => x.suite === suite && x.bandwidth && !x.compute)) {
      const how = c.bandwidth?.bytesCounted ?? '';
      counted.set(how, (counted.get(how) ?? new Set()).add(String(c.params['kernel'] ?? c.params['path'] ?? c.name)));
    }
    if (counted.size > 0)
      lines.push(
        `GB/s counts bytes as ` +
          `${[...counted].map(([how, what]) => `${how} for ${[...what].join(', ')}`).join('; ')} ` +
          `(docs/metrics.md).`,
      );
    if (run.cases.some((c) => c.suite === suite && c.timer?.kind === 'host-wall'))
      lines.push(
        'Host-timed cases show the p99 of one operation; * marks a p99 from fewer than 662 samples (low confidence).',
      );
    for (const c of run.cases.filter((x) => x.suite === suite)) {
      const kv = c.extras?.['kvCache'] as KVCacheResult | undefined;
      if (kv !== undefined) lines.push(describeKvSimulation(c.id, kv, c.extras ?? {}));
      const llm = c.extras?.['metrics'] as LlmRunMetrics | undefined;
      if (llm !== undefined) lines.push(describeServing(c.id, llm, c.extras ?? {}));
      const pass = c.extras?.['pass'] as
        { dispatches: number; attentionSplits: number; normsFolded: boolean } | undefined;
      const kernels = c.extras?.['linearKernels'];
      const overhead = describeDecodeOverhead(c);
      if (overhead !== null) lines.push(overhead);
      if (pass !== undefined)
        lines.push(
          `${c.id}: ${pass.dispatches} dispatches per step (${typeof kernels === 'string' ? kernels : '?'} ` +
            `linear kernels, attention in ${pass.attentionSplits} ` +
            `split${pass.attentionSplits === 1 ? '' : 's'}, RMSNorms ` +
            `${pass.normsFolded ? 'folded into the GEMVs' : 'separate'})`,
        );
      const layouts = c.extras?.['layouts'] as
        Record<'colocated' | 'disaggregated', Record<string, number | null>> | undefined;
      if (layouts !== undefined) {
        const f = (v: number | null | undefined, unit: string): string =>
          v === null || v === undefined ? '—' : `${v.toFixed(1)}${unit}`;
        const row = (name: string, x: Record<string, number | null>): string =>
          `${name}: TTFT p50 ${f(x['ttftP50Ms'], ' ms')}, TPOT p50 ${f(x['tpotP50Ms'], ' ms')}, goodput ` +
          f(x['goodputPerSecond'], '/s');
        lines.push(
          `layouts side by side — ${row('colocated', layouts.colocated)}; ` +
            row('disaggregated', layouts.disaggregated),
        );
      }
      if (c.message !== undefined && c.status !== 'skipped') lines.push(`${p.red(c.status)} ${c.id}: ${c.message}`);
      for (const flag of c.utilization?.flatMap((x) => x.flags) ?? [])
        lines.push(`${p.yellow('flag')} ${c.id}: ${flag}`);
    }
  }
  lines.push(...skippedLines(run, p));
  if (run.message !== undefined) lines.push('', p.yellow(run.message));
  return lines.join('\n');
}

/** The run's best figure per unit, as the page and the HTML report lead with it (src/view/headline.ts). */
function headlineLines(run: RunResult, p: ReturnType<typeof painter>): string[] {
  const cards = headlineOfRun(run).cards.filter((c) => c.key !== 'timer');
  const measured = cards.filter((c) => c.state === 'measured');
  if (measured.length === 0) return [];
  const width = Math.max(...measured.map((c) => c.title.length));
  const out = ['', p.bold('headline')];
  for (const c of measured) {
    const share =
      c.share === null || c.share.text === '—' ? '' : ` · ${c.share.text} ${c.share.label}${c.share.over ? '!' : ''}`;
    out.push(`  ${c.title.padEnd(width)}  ${c.value}${c.from === '' ? '' : `  (${c.from}${share})`}`);
  }
  const missing = cards.filter((c) => c.state === 'unavailable');
  if (missing.length > 0)
    out.push(
      `  not on this adapter: ` +
        missing.map((c) => `${c.title} (${(c.warning ?? c.from).replace(/^not available: /, '')})`).join('; '),
    );
  return out;
}

/** Cases this adapter cannot run, one line per reason instead of a table row each. */
function skippedLines(run: RunResult, p: ReturnType<typeof painter>): string[] {
  const byReason = new Map<string, string[]>();
  for (const c of run.cases.filter((x) => x.status === 'skipped')) {
    const reason = c.message ?? 'no reason given';
    byReason.set(reason, [...(byReason.get(reason) ?? []), c.name]);
  }
  if (byReason.size === 0) return [];
  const total = [...byReason.values()].reduce((n, list) => n + list.length, 0);
  const out = [
    '',
    p.yellow(`not applicable here: ${total} case${total === 1 ? '' : 's'} (in the JSON with their reasons)`),
  ];
  for (const [reason, names] of byReason) {
    const shownNames = names.slice(0, 3).join(', ') + (names.length > 3 ? `, … ${names.length - 3} more` : '');
    out.push(`  ${names.length} × ${reason}: ${shownNames}`);
  }
  return out;
}
