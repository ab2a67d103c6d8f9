import type { RunResult } from '../results/schema.js';
import { drawCharts } from '../view/chartRuntime.js';
import { runCharts } from '../view/charts.js';
import { headlineOfRun } from '../view/headline.js';
import { renderHeadline, renderRunSections } from '../view/render.js';
import { escapeHtml, scriptJson } from './format.js';

/** What a report inlines so that it opens offline: Chart.js with its annotation plugin, and the view's CSS. */
export interface ReportAssets {
  chartJs: string;
  css: string;
}

const inlineScript = (source: string): string => source.replace(/<\/script/gi, '<\\/script');

/**
 * One self-contained HTML file, rendered by the same view layer as the page (src/view/): the
 * headline and its cards, the charts with their data tables, the results per suite.
 */
export function renderHtml(run: RunResult, assets: ReportAssets): string {
  const h = headlineOfRun(run);
  const specs = runCharts(run);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`wgbench — ${h.title}`)}</title>
<style>${assets.css.replace(/<\/style/gi, '<\\/style')}</style></head><body>
<header>
<p class="run-line">wgbench report</p>
${renderHeadline(h, 1)}
</header>
<main>
${renderRunSections(run, specs)}
</main>
<script>${inlineScript(assets.chartJs)}</script>
<script>
window.wgbenchView = (${inlineScript(drawCharts.toString())})(Chart, ${scriptJson(specs)}, document);
</script>
</body></html>
`;
}
