import { PEAK_UNITS, PEAK_UNIT_LABEL, type PeakSet, type PeakUnit } from '../probe/peaks.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { describeDevice, describeTimer, formatFlops } from './describe.js';
import { escapeHtml, formatNs, formatNumber, scriptJson } from './format.js';
import { describeDecodeOverhead, overheadRows } from './overhead.js';

/** Points a roofline needs: one roof per unit with a known peak, one point per case with FLOPs. */
export interface RooflineData {
  against: 'calibrated' | 'datasheet' | null;
  roofs: { unit: PeakUnit; label: string; peakTflops: number; bandwidthGBps: number; ridge: number; points: { x: number; y: number }[] }[];
  cases: { id: string; unit: PeakUnit; x: number; y: number; bound: string | null; efficiency: number | null }[];
}

function primaryPeaks(run: RunResult): { against: 'calibrated' | 'datasheet'; peaks: PeakSet } | null {
  if (run.peaks?.calibrated) return { against: 'calibrated', peaks: run.peaks.calibrated };
  if (run.peaks?.datasheet) return { against: 'datasheet', peaks: run.peaks.datasheet };
  return null;
}

export function rooflineData(run: RunResult): RooflineData {
  const primary = primaryPeaks(run);
  const compute = run.cases.filter((c): c is CaseResult & { compute: NonNullable<CaseResult['compute']> } => c.status === 'ok' && c.compute !== null && c.compute !== undefined);
  const xs = compute.map((c) => c.compute.arithmeticIntensity);
  const xMin = Math.min(0.1, ...xs) / 2;
  const xMax = Math.max(1e4, ...xs) * 2;
  const roofs: RooflineData['roofs'] = [];
  const bandwidth = primary?.peaks.bandwidth?.gbps;
  if (primary && bandwidth !== undefined) {
    for (const unit of PEAK_UNITS) {
      const peak = primary.peaks.compute[unit]?.tflops;
      if (peak === undefined) continue;
      const ridge = (peak * 1e12) / (bandwidth * 1e9);
      const at = (x: number): number => Math.min(peak, (x * bandwidth) / 1000);
      roofs.push({ unit, label: PEAK_UNIT_LABEL[unit], peakTflops: peak, bandwidthGBps: bandwidth, ridge, points: [xMin, ridge, xMax].map((x) => ({ x, y: at(x) })) });
    }
  }
  return {
    against: primary?.against ?? null,
    roofs,
    cases: compute.map((c) => {
      const u = c.utilization?.find((x) => x.against === primary?.against);
      return { id: c.id, unit: c.compute.unit, x: c.compute.arithmeticIntensity, y: c.compute.achievedTflops, bound: u?.bound ?? null, efficiency: u?.rooflineEfficiency ?? null };
    }),
  };
}

export function bandwidthData(run: RunResult): { kernel: string; points: { x: number; y: number }[] }[] {
  const out = new Map<string, { x: number; y: number }[]>();
  for (const c of run.cases) {
    if (c.suite !== 'memcopy' || c.status !== 'ok' || !c.bandwidth) continue;
    const kernel = String(c.params['kernel']);
    const list = out.get(kernel) ?? [];
    list.push({ x: Number(c.params['bufferBytes']), y: c.bandwidth.medianGBps });
    out.set(kernel, list);
  }
  return [...out].map(([kernel, points]) => ({ kernel, points: points.sort((a, b) => a.x - b.x) }));
}

/** Every timed pass of every case, as % of that case's median: the shape of each distribution. */
export function distributionData(run: RunResult): { ids: string[]; points: { x: number; y: number }[] } {
  const ok = run.cases.filter((c) => c.status === 'ok' && c.summary !== null && c.samplesNs.length > 0);
  const points = ok.flatMap((c, i) => {
    const perDispatch = c.samplesNs.map((s) => s / (c.dispatchesPerPass ?? 1));
    const median = c.summary?.p50 ?? 1;
    return perDispatch.map((s) => ({ x: i, y: (s / median) * 100 }));
  });
  return { ids: ok.map((c) => c.id), points };
}


function caseRow(c: CaseResult): string {
  const u = c.utilization?.[0];
  const pct = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`);
  const achieved = c.compute ? formatFlops(c.compute.achievedTflops, c.compute.unit.includes('nt8')) : c.bandwidth ? `${formatNumber(c.bandwidth.medianGBps)} GB/s` : '—';
  const cells = [c.id, c.status, c.check ? (c.check.passed ? 'pass' : 'FAIL') : '—', c.summary ? formatNs(c.summary.p50) : '—', c.summary?.cv ? `${(c.summary.cv * 100).toFixed(1)}%` : '—', achieved, pct(u?.mfu), pct(u?.mbu), u?.bound ?? '—', c.message ?? ''];
  return `<tr class="${c.status}">${cells.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`;
}

/** The overhead table and the decode steps' overhead share; nothing when the run has neither. */
function overheadSection(run: RunResult): string {
  const rows = overheadRows(run);
  const shares = run.cases.map(describeDecodeOverhead).filter((x): x is string => x !== null);
  if (rows.length === 0 && shares.length === 0) return '';
  const head = ['case', 'status', 'cost', 'median', 'p99', 'n', 'fit', 'timer', 'note'];
  const table = rows.length === 0 ? '' : `<table><caption>What WebGPU costs around a kernel. Fitted costs are the slope of time against count; the intercept is the fixed cost around them.</caption>
<thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr class="${r.status}">${[r.name, r.status, r.what, r.median, r.p99, r.n, r.fit, r.timer, r.note].map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`).join('\n')}</tbody></table>`;
  return `<h2 id="overhead-title">Overhead</h2>\n${table}${shares.map((s) => `<p>${escapeHtml(s)}</p>`).join('\n')}`;
}

/**
 * One self-contained HTML file: Chart.js is inlined (pass its UMD source), so the report opens
 * offline. Shows the roofline with every compute case, bandwidth against transfer size, and a table.
 */
export function renderHtml(run: RunResult, chartJsSource: string): string {
  const roofline = rooflineData(run);
  const bandwidth = bandwidthData(run);
  const title = `wgbench — ${run.device.description || run.device.device}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#1b1f24}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
.meta{color:#444}.chart{max-width:960px;height:480px}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccd;padding:3px 6px;text-align:left}tr.failed,tr.error{background:#fde2e2}tr.skipped{color:#888}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">device: ${escapeHtml(describeDevice(run.device))}<br>timer: ${escapeHtml(describeTimer(run.timer))}<br>
run: ${escapeHtml(run.startedAt)}, ${escapeHtml(run.status)}, wgbench ${escapeHtml(run.tool.version)}<br>
roofline against: ${escapeHtml(roofline.against ?? 'no peaks (not calibrated, not in the datasheet table)')}</p>
<h2 id="roofline-title">Roofline</h2>
<div class="chart"><canvas id="roofline" aria-labelledby="roofline-title"></canvas></div>
<h2 id="bandwidth-title">Bandwidth against transfer size</h2>
<div class="chart"><canvas id="bandwidth" aria-labelledby="bandwidth-title"></canvas></div>
<h2 id="distribution-title">Timing distributions (each timed pass, % of its case's median)</h2>
<div class="chart"><canvas id="distribution" aria-labelledby="distribution-title"></canvas></div>
${overheadSection(run)}
<h2>Cases</h2>
<table><thead><tr><th>case</th><th>status</th><th>check</th><th>median/dispatch</th><th>cv</th><th>achieved</th><th>MFU</th><th>MBU</th><th>bound</th><th>message</th></tr></thead>
<tbody>${run.cases.map(caseRow).join('\n')}</tbody></table>
<script>${chartJsSource.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const roofline = ${scriptJson(roofline)};
const bandwidth = ${scriptJson(bandwidth)};
const distribution = ${scriptJson(distributionData(run))};
const colors = ['#1f77b4','#d62728','#2ca02c','#9467bd','#ff7f0e','#8c564b','#e377c2','#17becf'];
const units = [...new Set(roofline.cases.map((c) => c.unit))];
new Chart(document.getElementById('roofline'), {
  type: 'scatter',
  data: { datasets: [
    ...roofline.roofs.map((r, i) => ({ type: 'line', label: r.label + ' roof (' + r.peakTflops.toPrecision(3) + ' T/s, ' + r.bandwidthGBps.toFixed(0) + ' GB/s)', data: r.points, borderColor: colors[i % colors.length], borderDash: [6, 3], pointRadius: 0, fill: false })),
    ...units.map((u, i) => ({ label: 'cases on ' + u, data: roofline.cases.filter((c) => c.unit === u), backgroundColor: colors[(i + 4) % colors.length], pointRadius: 5 })),
  ] },
  options: { maintainAspectRatio: false, animation: false, parsing: false,
    scales: { x: { type: 'logarithmic', title: { display: true, text: 'arithmetic intensity (FLOP/byte)' } },
              y: { type: 'logarithmic', title: { display: true, text: 'TFLOP/s (TOP/s for int8)' } } },
    plugins: { tooltip: { callbacks: { label: (ctx) => (ctx.raw.id ?? ctx.dataset.label) + ': AI ' + ctx.raw.x.toPrecision(3) + ', ' + ctx.raw.y.toPrecision(3) } } } },
});
new Chart(document.getElementById('bandwidth'), {
  type: 'line',
  data: { datasets: bandwidth.map((b, i) => ({ label: b.kernel, data: b.points, borderColor: colors[i % colors.length], backgroundColor: colors[i % colors.length] })) },
  options: { maintainAspectRatio: false, animation: false, parsing: false,
    scales: { x: { type: 'logarithmic', title: { display: true, text: 'buffer size (bytes)' } }, y: { title: { display: true, text: 'GB/s (median)' } } } },
});
new Chart(document.getElementById('distribution'), {
  type: 'scatter',
  data: { datasets: [{ label: 'timed passes', data: distribution.points, backgroundColor: 'rgba(31,119,180,0.6)', pointRadius: 3 }] },
  options: { maintainAspectRatio: false, animation: false, parsing: false,
    scales: { x: { min: -0.5, max: distribution.ids.length - 0.5, ticks: { stepSize: 1, autoSkip: false, callback: (v) => distribution.ids[v] ?? '' }, title: { display: true, text: 'case' } },
              y: { title: { display: true, text: '% of median' } } } },
});
</script>
</body></html>
`;
}
