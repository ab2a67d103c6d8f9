import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open.js';
import type { HistoryStore } from '../../src/history/store.js';
import { reportAssets } from '../../src/platform/node.js';
import { parseRunResult } from '../../src/results/schema.js';
import { buildServer } from '../../src/server/app.js';
import { resolveChromium } from '../helpers/chromium.js';

// The built page served by `wgbench serve` (strict CSP on), in headless Chromium on SwiftShader:
// it must run under that CSP, and its Upload button must land the run in the lab's history.
const FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];
const TOKEN = 'page-lab-token-0123456789';

let app: FastifyInstance;
let history: HistoryStore;
let browser: Browser;
let url: string;

beforeAll(async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'wgbench-served-page-'));
  await build({ configFile: 'vite.config.ts', logLevel: 'error', build: { outDir, emptyOutDir: true } });
  history = await openHistory(join(mkdtempSync(join(tmpdir(), 'wgbench-served-')), 'h.sqlite'));
  app = await buildServer({
    history,
    uploadToken: TOKEN,
    readToken: null,
    pageDir: resolve(outDir),
    bodyLimitBytes: 32 * 1024 * 1024,
    rateLimitPerMinute: 10_000,
    reportAssets: reportAssets(),
    version: 'test',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  browser = await chromium.launch({ executablePath: (await resolveChromium()).executablePath, args: FLAGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await history?.close();
});

describe('the page served by wgbench serve', () => {
  it('runs under the strict CSP and uploads its run to the lab with the token', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1200 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const response = await page.goto(url);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForFunction(
      () => (globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase === 'ready',
      null,
      { timeout: 60_000 },
    );
    await page.waitForSelector('#lab-upload', { state: 'visible' });
    await page.evaluate(() => {
      for (const i of document.querySelectorAll<HTMLInputElement>('input[name=suite]'))
        i.checked = i.value === 'memcopy';
    });
    await page.click('#run');
    await page.waitForFunction(
      () => ['done', 'error'].includes((globalThis as unknown as { wgbench: { phase: string } }).wgbench.phase),
      null,
      { timeout: 300_000 },
    );
    expect(await page.textContent('#run-status')).toMatch(/^complete: \d+ cases, 0 failed/);

    await page.fill('#upload-token', 'not-the-token-at-all');
    await page.click('#upload');
    await page.waitForFunction(() => (document.getElementById('upload-status')?.textContent ?? '') !== '');
    expect(await page.textContent('#upload-status')).toMatch(/the lab refused the upload \(HTTP 401\)/);
    expect((await history.counts()).runs).toBe(0);

    await page.fill('#upload-token', TOKEN);
    await page.click('#upload');
    await page.waitForFunction(() =>
      /uploaded to the lab as run \d+/.test(document.getElementById('upload-status')?.textContent ?? ''),
    );
    const [stored] = await history.listRuns();
    const doc = await history.runDocument(stored?.id ?? 0);
    const run = parseRunResult(JSON.parse(doc ?? 'null'), 'lab');
    const inTab = await page.evaluate(
      () => (globalThis as unknown as { wgbench: { run: { startedAt: string } } }).wgbench.run.startedAt,
    );
    expect(run.startedAt).toBe(inTab);
    expect(run.device.backend).toBe('browser');

    // The lab's own pages, and a run's report with inline Chart.js allowed by hash, draw without a CSP complaint.
    await page.goto(`${url}lab/runs/${stored?.id ?? 0}`);
    await page.waitForFunction(
      () => (document.getElementById('bandwidth') as HTMLCanvasElement | null)?.width !== undefined,
    );
    expect(
      await page.evaluate(() => (document.getElementById('bandwidth') as HTMLCanvasElement).width),
    ).toBeGreaterThan(100);
    await page.goto(`${url}lab`);
    expect(await page.textContent('main')).toMatch(/swiftshader|google/i);
    // The one refusal is the wrong token's 401, asked for above.
    expect(problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
    await page.close();
  }, 600_000);
});
