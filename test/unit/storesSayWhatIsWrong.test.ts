import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server } from 'node:net';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadCalibration, saveCalibration } from '../../src/platform/calibrationStore.js';
import { calibrationKey, type CalibrationProfile } from '../../src/probe/calibration.js';
import { currentEntries, impossibleShape, type StoredTuning, type StoredTuningEntry } from '../../src/tuning/stored.js';
import { runCli } from '../helpers/cli.js';
import { LLVMPIPE, llvmpipeProfile } from '../helpers/profiles.js';

const RECORDED = join('test', 'fixtures', 'lavapipe-memcopy-peak.json');
const DEVICE = LLVMPIPE;
const dir = (): string => mkdtempSync(join(tmpdir(), 'wgbench-stores-'));

const listen = (server: Server | ReturnType<typeof createHttpServer>): Promise<number> =>
  new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a !== null ? a.port : 0);
    });
  });

describe('history databases say what is wrong', () => {
  it(
    'a foreign SQLite file is refused with exit 2 naming it, and left byte for byte as it was (no ' + 'WAL switch)',
    async () => {
      const file = join(dir(), 'notes.sqlite');
      const foreign = new Database(file);
      foreign.exec(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me')",
      );
      foreign.close();
      const before = readFileSync(file);
      const r = await runCli(['history', 'add', RECORDED, '--db', file]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /notes\.sqlite: a SQLite database, but not a wgbench history \(its tables: notes\); it was left unchanged/,
      );
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(() => statSync(`${file}-wal`)).toThrow();
      expect((await runCli(['history', 'list', '--db', file])).code).toBe(2);
    },
  );

  it('--db "" and malformed postgres:// URLs exit 2 naming the problem, password masked', async () => {
    const empty = await runCli(['history', 'list', '--db', '']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/--db.*an empty database location/);
    const bad = await runCli(['history', 'list', '--db', 'postgres://user:s3cret@host:notaport/db']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/is not a valid URL; write postgres:\/\/user:password@host:5432\/database/);
    expect(bad.err).not.toMatch(/s3cret/);
    const noHost = await runCli(['history', 'list', '--db', 'postgres:///db']);
    expect(noHost.code).toBe(2);
    expect(noHost.err).toMatch(/names no host/);
  });

  it('a port that is not PostgreSQL exits 1 with the URL (password masked)', async () => {
    const http = createHttpServer((_req, res) => res.end('hello'));
    const port = await listen(http);
    try {
      const r = await runCli(['history', 'list', '--db', `postgres://me:s3cret@127.0.0.1:${port}/lab`]);
      expect([1, 2]).toContain(r.code);
      expect(r.err).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/lab`));
      expect(r.err).not.toMatch(/s3cret/);
    } finally {
      http.close();
    }
  }, 30_000);

  it('a silent listener is reported within the connect timeout, with the URL', async () => {
    const sockets: import('node:net').Socket[] = [];
    const silent = createTcpServer((s) => sockets.push(s));
    const port = await listen(silent);
    const t0 = Date.now();
    try {
      const r = await runCli(['history', 'list', '--db', `postgres://me@127.0.0.1:${port}/lab`]);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/lab.*(connect timeout|timeout)`));
      expect(Date.now() - t0).toBeLessThan(25_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  }, 30_000);
});

describe('stored peaks and shapes are checked before use', () => {
  const profile = (tflops: number, gbps: number): CalibrationProfile => llvmpipeProfile(tflops, gbps);

  it('calibration peaks of 1e30 or 1e-30 are ignored with a one-line note; a plausible one is used', async () => {
    for (const [tflops, gbps] of [
      [1e30, 20],
      [1e-30, 20],
      [0.02, 1e30],
      [0.02, 1e-30],
    ] as const) {
      const d = dir();
      await saveCalibration(d, profile(tflops, gbps));
      const notes: string[] = [];
      expect(loadCalibration(d, calibrationKey(DEVICE), (w) => notes.push(w))).toBeNull();
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(/is outside what any device does .*: ignored; run `wgbench calibrate` again/);
    }
    const d = dir();
    await saveCalibration(d, profile(0.02, 20));
    expect(loadCalibration(d, calibrationKey(DEVICE))?.profile.peaks.compute.fp32?.tflops).toBe(0.02);
  });

  it('--calibration-dir naming a file exits 2', async () => {
    const f = join(dir(), 'a-file');
    writeFileSync(f, 'x');
    const r = await runCli(['calibrate', '--show', '--calibration-dir', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/a-file is a file, not a folder of calibration profiles/);
  });

  it('tuning entries with shapes the tuner could not have chosen are ignored with a note', () => {
    const entry = (
      config: StoredTuningEntry['config'],
      family: StoredTuningEntry['family'] = 'matmul-tiled',
    ): StoredTuningEntry => ({
      family,
      shapeClass: 'square',
      description: '',
      kernelHash: 'h',
      source: 'tuned',
      config,
      label: '',
      defaultLabel: '',
      medianNs: 1,
      defaultMedianNs: 2,
      speedup: 2,
      tunedAt: '',
      toolVersion: '',
    });
    const good = entry({ M: 64, N: 64, K: 8, vecM: 2, vecN: 2, prefetch: false });
    expect(impossibleShape(good)).toBeNull();
    const huge = entry({ M: 99999, N: 64, K: 8, vecM: 2, vecN: 2, prefetch: false });
    const negative = entry({ workgroupSize: -1, elementsPerThread: 4 }, 'memcopy');
    const stranger = entry({ M: 64, N: 64, K: 8, vecM: 2, vecN: 2, prefetch: false, evil: 1 });
    const missing = entry({ M: 64, N: 64 });
    expect(impossibleShape(huge)).toMatch(/has M = 99999, not one of/);
    expect(impossibleShape(negative)).toMatch(/workgroupSize = -1/);
    expect(impossibleShape(stranger)).toMatch(/parameter evil/);
    expect(impossibleShape(missing)).toMatch(/lacks K/);
    const stored: StoredTuning = {
      kind: 'wgbench-tuning',
      schemaVersion: 1,
      key: 'k',
      device: DEVICE,
      entries: [good, huge, negative],
    };
    const notes: string[] = [];
    expect(currentEntries(stored, {}, 'tuning.json', (w) => notes.push(w))).toEqual([good]);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(/tuning of matmul-tiled square in tuning\.json has M = 99999.*: ignored/);
  });

  it('--decode-step beyond any device is refused (exit 2) before a device is opened', async () => {
    const r = await runCli(['run', '--suite', 'llm', '--decode-step', '1x99999999999999999']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--decode-step takes BATCHxCONTEXT with 1–4096 sequences and 1–1048576 context tokens/);
  });
});
