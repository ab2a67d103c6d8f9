import { compareRuleLine, comparisonCells, type RunComparison } from '../ci/compare.js';
import type { HistoryCase, HistoryDevice, HistoryRun } from '../history/store.js';
import { escapeHtml as e, formatNs } from '../reporters/format.js';

/**
 * The server's cross-device pages: plain HTML with no script, so the strict CSP holds. Every
 * value that came from an upload (device names, case ids, versions) goes through `e`.
 */
export const LAB_CSS = `body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}nav a{margin-right:12px}
table{border-collapse:collapse;font-size:13px;display:block;overflow-x:auto}
caption{text-align:left;color:#444;padding:4px 0}
td,th{border:1px solid #ccd;padding:3px 6px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.failed,tr.error,tr.slower{background:#fde2e2}tr.skipped{color:#777}tr.faster{background:#e2f5e2}
.note{color:#555}svg{max-width:100%;height:auto}form label{margin-right:12px}
@media (prefers-color-scheme: dark){body{background:#111418;color:#e6e6e6}td,th{border-color:#445}a{color:#8ab4f8}
.note,caption{color:#aaa}tr.failed,tr.error,tr.slower{background:#4a1f1f}tr.faster{background:#1f3a1f}}`;

const num = (v: number | null | undefined, f: (x: number) => string): string =>
  v === null || v === undefined ? '—' : f(v);
const q = (s: string): string => encodeURIComponent(s);

export function labPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} — wgbench lab</title><link rel="stylesheet" href="/lab/lab.css"><link rel="icon" \
href="data:,"></head>
<body><nav aria-label="lab"><a href="/lab">devices</a><a href="/lab/runs">runs</a><a href="/lab/compare">compare</a><a \
href="/">the page</a></nav>
<main><h1>${e(title)}</h1>
${body}
</main></body></html>
`;
}

export function devicesView(devices: readonly HistoryDevice[], location: string): string {
  if (devices.length === 0) {
    return labPage(
      'Devices',
      `<p>No runs yet. Upload one from the page (Upload, beside Export) or with <code>wgbench history add ` +
        `run.json --to URL</code>.</p><p class="note">history: ${e(location)}</p>`,
    );
  }
  const rows = devices
    .map(
      (d) =>
        `<tr><td><a ` +
        (`href="/lab/devices/${q(d.deviceKey)}">${e(d.device || d.deviceKey)}</a></td><td><code>` +
          `${e(d.deviceKey)}</code></td><td `) +
        `class="num">${d.runs}</td><td><a href="/lab/runs/${d.latestRunId}">${e(d.latestAt)}</a></td></tr>`,
    )
    .join('\n');
  return labPage(
    'Devices',
    `<table><caption>Every device with results in this lab, newest run first.</caption>
<thead><tr><th scope="col">device</th><th scope="col">key</th><th scope="col">runs</th><th scope="col">latest \
run</th></tr></thead>
<tbody>${rows}</tbody></table><p class="note">history: ${e(location)}</p>`,
  );
}

export function deviceView(device: HistoryDevice, cases: readonly (HistoryCase & { caseId: string })[]): string {
  const rows = cases
    .map(
      (c) =>
        `<tr class="${e(c.status)}"><td><a ` +
        (`href="/lab/cases?id=${q(c.caseId)}&amp;device=${q(device.deviceKey)}">${e(c.caseId)}</a></td><td>` +
          `${e(c.status)}</td><td `) +
        `class="num">${num(c.medianNs, formatNs)}</td><td ` +
        `class="num">${num(c.bandwidthGBps, (v) => v.toFixed(1))}</td><td ` +
        `class="num">${num(c.tflops, (v) => v.toPrecision(4))}</td><td ` +
        `class="num">${num(c.mfu, (v) => `${(v * 100).toFixed(1)}%`)}</td></tr>`,
    )
    .join('\n');
  return labPage(
    device.device || device.deviceKey,
    `<p>${device.runs} runs; the latest, <a href="/lab/runs/${device.latestRunId}">${e(device.latestAt)}</a>, \
measured:</p>
<table><caption>The latest figures of <code>${e(device.deviceKey)}</code>; a case links to its history.</caption>
<thead><tr><th scope="col">case</th><th scope="col">status</th><th scope="col">median/dispatch</th><th \
scope="col">GB/s</th><th scope="col">TFLOP/s</th><th scope="col">MFU</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

/** A line of the median over the runs, drawn as SVG (no script, so no CSP exception). */
function medianSparkline(rows: readonly HistoryCase[]): string {
  const pts = rows.filter((r) => r.medianNs !== null).map((r) => r.medianNs as number);
  if (pts.length < 2) return '';
  const w = 600;
  const h = 120;
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  const y = (v: number): number => (hi === lo ? h / 2 : h - 10 - ((v - lo) / (hi - lo)) * (h - 20));
  const line = pts.map((v, i) => `${((i / (pts.length - 1)) * (w - 20) + 10).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="median per dispatch over ` +
    `${pts.length} runs, from ${e(formatNs(pts[0] ?? 0))} to ${e(formatNs(pts.at(-1) ?? 0))} (range ` +
    `${e(formatNs(lo))} to ${e(formatNs(hi))})"><polyline fill="none" stroke="currentColor" stroke-width="2" ` +
    `points="${line}"/></svg>`
  );
}

export function caseView(caseId: string, deviceKey: string | undefined, rows: readonly HistoryCase[]): string {
  const body = rows
    .map(
      (r) =>
        `<tr class="${e(r.status)}"><td><a ` +
        (`href="/lab/runs/${r.runId}">${e(r.startedAt)}</a></td><td><code>${e(r.deviceKey)}</code></td><td>` +
          `${e(r.status)}</td><td `) +
        `class="num">${num(r.medianNs, formatNs)}</td><td ` +
        `class="num">${num(r.bandwidthGBps, (v) => v.toFixed(1))}</td><td ` +
        `class="num">${num(r.tflops, (v) => v.toPrecision(4))}</td><td ` +
        `class="num">${num(r.mfu, (v) => `${(v * 100).toFixed(1)}%`)}</td></tr>`,
    )
    .join('\n');
  return labPage(
    caseId,
    `${medianSparkline(rows)}
<table><caption>${e(caseId)} over time${
      deviceKey === undefined ? ', every device' : ` on <code>${e(deviceKey)}</code>`
    }.</caption>
<thead><tr><th scope="col">run</th><th scope="col">device</th><th scope="col">status</th><th \
scope="col">median/dispatch</th><th scope="col">GB/s</th><th scope="col">TFLOP/s</th><th \
scope="col">MFU</th></tr></thead>
<tbody>${body}</tbody></table>`,
  );
}

export function runsView(runs: readonly HistoryRun[]): string {
  const rows = [...runs]
    .reverse()
    .map(
      (r) =>
        `<tr><td><a ` +
        (`href="/lab/runs/${r.id}">${r.id}</a></td><td>${e(r.startedAt)}</td><td>${e(r.device)}</td><td><code>` +
          `${e(r.deviceKey)}</code></td><td>${e(r.toolVersion)}</td><td `) +
        `class="num">${r.cases}</td></tr>`,
    )
    .join('\n');
  return labPage(
    'Runs',
    `<table><caption>Every run in this lab, newest first; a run opens as its HTML report.</caption>
<thead><tr><th scope="col">id</th><th scope="col">started</th><th scope="col">device</th><th scope="col">key</th><th \
scope="col">wgbench</th><th scope="col">cases</th></tr></thead>
<tbody>${rows}</tbody></table>`,
  );
}

function compareForm(runs: readonly HistoryRun[], base?: number, next?: number): string {
  const options = (selected?: number): string =>
    [...runs]
      .reverse()
      .map(
        (r) =>
          `<option value="${r.id}"${r.id === selected ? ' selected' : ''}>${r.id}: ${e(r.startedAt)} ` +
          `${e(r.device)}</option>`,
      )
      .join('');
  return (
    `<form method="get" action="/lab/compare"><label>base <select ` +
    `name="base">${options(base)}</select></label><label>new <select ` +
    `name="new">${options(next)}</select></label><label><input type="checkbox" name="anyDevice" value="1"> ` +
    `across devices</label><button type="submit">Compare</button></form>`
  );
}

export function compareView(
  runs: readonly HistoryRun[],
  base: number | undefined,
  next: number | undefined,
  outcome: RunComparison | string | null,
): string {
  let result = '';
  if (typeof outcome === 'string') result = `<p role="alert">${e(outcome)}</p>`;
  else if (outcome !== null) {
    const rows = outcome.cases
      .map((c) => {
        const cells = comparisonCells(c);
        const numbers = [cells.base, cells.next, cells.change, num(c.pValue, (v) => v.toPrecision(2))];
        const tds = numbers.map((x) => `<td class="num">${e(x)}</td>`).join('');
        const why = `<td>${e(c.verdict)}</td><td>${e(c.reason)}</td>`;
        return `<tr class="${e(c.verdict)}"><td>${e(cells.label)}</td>${tds}${why}</tr>`;
      })
      .join('\n');
    result = `<p>base: ${e(outcome.baseDevice)}<br>new: ${e(outcome.newDevice)}</p>
<table><caption>Run ${base ?? ''} against run ${next ?? ''}: ${e(compareRuleLine(outcome))}; Mann–Whitney \
U on the samples (the same comparison as <code>wgbench compare</code>).</caption>
<thead><tr><th scope="col">case</th><th scope="col">base</th><th scope="col">new</th><th scope="col">change</th><th \
scope="col">p</th><th scope="col">verdict</th><th scope="col">why</th></tr></thead>
<tbody>${rows}</tbody></table>`;
  }
  return labPage('Compare two runs', `${compareForm(runs, base, next)}${result}`);
}
