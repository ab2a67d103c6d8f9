import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open.js';
import type { HistoryStore } from '../../src/history/store.js';
import { parseRunResult } from '../../src/results/schema.js';
import { buildServer, closeWithin, type ServerOptions } from '../../src/server/app.js';
import { historyBackendsForFile, POSTGRES_MISSING } from '../helpers/historyBackends.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const RUN_BODY = JSON.stringify(parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED));
const UPLOAD = 'upload-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';

interface Lab {
  port: number;
  app: FastifyInstance;
  history: HistoryStore;
  close: () => Promise<void>;
}

async function lab(db: string, options: Partial<ServerOptions> = {}): Promise<Lab> {
  const history = await openHistory(db);
  const app = await buildServer({
    history,
    uploadToken: UPLOAD,
    readToken: null,
    pageDir: null,
    bodyLimitBytes: 4 * 1024 * 1024,
    rateLimitPerMinute: 100_000,
    reportAssets: { chartJs: '/* chart.js */', css: '/* css */' },
    version: 'test',
    ...options,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    app,
    history,
    close: async () => {
      await app.close();
      await history.close();
    },
  };
}

/** Sends a request exactly as written (fetch would normalise the target) and returns the status. */
function raw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  body = '',
): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (m?.[1] !== undefined) {
        socket.destroy();
        resolve(Number(m[1]));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (!/^HTTP/.test(text)) reject(new Error(`no response to ${method} ${target}`));
    });
    const lines = [
      `${method} ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: close',
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

/** The forms that walked around a URL-string check, and more a router might normalise. */
const UPLOAD_TARGETS = (port: number): string[] => [
  '/api/run%73',
  '/api/%72uns',
  '/%61pi/runs',
  '/api/runs#x',
  `http://127.0.0.1:${port}/api/runs`,
  '/api/run%2573',
  '//api/runs',
  '/api/runs/',
  '/API/runs',
  '/api/runs;x=1',
  '/api/runs?x=1',
  '/./api/runs',
  '/api/../api/runs',
  '/api/runs%23x',
  '/api%2Fruns',
  '/api/runs%00',
  '/api/runs%20',
  '/%2561pi/runs',
  '/api/runs',
];

const { backends: BACKENDS } = historyBackendsForFile('security');

describe.each(BACKENDS)('the lab upload guard on $name', (backend) => {
  it(
    'no request form stores a run without the upload token (none, the read token only, or ' + 'uploads off)',
    async (ctx) => {
      if (!backend.available()) ctx.skip(POSTGRES_MISSING);
      const json = { 'Content-Type': 'application/json' };
      const open = await lab(await backend.fresh(), { readToken: READ });
      const off = await lab(await backend.fresh(), { uploadToken: null });
      try {
        for (const target of UPLOAD_TARGETS(open.port)) {
          const none = await raw(open.port, 'POST', target, json, RUN_BODY);
          const readOnly = await raw(open.port, 'POST', target, { ...json, Authorization: `Bearer ${READ}` }, RUN_BODY);
          const basic = await raw(
            open.port,
            'POST',
            target,
            { ...json, Authorization: `Basic ${Buffer.from(`x:${READ}`).toString('base64')}` },
            RUN_BODY,
          );
          const switchedOff = await raw(
            off.port,
            'POST',
            target.replace(String(open.port), String(off.port)),
            { ...json, Authorization: `Bearer ${UPLOAD}` },
            RUN_BODY,
          );
          for (const status of [none, readOnly, basic, switchedOff])
            expect(status, `POST ${target}`).toBeGreaterThanOrEqual(400);
        }
        expect(await open.history.listRuns()).toHaveLength(0);
        expect(await off.history.listRuns()).toHaveLength(0);
        // The same request with the token is stored: the forms above were refused by the guard, not by accident.
        expect(
          await raw(open.port, 'POST', '/api/runs', { ...json, Authorization: `Bearer ${UPLOAD}` }, RUN_BODY),
        ).toBe(201);
        expect(await open.history.listRuns()).toHaveLength(1);
      } finally {
        await open.close();
        await off.close();
      }
    },
    120_000,
  );
});

describe('the lab against hostile clients', () => {
  it('failed authentication counts against the rate limit', async () => {
    const s = await lab(join(mkdtempSync(join(tmpdir(), 'wgbench-sec-')), 'h.sqlite'), { rateLimitPerMinute: 20 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++)
        statuses.push(
          await raw(
            s.port,
            'POST',
            '/api/runs',
            { 'Content-Type': 'application/json', Authorization: `Bearer wrong-token-${i}-xxxxxxxxxxxx` },
            '{}',
          ),
        );
      expect(statuses.slice(0, 20).every((x) => x === 401)).toBe(true);
      expect(statuses.slice(20).every((x) => x === 429)).toBe(true);
      // Probing unknown paths costs the budget too.
      expect(await raw(s.port, 'GET', '/no/such/page', {})).toBe(429);
    } finally {
      await s.close();
    }
  });

  it('slow headers and slow bodies are cut off, other clients are served meanwhile, and close is bounded', async () => {
    const s = await lab(join(mkdtempSync(join(tmpdir(), 'wgbench-sec-')), 'h.sqlite'), {
      limits: { headersTimeoutMs: 1000, requestTimeoutMs: 2000, connectionsPerClient: 16, checkIntervalMs: 200 },
    });
    const sockets: Socket[] = [];
    const closedAt: number[] = [];
    const started = Date.now();
    const trickle = setInterval(() => {
      for (const sk of sockets) if (!sk.destroyed) sk.write('a');
    }, 300);
    try {
      for (let i = 0; i < 601; i++) {
        const sk = connect(s.port, '127.0.0.1');
        sk.on('error', () => undefined);
        sk.on('close', () => closedAt.push(Date.now() - started));
        // 301 send their headers and then a body a byte at a time; 300 never finish their headers.
        sk.write(
          i < 301
            ? `POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`
            : 'GET /lab HTTP/1.1\r\nX-Slow: ',
        );
        sockets.push(sk);
      }
      // Another client is answered while the slow ones are connected.
      const other = await new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', localAddress: '127.0.0.2', port: s.port, path: '/api/info', timeout: 2000 },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(other).toBe(200);
      await new Promise((r) => setTimeout(r, 4000));
      expect(sockets.filter((sk) => !sk.destroyed && sk.readyState === 'open').length).toBe(0);
      expect(closedAt.length).toBe(601);
      expect(Math.max(...closedAt)).toBeLessThan(4000);
    } finally {
      clearInterval(trickle);
      for (const sk of sockets) sk.destroy();
      await s.close();
    }
  }, 30_000);

  it('close ends requests still in flight after the grace period', async () => {
    const s = await lab(join(mkdtempSync(join(tmpdir(), 'wgbench-sec-')), 'h.sqlite'), {
      limits: { requestTimeoutMs: 600_000, headersTimeoutMs: 600_000 },
    });
    const sockets: Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const sk = connect(s.port, '127.0.0.1');
      sk.on('error', () => undefined);
      sk.write(
        'POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{',
      );
      sockets.push(sk);
    }
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await closeWithin(s.app, 500);
    await s.history.close();
    expect(Date.now() - t0).toBeLessThan(3000);
    for (const sk of sockets) sk.destroy();
  });

  it('`wgbench serve` stops within its grace on SIGTERM while slow clients hold connections', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-sec-'));
    const tokenFile = join(dir, 'lab.token');
    writeFileSync(tokenFile, `${UPLOAD}\n`);
    const child = spawn(
      process.execPath,
      [
        join('bin', 'wgbench.js'),
        'serve',
        '--db',
        join(dir, 'h.sqlite'),
        '--port',
        '0',
        '--token-file',
        tokenFile,
        '--shutdown-grace-s',
        '1',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
        if (m?.[1] !== undefined) resolve(Number(m[1]));
      });
      child.on('exit', () => {
        reject(new Error(`serve exited early: ${out}`));
      });
    });
    const sockets: Socket[] = [];
    for (let i = 0; i < 100; i++) {
      const sk = connect(port, '127.0.0.1');
      sk.on('error', () => undefined);
      sk.write(
        i % 2 === 0
          ? 'POST /api/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{'
          : 'GET /lab HTTP/1.1\r\nX-Slow: ',
      );
      sockets.push(sk);
    }
    await new Promise((r) => setTimeout(r, 500));
    const exit = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        resolve(code);
      }),
    );
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exit;
    const took = Date.now() - t0;
    for (const sk of sockets) sk.destroy();
    expect(code).toBe(0);
    expect(took).toBeLessThan(8000);
  }, 30_000);
});
