import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartJsSource } from '../../src/platform/node.js';
import { renderHtml } from '../../src/reporters/html.js';
import { parseRunResult } from '../../src/results/schema.js';
import { resolveChromium } from '../helpers/chromium.js';

const FIXTURE = join('test', 'fixtures', 'h100-compute.json');

let browser: Browser;
beforeAll(async () => {
  // Playwright cannot download its own browser here: the user's, the system's or npm's Chromium.
  const { executablePath } = await resolveChromium();
  browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
});

describe('the HTML report in headless Chromium', () => {
  it('opens offline and draws the roofline with every compute case on it (screenshot)', async () => {
    const run = parseRunResult(JSON.parse(readFileSync(FIXTURE, 'utf8')), FIXTURE);
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-html-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(run, chartJsSource()));
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    // Every request other than the file itself would mean the report is not self-contained.
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    const chart = await page.waitForFunction(() => {
      const c = (window as unknown as { Chart?: { getChart: (id: string) => { data: { datasets: { label: string; data: unknown[] }[] } } | undefined } }).Chart?.getChart('roofline');
      return c ? c.data.datasets.map((d) => ({ label: d.label, points: d.data.length })) : null;
    });
    const datasets = (await chart.jsonValue()) as { label: string; points: number }[];
    const roofs = datasets.filter((d) => d.label.includes('roof'));
    const cases = datasets.filter((d) => d.label.startsWith('cases on'));
    expect(roofs.map((r) => r.label.split(' roof')[0])).toEqual(['FP32 (scalar FMA)', 'FP16 (scalar FMA)', 'INT8 packed dot product (dot4I8Packed, TOP/s)', 'FP16 matrix units (dense)', 'INT8 matrix units (dense, TOP/s)']);
    expect(cases.reduce((s, d) => s + d.points, 0)).toBe(run.cases.filter((c) => c.status === 'ok' && c.compute).length);
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
    const passes = await page.evaluate(() => (window as unknown as { Chart: { getChart: (id: string) => { data: { datasets: { data: unknown[] }[] } } } }).Chart.getChart('distribution').data.datasets[0]?.data.length);
    expect(passes).toBe(run.cases.filter((c) => c.status === 'ok').reduce((n, c) => n + c.samplesNs.length, 0));
    expect(await page.evaluate(() => (window as unknown as { Chart: { getChart: (id: string) => unknown } }).Chart.getChart('bandwidth') !== undefined)).toBe(true);
    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: false });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(20_000);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.close();
  });
});
