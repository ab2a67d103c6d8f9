import { perDispatchSamples } from '../ci/compare.js';
import { keyOfCase } from '../results/caseKey.js';
import type { Baseline } from '../ci/evaluate.js';
import { calibrationKey } from '../probe/calibration.js';
import type { CaseResult, RunResult } from '../results/schema.js';
import { deviceWithDriver } from '../reporters/describe.js';
import type { Dialect, SqlDatabase } from './sql.js';

export interface HistoryRun {
  id: number;
  startedAt: string;
  deviceKey: string;
  device: string;
  toolVersion: string;
  cases: number;
}

export interface HistoryCase {
  runId: number;
  startedAt: string;
  deviceKey: string;
  status: string;
  medianNs: number | null;
  bandwidthGBps: number | null;
  tflops: number | null;
  mfu: number | null;
}

export interface HistoryDevice {
  deviceKey: string;
  device: string;
  runs: number;
  latestRunId: number;
  latestAt: string;
}

export interface AddOutcome {
  added: boolean;
  /** The run's id: new, or the one it already had. */
  id: number;
}

interface RunRow {
  id: number;
  started_at: string;
  device_key: string;
  device: string;
  tool_version: string;
  cases: number;
}
interface CaseRow {
  run_id: number;
  started_at: string;
  device_key: string;
  status: string;
  median_ns: number | null;
  bandwidth_gbps: number | null;
  tflops: number | null;
  mfu: number | null;
}

const toCase = (r: CaseRow): HistoryCase => ({
  runId: r.run_id,
  startedAt: r.started_at,
  deviceKey: r.device_key,
  status: r.status,
  medianNs: r.median_ns,
  bandwidthGBps: r.bandwidth_gbps,
  tflops: r.tflops,
  mfu: r.mfu,
});

/**
 * The results history, one row per case per run, keyed by device (its calibration key) and case
 * id, on whichever database it was opened with: the queries are the same on SQLite and
 * PostgreSQL, so `history`, `gate --history` and `serve` behave alike on both.
 */
export class HistoryStore {
  constructor(private readonly db: SqlDatabase) {}

  get location(): string {
    return this.db.location;
  }

  get dialect(): Dialect {
    return this.db.dialect;
  }

  /** Adds a run and its cases in one transaction; `added` is false when the run was already there. */
  add(run: RunResult, source: string | null = null): Promise<AddOutcome> {
    const deviceKey = calibrationKey(run.device);
    return this.db.transaction(async (tx) => {
      const inserted = await tx.query<{ id: number }>(
        'INSERT INTO runs (started_at, device_key, device, tool_version, added_at, source, document, git_commit, ' +
          'git_branch, label) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (started_at, device_key) DO NOTHING ' +
          'RETURNING id',
        [
          run.startedAt,
          deviceKey,
          deviceWithDriver(run.device),
          run.tool.version,
          new Date().toISOString(),
          source,
          JSON.stringify(run),
          run.source?.commit ?? null,
          run.source?.branch ?? null,
          run.source?.label ?? null,
        ],
      );
      const runId = inserted[0]?.id;
      if (runId === undefined) {
        const existing = await tx.query<{ id: number }>('SELECT id FROM runs WHERE started_at = ? AND device_key = ?', [
          run.startedAt,
          deviceKey,
        ]);
        return { added: false, id: existing[0]?.id ?? -1 };
      }
      for (const c of run.cases) {
        await tx.query(
          'INSERT INTO cases (run_id, device_key, case_id, started_at, status, median_ns, samples_ns, ' +
            'bandwidth_gbps, tflops, mfu, case_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [
            runId,
            deviceKey,
            c.id,
            run.startedAt,
            c.status,
            c.summary?.p50 ?? null,
            JSON.stringify(perDispatchSamples(c)),
            c.bandwidth?.medianGBps ?? null,
            c.compute?.achievedTflops ?? null,
            c.utilization?.[0]?.mfu ?? null,
            keyOfCase(c),
          ],
        );
      }
      return { added: true, id: runId };
    });
  }

  async listRuns(deviceKey?: string): Promise<HistoryRun[]> {
    const rows = await this.db.query<RunRow>(
      `SELECT r.id, r.started_at, r.device_key, r.device, r.tool_version, CAST(COUNT(c.case_id) AS ` +
        `INTEGER) AS cases FROM runs r LEFT JOIN cases c ON c.run_id = r.id ` +
        `${deviceKey === undefined ? '' : 'WHERE r.device_key = ?'} GROUP BY r.id, r.started_at, ` +
        `r.device_key, r.device, r.tool_version ORDER BY r.started_at, r.id`,
      deviceKey === undefined ? [] : [deviceKey],
    );
    return rows.map((r) => ({
      id: r.id,
      startedAt: r.started_at,
      deviceKey: r.device_key,
      device: r.device,
      toolVersion: r.tool_version,
      cases: r.cases,
    }));
  }

  async showCase(caseId: string, deviceKey?: string): Promise<HistoryCase[]> {
    const rows = await this.db.query<CaseRow>(
      `SELECT run_id, started_at, device_key, status, median_ns, bandwidth_gbps, tflops, mfu FROM cases ` +
        `WHERE case_id = ? ${deviceKey === undefined ? '' : 'AND device_key = ?'} ORDER BY started_at, run_id`,
      [caseId, ...(deviceKey === undefined ? [] : [deviceKey])],
    );
    return rows.map(toCase);
  }

  /** Every device with runs, the newest first: how many, and which run is its latest. */
  async devices(): Promise<HistoryDevice[]> {
    const rows = await this.db.query<{
      device_key: string;
      device: string;
      runs: number;
      latest_id: number;
      latest_at: string;
    }>(
      `SELECT r.device_key, r.device, counts.runs, r.id AS latest_id, r.started_at AS latest_at
       FROM runs r JOIN (SELECT device_key, CAST(COUNT(*) AS INTEGER) AS runs, MAX(started_at) AS latest \
FROM runs GROUP BY device_key) counts
         ON counts.device_key = r.device_key AND counts.latest = r.started_at
       ORDER BY r.started_at DESC, r.device_key`,
    );
    return rows.map((r) => ({
      deviceKey: r.device_key,
      device: r.device,
      runs: r.runs,
      latestRunId: r.latest_id,
      latestAt: r.latest_at,
    }));
  }

  /** The cases of one stored run, as stored. */
  async runCases(runId: number): Promise<(HistoryCase & { caseId: string })[]> {
    const rows = await this.db.query<CaseRow & { case_id: string }>(
      'SELECT run_id, case_id, started_at, device_key, status, median_ns, bandwidth_gbps, tflops, mfu FROM ' +
        'cases WHERE run_id = ? ORDER BY case_id',
      [runId],
    );
    return rows.map((r) => ({ ...toCase(r), caseId: r.case_id }));
  }

  /** The whole results file of a run, when it was stored with one (runs added before version 2 were not). */
  async runDocument(runId: number): Promise<string | null> {
    const rows = await this.db.query<{ document: string | null }>('SELECT document FROM runs WHERE id = ?', [runId]);
    return rows[0]?.document ?? null;
  }

  async counts(): Promise<{ runs: number; cases: number }> {
    const rows = await this.db.query<{ runs: number; cases: number }>(
      'SELECT CAST((SELECT COUNT(*) FROM runs) AS INTEGER) AS runs, CAST((SELECT COUNT(*) FROM cases) AS ' +
        'INTEGER) AS cases',
    );
    return rows[0] ?? { runs: 0, cases: 0 };
  }

  /** How many runs of this device the history holds at a commit (a prefix of its hash). */
  async runsAtCommit(run: RunResult, commit: string): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      'SELECT CAST(COUNT(*) AS INTEGER) AS n FROM runs WHERE device_key = ? AND git_commit LIKE ?',
      [calibrationKey(run.device), `${commit.toLowerCase()}%`],
    );
    return rows[0]?.n ?? 0;
  }

  /**
   * The --history baseline for a run: per case, the per-dispatch samples of the last k successful
   * runs of that case on the same device, before this run, pooled (a run stored without samples
   * gives its median). Pooled samples let one earlier run already decide a regression; a median per
   * run needed `minSamples` runs before the gate could fail anything.
   */
  async baselineFor(run: RunResult, k: number, at: { commit?: string } = {}): Promise<Baseline> {
    const deviceKey = calibrationKey(run.device);
    const samples = new Map<string, number[]>();
    // At a commit: the runs of that commit on this device (any time), its samples pooled.
    const commitFilter = at.commit === undefined ? '' : ' AND run_id IN (SELECT id FROM runs WHERE git_commit LIKE ?)';
    const commitArgs = at.commit === undefined ? [] : [`${at.commit.toLowerCase()}%`];
    // Stored runs of the same size match by id; otherwise by key (the same kernel and shape class at
    // another size), each run's samples scaled by the work ratio, so the check is on throughput.
    const byKey: string[] = [];
    for (const c of run.cases) {
      const select = (column: 'case_id' | 'case_key', value: string) =>
        this.db.query<StoredCaseRow>(
          'SELECT case_id, median_ns, samples_ns, bandwidth_gbps, tflops FROM cases WHERE device_key = ? AND ' +
            `${column} = ? AND status = 'ok' AND median_ns IS NOT NULL` +
            `${at.commit === undefined ? ' AND started_at < ?' : commitFilter} ORDER BY started_at DESC LIMIT ?`,
          [deviceKey, value, ...(at.commit === undefined ? [run.startedAt] : commitArgs), k],
        );
      const rows = await select('case_id', c.id);
      if (rows.length > 0) {
        samples.set(
          c.id,
          rows.flatMap((r) => storedSamples(r.samples_ns, r.median_ns)),
        );
        continue;
      }
      if (c.status !== 'ok') continue;
      const scaled = (await select('case_key', keyOfCase(c))).flatMap((r) => {
        const scale = storedWorkScale(r, c);
        return scale === null ? [] : storedSamples(r.samples_ns, r.median_ns).map((t) => t * scale);
      });
      if (scaled.length > 0) {
        samples.set(c.id, scaled);
        byKey.push(c.id);
      }
    }
    const keyNote =
      byKey.length === 0 ? '' : `; ${byKey.length} case(s) by key at another size, scaled by work: ${byKey.join(', ')}`;
    // A stored id this run measured by key at another size is not missing from it.
    const storedKeys = new Map<string, string | null>();
    for (const row of await this.db.query<{ case_id: string; case_key: string | null }>(
      'SELECT DISTINCT case_id, case_key FROM cases WHERE device_key = ?',
      [deviceKey],
    ))
      storedKeys.set(row.case_id, row.case_key);
    const keysMatched = new Set(byKey.map((id) => keyOfCase(run.cases.find((c) => c.id === id) as CaseResult)));
    const coveredByKey = (id: string): boolean => {
      const key = storedKeys.get(id);
      return key !== undefined && key !== null && keysMatched.has(key) && !run.cases.some((c) => c.id === id);
    };
    if (at.commit !== undefined) {
      const ran = await this.db.query<{ case_id: string }>(
        "SELECT DISTINCT case_id FROM cases WHERE device_key = ? AND status = 'ok'" +
          commitFilter +
          ' ORDER BY case_id',
        [deviceKey, ...commitArgs],
      );
      return {
        label: `the runs of commit ${at.commit} on this device in ${this.location} (their samples pooled${keyNote})`,
        samplesNs: samples,
        ids: ran.map((r) => r.case_id).filter((id) => !coveredByKey(id)),
      };
    }
    // The cases the latest earlier run on this device measured: the ones a new run should have.
    const latest = await this.db.query<{ case_id: string }>(
      'SELECT case_id FROM cases WHERE run_id = (SELECT id FROM runs WHERE device_key = ? AND started_at < ' +
        "? ORDER BY started_at DESC LIMIT 1) AND status = 'ok' ORDER BY case_id",
      [deviceKey, run.startedAt],
    );
    return {
      label: `the last ${k} runs on this device in ${this.location} (their samples pooled${keyNote})`,
      samplesNs: samples,
      ids: latest.map((r) => r.case_id).filter((id) => !coveredByKey(id)),
    };
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

interface StoredCaseRow {
  case_id: string;
  median_ns: number;
  samples_ns: string | null;
  bandwidth_gbps: number | null;
  tflops: number | null;
}

/**
 * The new case's work over a stored one's, from what the row kept: FLOPs = TFLOP/s × median, bytes
 * = GB/s × median. Null when they do not count the same thing.
 */
function storedWorkScale(row: StoredCaseRow, next: CaseResult): number | null {
  if (next.compute && row.tflops !== null && row.tflops > 0)
    return next.compute.flopsPerDispatch / (row.tflops * 1e3 * row.median_ns);
  if (!next.compute && next.bandwidth && row.tflops === null && row.bandwidth_gbps !== null && row.bandwidth_gbps > 0)
    return next.bandwidth.bytesPerDispatch / (row.bandwidth_gbps * row.median_ns);
  return null;
}

/** A stored case's per-dispatch samples; its median alone where none were stored or they are unreadable. */
function storedSamples(json: string | null, medianNs: number): number[] {
  if (json === null) return [medianNs];
  try {
    const parsed: unknown = JSON.parse(json);
    if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((x) => typeof x === 'number' && x > 0))
      return parsed as number[];
  } catch {
    // Unreadable samples: the median still stands for the run.
  }
  return [medianNs];
}
