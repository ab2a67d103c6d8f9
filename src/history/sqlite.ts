import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { InputError } from '../ci/gateConfig.js';
import { migrate, NewerSchemaError } from './migrations.js';
import type { SqlDatabase, SqlRunner, SqlValue } from './sql.js';

/** SQLite's answers for a file that is not a database, or a damaged one: bad input, not a crash. */
const DAMAGED = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'SQLITE_READONLY']);

export function sqliteInputError(file: string, e: unknown): unknown {
  if (e instanceof NewerSchemaError) return new InputError(file, '', e.message);
  const code = (e as { code?: unknown }).code;
  if (
    e instanceof Database.SqliteError &&
    typeof code === 'string' &&
    (DAMAGED.has(code) || code.startsWith('SQLITE_CORRUPT'))
  ) {
    return new InputError(
      file,
      '',
      `not a usable wgbench history database (${e.message}); move it away, or pass --db with another file`,
    );
  }
  if (typeof code === 'string' && (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR'))) {
    return new Error(
      `could not write the history database ${file}: ${(e as Error).message} (${code}); what was being ` +
        `added was rolled back, the database is as it was`,
    );
  }
  return e;
}

/** The tables of an existing SQLite file, read before anything is changed in it. */
function tablesOf(db: Database.Database): string[] {
  return (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  ).map((r) => r.name);
}

/**
 * The embedded default: one SQLite file. WAL and a busy timeout let several processes add runs at
 * once without losing any; within one process (a server) transactions take turns, since they
 * share one connection.
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite' as const;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  static async open(file: string): Promise<SqliteDatabase> {
    let sqlite: SqliteDatabase;
    try {
      mkdirSync(dirname(file), { recursive: true });
      const existed = statSync(file, { throwIfNoEntry: false })?.isFile() === true;
      const db = new Database(file);
      // Another program's database is refused untouched: no WAL switch, no tables added to it.
      const tables = existed ? tablesOf(db) : [];
      // A wgbench history has a schema version table, or (before versioned migrations) runs and cases.
      const ours = tables.includes('wgbench_schema_version') || (tables.includes('runs') && tables.includes('cases'));
      if (tables.length > 0 && !ours) {
        db.close();
        throw new InputError(
          file,
          '',
          `a SQLite database, but not a wgbench history (its tables: ` +
            `${tables.slice(0, 5).join(', ')}${tables.length > 5 ? ', …' : ''}); it was left unchanged: pass ` +
            `--db with another file`,
        );
      }
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 15000');
      db.pragma('foreign_keys = ON');
      sqlite = new SqliteDatabase(db, file);
    } catch (e) {
      throw sqliteInputError(file, e);
    }
    try {
      await sqlite.transaction((tx) => migrate(tx, 'sqlite'));
    } catch (e) {
      await sqlite.close();
      throw e;
    }
    return sqlite;
  }

  query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      const stmt = this.db.prepare(sql);
      if (stmt.reader) return Promise.resolve(stmt.all(...params) as T[]);
      stmt.run(...params);
      return Promise.resolve([]);
    } catch (e) {
      const err = sqliteInputError(this.location, e);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const turn = this.queue.then(async () => {
      await this.query('BEGIN IMMEDIATE');
      try {
        const result = await work(this);
        await this.query('COMMIT');
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw sqliteInputError(this.location, e);
      }
    });
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.db.open) this.db.close();
  }
}
