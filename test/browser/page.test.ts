import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { resolveChromium } from '../helpers/chromium.js';
import { readFileSync, writeFileSync } from 'node:fs';
import type { DrawnChart } from '../../src/view/chartRuntime.js';
import { horizontalOverflowPx, screenshotWidths, seriousA11yViolations } from '../helpers/pageChecks.js';

// The built page, served from a local static server (navigator.gpu needs a secure context:
// localhost counts), driven in headless Chromium (the user's, the system's or npm's) on its
// SwiftShader adapter.
let CHROMIUM = '';
const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let server: PreviewServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
  // The page is built with the one-file fixture suite in it, as a lab adds its own (vite.config.ts).
  process.env['WGBENCH_PAGE_SUITES'] = join('test', 'fixtures', 'suites', 'saxpy.ts');
  await build({ configFile: 'vite.config.ts', logLevel: 'error' });
  server = await preview({ configFile: 'vite.config.ts', preview: { port: 0, host: '127.0.0.1' }, logLevel: 'error' });
  url = server.resolvedUrls?.local[0] ?? '';
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  CHROMIUM = (await resolveChromium()).executablePath;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, '--enable-unsafe-webgpu'] });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type PageWindow = { wgbench: { phase: string; viewing: string; charts: DrawnChart[] } };
const H100 = join('test', 'fixtures', 'h100-compute.json');

describe('the wgbench page in headless Chromium', () => {
  it(
    'probes SwiftShader, runs the quick suite under a headline that names the device, draws labelled charts, ' +
      'exports JSON that `wgbench report` renders, and refreshes after Calibrate',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, acceptDownloads: true });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as PageWindow).wgbench.phase !== 'probing', null, {
        timeout: 60_000,
      });
      // Chrome leaves device and description empty: the headline still names the adapter.
      expect(await page.textContent('#device-title')).toBe('Google SwiftShader');
      expect(await page.textContent('.device-facts:not(#probe-status)')).toBe(
        'vendor google · architecture swiftshader · via browser · CPU adapter · core features',
      );
      expect(await page.textContent('#probe-status')).toMatch(/^this tab's adapter · timer timestamp-query/);
      expect(await page.textContent('#probe-table')).toMatch(/max storage binding/);
      expect(await page.textContent('#probe-table')).toMatch(/not calibrated: press Calibrate/);
      // Before a run: what to press, not an empty chart grid.
      expect(await page.textContent('#view')).toMatch(/No results yet: press Run, or open a results file/);
      expect(await page.textContent('.card[data-key="fp32"]')).toMatch(/not measured[\s\S]*press Run/);
      await page.click('#run');
      await page.waitForFunction(
        () => ['done', 'error'].includes((globalThis as unknown as PageWindow).wgbench.phase),
        null,
        { timeout: 300_000 },
      );
      expect(await page.textContent('#run-status')).toMatch(/^complete: \d+ cases, 0 failed or errored/);
      const rows = await page.$$eval('#view table.cases tbody tr:not(.message)', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent ?? '')),
      );
      const ok = rows.filter((r) => r[1] === 'ok');
      expect(ok.length).toBeGreaterThanOrEqual(8);
      for (const r of ok) {
        expect(r[2]).toBe('pass');
        expect(r[5]).toMatch(/B\/s|FLOP\/s|OP\/s/);
      }
      // The CLI's friendly names, and skipped cases folded into one line per reason.
      expect(rows.map((r) => r[0])).toContain('copy 128 MiB');
      expect(rows.every((r) => !(r[0] ?? '').includes('/'))).toBe(true);
      expect(await page.$$eval('#view tr.skipped', (trs) => trs.length)).toBe(0);
      const folded = await page.$$eval('#view details.skipped summary', (s) => s.map((x) => x.textContent ?? ''));
      expect(folded.length).toBeGreaterThan(0);
      expect(folded.every((f) => /^\d+ cases? not applicable: /.test(f))).toBe(true);
      expect(folded.some((f) => f.includes('shader-f16'))).toBe(true);
      // The headline's cards carry this run's figures, with units.
      expect(await page.textContent('.card[data-key="bandwidth"] .card-value')).toMatch(/^[\d.]+ [kMG]B\/s$/);
      expect(await page.textContent('.card[data-key="fp32"] .card-value')).toMatch(/^[\d.]+ [kMG]FLOP\/s$/);
      expect(await page.textContent('.card[data-key="fp16"]')).toMatch(/not available.*no shader-f16/);
      expect(await page.textContent('.card[data-key="timer"] .card-value')).toBe('GPU timestamps');

      // Charts read themselves: axis titles with units scaled to the data, decade ticks, names in the tooltips' data.
      const charts = await page.evaluate(() => (globalThis as unknown as PageWindow).wgbench.charts);
      const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
      expect(byId['roofline']?.xTitle).toBe('arithmetic intensity (FLOP/byte)');
      expect(byId['roofline']?.yTitle).toMatch(/^achieved [kMG]FLOP\/s \([kMG]OP\/s for int8\)$/);
      expect(byId['roofline']?.yTicks.every((t) => /^(0\.0*1|1(0|,000)*)$/.test(t))).toBe(true);
      expect(byId['bandwidth']?.type).toBe('bar');
      expect(byId['bandwidth']?.yTitle).toMatch(/^median bandwidth \([kMG]B\/s\)$/);
      expect(byId['bandwidth']?.yTicks[0]).toBe('0');
      expect(byId['bandwidth']?.xTicks).toEqual(['copy 128 MiB', 'read 128 MiB', 'write 128 MiB']);
      expect(await page.textContent('#view')).toMatch(/One buffer size per kernel \(quick mode\): run without quick/);
      expect(await page.textContent('#view')).toMatch(
        /No roofs: this device has no calibrated peaks and no datasheet entry — calibrate this device/,
      );
      expect(byId['distribution']?.yTicks).toEqual(ok.map((r) => r[0]));
      expect(
        await page.evaluate(() => document.querySelector<HTMLCanvasElement>('#roofline')?.width ?? 0),
      ).toBeGreaterThan(100);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.setViewportSize({ width: 400, height: 900 });
      await page.waitForTimeout(300);
      expect(await horizontalOverflowPx(page)).toBe(0);
      await page.setViewportSize({ width: 1200, height: 1400 });
      await screenshotWidths(page, 'page-quick-run');

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
      const file = join(mkdtempSync(join(tmpdir(), 'wgbench-page-')), 'exported.json');
      await download.saveAs(file);
      const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
      expect(run.device.backend).toBe('browser');
      expect(
        run.cases.filter((c) => c.status === 'ok').every((c) => c.check?.passed === true && c.samplesNs.length > 0),
      ).toBe(true);
      const report = await runCli(['report', file, '--md', join(tmpdir(), 'page-report.md')]);
      expect(report.code).toBe(0);
      expect(report.out).toMatch(/device: Google SwiftShader \[google \/ swiftshader\] via browser/);

      // Opening a saved run views it and compares it with this tab's run, case by case.
      await page.setInputFiles('#load', file);
      await page.waitForSelector('#comparison-table tbody tr');
      const verdicts = await page.$$eval('#comparison-table tbody tr', (trs) =>
        trs.map((tr) => tr.lastElementChild?.textContent ?? ''),
      );
      expect(verdicts.length).toBe(run.cases.length);
      expect(verdicts.every((v) => v === 'unchanged' || v === 'skipped in both')).toBe(true);
      expect(verdicts).toContain('skipped in both');
      expect(await page.textContent('#comparison-summary')).toMatch(
        /base: exported\.json; new: this tab's run; both on Google SwiftShader \(browser\)/,
      );
      await page.click('#back-to-run');
      expect(await page.evaluate(() => (globalThis as unknown as PageWindow).wgbench.viewing)).toBe('tab');

      // Calibration is measured in the tab, kept in browser storage, and the panel and headline say so at once.
      const before = await page.textContent('.run-line');
      await page.click('#calibrate');
      await page.waitForFunction(
        () =>
          ['done', 'error'].includes((globalThis as unknown as PageWindow).wgbench.phase) &&
          !(document.getElementById('calibrate') as HTMLButtonElement).disabled,
        null,
        { timeout: 300_000 },
      );
      const stored = await page.evaluate(() =>
        Object.keys(localStorage).filter((k) => k.startsWith('wgbench.calibration.')),
      );
      expect(stored).toHaveLength(1);
      expect(await page.isDisabled('#download-calibration')).toBe(false);
      expect(await page.textContent('#probe-table')).toMatch(
        /peaks\s*calibrated 20\d\d-\d\d-\d\dT[\d:.]+Z \(in this browser's storage\)/,
      );
      expect(await page.textContent('.run-line')).not.toBe(before);
      expect(await page.textContent('.card[data-key="bandwidth"] .card-value')).toMatch(/^[\d.]+ [kMG]B\/s$/);
      // The tab's own run right after calibrating, of the suites calibration measures (the peak probes and
      // memcopy): no MFU or MBU above 100% beyond the noise both recorded.
      await page.$$eval('input[name="suite"]', (inputs) => {
        for (const input of inputs as HTMLInputElement[]) input.checked = ['peak', 'memcopy'].includes(input.value);
      });
      await page.click('#run');
      await page.waitForFunction(
        () => ['done', 'error'].includes((globalThis as unknown as PageWindow).wgbench.phase),
        null,
        { timeout: 300_000 },
      );
      expect(await page.textContent('#run-status')).toMatch(/^complete: \d+ cases, 0 failed or errored/);
      // The canary is read in the tab too, between the cases, and the headline says what it did.
      expect(await page.textContent('.canary-line')).toMatch(/^canary: (held still|unsteady|MOVED)/);
      const shares = await page.$$eval('#view table.cases tbody tr:not(.message) td', (tds) =>
        tds.map((td) => td.textContent ?? '').filter((t) => /^\d+\.\d%/.test(t)),
      );
      expect(shares.length).toBeGreaterThan(0);
      const flagged = await page.$$eval('#view .over, .card .over', (els) =>
        els.map((e) => (e.closest('tr, .card')?.textContent ?? '').replace(/\s+/g, ' ')),
      );
      expect(flagged, 'over 100% past the noise after calibrating').toEqual([]);

      expect(errors).toEqual([]);
      await page.close();
    },
  );

  it(
    'Tune searches launch shapes in the tab within its budget, stores them, and the panel, headline and next ' +
      'run use them',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as PageWindow).wgbench.phase === 'ready', null, {
        timeout: 60_000,
      });
      expect(await page.textContent('#probe-table')).toMatch(/tuning\s*not tuned: press Tune/);
      await page.fill('#tune-budget', '15');
      await page.click('#tune');
      await page.waitForFunction(
        () =>
          ['done', 'error'].includes((globalThis as unknown as PageWindow).wgbench.phase) &&
          !(document.getElementById('tune') as HTMLButtonElement).disabled,
        null,
        { timeout: 120_000 },
      );
      const status = (await page.textContent('#run-status')) ?? '';
      const m = new RegExp(
        '^tuned (\\d+) problems?(?: \\(\\d+ more cut by the budget before their default was measured: [^)]*\\' +
          '))? in ([\\d.]+) s of 15 s: ',
      ).exec(status);
      expect(m, status).not.toBeNull();
      expect(Number(m?.[1])).toBeGreaterThan(0);
      expect(Number(m?.[2])).toBeLessThanOrEqual(15 * 1.1);
      const stored = await page.evaluate(() =>
        Object.keys(localStorage)
          .filter((k) => k.startsWith('wgbench.tuning.'))
          .map(
            (k) =>
              JSON.parse(localStorage.getItem(k) ?? 'null') as {
                kind: string;
                entries: { family: string; shapeClass: string; source: string }[];
              },
          ),
      );
      expect(stored).toHaveLength(1);
      expect(stored[0]?.kind).toBe('wgbench-tuning');
      expect(await page.textContent('#probe-table')).toMatch(
        /tuning\s*\d+ of \d+ problems on tuned shapes \(tuned 20\d\d-\d\d-\d\d\)/,
      );
      expect(await page.textContent('.tuning-line')).toMatch(/^tuning: \d+ of \d+ problems on tuned shapes/);

      // The next run uses them: every memcopy case says where its launch shape came from.
      await page.evaluate(() => {
        for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]'))
          i.checked = i.value === 'memcopy';
      });
      await page.click('#run');
      await page.waitForFunction(
        () =>
          ['done', 'error'].includes((globalThis as unknown as PageWindow).wgbench.phase) &&
          !(document.getElementById('run') as HTMLButtonElement).disabled,
        null,
        { timeout: 120_000 },
      );
      const cases = await page.evaluate(
        () =>
          (globalThis as unknown as { wgbench: { run: { cases: { params: Record<string, unknown> }[] } } }).wgbench.run
            .cases,
      );
      const tunedKernels = new Set(
        (stored[0]?.entries ?? [])
          .filter((e) => e.family === 'memcopy' && e.source === 'tuned')
          .map((e) => e.shapeClass),
      );
      for (const c of cases)
        expect(c.params['source']).toBe(tunedKernels.has(String(c.params['kernel'])) ? 'tuned' : 'default');
      expect(errors).toEqual([]);
      await page.close();
    },
    300_000,
  );

  it('runs kvtier in the tab with the Origin Private File System as the disk tier, and cleans up', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(
      () => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready',
      null,
      { timeout: 60_000 },
    );
    await page.evaluate(() => {
      for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]'))
        i.checked = i.value === 'kvtier';
    });
    await page.click('#run');
    await page.waitForFunction(
      () => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase),
      null,
      { timeout: 300_000 },
    );
    const cases = await page.evaluate(
      () =>
        (
          globalThis as unknown as {
            wgbench: {
              run: {
                cases: {
                  id: string;
                  status: string;
                  params: Record<string, unknown>;
                  extras?: Record<string, unknown> | null;
                }[];
              };
            };
          }
        ).wgbench.run.cases,
    );
    expect(cases.every((c) => c.status === 'ok')).toBe(true);
    const disk = cases.filter((c) => String(c.params['path']).includes('nvme'));
    expect(disk.length).toBeGreaterThanOrEqual(4);
    expect(disk.every((c) => String(c.extras?.['scratchFile']).startsWith('opfs:/'))).toBe(true);
    const left = await page.evaluate(async () => {
      const names: string[] = [];
      for await (const key of (
        (await navigator.storage.getDirectory()) as unknown as { keys: () => AsyncIterable<string> }
      ).keys())
        names.push(key);
      return names;
    });
    expect(left).toEqual([]);
    await page.close();
  });

  it('runs the overhead suite in the tab: every cost checked, fitted or per call, in its own table', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(url);
    await page.waitForFunction(
      () => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready',
      null,
      { timeout: 60_000 },
    );
    expect(await page.$('#view table.overhead')).toBeNull();
    await page.evaluate(() => {
      for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]'))
        i.checked = i.value === 'overhead';
    });
    await page.click('#run');
    await page.waitForFunction(
      () => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase),
      null,
      { timeout: 300_000 },
    );
    const run = parseRunResult(
      await page.evaluate(
        () =>
          JSON.parse(JSON.stringify((globalThis as unknown as { wgbench: { run: unknown } }).wgbench.run)) as unknown,
      ),
      'page',
    );
    expect(run.cases.length).toBeGreaterThanOrEqual(18);
    for (const c of run.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
    const dispatch = run.cases.find((c) => c.id === 'overhead/dispatch');
    expect((dispatch?.extras?.['fit'] as { slopeNs: number }).slopeNs).toBeGreaterThan(0);
    // Chromium coarsens performance.now() (100 µs here): host-timed figures must say so.
    for (const c of run.cases.filter((x) => x.timer?.kind === 'host-wall'))
      expect(c.timer?.quantized).toBe((c.timer?.resolutionNs ?? 0) >= 1000);
    const rows = await page.$$eval('#view table.overhead tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent ?? '')),
    );
    expect(rows).toHaveLength(run.cases.length);
    expect(rows[0]?.slice(0, 3)).toEqual(['per dispatch', 'ok', 'per dispatch (fitted)']);
    expect(rows[0]?.[6]).toMatch(/^slope .*, intercept .*, R² [\d.]+ \(\d+ points\)$/);
    // The figures for BENCHMARKS.md: `WGBENCH_PAGE_RUN_OUT=file npx vitest run test/browser/page.test.ts -t overhead`.
    const out = process.env['WGBENCH_PAGE_RUN_OUT'];
    if (out !== undefined && out !== '') writeFileSync(out, JSON.stringify(run, null, 2));
    await page.close();
    // SwiftShader compiles the tiled matmul in about a second a time, and the compile cases take six each.
  }, 600_000);

  it(
    "lists every registered suite from the registry, a build's own included, and runs the one-file fixture " + 'suite',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      await page.goto(url);
      await page.waitForFunction(
        () => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready',
        null,
        { timeout: 60_000 },
      );
      const listed = await page.$$eval('input[name=suite]', (inputs) =>
        (inputs as HTMLInputElement[]).map((i) => [i.value, i.checked]),
      );
      const cli = await runCli(['suites']);
      const builtIn = [...cli.out.matchAll(/^(\S+) /gm)].map((m) => m[1]);
      expect(listed.map(([name]) => name)).toEqual([...builtIn, 'saxpy']);
      expect(listed.filter(([, checked]) => checked).map(([name]) => name)).toEqual(['memcopy', 'peak', 'matmul']);
      await page.evaluate(() => {
        for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]'))
          i.checked = i.value === 'saxpy';
      });
      await page.click('#run');
      await page.waitForFunction(
        () => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase),
        null,
        { timeout: 300_000 },
      );
      const run = parseRunResult(
        await page.evaluate(
          () =>
            JSON.parse(JSON.stringify((globalThis as unknown as { wgbench: { run: unknown } }).wgbench.run)) as unknown,
        ),
        'page',
      );
      expect(run.cases.map((c) => [c.id, c.key, c.status, c.check?.passed])).toEqual([
        ['saxpy/f32/n=65536', 'saxpy/f32/stream', 'ok', true],
      ]);
      expect(await page.textContent('#view table.cases')).toMatch(/saxpy 65536/);
      await page.close();
    },
    300_000,
  );

  it(
    'without WebGPU explains itself, and is still a viewer: opens the saved H100 file, compares two, and ' +
      'names what is wrong with a bad file',
    async () => {
      const plain = await chromium.launch({
        executablePath: CHROMIUM,
        args: [...FLAGS, '--disable-features=WebGPU', '--disable-gpu'],
      });
      try {
        const page = await plain.newPage({ viewport: { width: 1200, height: 1400 } });
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(url);
        await page.waitForFunction(() => (globalThis as unknown as PageWindow).wgbench.phase !== 'probing', null, {
          timeout: 60_000,
        });
        expect(await page.evaluate(() => (globalThis as unknown as PageWindow).wgbench.phase)).toBe('no-webgpu');
        expect(
          await page.evaluate(async () =>
            (navigator as Navigator & { gpu?: GPU }).gpu === undefined
              ? null
              : await (navigator as Navigator & { gpu: GPU }).gpu.requestAdapter(),
          ),
        ).toBeNull();
        expect(await page.textContent('#probe-status')).toMatch(
          /no (WebGPU|adapter)[\s\S]*--enable-unsafe-webgpu[\s\S]*results files still open/,
        );
        expect(await page.isDisabled('#run')).toBe(true);

        await page.setInputFiles('#load', H100);
        await page.waitForFunction(() => (globalThis as unknown as PageWindow).wgbench.charts.length > 0);
        expect(await page.textContent('#device-title')).toBe('NVIDIA H100 80GB HBM3');
        expect(await page.textContent('.device-driver')).toBe('driver: NVIDIA: 580.159.04 580.159.4.0');
        expect(await page.textContent('.card[data-key="fp32"] .card-value')).toBe('64.4 TFLOP/s');
        expect(await page.textContent('#viewer-status')).toBe(
          'showing h100-compute.json: 16 cases from NVIDIA H100 80GB HBM3',
        );
        const charts = await page.evaluate(() => (globalThis as unknown as PageWindow).wgbench.charts);
        expect(charts.map((c) => [c.id, c.xTitle, c.yTitle])).toEqual([
          ['roofline', 'arithmetic intensity (FLOP/byte)', 'achieved TFLOP/s (TOP/s for int8)'],
          ['distribution', '% of the case’s median time per dispatch', 'case'],
        ]);
        expect(await page.textContent('#bandwidth-empty')).toMatch(/run the memcopy suite/);
        expect(await seriousA11yViolations(page)).toEqual([]);
        await page.setViewportSize({ width: 400, height: 900 });
        await page.waitForTimeout(300);
        expect(await horizontalOverflowPx(page)).toBe(0);
        await page.setViewportSize({ width: 1200, height: 1400 });
        await screenshotWidths(page, 'page-viewer-h100');

        // Bad files: named, with the field, and the page keeps what it showed.
        const dir = mkdtempSync(join(tmpdir(), 'wgbench-viewer-'));
        const bad = (name: string, text: string): string => {
          writeFileSync(join(dir, name), text);
          return join(dir, name);
        };
        const h100 = JSON.parse(readFileSync(H100, 'utf8')) as { cases: { samplesNs: unknown }[]; startedAt: string };
        const cases: [string, string, RegExp][] = [
          [
            'truncated.json',
            '{"schemaVersion": 1, "cases": [',
            /^truncated\.json: not JSON \(.+\); a results file is what `wgbench run --json` or Export JSON writes$/,
          ],
          [
            'other.json',
            '{"name": "some other tool", "version": 3}',
            /^other\.json: "schemaVersion": .*not a valid wgbench results file/,
          ],
          [
            'field.json',
            JSON.stringify({ ...h100, cases: [{ ...h100.cases[0], samplesNs: 'fast' }] }),
            /^field\.json: "cases\.0\.samplesNs": .*not a valid wgbench results file/,
          ],
        ];
        for (const [name, text, message] of cases) {
          await page.setInputFiles('#load', bad(name, text));
          await page.waitForFunction(
            (n) => (document.getElementById('viewer-status')?.textContent ?? '').startsWith(n),
            name,
          );
          expect(await page.textContent('#viewer-status')).toMatch(message);
          expect(await page.getAttribute('#viewer-status', 'class')).toBe('error');
          expect(await page.textContent('#device-title')).toBe('NVIDIA H100 80GB HBM3');
        }

        // Two files dropped on the page: the older is the base, the newer is shown and compared with it.
        const later = JSON.stringify({ ...h100, startedAt: '2026-11-28T00:00:00.000Z' });
        const dropped = await page.evaluateHandle(
          ([a, b]) => {
            const dt = new DataTransfer();
            dt.items.add(new File([a], 'later.json', { type: 'application/json' }));
            dt.items.add(new File([b], 'h100-compute.json', { type: 'application/json' }));
            return dt;
          },
          [later, readFileSync(H100, 'utf8')] as const,
        );
        await page.dispatchEvent('#drop', 'drop', { dataTransfer: dropped });
        await page.waitForSelector('#comparison-table tbody tr');
        expect(await page.textContent('#comparison-summary')).toMatch(
          /^base: h100-compute\.json; new: later\.json; both on NVIDIA H100 80GB HBM3 \(vulkan\)/,
        );
        expect(await page.evaluate(() => (globalThis as unknown as PageWindow).wgbench.viewing)).toBe('later.json');
        expect(errors).toEqual([]);
      } finally {
        await plain.close();
      }
    },
  );
});
