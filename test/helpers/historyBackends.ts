import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { freshDatabase, POSTGRES_MISSING, startThrowawayPostgres, type ThrowawayPostgres } from './postgres.mjs';

export interface HistoryBackend {
  name: 'sqlite' | 'postgres';
  /** Whether this machine can run it (PostgreSQL needs its binaries). */
  available: () => boolean;
  /** A new, empty history: a file in a temp folder, or a fresh database in the throwaway cluster. */
  fresh: () => Promise<string>;
}

/**
 * Both history databases for one test file: a throwaway PostgreSQL cluster started before its
 * tests and stopped after. Where PostgreSQL is missing its tests skip with the reason, except under
 * WGBENCH_REQUIRE_POSTGRES=1 (CI installs it), where the file fails.
 */
export function historyBackendsForFile(prefix: string): {
  backends: HistoryBackend[];
  cluster: () => ThrowawayPostgres | null;
} {
  let cluster: ThrowawayPostgres | null = null;
  let databases = 0;
  beforeAll(async () => {
    cluster = await startThrowawayPostgres();
    if (cluster === null && process.env['WGBENCH_REQUIRE_POSTGRES'] === '1') throw new Error(POSTGRES_MISSING);
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
  });
  const backends: HistoryBackend[] = [
    {
      name: 'sqlite',
      available: () => true,
      fresh: () => Promise.resolve(join(mkdtempSync(join(tmpdir(), `wgbench-${prefix}-`)), 'h.sqlite')),
    },
    {
      name: 'postgres',
      available: () => cluster !== null,
      fresh: () => {
        if (cluster === null) throw new Error(POSTGRES_MISSING);
        return freshDatabase(cluster, `${prefix}_${process.pid}_${++databases}`);
      },
    },
  ];
  return { backends, cluster: () => cluster };
}

export { POSTGRES_MISSING };
