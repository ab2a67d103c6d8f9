import { homedir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../ci/gateConfig.js';
import { PostgresDatabase, redactUrl } from './postgres.js';
import { SqliteDatabase } from './sqlite.js';
import { HistoryStore } from './store.js';

/**
 * Where the history lives: --db, else $WGBENCH_HISTORY_DB, else
 * $XDG_DATA_HOME/wgbench/history.sqlite (~/.local/share/wgbench/history.sqlite). A
 * postgres:// or postgresql:// URL names a PostgreSQL database; anything else is a SQLite file.
 */
export function historyLocation(override?: string, env: Record<string, string | undefined> = process.env): string {
  if (override !== undefined) {
    if (override.trim() === '')
      throw new InputError(
        '(command line)',
        '--db',
        'an empty database location; give a SQLite file path or a postgres:// URL',
      );
    return override;
  }
  const fromEnv = env['WGBENCH_HISTORY_DB'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const data =
    env['XDG_DATA_HOME'] !== undefined && env['XDG_DATA_HOME'] !== ''
      ? env['XDG_DATA_HOME']
      : join(homedir(), '.local', 'share');
  return join(data, 'wgbench', 'history.sqlite');
}

export type HistoryKind = 'sqlite' | 'postgres';

/**
 * Which database a location names. A URL of another scheme is refused rather than taken for a
 * file name: `postgres://…` must never quietly become a SQLite file called "postgres:".
 */
export function historyKind(location: string, flag = '--db'): HistoryKind {
  if (/^postgres(ql)?:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new InputError(
        '(command line)',
        flag,
        `"${redactUrl(location)}" is not a valid URL; write postgres://user:password@host:5432/database`,
      );
    }
    if (url.hostname === '' && !url.searchParams.has('host'))
      throw new InputError(
        '(command line)',
        flag,
        `"${redactUrl(location)}" names no host; write postgres://user:password@host:5432/database`,
      );
    return 'postgres';
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location);
  if (scheme !== null) {
    throw new InputError(
      '(command line)',
      flag,
      `"${scheme[1] ?? ''}://" is not a history database wgbench can use; give a SQLite file path, or ` +
        `postgres://user:password@host:5432/database`,
    );
  }
  return 'sqlite';
}

/** Opens (creating and migrating as needed) the history a location names. */
export async function openHistory(location: string): Promise<HistoryStore> {
  const db =
    historyKind(location) === 'postgres' ? await PostgresDatabase.open(location) : await SqliteDatabase.open(location);
  return new HistoryStore(db);
}

/** Opens the history, runs `work` on it, and closes it whatever happens. */
export async function withHistory<T>(location: string, work: (store: HistoryStore) => Promise<T>): Promise<T> {
  const store = await openHistory(location);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}
