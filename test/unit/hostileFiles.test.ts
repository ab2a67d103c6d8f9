import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openHistory } from '../../src/history/open.js';
import { buildServer } from '../../src/server/app.js';
import { runCli } from '../helpers/cli.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
type Doc = {
  cases: { suite: string; name: string; id: string; message?: string; extras?: unknown }[];
  device: { description: string };
};
const recorded = (): Doc => JSON.parse(readFileSync(RECORDED, 'utf8')) as Doc;
const dir = mkdtempSync(join(tmpdir(), 'wgbench-hostile-'));
let n = 0;
const save = (doc: unknown): string => {
  const f = join(dir, `run-${++n}.json`);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
};
const deepExtras = (depth: number): string => {
  const text = JSON.stringify(recorded());
  const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return text.replace('"cases":[{', `"cases":[{"extras":{"deep":${nested}},`);
};

describe('hostile results files exit 2 (or HTTP 400) naming the field, never crash a reader', () => {
  it('extras.metrics = {} and extras.kvCache = {} are refused by report, --md and history add', async () => {
    for (const key of ['metrics', 'kvCache', 'pass', 'fit', 'overhead', 'layouts']) {
      const doc = recorded();
      (doc.cases[0] as { extras: unknown }).extras = { [key]: {} };
      const f = save(doc);
      const md = join(dir, `out-${key}.md`);
      const report = await runCli(['report', f, '--md', md]);
      expect(report.code, report.err).toBe(2);
      expect(report.err).toMatch(new RegExp(`cases\\.0\\.extras\\.${key}\\.`));
      expect(report.err).not.toMatch(/Cannot read properties/);
      const add = await runCli(['history', 'add', f, '--db', join(dir, 'h.sqlite')]);
      expect(add.code).toBe(2);
    }
  });

  it('200,000-deep extras: history add exits 2 and an upload gets 400, naming the field', async () => {
    const f = save(deepExtras(200_000));
    const add = await runCli(['history', 'add', f, '--db', join(dir, 'deep.sqlite')]);
    expect(add.code, add.err).toBe(2);
    expect(add.err).toMatch(/cases\.0\.extras\.deep\.a\.a.*nested deeper than 64 levels/);
    const history = await openHistory(join(dir, 'serve.sqlite'));
    const token = 'upload-token-0123456789abcdef';
    const app = await buildServer({
      history,
      uploadToken: token,
      readToken: null,
      pageDir: null,
      bodyLimitBytes: 8 * 1024 * 1024,
      rateLimitPerMinute: 1000,
      reportAssets: { chartJs: '', css: '' },
      version: 'test',
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/runs',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        payload: deepExtras(200_000),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ field: string }>().field).toMatch(/^cases\.0\.extras\.deep\.a/);
      expect(await history.listRuns()).toHaveLength(0);
    } finally {
      await app.close();
      await history.close();
    }
  });

  it('a suite name with markup or newlines is refused; markup in a case name reaches Markdown as text', async () => {
    const bad = recorded();
    (bad.cases[0] as { suite: string }).suite = '<img src=x onerror=alert(1)>\n## pwned';
    const refused = await runCli(['report', save(bad)]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/cases\.0\.suite.*a suite name is letters, digits/);

    const named = recorded();
    (named.cases[0] as { name: string }).name = '<script>alert(1)</script>|x\n## heading';
    const md = join(dir, 'named.md');
    expect((await runCli(['report', save(named), '--md', md])).code).toBe(0);
    const text = readFileSync(md, 'utf8');
    expect(text).not.toMatch(/<script>/);
    expect(text).not.toMatch(/^## heading/m);
    expect(text).toMatch(/&lt;script&gt;alert\(1\)&lt;\/script&gt;\\\|x ## heading/);
  });

  it('terminal escape sequences in a file never reach the console', async () => {
    const doc = recorded();
    (doc.cases[0] as { name: string }).name = 'copy \u001b]0;owned\u0007\u001b[2J\u001b[31mred';
    doc.device.description = 'gpu \u001b[8mhidden\u001b[0m';
    delete (doc.cases[1] as { message?: string }).message;
    const r = await runCli(['report', save(doc)]);
    expect(r.code, r.err).toBe(0);
    expect(r.out.includes('\u001b')).toBe(false);
    expect(r.out.includes('\u0007')).toBe(false);
    expect(r.out).toMatch(/copy \uFFFD\]0;owned\uFFFD\uFFFD\[2J/);
  });
});
