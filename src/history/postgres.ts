import pg from 'pg';
import { InputError } from '../ci/gateConfig.js';
import { migrate, NewerSchemaError } from './migrations.js';
import { numberedPlaceholders, type SqlDatabase, type SqlRunner, type SqlValue } from './sql.js';

/** How long a connection may take to be ready before the URL is reported unreachable. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** Any lock id will do as long as every wgbench agrees on it: "wgbench" in ASCII, truncated. */
const MIGRATION_LOCK = 0x7767626e;

/** The URL with its password masked: what messages and `history list` may print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
  }
}

/** SQLSTATE classes and socket errors that mean "this URL does not lead to a usable database". */
function connectionProblem(e: unknown): string | null {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code))
    return `cannot reach the server (${message}); is PostgreSQL running there?`;
  if (code === '28P01' || code === '28000')
    return `the server refused the login (${message}); check the user and password in the URL`;
  if (code === '3D000') return `${message}; create it (createdb) or name another in the URL`;
  if (code === '42501')
    return `permission denied (${message}); the user needs CREATE on the database to set up the schema`;
  if (
    message.includes('timeout exceeded when trying to connect') ||
    message.includes('Connection terminated due to connection timeout')
  ) {
    return `no answer within the connect timeout (${message}); is PostgreSQL listening there?`;
  }
  return null;
}

export function postgresInputError(location: string, e: unknown): unknown {
  if (e instanceof NewerSchemaError) return new InputError(location, '', e.message);
  const problem = connectionProblem(e);
  return problem === null ? e : new InputError(location, '', `not a usable wgbench history database: ${problem}`);
}

/** A PostgreSQL history shared by many machines: a small pool, one transaction per run added. */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    readonly location: string,
  ) {}

  static async open(
    url: string,
    maxConnections = 10,
    connectTimeoutMs = CONNECT_TIMEOUT_MS,
  ): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ connectionString: url, max: maxConnections, connectionTimeoutMillis: connectTimeoutMs });
    // An idle client that loses its server must not take the process down with an unhandled error.
    pool.on('error', () => undefined);
    const db = new PostgresDatabase(pool, redactUrl(url));
    try {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
        return migrate(tx, 'postgres');
      });
    } catch (e) {
      await db.close().catch(() => undefined);
      const known = postgresInputError(db.location, e);
      if (known !== e || e instanceof InputError) throw known;
      // Not PostgreSQL at the other end (an HTTP server, a closed stream): say where we looked.
      throw new Error(
        `could not open the history database ${db.location}: ` +
          `${e instanceof Error ? e.message : String(e)}; is PostgreSQL listening there?`,
        { cause: e },
      );
    }
    return db;
  }

  async query<T extends object>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(numberedPlaceholders(sql), [...params])).rows as T[];
    } catch (e) {
      throw postgresInputError(this.location, e);
    }
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw postgresInputError(this.location, e);
    }
    const tx: SqlRunner = {
      query: async <R extends object>(sql: string, params: readonly SqlValue[] = []): Promise<R[]> =>
        (await client.query(numberedPlaceholders(sql), [...params])).rows as R[],
    };
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      throw postgresInputError(this.location, e);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
