import type { TuneOutcome } from '../tuning/search.js';
import { escapeHtml, formatNs, scriptJson } from './format.js';
import { deviceTitle } from './describe.js';

export interface TuneReport {
  kind: 'wgbench-tune-report';
  schemaVersion: 1;
  tool: { name: string; version: string };
  device: { vendor: string; architecture: string; device: string; description: string; backend: string };
  calibrationKey: string;
  quick: boolean;
  startedAt: string;
  budgetSeconds: number;
  elapsedSeconds: number;
  status: 'complete' | 'interrupted' | 'device-lost';
  outcomes: TuneOutcome[];
}

/** Per target: every timed candidate's median (ms), fastest first, the default and the choice marked. */
export function tuneChartData(o: TuneOutcome): {
  labels: string[];
  ms: number[];
  role: ('default' | 'chosen' | 'other')[];
} {
  const timed = o.candidates
    .filter((c) => c.status === 'measured' && c.medianNs !== null)
    .sort((a, b) => (a.medianNs as number) - (b.medianNs as number));
  return {
    labels: timed.map((c) => c.label),
    ms: timed.map((c) => (c.medianNs as number) / 1e6),
    role: timed.map((c) =>
      c.label === o.bestLabel && o.source === 'tuned' ? 'chosen' : c.label === o.defaultLabel ? 'default' : 'other',
    ),
  };
}

/**
 * One self-contained HTML file of a tuning: per problem, a bar per timed candidate (median per
 * dispatch), the default and the stored choice in their own colours, and the rejected ones listed
 * with the reason. Chart.js is inlined (pass its UMD source), so it opens offline.
 */
export function renderTuneHtml(report: TuneReport, chartJsSource: string): string {
  const device = deviceTitle(report.device);
  const sections = report.outcomes
    .map((o, i) => {
      const rejected = o.candidates.filter((c) => c.status === 'rejected');
      const rows = rejected
        .map(
          (c) =>
            `<tr><td>${escapeHtml(c.label)}</td><td>${escapeHtml(c.rejection ?? '')}</td><td>` +
            `${escapeHtml(c.reason ?? '')}</td></tr>`,
        )
        .join('');
      const data = tuneChartData(o);
      const height = Math.max(160, 18 * data.labels.length + 60);
      return `<h2 id="t${i}">${escapeHtml(`${o.family}: ${o.description}`)}</h2>
<p>default ${escapeHtml(o.defaultLabel)} ${o.defaultMedianNs === null ? '' : escapeHtml(formatNs(o.defaultMedianNs))}; \
stored: <strong>${escapeHtml(o.bestLabel)}</strong> (${o.source})${
        o.speedup !== null && o.source === 'tuned' ? `, ` + `${o.speedup.toFixed(2)}× the default` : ''
      }. \
${escapeHtml(o.decision)}</p>
<div class="chart" style="height:${height}px"><canvas id="c${i}" role="img" aria-label="${escapeHtml(
        `median per dispatch of ${data.labels.length} timed candidates for ${o.family} ${o.shapeClass}, fastest ` +
          (data.labels[0] ?? 'none'),
      )}"></canvas></div>
${
  rejected.length === 0
    ? '<p>No candidate was rejected.</p>'
    : `<table><caption>Rejected candidates</caption>` +
      `<thead><tr><th>candidate</th><th>why</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>`
}`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`wgbench tune — ${device}`)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.chart{max-width:960px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccd;padding:3px \
6px;text-align:left}
</style></head><body>
<h1>${escapeHtml(`wgbench tune — ${device}`)}</h1>
<p>${escapeHtml(
    `${report.startedAt}, ${report.elapsedSeconds.toFixed(1)} s of a ${report.budgetSeconds} s budget ` +
      `(${report.status}), wgbench ${report.tool.version}, ${report.quick ? 'quick sizes' : 'full sizes'}`,
  )}</p>
${sections}
<script>${chartJsSource.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const charts = ${scriptJson(report.outcomes.map(tuneChartData))};
const fill = { default: '#888888', chosen: '#2ca02c', other: '#1f77b4' };
charts.forEach((d, i) => {
  new Chart(document.getElementById('c' + i), {
    type: 'bar',
    data: { labels: d.labels, datasets: [{ label: 'median per dispatch (ms)', data: d.ms, backgroundColor: \
d.role.map((r) => fill[r]) }] },
    options: { indexAxis: 'y', maintainAspectRatio: false, animation: false,
      scales: { x: { beginAtZero: true, title: { display: true, text: 'median per dispatch (ms); grey: \
the default, green: the stored choice' } } },
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => d.labels[ctx.dataIndex] \
+ ': ' + ctx.parsed.x.toPrecision(4) + ' ms (' + d.role[ctx.dataIndex] + ')' } } } },
  });
});
</script>
</body></html>
`;
}
