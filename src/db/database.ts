import type BetterSqlite3 from 'better-sqlite3';
import type { Config } from '../config.js';
import { CHECKPOINT_BACKSTOP_PAGES, startCheckpointer } from './checkpointer.js';
import { createTransactions, dataVersionReader, openDb, optimize, statisticsRefresher, type DbHandle, type Transactions } from './client.js';
import { searchIndexFlusher, sqliteDialect, type Dialect } from './dialect.js';
import { runMigrations } from './migrate.js';
import { checkDatabase } from './self-check.js';

/**
 * The database the app runs on, whichever it is: SQLite in-process (the default) or PostgreSQL
 * (`DATABASE_URL=postgres://…`, src/db/postgres.ts). Services see only the dialect and the transactions.
 */
export type Database = {
  kind: 'sqlite' | 'postgres';
  dialect: Dialect;
  transactions: Transactions;
  /**
   * Called inside every write's transaction (through the journal). SQLite: keeps the planner statistics in step
   * with a growing archive. PostgreSQL: tells the other processes, at commit, that the data changed.
   */
  onWrite(): Promise<void>;
  /** Changes when another process committed (the response cache then drops what it holds). */
  dataVersion(): number;
  /**
   * One SQL statement outside the repositories, for tests and tools: `?` placeholders, the rows it answers
   * (none for a write). The SQL is the caller's: only what both databases accept runs on both.
   */
  query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /** SQLite only: the connection (tests, the backup CLI). */
  sqlite?: BetterSqlite3.Database;
};

/**
 * Opens the configured database, checked and migrated. `handle`: an SQLite connection the caller owns (tests).
 * `log`: where the SQLite checkpointer reports a failed checkpoint.
 */
export async function openDatabase(config: Config, handle?: DbHandle, log?: (message: string) => void): Promise<Database> {
  if (config.databaseUrl) {
    const { openPostgres } = await import('./postgres.js');
    const pg = await openPostgres(config.databaseUrl, { poolMax: config.pgPoolMax });
    return { kind: 'postgres', dialect: pg.dialect, transactions: pg.transactions, onWrite: pg.notifyWrite, dataVersion: pg.dataVersion, query: pg.query, ping: pg.ping, close: pg.close };
  }
  const { db, sqlite } = handle ?? openDb(config.databaseFile, config.dbSynchronous);
  // Refuses to start when the pragmas the durability promise rests on did not take (README, Durability).
  checkDatabase(sqlite, config.dbSynchronous);
  runMigrations(db);
  // Planner statistics (ANALYZE where they are missing or stale): without them SQLite reads "id IN (…) and
  // live" through the live-articles index instead of the primary key (bench/results/profiles). Row counts
  // only: per-value samples would re-plan statements at every run (`optimize` in src/db/client.ts).
  optimize(sqlite);
  const refresh = statisticsRefresher(sqlite);
  const ping = sqlite.prepare('select 1 as ok');
  // Articles inserted outside the app's transactions (a tool writing to the file) are indexed now.
  const flushSearchIndex = searchIndexFlusher(sqlite);
  flushSearchIndex();
  const transactions = createTransactions(sqlite, { beforeCommit: flushSearchIndex });
  // WAL checkpoints off the event loop (src/db/checkpointer.ts), for a file this process opened.
  const checkpointer = !handle && config.dbCheckpointMs > 0 && config.databaseFile !== ':memory:'
    ? startCheckpointer(config.databaseFile, { everyMs: config.dbCheckpointMs, onError: (m) => log?.(`WAL checkpoint failed: ${m}`) })
    : undefined;
  if (checkpointer) sqlite.pragma(`wal_autocheckpoint = ${CHECKPOINT_BACKSTOP_PAGES}`);
  return {
    kind: 'sqlite',
    dialect: sqliteDialect(db),
    transactions,
    onWrite: async () => refresh(),
    dataVersion: dataVersionReader(sqlite),
    query: (text, values = []) => transactions.outside(() => {
      const statement = sqlite.prepare(text);
      if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
      statement.run(...values);
      return [];
    }),
    async ping() {
      try {
        return ping.get() !== undefined;
      } catch {
        return false;
      }
    },
    async close() {
      await checkpointer?.stop();
      if (!handle) sqlite.close();
    },
    sqlite,
  };
}
