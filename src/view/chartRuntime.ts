import type { Chart as ChartJs } from 'chart.js';
import type { ChartSpec } from './charts.js';

/** What a drawn chart shows, read back from Chart.js itself (for tests and curious users). */
export interface DrawnChart {
  id: string;
  type: string;
  xTitle: string;
  yTitle: string;
  xTicks: string[];
  yTicks: string[];
  datasets: { label: string; points: number }[];
  annotations: string[];
}

export interface DrawnCharts {
  describe: () => DrawnChart[];
  destroy: () => void;
}

/**
 * Draws chart specs (charts.ts) into the canvases named by their ids, with Chart.js and its
 * annotation plugin already registered. The page calls it; the HTML report inlines its source
 * (`drawCharts.toString()`), so this function must stay self-contained: no imports at run time,
 * no helpers outside its body. Colours come from the page's CSS variables (light or dark).
 */
export function drawCharts(ChartCtor: typeof ChartJs, specs: ChartSpec[], doc: Document): DrawnCharts {
  const css = getComputedStyle(doc.body);
  const fg = css.getPropertyValue('--fg').trim() || '#1b1f24';
  const grid = css.getPropertyValue('--grid').trim() || 'rgba(0,0,0,0.12)';
  const made: ChartJs[] = [];
  const axis = (a: ChartSpec['x'], isX: boolean): Record<string, unknown> => {
    const base: Record<string, unknown> = {
      type: a.type,
      reverse: a.reverse === true,
      title: { display: true, text: a.title, color: fg, font: { weight: 'bold' } },
      grid: { color: grid },
      border: { color: grid },
      ticks: { color: fg, autoSkip: false, maxRotation: isX ? 40 : 0 },
    };
    if (a.type === 'category') return base;
    // The spec names every tick and its label; Chart.js's own log ticks pile up (800, 900, 1,000).
    return {
      ...base,
      min: a.min,
      max: a.max,
      afterBuildTicks: (scale: { ticks: { value: number }[] }) => {
        scale.ticks = a.ticks.map((t) => ({ value: t.value }));
      },
      ticks: {
        color: fg,
        autoSkip: false,
        maxRotation: isX ? 40 : 0,
        callback: (_v: unknown, i: number) => a.ticks[i]?.label ?? '',
      },
    };
  };
  for (const spec of specs) {
    const canvas = doc.getElementById(spec.id);
    if (spec.empty !== null || !(canvas instanceof HTMLCanvasElement)) continue;
    // On a phone the legend takes rows of its own: the plot keeps its height below it.
    const narrow = (canvas.parentElement?.clientWidth ?? 1000) < 600;
    const legendRows = narrow && spec.series.length > 1 ? spec.series.length * 18 : 0;
    if (canvas.parentElement !== null) canvas.parentElement.style.height = `${String(spec.heightPx + legendRows)}px`;
    const category = spec.x.type === 'category';
    const datasets = spec.series.map((s) =>
      s.kind === 'bar'
        ? {
            type: 'bar',
            label: s.label,
            data: s.points.map((p) => p.y),
            backgroundColor: s.color,
            borderColor: s.color,
          }
        : {
            type: s.kind === 'line' ? 'line' : 'scatter',
            label: s.label,
            data: s.points.map((p) => ({ x: p.x, y: p.y })),
            borderColor: s.color,
            backgroundColor: s.color,
            borderDash: s.dashed ? [6, 3] : [],
            pointRadius: s.dashed ? 0 : s.kind === 'line' ? 3 : 4,
            showLine: s.kind === 'line',
            fill: false,
          },
    );
    const annotations: Record<string, unknown> = {};
    spec.annotations.forEach((a, i) => {
      if (a.kind === 'hline') {
        annotations[`a${String(i)}`] = {
          type: 'line',
          yMin: a.y,
          yMax: a.y,
          borderColor: a.color,
          borderWidth: 1.5,
          borderDash: [5, 4],
          label: {
            display: true,
            content: a.text,
            position: 'start',
            color: a.color,
            backgroundColor: 'rgba(0,0,0,0)',
            yAdjust: -9,
            font: { size: 11 },
          },
        };
      } else {
        annotations[`a${String(i)}`] = {
          type: 'point',
          xValue: a.x,
          yValue: a.y,
          radius: 3,
          backgroundColor: a.color,
          borderColor: a.color,
        };
        annotations[`l${String(i)}`] = {
          type: 'label',
          xValue: a.x,
          yValue: a.y,
          content: a.text,
          color: a.color,
          font: { size: 11 },
          position: { x: 'start', y: 'end' },
          xAdjust: 4,
          yAdjust: -4,
        };
      }
    });
    const config = {
      type: category ? 'bar' : 'scatter',
      data: category ? { labels: spec.x.labels ?? [], datasets } : { datasets },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: { x: axis(spec.x, true), y: axis(spec.y, false) },
        plugins: {
          legend: {
            display: spec.series.length > 1,
            labels: { color: fg, boxWidth: narrow ? 10 : 30, font: { size: narrow ? 10 : 12 } },
          },
          tooltip: {
            callbacks: {
              title: () => '',
              label: (ctx: { datasetIndex: number; dataIndex: number }) =>
                spec.series[ctx.datasetIndex]?.points[ctx.dataIndex]?.label ?? '',
            },
          },
          annotation: { annotations },
        },
      },
    };
    made.push(
      new ChartCtor(canvas, config as unknown as ConstructorParameters<typeof ChartJs>[1]) as unknown as ChartJs,
    );
  }
  // "chart data as a table" links open the folded table they point to.
  if (doc.body.dataset['wgbenchLinks'] !== 'on') {
    doc.body.dataset['wgbenchLinks'] = 'on';
    doc.addEventListener('click', (e) => {
      const link = e.target instanceof Element ? e.target.closest('a[data-opens]') : null;
      const target = link === null ? null : doc.getElementById(link.getAttribute('data-opens') ?? '');
      if (target instanceof HTMLDetailsElement) target.open = true;
    });
  }
  const text = (v: unknown): string =>
    typeof v === 'string'
      ? v
      : typeof v === 'number'
        ? String(v)
        : Array.isArray(v)
          ? v.map((x) => text(x)).join(' ')
          : '';
  return {
    describe: () =>
      made.map((c) => {
        const scales = c.options.scales as Record<string, { title?: { text?: unknown } }>;
        const annotationOptions =
          (
            c.options.plugins as Record<
              string,
              { annotations?: Record<string, { content?: unknown; label?: { content?: unknown } }> }
            >
          )['annotation']?.annotations ?? {};
        return {
          id: c.canvas.id,
          type: String((c.config as { type?: unknown }).type),
          xTitle: text(scales['x']?.title?.text),
          yTitle: text(scales['y']?.title?.text),
          xTicks: (c.scales['x']?.ticks ?? []).map((t) => text(t.label)),
          yTicks: (c.scales['y']?.ticks ?? []).map((t) => text(t.label)),
          datasets: c.data.datasets.map((d) => ({ label: d.label ?? '', points: d.data.length })),
          annotations: Object.values(annotationOptions)
            .map((a) => text(a.content ?? a.label?.content))
            .filter((t) => t !== ''),
        };
      }),
    destroy: () => {
      for (const c of made.splice(0)) c.destroy();
    },
  };
}
