import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveChromium } from '../helpers/chromium.js';

// A bare machine has no system Chromium: the browser tests then use the one npm ships.
let server: Server;
let url = '';
beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>wgbench</title><p>adapter probe</p>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(
  () =>
    new Promise<void>((done) =>
      server.close(() => {
        done();
      }),
    ),
);

describe('Chromium for the browser tests', () => {
  it("a user path wins, else the system Chromium, else npm's", async () => {
    await expect(resolveChromium({ WGBENCH_CHROMIUM: '/nonexistent/chrome' })).rejects.toThrow(/does not exist/);
    const auto = await resolveChromium({});
    expect(auto.source).toMatch(/system|npm/);
  });

  it(
    'the npm Chromium (@sparticuz/chromium) starts headless and gives a WebGPU adapter on a ' + 'localhost page',
    async () => {
      const choice = await resolveChromium({ WGBENCH_CHROMIUM: 'npm' });
      expect(choice.source).toBe('npm (@sparticuz/chromium)');
      const browser = await chromium.launch({
        executablePath: choice.executablePath,
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
          '--no-first-run',
        ],
      });
      try {
        const page = await browser.newPage();
        await page.goto(url);
        const info = await page.evaluate(async () => {
          const adapter = await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter();
          return adapter
            ? {
                vendor: adapter.info.vendor,
                architecture: adapter.info.architecture,
                timestamps: adapter.features.has('timestamp-query'),
              }
            : null;
        });
        expect(info).not.toBeNull();
        expect(info?.architecture).toBe('swiftshader');
      } finally {
        await browser.close();
      }
    },
  );
});
