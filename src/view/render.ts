import { compareRuleLine, comparisonCells, type RunComparison } from '../ci/compare.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { escapeHtml as e } from '../reporters/format.js';
import { describeDecodeOverhead, overheadRows } from '../reporters/overhead.js';
import type { ChartSpec, ChartTable } from './charts.js';
import type { Card, Headline } from './headline.js';
import { CASE_COLUMNS, OVER_100_NOTE, suiteSections, type CaseRow, type Percent, type SkipGroup } from './tables.js';

/*
 * The one HTML rendering of results, used by the page (into its containers) and by the HTML
 * report (as one file). Every string from a results file is escaped here.
 */

/** A table that scrolls inside its own box on a narrow screen, and can be reached by keyboard to do so. */
function scrollTable(label: string, table: string): string {
  return `<div class="scroll" tabindex="0" role="region" aria-label="${e(label)}">${table}</div>`;
}

function dataTable(t: ChartTable, cls = ''): string {
  return `<table${cls === '' ? '' : ` class="${cls}"`}><caption>${e(t.caption)}</caption><thead><tr>${t.head
    .map((h) => `<th ` + `scope="col">${e(h)}</th>`)
    .join('')}</tr></thead><tbody>${t.rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<th ` + `scope="row">${e(c)}</th>` : `<td>${e(c)}</td>`)).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function percent(p: Percent): string {
  return p.over
    ? `<span class="over" title="${e(OVER_100_NOTE)}">${e(p.text)}<span aria-hidden="true"> ⚠</span><span ` +
        `class="sr"> (above 100%, flagged)</span></span>`
    : e(p.text);
}

function card(c: Card): string {
  const share = c.share === null ? '' : ` · <span class="share">${e(c.share.label)} ${percent(c.share)}</span>`;
  return `<li class="card${c.warning !== null ? ' warn' : ''}" data-key="${e(c.key)}">
<p class="card-title">${e(c.title)}</p>
<p class="card-value">${e(c.value)}</p>
${c.from === '' ? '' : `<p class="card-from">${e(c.from)}</p>`}
${c.datasheet === '' && share === '' ? '' : `<p class="card-sheet">${e(c.datasheet)}${share}</p>`}
${c.warning === null ? '' : `<p class="card-warn"><span aria-hidden="true">⚠ </span>${e(c.warning)}</p>`}
</li>`;
}

/** The device's name, its facts and driver, the run, and the cards, under a heading of the given level. */
export function renderHeadline(h: Headline, level: 1 | 2): string {
  return `<h${String(level)} class="device-title" id="device-title">${e(h.title)}</h${String(level)}>
<p class="device-facts">${e(h.facts)}</p>
${h.driver === null ? '' : `<p class="device-driver">driver: ${e(h.driver)}</p>`}
${h.run === null ? '' : `<p class="run-line">${e(h.run)}</p>`}
${h.tuning === null ? '' : `<p class="tuning-line">${e(h.tuning)}</p>`}
${h.canary === null ? '' : `<p class="canary-line${h.canaryMoved ? ' moved' : ''}">${e(h.canary)}</p>`}
<ul class="cards" aria-label="headline figures">${h.cards.map(card).join('\n')}</ul>`;
}

/** A chart's canvas with its text alternative, its note, and a link to the same data as a table. */
export function renderChart(spec: ChartSpec): string {
  if (spec.empty !== null) {
    return (
      `<section class="chart-block" aria-labelledby="${spec.id}-title"><h3 ` +
      `id="${spec.id}-title">${e(spec.title)}</h3><p class="empty" ` +
      `id="${spec.id}-empty">${e(spec.empty)}</p></section>`
    );
  }
  return `<section class="chart-block" aria-labelledby="${spec.id}-title">
<h3 id="${spec.id}-title">${e(spec.title)}</h3>
<div class="chart"><canvas id="${spec.id}" role="img" aria-label="${e(spec.summary)}"></canvas></div>
${spec.note === null ? '' : `<p class="note">${e(spec.note)}</p>`}
<p class="table-link"><a href="#${spec.id}-data" data-opens="${spec.id}-data">${e(spec.title)}: the data \
as a table</a></p>
<details id="${spec.id}-data"><summary>${e(spec.title)} data</summary>${scrollTable(
    `${spec.title} data`,
    dataTable(spec.table, 'data'),
  )}</details>
</section>`;
}

export function renderCharts(specs: ChartSpec[]): string {
  return specs.map(renderChart).join('\n');
}

function caseRowHtml(r: CaseRow): string {
  const cells = [r.statusText, r.check, r.median, r.spread, r.achieved].map((x) => `<td>${e(x)}</td>`).join('');
  const row =
    `<tr class="${r.status}" data-id="${e(r.id)}"><th scope="row" ` +
    (`title="${e(r.id)}">${e(r.name)}</th>${cells}<td>${percent(r.mfu)}</td><td>${percent(r.mbu)}</td><td>` +
      `${e(r.bound)}</td></tr>`);
  return r.message === null
    ? row
    : `${row}\n<tr class="message ${r.status}"><td colspan="${String(CASE_COLUMNS.length)}">${e(r.message)}</td></tr>`;
}

function skipped(groups: SkipGroup[]): string {
  return groups
    .map(
      (g) =>
        `<details class="skipped"><summary>${String(g.names.length)} ` +
        `case${g.names.length === 1 ? '' : 's'} not applicable: ` +
        `${e(g.reason)}</summary><ul>${g.names.map((n) => `<li>${e(n)}</li>`).join('')}</ul></details>`,
    )
    .join('\n');
}

function overheadTable(cases: CaseResult[]): string {
  const rows = overheadRows({ cases });
  if (rows.length === 0) return '';
  const head = ['case', 'status', 'cost', 'median', 'p99', 'n', 'fit', 'timer', 'note'];
  return scrollTable(
    'overhead results',
    `<table class="overhead"><caption>What WebGPU costs around a kernel. Fitted costs are the slope of \
time against count; the intercept is the fixed cost around them.</caption>
<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>
<tbody>${rows
      .map((r) => {
        const cells = [r.status, r.what, r.median, r.p99, r.n, r.fit, r.timer, r.note];
        const tds = cells.map((x) => `<td>${e(x)}</td>`).join('');
        return `<tr class="${r.status}"><th scope="row">${e(r.name)}</th>${tds}</tr>`;
      })
      .join('\n')}</tbody></table>`,
  );
}

/**
 * One table per suite (the CLI's friendly names), skipped cases folded by reason, the overhead table, decode overhead
 * shares.
 */
export function renderResults(cases: CaseResult[]): string {
  if (cases.length === 0) return '<p class="empty">No results yet: press Run, or open a results file.</p>';
  const out = suiteSections(cases).map((s) => {
    const measured = s.rows.length;
    const table =
      s.suite === 'overhead'
        ? overheadTable(cases)
        : measured === 0
          ? ''
          : scrollTable(
              `${s.suite} results`,
              `<table class="cases"><caption>${e(s.suite)}: ${String(measured)} case${measured === 1 ? '' : 's'}, \
each checked against a reference before it was timed</caption>
<thead><tr>${CASE_COLUMNS.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>
<tbody>${s.rows.map(caseRowHtml).join('\n')}</tbody></table>`,
            );
    const over = s.rows.some((r) => r.mfu.over || r.mbu.over)
      ? `<p class="note"><span aria-hidden="true">⚠ </span>${e(OVER_100_NOTE)}.</p>`
      : '';
    const shares = cases
      .filter((c) => c.suite === s.suite)
      .map(describeDecodeOverhead)
      .filter((x): x is string => x !== null);
    return (
      `<section class="suite" aria-labelledby="suite-${e(s.suite)}"><h3 ` +
      `id="suite-${e(s.suite)}">${e(s.suite)}</h3>${table}${over}${shares
        .map((x) => `<p ` + `class="note">${e(x)}</p>`)
        .join('')}${skipped(s.skipped)}</section>`
    );
  });
  return out.join('\n');
}

/** The whole results view of a run below its headline: charts, then tables. */
export function renderRunSections(run: RunResult, specs: ChartSpec[]): string {
  const warning =
    run.status === 'complete'
      ? ''
      : `<p class="run-warning" role="note">This run is ` +
        `${e(run.status)}${run.message === undefined ? '' : `: ${e(run.message)}`}. Its cases are shown as ` +
        `far as it got.</p>`;
  return `${warning}
<section id="charts" aria-labelledby="charts-title"><h2 id="charts-title">Charts</h2>
${renderCharts(specs)}
</section>
<section id="tables" aria-labelledby="tables-title"><h2 id="tables-title">Results</h2>
${renderResults(run.cases)}
</section>`;
}

/** Two runs compared case by case (the CLI's `compare`), named as the CLI names them. */
export function renderComparison(
  cmp: RunComparison,
  base: RunResult,
  next: RunResult,
  labels: { base: string; next: string },
): string {
  const name = (c: RunComparison['cases'][number], label: string): string =>
    label === c.id
      ? (next.cases.find((x) => x.id === c.id)?.name ?? base.cases.find((x) => x.id === c.id)?.name ?? c.id)
      : label;
  const device = cmp.sameDevice
    ? `both on ${cmp.baseDevice}`
    : `different devices: ${cmp.baseDevice} and ${cmp.newDevice}`;
  const head = ['case', 'base', 'new', 'change', 'p', 'verdict'];
  const rows = cmp.cases.map((c) => {
    const cells = comparisonCells(c);
    return [
      name(c, cells.label),
      cells.base,
      cells.next,
      cells.change,
      c.pValue === null ? '—' : c.pValue.toPrecision(2),
      c.verdict === 'skipped' ? 'skipped in both' : c.verdict,
    ];
  });
  return `<p id="comparison-summary">base: ${e(labels.base)}; new: ${e(labels.next)}; ${e(device)}. Mann–Whitney \
U at α = ${String(cmp.options.alpha)}, threshold ${String(cmp.options.thresholdPct)}%.</p>
${scrollTable(
  'comparison',
  `<table id="comparison-table"><caption>${e(compareRuleLine(cmp))}</caption><thead><tr>${head
    .map((h) => `<th ` + `scope="col">${h}</th>`)
    .join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr><th scope="row">${e(r[0] ?? '')}</th>${r
          .slice(1)
          .map((x) => `<td>${e(x)}</td>`)
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`,
)}`;
}
