import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportAssets } from '../../src/platform/node.js';
import { renderHtml } from '../../src/reporters/html.js';
import { parseRunResult } from '../../src/results/schema.js';
import type { DrawnChart } from '../../src/view/chartRuntime.js';
import { resolveChromium } from '../helpers/chromium.js';
import { horizontalOverflowPx, screenshotWidths, seriousA11yViolations } from '../helpers/pageChecks.js';

const FIXTURE = join('test', 'fixtures', 'h100-compute.json');

let browser: Browser;
beforeAll(async () => {
  // Playwright cannot download its own browser here: the user's, the system's or npm's Chromium.
  const { executablePath } = await resolveChromium();
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
});

const drawnCharts = async (page: Page): Promise<DrawnChart[]> =>
  (await (
    await page.waitForFunction(() =>
      (window as unknown as { wgbenchView?: { describe: () => unknown } }).wgbenchView?.describe(),
    )
  ).jsonValue()) as DrawnChart[];

describe('the HTML report in headless Chromium', () => {
  it(
    'opens offline: the saved H100 run headed by its device, charts that label themselves, no overflow at ' +
      '400 px, no serious a11y violation',
    async () => {
      const run = parseRunResult(JSON.parse(readFileSync(FIXTURE, 'utf8')), FIXTURE);
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-html-'));
      const file = join(dir, 'report.html');
      writeFileSync(file, renderHtml(run, reportAssets()));
      const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      // Every request other than the file itself would mean the report is not self-contained.
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href);
      const charts = await drawnCharts(page);

      // The headline: the device by name, the driver on its own line, cards beside the datasheet.
      expect(await page.title()).toBe('wgbench — NVIDIA H100 80GB HBM3');
      expect(await page.textContent('h1')).toBe('NVIDIA H100 80GB HBM3');
      expect(await page.textContent('.device-driver')).toBe('driver: NVIDIA: 580.159.04 580.159.4.0');
      const cards = await page.$$eval('.card', (els) =>
        els.map((el) => [
          el.querySelector('.card-title')?.textContent ?? '',
          el.querySelector('.card-value')?.textContent ?? '',
          el.querySelector('.card-sheet')?.textContent ?? '',
        ]),
      );
      expect(cards.slice(0, 3)).toEqual([
        ['Memory bandwidth', '3.12 TB/s', 'datasheet 3.35 TB/s · of datasheet 93.1%'],
        ['FP32 peak', '64.4 TFLOP/s', 'datasheet 66.9 TFLOP/s · MFU vs datasheet 96.3%'],
        ['FP16 peak', '127 TFLOP/s', 'datasheet 134 TFLOP/s · MFU vs datasheet 94.6%'],
      ]);
      expect(cards.map((c) => c[0])).toEqual(
        expect.arrayContaining(['Best GEMM · FP16 matrix', 'FP16 matrix units peak', 'Timer']),
      );

      // Charts: titled axes in units scaled to the data, decade ticks, roofs with their peaks, ridges labelled.
      const roofline = charts.find((c) => c.id === 'roofline');
      expect(roofline?.xTitle).toBe('arithmetic intensity (FLOP/byte)');
      expect(roofline?.yTitle).toBe('achieved TFLOP/s (TOP/s for int8)');
      expect(roofline?.xTicks).toEqual(['0.1', '1', '10', '100', '1,000', '10,000', '100,000']);
      expect(roofline?.yTicks).toEqual(['0.01', '0.1', '1', '10', '100', '1,000']);
      expect(roofline?.datasets.filter((d) => d.label.includes(' roof · ')).map((d) => d.label)).toEqual([
        'FP32 (scalar FMA) roof · 64.4 TFLOP/s',
        'FP16 (scalar FMA) roof · 127 TFLOP/s',
        'INT8 packed dot product (dot4I8Packed, TOP/s) roof · 3.7 TOP/s',
        'FP16 matrix units (dense) roof · 38.6 TFLOP/s',
        'INT8 matrix units (dense, TOP/s) roof · 39.3 TOP/s',
      ]);
      expect(roofline?.annotations).toHaveLength(5);
      expect(roofline?.annotations.every((a) => /^ridge [\d.,]+ FLOP\/B$/.test(a))).toBe(true);
      const computeCases = run.cases.filter((c) => c.status === 'ok' && c.compute).length;
      expect(roofline?.datasets.filter((d) => d.label.startsWith('cases on')).reduce((n, d) => n + d.points, 0)).toBe(
        computeCases,
      );
      const distribution = charts.find((c) => c.id === 'distribution');
      expect(distribution?.yTitle).toBe('case');
      expect(distribution?.yTicks).toEqual(run.cases.filter((c) => c.status === 'ok').map((c) => c.name));
      expect(distribution?.xTitle).toMatch(/% of the case.s median/);
      expect(distribution?.datasets[0]?.points).toBe(
        run.cases.filter((c) => c.status === 'ok').reduce((n, c) => n + c.samplesNs.length, 0),
      );
      // No memcopy in this run: the bandwidth chart says what to run instead of drawing an empty grid.
      expect(charts.find((c) => c.id === 'bandwidth')).toBeUndefined();
      expect(await page.textContent('#bandwidth-empty')).toMatch(/run the memcopy suite/);

      // Every chart has a text alternative and a link that opens its data table.
      expect(await page.getAttribute('#roofline', 'aria-label')).toMatch(
        /^Roofline: 11 compute cases .* under 5 roofs from the calibrated peaks\.$/,
      );
      expect(await page.$eval('#roofline-data', (d) => (d as HTMLDetailsElement).open)).toBe(false);
      // By keyboard: Tab reaches the link, Enter follows it and opens the table.
      await page.focus('#roofline-title');
      for (
        let i = 0;
        i < 20 && (await page.evaluate(() => document.activeElement?.getAttribute('data-opens'))) !== 'roofline-data';
        i++
      )
        await page.keyboard.press('Tab');
      await page.keyboard.press('Enter');
      expect(await page.$eval('#roofline-data', (d) => (d as HTMLDetailsElement).open)).toBe(true);
      expect(await page.$$eval('#roofline-data tbody tr', (trs) => trs.length)).toBe(computeCases);

      // The canvas really has ink on it, not just an empty frame.
      const inked = await page.evaluate(() => {
        const canvas = document.getElementById('roofline') as HTMLCanvasElement;
        const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if ((data[i] as number) > 0) n++;
        return n / (canvas.width * canvas.height);
      });
      expect(inked).toBeGreaterThan(0.01);
      // Skipped cases fold into one line per reason; shares above 100% are flagged as the CLI does.
      expect(await page.$$eval('details.skipped summary', (s) => s.map((x) => x.textContent))).toEqual([
        '3 cases not applicable: the 128×128 tile needs M, N multiples of 128 and K of 8 (got 1×4096×4096)',
        '2 cases not applicable: needs M and N multiples of 32 and K of 32 (got 1×4096×4096)',
      ]);
      expect(await page.$$eval('tr.skipped', (trs) => trs.length)).toBe(0);
      expect(await page.$$eval('.over', (s) => s.map((x) => x.textContent))).toContain(
        '100.1% ⚠ (above 100%, flagged)',
      );

      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.setViewportSize({ width: 400, height: 900 });
      await page.waitForTimeout(200);
      expect(await horizontalOverflowPx(page)).toBe(0);
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(20, 23, 28)');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.emulateMedia({ colorScheme: 'light' });
      await screenshotWidths(page, 'report-h100');

      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      await page.close();
    },
  );

  it('the accessibility scan can fail: an image without a text alternative is a critical violation', async () => {
    const page = await browser.newPage();
    await page.setContent(
      '<!doctype html><html lang="en"><head><title>t</title></head><body><main><img src="data:,"></main></body></html>',
    );
    expect((await seriousA11yViolations(page)).map((v) => v.id)).toContain('image-alt');
    await page.close();
  });
});
