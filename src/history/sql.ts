/**
 * The little the history needs from a database: parameterised statements and transactions. The
 * history's queries are written once against this, so SQLite and PostgreSQL answer the same
 * questions the same way; each backend turns `?` into its own placeholders.
 */
export type SqlValue = string | number | null;
export type Dialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  /** Runs one statement with its parameters (never spliced into the text); rows it returns, if any. */
  query<T extends object>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

export interface SqlDatabase extends SqlRunner {
  readonly dialect: Dialect;
  /** Where the data lives, safe to print: a file path, or a URL without its password. */
  readonly location: string;
  /** Runs `work` in one transaction that takes the write lock at once; rolled back if it throws. */
  transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (no query here holds a literal `?`). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
