// Prints a Markdown table of wgbench memcopy results beside a native reference from the same run.
// Usage: node bench/compare-memcopy.mjs WGBENCH.json NATIVE.json
import { readFileSync } from 'node:fs';

const [wgPath, nativePath] = process.argv.slice(2);
if (!wgPath || !nativePath) {
  console.error('usage: node bench/compare-memcopy.mjs WGBENCH.json NATIVE.json');
  process.exit(2);
}
const wg = JSON.parse(readFileSync(wgPath, 'utf8'));
const native = JSON.parse(readFileSync(nativePath, 'utf8'));
const MiB = 1024 * 1024;
const fmt = (v) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });

console.log(
  '| kernel | size | wgbench median GB/s (min–max, cv) | native median GB/s (min–max) | wgbench ÷ native | region |',
);
console.log('|---|---|---|---|---|---|');
for (const c of wg.cases) {
  if (c.status !== 'ok') {
    console.log(`| ${c.params.kernel} | ${c.params.bufferBytes / MiB} MiB | ${c.status}: ${c.message} | | | |`);
    continue;
  }
  const n = native.results.find((r) => r.kernel === c.params.kernel && r.bufferBytes === c.params.bufferBytes);
  const b = c.bandwidth;
  const cv = c.summary.cv === null ? '—' : `${(c.summary.cv * 100).toFixed(1)}%`;
  const nativeCell = n ? `${fmt(n.medianGBps)} (${fmt(n.minGBps)}–${fmt(n.maxGBps)}), ${n.method}` : '—';
  const ratio = n ? `${((b.medianGBps / n.medianGBps) * 100).toFixed(1)}%` : '—';
  console.log(
    `| ${c.params.kernel} | ${c.params.bufferBytes / MiB} MiB | ${fmt(b.medianGBps)} ` +
      `(${fmt(b.minGBps)}–${fmt(b.maxGBps)}, ${cv}) | ${nativeCell} | ${ratio} | ${c.params.region} |`,
  );
}
