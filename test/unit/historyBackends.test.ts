import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { historyKind, historyLocation, openHistory, withHistory } from '../../src/history/open.js';
import { SCHEMA_VERSION } from '../../src/history/migrations.js';
import { parseRunResult, type RunResult } from '../../src/results/schema.js';
import { runCli } from '../helpers/cli.js';
import { historyBackendsForFile, POSTGRES_MISSING } from '../helpers/historyBackends.js';
import { withSamples } from '../helpers/sampleRun.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const COPY = 'memcopy/copy/bytes=134217728';
const recorded = (): RunResult => parseRunResult(JSON.parse(readFileSync(RECORDED, 'utf8')), RECORDED);

/** The recorded run, moved to minute `i` after it and with its copy case scaled by `factor`. */
function variant(dir: string, i: number, factor = 1): string {
  const run = recorded();
  run.startedAt = new Date(Date.parse(run.startedAt) + i * 60_000).toISOString();
  const c = run.cases[0];
  if (c)
    run.cases[0] = withSamples(
      c,
      c.samplesNs.map((s) => s * factor),
    );
  const file = join(dir, `run-${i}-${factor}.json`);
  writeFileSync(file, JSON.stringify(run));
  return file;
}

const BIN = join(process.cwd(), 'bin', 'wgbench.js');
// `npm test` races 5 rounds; `npm run test:unit` (its config sets WGBENCH_TEST_ROUNDS) 2, to stay under a minute.
const ROUNDS = Math.max(1, Number(process.env['WGBENCH_TEST_ROUNDS'] ?? 5));
function wgbench(args: string[]): Promise<{ code: number; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) => {
      resolve({ code: code ?? 1, err });
    });
  });
}

const { backends: BACKENDS, cluster } = historyBackendsForFile('hist');

describe('where the history lives', () => {
  it('a documented file by default, overridable; a postgres URL names PostgreSQL', () => {
    expect(historyLocation('/x.sqlite', {})).toBe('/x.sqlite');
    expect(historyLocation(undefined, { WGBENCH_HISTORY_DB: '/env.sqlite' })).toBe('/env.sqlite');
    expect(historyLocation(undefined, { XDG_DATA_HOME: '/data' })).toBe(join('/data', 'wgbench', 'history.sqlite'));
    expect(historyKind('postgres://u@h:5432/db')).toBe('postgres');
    expect(historyKind('postgresql://u@h/db')).toBe('postgres');
    expect(historyKind('runs/h.sqlite')).toBe('sqlite');
    expect(() => historyKind('mysql://u@h/db')).toThrow(
      /"mysql:\/\/" is not a history database wgbench can use; give a SQLite file path, or postgres:/,
    );
  });

  it(
    'a postgres URL with no server behind it is a clear error, and never becomes a SQLite file named ' + '"postgres:"',
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
      const file = variant(cwd, 1);
      const r = await runCli(['history', 'add', file, '--db', 'postgres://someone:secret@127.0.0.1:1/db']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        new RegExp(
          'postgres:\\/\\/someone:\\*\\*\\*@127\\.0\\.0\\.1:1\\/db: not a usable wgbench history database: cannot re' +
            'ach the server .*is PostgreSQL running there\\?',
        ),
      );
      expect(r.err).not.toMatch(/secret/);
      expect(existsSync('postgres:')).toBe(false);
      const env = await runCli(['history', 'list'], { WGBENCH_HISTORY_DB: 'mysql://x@y/z' });
      expect(env.code).toBe(2);
      expect(env.err).toMatch(/"mysql:\/\/" is not a history database/);
    },
  );

  it('a SQLite file from before versioned migrations is brought up to date and keeps its runs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'wgbench-hist-')), 'old.sqlite');
    const old = new Database(file);
    // The schema every history file had before migrations were versioned.
    old.exec(`CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, device_key TEXT NOT \
NULL, device TEXT NOT NULL, tool_version TEXT NOT NULL, added_at TEXT NOT NULL, source TEXT, UNIQUE (started_at, \
device_key));
      CREATE TABLE cases (run_id INTEGER NOT NULL REFERENCES runs(id), device_key TEXT NOT NULL, case_id \
TEXT NOT NULL, started_at TEXT NOT NULL, status TEXT NOT NULL, median_ns REAL, samples_ns TEXT NOT NULL, \
bandwidth_gbps REAL, tflops REAL, mfu REAL, PRIMARY KEY (run_id, case_id));
      INSERT INTO runs VALUES (1, '2026-01-01T00:00:00.000Z', 'k', 'old device', '0.0.1',
        '2026-01-01T00:00:00.000Z', NULL);
      INSERT INTO cases VALUES (1, 'k', 'c', '2026-01-01T00:00:00.000Z', 'ok', 5, '[5]', NULL, NULL, NULL);`);
    old.close();
    await withHistory(file, async (store) => {
      expect(await store.listRuns()).toMatchObject([{ id: 1, device: 'old device', cases: 1 }]);
      expect(await store.runDocument(1)).toBeNull();
    });
    const versions = new Database(file).prepare('SELECT version FROM wgbench_schema_version ORDER BY version').all();
    expect(versions).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })));
  });
});

describe.each(BACKENDS)('the history on $name', (backend) => {
  const available = backend.available;

  it('add, list and show through the CLI; adding the same run twice keeps one copy', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = await backend.fresh();
    const files = [variant(dir, 1), variant(dir, 2)];
    const add = await runCli(['history', 'add', ...files, '--db', db]);
    expect(add.code).toBe(0);
    expect(add.out.match(/^added /gm)).toHaveLength(2);
    expect((await runCli(['history', 'add', files[0] as string, '--db', db])).out).toMatch(/already in history/);
    const list = await runCli(['history', 'list', '--db', db]);
    expect(list.out.match(/mesa_software_llvmpipe/g)).toHaveLength(2);
    const show = await runCli(['history', 'show', COPY, '--db', db]);
    expect(show.code).toBe(0);
    expect(show.out.match(/│ ok +│/g)).toHaveLength(2);
    const missing = await runCli(['history', 'show', 'nope', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/"nope": no such case in the history/);
    // The whole file is kept beside the rows, byte for byte what was parsed.
    await withHistory(db, async (store) => {
      const [first] = await store.listRuns();
      expect(JSON.parse((await store.runDocument(first?.id ?? 0)) ?? 'null')).toEqual(
        JSON.parse(readFileSync(files[0] as string, 'utf8')),
      );
    });
  });

  it('the --history baseline pools the samples of the last k runs of the case on the device', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = await backend.fresh();
    const factors = [1.0, 1.02, 0.98, 1.01, 0.99, 3.0];
    // Six earlier runs; the oldest (3×) falls outside the last five and must not count.
    await runCli(['history', 'add', ...factors.map((f, i) => variant(dir, 10 - i, f)), '--db', db]);
    const next = parseRunResult(JSON.parse(readFileSync(variant(dir, 20, 1.25), 'utf8')));
    const baseline = await withHistory(db, (store) => store.baselineFor(next, 5));
    const perRun = recorded().cases[0]?.samplesNs.length ?? 0;
    const pooled = baseline.samplesNs.get(COPY) ?? [];
    expect(pooled).toHaveLength(5 * perRun);
    expect(Math.max(...pooled)).toBeLessThan(2 * Math.min(...pooled));
    expect(baseline.ids).toContain(COPY);
    const r = await runCli(['gate', variant(dir, 20, 1.25), '--history', '--db', db]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=134217728 +│ FAILED/);
  });

  it('one stored run is enough for --history to fail a regression (it needed five)', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const db = await backend.fresh();
    await runCli(['history', 'add', variant(dir, 1), '--db', db]);
    const slower = await runCli(['gate', variant(dir, 2, 1.25), '--history', '--db', db]);
    expect(slower.code, slower.out).toBe(1);
    expect(slower.out).toMatch(/regression_timeNs_memcopy\/copy\/bytes=134217728 +│ FAILED/);
    const same = await runCli(['gate', variant(dir, 3), '--history', '--db', db]);
    expect(same.code, same.out).toBe(0);
  });

  it(
    `8 processes × ${ROUNDS} rounds of \`history add\` lose nothing, and the same run added by all 8 at once ` +
      `lands once`,
    async (ctx) => {
      if (!available()) ctx.skip(POSTGRES_MISSING);
      const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
      const db = await backend.fresh();
      // The schema is created by the first round's racing processes themselves.
      for (let round = 0; round < ROUNDS; round++) {
        const shared = variant(dir, 1000 + round);
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, p) =>
            wgbench(['history', 'add', variant(dir, 100 + round * 8 + p), shared, '--db', db]),
          ),
        );
        for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
      }
      await withHistory(db, async (store) => {
        const runs = await store.listRuns();
        const expected = ROUNDS * 9;
        expect(runs).toHaveLength(expected);
        expect(new Set(runs.map((r) => r.startedAt)).size).toBe(expected);
        expect(runs.every((r) => r.cases === recorded().cases.length)).toBe(true);
        expect(await store.showCase('peak/fma-f32')).toHaveLength(expected);
        expect(await store.counts()).toEqual({ runs: expected, cases: expected * recorded().cases.length });
      });
    },
    300_000,
  );

  it('refuses a database written by a newer wgbench, naming it', async (ctx) => {
    if (!available()) ctx.skip(POSTGRES_MISSING);
    const db = await backend.fresh();
    await withHistory(db, () => Promise.resolve());
    if (backend.name === 'sqlite') {
      new Database(db).prepare("INSERT INTO wgbench_schema_version VALUES (99, 'x', 'from the future')").run();
    } else {
      const client = new pg.Client({ connectionString: db });
      await client.connect();
      await client.query("INSERT INTO wgbench_schema_version VALUES (99, 'x', 'from the future')");
      await client.end();
    }
    await expect(openHistory(db)).rejects.toThrow(
      /written by a newer wgbench \(history schema version 99; this one knows up to \d+\); upgrade wgbench/,
    );
    const r = await runCli(['history', 'list', '--db', db]);
    expect(r.code).toBe(2);
  });
});

describe('SQLite and PostgreSQL agree', () => {
  it('gate --history gives the same verdicts on both for the same runs', async (ctx) => {
    if (cluster() === null) ctx.skip(POSTGRES_MISSING);
    const dir = mkdtempSync(join(tmpdir(), 'wgbench-hist-'));
    const earlier = [1.0, 1.03, 0.97, 1.01, 0.99, 1.02].map((f, i) => variant(dir, i, f));
    const dbs = await Promise.all(BACKENDS.map((b) => b.fresh()));
    for (const db of dbs) expect((await runCli(['history', 'add', ...earlier, '--db', db])).code).toBe(0);
    // The fixture's FMA f16 median is ±10.5% uncertain: at the default 5% it is untestable, at 15% it is not.
    const config = join(dir, 'gates.json');
    writeFileSync(config, JSON.stringify({ maxRegressionPct: 15 }));
    for (const factor of [1.0, 1.3, 0.7]) {
      const candidate = variant(dir, 50, factor);
      const [onSqlite, onPostgres] = await Promise.all(
        dbs.map((db) => runCli(['gate', candidate, '--history', '--db', db, '--config', config])),
      );
      expect(onSqlite?.code).toBe(factor > 1.1 ? 1 : 0);
      expect(onPostgres?.code).toBe(onSqlite?.code);
      // Each check's name and status, and the summary line; the messages name the database.
      const verdicts = (out: string): string[] =>
        [...out.matchAll(/^│ (\S+) +│ (\S+) +│/gm), ...out.matchAll(/^(gate passed|GATE FAILED): .*$/gm)]
          .map((m) => `${m[1] ?? ''} ${m[2] ?? ''}`)
          .filter((v) => !v.startsWith('check '));
      expect(verdicts(onSqlite?.out ?? '').length).toBeGreaterThan(0);
      expect(verdicts(onPostgres?.out ?? '')).toEqual(verdicts(onSqlite?.out ?? ''));
    }
  });
});
