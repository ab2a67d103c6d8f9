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

// The built page, served from a local static server (navigator.gpu needs a secure context:
// localhost counts), driven in headless Chromium (the user's, the system's or npm's) on its
// SwiftShader adapter.
let CHROMIUM = '';
const FLAGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let server: PreviewServer;
let url: string;
let browser: Browser;

beforeAll(async () => {
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

describe('the wgbench page in headless Chromium', () => {
  it('probes SwiftShader, runs the quick suite, fills the table, and exports JSON that `wgbench report` renders', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase !== 'probing', null, { timeout: 60_000 });
    expect(await page.textContent('#probe-status')).toMatch(/swiftshader .*via browser \(CPU adapter, core\); timer timestamp-query/);
    expect(await page.textContent('#probe-table')).toMatch(/max storage binding/);
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase), null, { timeout: 300_000 });
    expect(await page.textContent('#run-status')).toMatch(/^complete: \d+ cases, 0 failed or errored/);
    const rows = await page.$$eval('#results-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const ok = rows.filter((r) => r[1] === 'ok');
    expect(ok.length).toBeGreaterThanOrEqual(8);
    for (const r of ok) {
      expect(r[2]).toBe('pass');
      expect(r[5]).toMatch(/GB\/s|FLOP\/s|OP\/s/);
    }
    expect(await page.evaluate(() => document.querySelector<HTMLCanvasElement>('#roofline')?.width ?? 0)).toBeGreaterThan(100);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-page-')), 'exported.json');
    await download.saveAs(file);
    const run = parseRunResult(JSON.parse(readFileSync(file, 'utf8')), file);
    expect(run.device.backend).toBe('browser');
    expect(run.cases.filter((c) => c.status === 'ok').every((c) => c.check?.passed === true && c.samplesNs.length > 0)).toBe(true);
    const report = await runCli(['report', file, '--md', join(tmpdir(), 'page-report.md')]);
    expect(report.code).toBe(0);
    expect(report.out).toMatch(/via browser/);

    // Loading a saved run compares it with the one on screen, case by case.
    await page.setInputFiles('#load', file);
    await page.waitForSelector('#comparison-table tr:nth-child(2)');
    const verdicts = await page.$$eval('#comparison-table tr', (trs) => trs.slice(1).map((tr) => tr.lastElementChild?.textContent ?? ''));
    expect(verdicts.length).toBe(run.cases.length);
    expect(verdicts.every((v) => v === 'unchanged' || v === 'skipped')).toBe(true);

    // Calibration is measured in the tab and kept in browser storage (and offered as a download).
    await page.click('#calibrate');
    await page.waitForFunction(() => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase) && !(document.getElementById('calibrate') as HTMLButtonElement).disabled, null, { timeout: 300_000 });
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('wgbench.calibration.')));
    expect(stored).toHaveLength(1);
    expect(await page.isDisabled('#download-calibration')).toBe(false);
    expect(await page.textContent('#probe-table')).toMatch(/peaks/);

    await page.screenshot({ path: join(tmpdir(), 'wgbench-page.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('runs kvtier in the tab with the Origin Private File System as the disk tier, and cleans up', async () => {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready', null, { timeout: 60_000 });
    await page.evaluate(() => {
      for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]')) i.checked = i.value === 'kvtier';
    });
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase), null, { timeout: 300_000 });
    const cases = await page.evaluate(() => (globalThis as unknown as { wgbench: { run: { cases: { id: string; status: string; params: Record<string, unknown>; extras?: Record<string, unknown> | null }[] } } }).wgbench.run.cases);
    expect(cases.every((c) => c.status === 'ok')).toBe(true);
    const disk = cases.filter((c) => String(c.params['path']).includes('nvme'));
    expect(disk.length).toBeGreaterThanOrEqual(4);
    expect(disk.every((c) => String(c.extras?.['scratchFile']).startsWith('opfs:/'))).toBe(true);
    const left = await page.evaluate(async () => {
      const names: string[] = [];
      for await (const key of (await navigator.storage.getDirectory() as unknown as { keys: () => AsyncIterable<string> }).keys()) names.push(key);
      return names;
    });
    expect(left).toEqual([]);
    await page.close();
  });

  it('runs the overhead suite in the tab: every cost checked, fitted or per call, in its own table', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1400 } });
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready', null, { timeout: 60_000 });
    expect(await page.isHidden('#overhead')).toBe(true);
    await page.evaluate(() => {
      for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]')) i.checked = i.value === 'overhead';
    });
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase), null, { timeout: 300_000 });
    const run = parseRunResult(await page.evaluate(() => JSON.parse(JSON.stringify((globalThis as unknown as { wgbench: { run: unknown } }).wgbench.run)) as unknown), 'page');
    expect(run.cases.length).toBeGreaterThanOrEqual(18);
    for (const c of run.cases) expect(c.status, `${c.id}: ${c.message ?? ''}`).toBe('ok');
    const dispatch = run.cases.find((c) => c.id === 'overhead/dispatch');
    expect((dispatch?.extras?.['fit'] as { slopeNs: number }).slopeNs).toBeGreaterThan(0);
    // Chromium coarsens performance.now() (100 µs here): host-timed figures must say so.
    for (const c of run.cases.filter((x) => x.timer?.kind === 'host-wall')) expect(c.timer?.quantized).toBe((c.timer?.resolutionNs ?? 0) >= 1000);
    const rows = await page.$$eval('#overhead-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    expect(rows).toHaveLength(run.cases.length);
    expect(rows[0]?.slice(0, 3)).toEqual(['per dispatch', 'ok', 'per dispatch (fitted)']);
    expect(rows[0]?.[6]).toMatch(/^slope .*, intercept .*, R² [\d.]+ \(\d+ points\)$/);
    // The figures for BENCHMARKS.md: `WGBENCH_PAGE_RUN_OUT=file npx vitest run test/browser/page.test.ts -t overhead`.
    const out = process.env['WGBENCH_PAGE_RUN_OUT'];
    if (out !== undefined && out !== '') writeFileSync(out, JSON.stringify(run, null, 2));
    await page.close();
    // SwiftShader compiles the tiled matmul in about a second a time, and the compile cases take six each.
  }, 600_000);

  it('explains itself when the browser has no WebGPU', async () => {
    const plain = await chromium.launch({ executablePath: CHROMIUM, args: [...FLAGS, '--disable-features=WebGPU', '--disable-gpu'] });
    try {
      const page = await plain.newPage();
      await page.goto(url);
      await page.waitForFunction(() => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase !== 'probing', null, { timeout: 60_000 });
      expect(await page.evaluate(() => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase)).toBe('no-webgpu');
      expect(await page.textContent('#probe-status')).toMatch(/no (WebGPU|adapter)[\s\S]*--enable-unsafe-webgpu/);
      expect(await page.isDisabled('#run')).toBe(true);
    } finally {
      await plain.close();
    }
  });
});
