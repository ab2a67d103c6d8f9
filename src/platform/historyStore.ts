import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../ci/gateConfig.js';
import { perDispatchSamples } from '../ci/compare.js';
import type { Baseline } from '../ci/evaluate.js';
import { calibrationKey } from '../probe/calibration.js';
import type { RunResult } from '../results/schema.js';

/**
 * The results history: an embedded SQLite file, one row per case per run, keyed by device and
 * case id. --db, else $WGBENCH_HISTORY_DB, else $XDG_DATA_HOME/wgbench/history.sqlite
 * (~/.local/share/wgbench/history.sqlite).
 */
export function historyPath(override?: string, env: Record<string, string | undefined> = process.env): string {
  if (override !== undefined) return override;
  const fromEnv = env['WGBENCH_HISTORY_DB'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const data = env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== '' ? env['XDG_DATA_HOME'] : join(homedir(), '.local', 'share');
  return join(data, 'wgbench', 'history.sqlite');
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  device_key TEXT NOT NULL,
  device TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  added_at TEXT NOT NULL,
  source TEXT,
  UNIQUE (started_at, device_key)
);
CREATE TABLE IF NOT EXISTS cases (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  device_key TEXT NOT NULL,
  case_id TEXT NOT NULL,
  started_at TEXT NOT NULL,
  status TEXT NOT NULL,
  median_ns REAL,
  samples_ns TEXT NOT NULL,
  bandwidth_gbps REAL,
  tflops REAL,
  mfu REAL,
  PRIMARY KEY (run_id, case_id)
);
CREATE INDEX IF NOT EXISTS cases_by_device_case ON cases (device_key, case_id, started_at);
`;

export interface HistoryRun {
  id: number;
  startedAt: string;
  deviceKey: string;
  device: string;
  toolVersion: string;
  cases: number;
}

export interface HistoryCase {
  startedAt: string;
  deviceKey: string;
  status: string;
  medianNs: number | null;
  bandwidthGBps: number | null;
  tflops: number | null;
  mfu: number | null;
}

/** SQLite's answers for a file that is not a database, or a damaged one: bad input, not a crash. */
const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']);

export function historyInputError(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (e instanceof Database.SqliteError && typeof code === 'string' && (DAMAGED.has(code) || code.startsWith('SQLITE_CORRUPT'))) {
    return new InputError(file, '', `not a usable wgbench history database (${e.message}); move it away, or pass --db with another file`);
  }
  return e;
}

export class HistoryStore {
  private readonly db: Database.Database;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    // WAL and a busy timeout let several processes add runs at once without losing any.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 15000');
    this.db.exec(SCHEMA);
  }

  /** Opens (or creates) the database; a file that is not one is an InputError naming it. */
  static open(file: string): HistoryStore {
    try {
      return new HistoryStore(file);
    } catch (e) {
      throw historyInputError(file, e);
    }
  }

  /** Runs queries on the store; a database found damaged on the way is an InputError naming it. */
  use<T>(work: (store: HistoryStore) => T): T {
    try {
      const result = work(this);
      if (result instanceof Promise) return result.catch((e: unknown) => { throw historyInputError(this.file, e); }) as T;
      return result;
    } catch (e) {
      throw historyInputError(this.file, e);
    }
  }

  /** Adds a run and its cases in one transaction; false when this run was already there. */
  add(run: RunResult, source: string | null = null): boolean {
    const deviceKey = calibrationKey(run.device);
    const insertRun = this.db.prepare('INSERT OR IGNORE INTO runs (started_at, device_key, device, tool_version, added_at, source) VALUES (?, ?, ?, ?, ?, ?)');
    const insertCase = this.db.prepare('INSERT INTO cases (run_id, device_key, case_id, started_at, status, median_ns, samples_ns, bandwidth_gbps, tflops, mfu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const tx = this.db.transaction((): boolean => {
      const r = insertRun.run(run.startedAt, deviceKey, run.device.description || run.device.device, run.tool.version, new Date().toISOString(), source);
      if (r.changes === 0) return false;
      for (const c of run.cases) {
        insertCase.run(r.lastInsertRowid, deviceKey, c.id, run.startedAt, c.status, c.summary?.p50 ?? null, JSON.stringify(perDispatchSamples(c)), c.bandwidth?.medianGBps ?? null, c.compute?.achievedTflops ?? null, c.utilization?.[0]?.mfu ?? null);
      }
      return true;
    });
    return tx.immediate();
  }

  listRuns(deviceKey?: string): HistoryRun[] {
    const rows = this.db
      .prepare(`SELECT r.id, r.started_at, r.device_key, r.device, r.tool_version, COUNT(c.case_id) AS cases FROM runs r LEFT JOIN cases c ON c.run_id = r.id ${deviceKey === undefined ? '' : 'WHERE r.device_key = ?'} GROUP BY r.id ORDER BY r.started_at`)
      .all(...(deviceKey === undefined ? [] : [deviceKey])) as { id: number; started_at: string; device_key: string; device: string; tool_version: string; cases: number }[];
    return rows.map((r) => ({ id: r.id, startedAt: r.started_at, deviceKey: r.device_key, device: r.device, toolVersion: r.tool_version, cases: r.cases }));
  }

  showCase(caseId: string, deviceKey?: string): HistoryCase[] {
    const rows = this.db
      .prepare(`SELECT started_at, device_key, status, median_ns, bandwidth_gbps, tflops, mfu FROM cases WHERE case_id = ? ${deviceKey === undefined ? '' : 'AND device_key = ?'} ORDER BY started_at`)
      .all(caseId, ...(deviceKey === undefined ? [] : [deviceKey])) as { started_at: string; device_key: string; status: string; median_ns: number | null; bandwidth_gbps: number | null; tflops: number | null; mfu: number | null }[];
    return rows.map((r) => ({ startedAt: r.started_at, deviceKey: r.device_key, status: r.status, medianNs: r.median_ns, bandwidthGBps: r.bandwidth_gbps, tflops: r.tflops, mfu: r.mfu }));
  }

  /**
   * The --history baseline for a run: per case, the medians of the last k successful runs of that
   * case on the same device, before this run (the gate takes their median and tests against them).
   */
  baselineFor(run: RunResult, k: number): Baseline {
    const deviceKey = calibrationKey(run.device);
    const stmt = this.db.prepare("SELECT median_ns FROM cases WHERE device_key = ? AND case_id = ? AND status = 'ok' AND started_at < ? AND median_ns IS NOT NULL ORDER BY started_at DESC LIMIT ?");
    const samples = new Map<string, number[]>();
    for (const c of run.cases) {
      const rows = stmt.all(deviceKey, c.id, run.startedAt, k) as { median_ns: number }[];
      if (rows.length > 0) samples.set(c.id, rows.map((r) => r.median_ns));
    }
    // The cases the latest earlier run on this device measured: the ones a new run should have.
    const latest = this.db.prepare("SELECT case_id FROM cases WHERE run_id = (SELECT id FROM runs WHERE device_key = ? AND started_at < ? ORDER BY started_at DESC LIMIT 1) AND status = 'ok'").all(deviceKey, run.startedAt) as { case_id: string }[];
    return { label: `the last ${k} runs on this device in ${this.file}`, samplesNs: samples, ids: latest.map((r) => r.case_id) };
  }

  close(): void {
    this.db.close();
  }
}
