import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../src/ci/compare.js';
import { describeDevice, deviceTitle, properName } from '../../src/reporters/describe.js';
import { renderHtml } from '../../src/reporters/html.js';
import { parseRunResult, type CaseResult, type RunResult } from '../../src/results/schema.js';
import { drawCharts } from '../../src/view/chartRuntime.js';
import { bandwidthChart, distributionChart, rooflineChart } from '../../src/view/charts.js';
import { headline, headlineOfRun } from '../../src/view/headline.js';
import { renderComparison, renderResults } from '../../src/view/render.js';
import { percentCell, skipGroups } from '../../src/view/tables.js';
import { linearTicks, logTicks, scaleFor, formatScaled } from '../../src/view/units.js';
import { sampleRun, withSamples } from '../helpers/sampleRun.js';

const H100 = parseRunResult(JSON.parse(readFileSync('test/fixtures/h100-compute.json', 'utf8')), 'h100');
const LAVAPIPE = parseRunResult(
  JSON.parse(readFileSync('test/fixtures/lavapipe-memcopy-peak.json', 'utf8')),
  'lavapipe',
);
const BROWSER_DEVICE = {
  ...sampleRun().device,
  vendor: 'google',
  architecture: 'swiftshader',
  device: '',
  description: '',
  backend: 'browser' as const,
};

describe('device names', () => {
  it('spells out Dawn’s slugs and never leaves a headline empty or "?"', () => {
    expect(deviceTitle(H100.device)).toBe('NVIDIA H100 80GB HBM3');
    expect(properName('amd-radeon-rx-7900-xtx')).toBe('AMD Radeon RX 7900 XTX');
    expect(deviceTitle(LAVAPIPE.device)).toBe('llvmpipe LLVM 15.0.6 256 bits');
    expect(properName('llvmpipe (LLVM 19.1.7, 256 bits)')).toBe('llvmpipe (LLVM 19.1.7, 256 bits)');
    // Chrome leaves device and description empty.
    expect(deviceTitle(BROWSER_DEVICE)).toBe('Google SwiftShader');
    expect(deviceTitle({ ...BROWSER_DEVICE, architecture: '' })).toBe('Google CPU adapter');
    expect(deviceTitle({ ...BROWSER_DEVICE, vendor: '', architecture: '', adapterClass: 'gpu' })).toBe(
      'GPU (unnamed by the browser)',
    );
    for (const d of [H100.device, LAVAPIPE.device, BROWSER_DEVICE]) {
      expect(describeDevice(d)).not.toMatch(/\?|\[\s*\/|^\s/);
    }
    expect(describeDevice(H100.device)).toBe(
      'NVIDIA H100 80GB HBM3 [nvidia] (NVIDIA: 580.159.04 580.159.4.0) via vulkan (GPU, core)',
    );
    expect(describeDevice(BROWSER_DEVICE)).toBe(
      'Google SwiftShader [google / swiftshader] via browser (CPU adapter, core)',
    );
  });

  it('compare names devices the same way (not "google  (browser)")', () => {
    const run: RunResult = { ...sampleRun(), device: BROWSER_DEVICE };
    expect(compareRuns(run, run).baseDevice).toBe('Google SwiftShader (browser)');
  });
});

describe('units and ticks', () => {
  it('scales to the data and labels log axes once per decade', () => {
    expect(scaleFor(12.3e9)).toEqual({ prefix: 'G', factor: 1e9 });
    expect(formatScaled(3.1183e12, 'B/s')).toBe('3.12 TB/s');
    expect(formatScaled(0.0123e12, 'FLOP/s')).toBe('12.3 GFLOP/s');
    expect(logTicks(0.1, 1000).map((t) => t.label)).toEqual(['0.1', '1', '10', '100', '1,000']);
    // Under two decades, 2 and 5 join so an axis has enough labels; never 800, 900, 1,000.
    expect(logTicks(1, 50).map((t) => t.label)).toEqual(['1', '2', '5', '10', '20', '50']);
    expect(linearTicks(0, 3.3).map((t) => t.label)).toEqual(['0', '1', '2', '3', '4']);
    expect(linearTicks(0, 2.6).map((t) => t.label)).toEqual(['0', '0.5', '1', '1.5', '2', '2.5', '3']);
  });
});

describe('chart specs', () => {
  it(
    'the roofline of a CPU run is in GFLOP/s with int8 in OP/s, every point named, roofs labelled at their ' + 'ridge',
    () => {
      const spec = rooflineChart(H100);
      expect(spec.y.title).toBe('achieved TFLOP/s (TOP/s for int8)');
      expect(spec.x.title).toBe('arithmetic intensity (FLOP/byte)');
      expect(spec.y.ticks.map((t) => t.label)).toEqual(['0.01', '0.1', '1', '10', '100', '1,000']);
      const roofs = spec.series.filter((s) => s.kind === 'line');
      expect(roofs.map((r) => r.label)).toEqual([
        'FP32 (scalar FMA) roof · 64.4 TFLOP/s',
        'FP16 (scalar FMA) roof · 127 TFLOP/s',
        'INT8 packed dot product (dot4I8Packed, TOP/s) roof · 3.7 TOP/s',
        'FP16 matrix units (dense) roof · 38.6 TFLOP/s',
        'INT8 matrix units (dense, TOP/s) roof · 39.3 TOP/s',
      ]);
      expect(spec.annotations.map((a) => a.text)).toEqual([
        'ridge 20.6 FLOP/B',
        'ridge 40.6 FLOP/B',
        'ridge 1.19 FLOP/B',
        'ridge 12.4 FLOP/B',
        'ridge 12.6 FLOP/B',
      ]);
      const points = spec.series.filter((s) => s.kind === 'points').flatMap((s) => s.points);
      expect(points).toHaveLength(H100.cases.filter((c) => c.status === 'ok' && c.compute).length);
      expect(points.find((p) => p.label.startsWith('dot4-int8 4096³'))?.label).toMatch(
        /^dot4-int8 4096³: 3\.7 TOP\/s at 1,370 FLOP\/B, compute-bound, 100\.0% of its roof$/,
      );
      expect(spec.table.rows).toHaveLength(points.length);

      // Small figures get a small prefix rather than 0.000003 TFLOP/s.
      const cpu = rooflineChart(LAVAPIPE);
      expect(cpu.y.title).toBe('achieved GFLOP/s');
      expect(cpu.note).toMatch(/No roofs: .*calibrate/);
    },
  );

  it('says what to run instead of drawing an empty grid', () => {
    const memcopyOnly: RunResult = { ...sampleRun(), cases: sampleRun().cases };
    expect(rooflineChart(memcopyOnly).empty).toMatch(/No compute cases .*peak, matmul or attention suite/);
    expect(bandwidthChart(H100).empty).toMatch(/run the memcopy suite/);
  });

  it(
    'bandwidth starts at 0 with the peaks as lines; one size per kernel is a bar chart that says how to get ' +
      'the sweep',
    () => {
      const run: RunResult = {
        ...LAVAPIPE,
        peaks: {
          calibrated: null,
          datasheet: { id: 'x', name: 'X', compute: {}, bandwidth: { gbps: 10, source: 's' } },
        },
      };
      const quick = bandwidthChart(run);
      expect(quick.x.type).toBe('category');
      expect(quick.x.labels).toEqual(['copy 128 MiB', 'read 128 MiB', 'write 128 MiB']);
      expect(quick.y.min).toBe(0);
      expect(quick.y.title).toBe('median bandwidth (GB/s)');
      expect(quick.annotations).toEqual([
        { kind: 'hline', y: 10, text: 'datasheet (X) 10 GB/s', color: expect.any(String) as string },
      ]);
      expect(quick.note).toMatch(/quick mode.*run without quick/);

      const copy = sampleRun().cases[0] as CaseResult;
      const sizes = [1, 4, 16, 64].map((mib) => ({
        ...copy,
        id: `memcopy/copy/bytes=${String(mib * 2 ** 20)}`,
        name: `copy ${String(mib)} MiB`,
        params: { kernel: 'copy', bufferBytes: mib * 2 ** 20 },
      }));
      const sweep = bandwidthChart({ ...sampleRun(), cases: sizes });
      expect(sweep.x.type).toBe('logarithmic');
      expect(sweep.x.ticks.map((t) => t.label)).toEqual(['1 MiB', '4 MiB', '16 MiB', '64 MiB']);
      expect(sweep.y.ticks[0]?.value).toBe(0);
      expect(sweep.note).toMatch(/No peak line: calibrate/);
    },
  );

  it('the distribution chart names each case on its axis and in every tooltip', () => {
    const spec = distributionChart(LAVAPIPE);
    const ok = LAVAPIPE.cases.filter((c) => c.status === 'ok');
    expect(spec.y.ticks.map((t) => t.label)).toEqual(ok.map((c) => c.name));
    expect(spec.series[0]?.points).toHaveLength(ok.reduce((n, c) => n + c.samplesNs.length, 0));
    expect(spec.series[0]?.points[0]?.label).toMatch(/^copy 128 MiB, pass 1: .* per dispatch, [\d.]+% of its median/);
  });
});

describe('headline', () => {
  it(
    'names the H100 and shows bandwidth, FP32/FP16, best GEMM per unit and the matrix units beside the ' + 'datasheet',
    () => {
      const h = headlineOfRun(H100);
      expect(h.title).toBe('NVIDIA H100 80GB HBM3');
      expect(h.driver).toBe('NVIDIA: 580.159.04 580.159.4.0');
      expect(h.facts).toBe('vendor nvidia · via vulkan · GPU · core features');
      const byKey = Object.fromEntries(h.cards.map((c) => [c.key, c]));
      expect(byKey['bandwidth']).toMatchObject({
        value: '3.12 TB/s',
        from: 'calibrated 2026-11-27',
        datasheet: 'datasheet 3.35 TB/s',
      });
      expect(byKey['fp32']).toMatchObject({
        value: '64.4 TFLOP/s',
        from: 'FMA f32',
        datasheet: 'datasheet 66.9 TFLOP/s',
        share: { text: '96.3%', over: false, label: 'MFU vs datasheet' },
      });
      expect(byKey['gemm-matrixF16']).toMatchObject({
        value: '38.5 TFLOP/s',
        from: 'subgroup-matrix-f16 4096³',
        datasheet: 'datasheet 989 TFLOP/s',
      });
      expect(byKey['gemm-int8Dot4']?.value).toBe('3.7 TOP/s');
      expect(byKey['matrixF16']).toMatchObject({ title: 'FP16 matrix units peak', datasheet: 'datasheet 989 TFLOP/s' });
      expect(byKey['timer']).toMatchObject({ value: 'GPU timestamps', warning: null });
    },
  );

  it('before a run: the device alone, what to press, and a quantized timer said plainly', () => {
    const h = headline({
      device: BROWSER_DEVICE,
      timer: { kind: 'timestamp-query', method: 'm', resolutionNs: 100_000, quantized: true, rawTimestampsSeen: 4 },
      peaks: null,
      cases: [],
      run: null,
      tuning: null,
    });
    expect(h.title).toBe('Google SwiftShader');
    expect(h.driver).toBeNull();
    expect(h.run).toBeNull();
    const byKey = Object.fromEntries(h.cards.map((c) => [c.key, c]));
    expect(byKey['fp32']).toMatchObject({ value: 'not measured', warning: 'press Run (peak suite)' });
    expect(byKey['fp16']).toMatchObject({
      value: 'not available',
      warning: 'not available: this adapter has no shader-f16 feature',
    });
    expect(byKey['matrix']?.value).toBe('not reachable');
    expect(byKey['timer']?.warning).toMatch(/quantized to 100\.00 µs/);
  });
});

describe('tables', () => {
  it('folds skipped cases into one line per reason and flags shares above 100%', () => {
    const groups = skipGroups(H100.cases);
    expect(groups.map((g) => [g.names.length, g.reason])).toEqual([
      [3, 'the 128×128 tile needs M, N multiples of 128 and K of 8 (got 1×4096×4096)'],
      [2, 'needs M and N multiples of 32 and K of 32 (got 1×4096×4096)'],
    ]);
    expect(percentCell(1.489)).toEqual({ text: '148.9%', over: true });
    expect(percentCell(null)).toEqual({ text: '—', over: false });
    const html = renderResults(H100.cases);
    expect(html).toContain(
      '<summary>3 cases not applicable: the 128×128 tile needs M, N multiples of 128 and K of 8 (got ' +
        '1×4096×4096)</summary>',
    );
    expect(html).toContain('<th scope="row" title="matmul/tiled-f32/4096x4096x4096">tiled-f32 4096³</th>');
    expect(html).toMatch(/<span class="over" [^>]*>100\.1%<span aria-hidden="true"> ⚠<\/span>/);
    // A failed case says why on its own row.
    expect(renderResults(sampleRun().cases)).toMatch(
      /<tr class="message failed"><td colspan="9">output does not match the reference/,
    );
  });

  it('compare says "skipped in both" and names cases as the CLI does', () => {
    const html = renderComparison(compareRuns(H100, H100), H100, H100, { base: 'a.json', next: 'b.json' });
    expect(html).toMatch(
      /<th scope="row">tiled-f32 GEMV 1×4096×4096<\/th>(<td>[^<]*<\/td>){4}<td>skipped in both<\/td>/,
    );
    expect(html).toContain('both on NVIDIA H100 80GB HBM3 (vulkan)');
  });
});

describe('the HTML report', () => {
  it(
    'is one self-contained file: CSS and scripts inline, no way to break out of a script, the chart runtime ' +
      'inlined whole',
    () => {
      const bad = withSamples({ ...(sampleRun().cases[0] as CaseResult), name: '</script><b>x' }, [1000, 1100, 1200]);
      const html = renderHtml(
        { ...sampleRun(), cases: [bad], device: { ...sampleRun().device, description: '</script><b>x' } },
        { chartJs: 'window.Chart = function Chart() {};', css: 'body{color:red}' },
      );
      expect(html).toContain('window.Chart = function Chart() {};');
      expect(html).toContain('<style>body{color:red}</style>');
      expect(html).not.toContain('</script><b>x');
      expect(html).not.toMatch(/<script src=|<link /);
      expect(html).toContain(drawCharts.toString().slice(0, 60));
      expect(html).toContain('<h1 class="device-title" id="device-title">llvmpipe</h1>');
      expect(html).toMatch(
        /<canvas id="bandwidth" role="img" aria-label="Memory bandwidth at one buffer size per kernel: /,
      );
      expect(html).toContain('<a href="#bandwidth-data" data-opens="bandwidth-data">');
    },
  );
});
