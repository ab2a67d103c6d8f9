import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open.js';
import type { HistoryStore } from '../../src/history/store.js';
import { calibrationKey } from '../../src/probe/calibration.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { buildServer, type ServerOptions } from '../../src/server/app.js';
import { runCli } from '../helpers/cli.js';
import { historyBackendsForFile, POSTGRES_MISSING } from '../helpers/historyBackends.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);
const TOKEN = 'lab-token-0123456789abcdef';
const at = (i: number): RunResult => {
  const run = recorded();
  run.startedAt = new Date(Date.parse(run.startedAt) + i * 1000).toISOString();
  return run;
};

const { backends: BACKENDS } = historyBackendsForFile('serve');

interface Running {
  base: string;
  history: HistoryStore;
  close: () => Promise<void>;
}

async function serve(db: string, options: Partial<ServerOptions> = {}): Promise<Running> {
  const history = await openHistory(db);
  const app: FastifyInstance = await buildServer({
    history,
    uploadToken: TOKEN,
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
    base: `http://127.0.0.1:${port}`,
    history,
    close: async () => {
      await app.close();
      await history.close();
    },
  };
}

const post = (base: string, body: string, token: string | null = TOKEN): Promise<Response> =>
  fetch(`${base}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body,
  });

describe.each(BACKENDS)('wgbench serve on $name', (backend) => {
  const available = backend.available;

  it(
    'refuses uploads without the token, oversize or invalid, naming the field, and none of them changes the ' +
      'database',
    async (ctx) => {
      if (!available()) ctx.skip(POSTGRES_MISSING);
      const s = await serve(await backend.fresh(), { bodyLimitBytes: 256 * 1024 });
      try {
        const good = JSON.stringify(at(1));
        const noToken = await post(s.base, good, null);
        expect(noToken.status).toBe(401);
        expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(((await noToken.json()) as { error: string }).error).toMatch(/needs this lab's token/);
        expect((await post(s.base, good, 'lab-token-0123456789abcdeX')).status).toBe(401);
        expect((await post(s.base, good, '')).status).toBe(401);

        const huge = at(2);
        huge.cases[0]?.samplesNs.push(...Array.from({ length: 40_000 }, () => 1.2345678901234));
        const oversize = await post(s.base, JSON.stringify(huge));
        expect(oversize.status).toBe(413);
        expect(((await oversize.json()) as { error: string }).error).toMatch(
          /larger than this server takes \(262144 bytes/,
        );

        const malformed = await post(s.base, '{"schemaVersion": 1, "cases": [');
        expect(malformed.status).toBe(400);
        expect(((await malformed.json()) as { error: string }).error).toMatch(/not valid JSON/);

        const notOurs = await post(s.base, JSON.stringify({ hello: 'world' }));
        expect(notOurs.status).toBe(400);
        expect(await notOurs.json()).toMatchObject({
          field: 'schemaVersion',
          error: expect.stringMatching(/not a wgbench results file/) as unknown,
        });

        const badStatus = at(3) as unknown as { cases: { status: string }[] };
        (badStatus.cases[0] as { status: string }).status = 'splendid';
        const invalid = await post(s.base, JSON.stringify(badStatus));
        expect(invalid.status).toBe(400);
        expect(await invalid.json()).toMatchObject({ field: 'cases.0.status' });

        const edited = at(4);
        const c0 = edited.cases[0];
        if (c0?.summary) c0.summary.p50 *= 0.5;
        const inconsistent = await post(s.base, JSON.stringify(edited));
        expect(inconsistent.status).toBe(400);
        expect(await inconsistent.json()).toMatchObject({
          field: 'cases[0].summary.p50',
          error: expect.stringMatching(/does not follow from its \d+ samples/) as unknown,
        });

        const wrongType = await fetch(`${s.base}/api/runs`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain', authorization: `Bearer ${TOKEN}` },
          body: good,
        });
        expect(wrongType.status).toBe(415);

        expect(await s.history.counts()).toEqual({ runs: 0, cases: 0 });
        const ok = await post(s.base, good);
        expect(ok.status).toBe(201);
        expect(await ok.json()).toEqual({ added: true, id: expect.any(Number) as unknown });
        const again = await post(s.base, good);
        expect(again.status).toBe(200);
        expect(((await again.json()) as { added: boolean }).added).toBe(false);
        expect((await s.history.counts()).runs).toBe(1);
      } finally {
        await s.close();
      }
    },
  );

  it('500 uploads from 10 concurrent clients all land exactly once', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const s = await serve(await backend.fresh());
    try {
      const shared = JSON.stringify(at(100_000));
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async (_, client) => {
          const seen: number[] = [];
          for (let i = 0; i < 50; i++) {
            const r = await post(s.base, JSON.stringify(at(client * 50 + i)));
            seen.push(r.status);
            await r.arrayBuffer();
          }
          // Every client also sends the one run all the others send: it must land once.
          const r = await post(s.base, shared);
          seen.push(r.status);
          await r.arrayBuffer();
          return seen;
        }),
      );
      const flat = statuses.flat();
      expect(flat.filter((x) => x === 201)).toHaveLength(501);
      expect(flat.filter((x) => x === 200)).toHaveLength(9);
      const runs = await s.history.listRuns();
      expect(runs).toHaveLength(501);
      expect(new Set(runs.map((r) => r.startedAt)).size).toBe(501);
      expect((await s.history.counts()).cases).toBe(501 * recorded().cases.length);
    } finally {
      await s.close();
    }
  }, 300_000);

  it('shows devices, a case over time and two runs compared, with anything an upload carries escaped', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const s = await serve(await backend.fresh());
    try {
      const hostile = at(1);
      hostile.device.description = '<img src=x onerror=alert(1)> GPU';
      const c0 = hostile.cases[0];
      if (c0) c0.id = '<script>alert("case")</script>';
      expect((await post(s.base, JSON.stringify(hostile))).status).toBe(201);
      expect((await post(s.base, JSON.stringify(at(2)))).status).toBe(201);
      const key = calibrationKey(hostile.device);

      const lab = await fetch(`${s.base}/lab`);
      expect(lab.headers.get('content-security-policy')).toMatch(/default-src 'self';.*script-src 'self'/);
      const labHtml = await lab.text();
      expect(labHtml).toMatch(/2 runs|<td class="num">2<\/td>/);
      const device = await (await fetch(`${s.base}/lab/devices/${encodeURIComponent(key)}`)).text();
      expect(device).toContain('memcopy/copy/bytes=134217728');
      const runs = await (await fetch(`${s.base}/lab/runs`)).text();
      expect(runs).toContain('&#60;img src=x onerror=alert(1)&#62; GPU');
      expect(runs).not.toContain('<img src=x');
      const caseId = '<script>alert("case")</script>';
      const over = await (await fetch(`${s.base}/lab/cases?id=${encodeURIComponent(caseId)}`)).text();
      expect(over).toContain('&#60;script&#62;alert(&#34;case&#34;)&#60;/script&#62;');
      expect(over).not.toContain('<script>alert');
      const [first] = await s.history.listRuns();
      const report = await fetch(`${s.base}/lab/runs/${first?.id ?? 0}`);
      const reportHtml = await report.text();
      expect(reportHtml).not.toContain('<script>alert');
      // The report's inline Chart.js and data are allowed by their hashes only.
      expect(report.headers.get('content-security-policy')).toMatch(
        /^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-/,
      );
      const cmp = await (await fetch(`${s.base}/lab/compare?base=1&new=2`)).text();
      // The first run's copy case was renamed, so the two meet on their key and compare throughput.
      expect(cmp).toMatch(/<td>memcopy\/copy\/(dram|cache-sweep)<\/td><td class="num">[\d.]+ [GM]B\/s/);
      expect(cmp).not.toContain('<script>alert');
      expect(await (await fetch(`${s.base}/api/devices`)).json()).toEqual([
        expect.objectContaining({ deviceKey: key, runs: 2 }),
      ]);
      const api = (await (await fetch(`${s.base}/api/runs/${first?.id ?? 0}`)).json()) as RunResult;
      expect(api.cases[0]?.id).toBe(caseId);
      expect((await fetch(`${s.base}/lab/runs/999`)).status).toBe(404);
      expect((await fetch(`${s.base}/api/runs/abc`)).status).toBe(404);
      expect((await fetch(`${s.base}/api/runs/9999999999`)).status).toBe(404);
      expect((await fetch(`${s.base}/lab/compare?base=1&new=9999999999`)).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('wgbench serve, whatever the database', () => {
  it('reading can need a token; uploads can be off; a client over its rate gets 429', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'wgbench-serve-')), 'h.sqlite');
    const reader = 'read-token-0123456789abcdef';
    const s = await serve(db, { readToken: reader });
    try {
      expect((await fetch(`${s.base}/api/runs`)).status).toBe(401);
      const page = await fetch(`${s.base}/lab`);
      expect(page.status).toBe(401);
      expect(page.headers.get('www-authenticate')).toMatch(/^Basic/);
      expect((await fetch(`${s.base}/api/runs`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(200);
      expect(
        (
          await fetch(`${s.base}/lab`, {
            headers: { authorization: `Basic ${Buffer.from(`me:${reader}`).toString('base64')}` },
          })
        ).status,
      ).toBe(200);
      expect(await (await fetch(`${s.base}/api/info`)).json()).toMatchObject({
        tool: 'wgbench',
        uploads: true,
        readNeedsToken: true,
      });
      // The read token does not let anyone write.
      expect((await post(s.base, JSON.stringify(at(1)), reader)).status).toBe(401);
    } finally {
      await s.close();
    }
    const off = await serve(db, { uploadToken: null });
    try {
      expect((await post(off.base, JSON.stringify(at(1)))).status).toBe(403);
    } finally {
      await off.close();
    }
    const limited = await serve(db, { rateLimitPerMinute: 5 });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await fetch(`${limited.base}/api/info`)).status);
      expect(codes).toEqual([200, 200, 200, 200, 200, 429, 429]);
    } finally {
      await limited.close();
    }
  });

  it(
    'the command refuses to start without a token, binds 127.0.0.1 and says so, takes history add --to, and ' +
      'stops cleanly on SIGTERM',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-serve-'));
      const db = join(dir, 'h.sqlite');
      const none = await runCli(['serve', '--db', db, '--port', '0'], { WGBENCH_SERVE_TOKEN: '' });
      expect(none.code).toBe(2);
      expect(none.err).toMatch(
        /uploads need a token, one per lab: set WGBENCH_SERVE_TOKEN or pass --token-file FILE .* or pass --no-uploads/,
      );
      const short = await runCli(['serve', '--db', db, '--port', '0'], { WGBENCH_SERVE_TOKEN: 'abc' });
      expect(short.code).toBe(2);
      expect(short.err).toMatch(/the token is 3 characters; use at least 16/);
      expect((await runCli(['serve', '--port', '70000'])).code).toBe(2);
      expect((await runCli(['serve', '--db', 'mysql://a@b/c', '--no-uploads'])).code).toBe(2);

      const tokenFile = join(dir, 'lab.token');
      writeFileSync(tokenFile, `${TOKEN}\n`);
      const child: ChildProcess = spawn(
        process.execPath,
        [join('bin', 'wgbench.js'), 'serve', '--db', db, '--port', '0', '--token-file', tokenFile],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m?.[1] !== undefined) resolve(m[1]);
        });
        child.on('exit', () => {
          reject(new Error(`serve exited early: ${out}${err}`));
        });
      });
      expect(out).toMatch(/\(this machine only; --host 0\.0\.0\.0 lets other machines reach it\)/);
      const run = join(dir, 'run.json');
      writeFileSync(run, JSON.stringify(at(7)));
      const wrong = await runCli(['history', 'add', run, '--to', url], {
        WGBENCH_SERVE_TOKEN: 'not-the-token-of-this-lab',
      });
      expect(wrong.code).toBe(2);
      expect(wrong.err).toMatch(/the server refused the upload \(HTTP 401\)/);
      const up = await runCli(['history', 'add', run, '--to', url, '--token-file', tokenFile]);
      expect(up.code, up.err).toBe(0);
      expect(up.out).toMatch(/^uploaded .*run\.json .* run 1$/m);
      expect((await runCli(['history', 'add', run, '--to', url, '--token-file', tokenFile])).out).toMatch(
        /already on the server/,
      );
      expect((await runCli(['history', 'add', run, '--to', 'ftp://x'], { WGBENCH_SERVE_TOKEN: TOKEN })).err).toMatch(
        /is not an http\(s\) URL/,
      );
      const exit = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => {
          resolve(code);
        }),
      );
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(err).toMatch(/stored run 1: .* from 127\.0\.0\.1/);
      expect(err).toMatch(/SIGTERM: finishing the requests in flight \(at most 10 s\), then closing/);
      const list = await runCli(['history', 'list', '--db', db]);
      expect(list.out).toMatch(/mesa_software_llvmpipe/);
    },
    120_000,
  );
});
