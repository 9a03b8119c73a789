import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { getTableColumns, is, SQL, sql, type AnyColumn } from 'drizzle-orm';
import type { SQLiteInsertValue, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export type DbHandle = { db: Db; sqlite: Database.Database };

/**
 * Opens the database once per process with the pragmas the architecture asks for.
 * WAL lets readers run beside the single writer; NORMAL synchronous in WAL mode loses at most the last
 * transactions on power loss, never integrity (FULL is configurable).
 */
export function openDb(file: string, synchronous: 'NORMAL' | 'FULL' = 'NORMAL'): DbHandle {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma(`synchronous = ${synchronous}`);
  reusePreparedStatements(sqlite);
  const db = drizzle(sqlite, { schema }) as Db;
  return { db, sqlite };
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * drizzle prepares every query again each time it runs; SQLite's prepare (parse + plan) was a tenth of
 * a read's CPU (bench/results/profiles). The same SQL text gets the same compiled statement back.
 * drizzle switches a statement to raw mode for `values()`, so a reused reader is reset to plain rows;
 * nothing here iterates lazily (`.iterate()` would make a shared statement busy).
 */
function reusePreparedStatements(sqlite: Database.Database) {
  const prepare = sqlite.prepare.bind(sqlite);
  const statements = new LRUCache<string, Database.Statement>({ max: STATEMENT_CACHE_SIZE });
  sqlite.prepare = ((source: string) => {
    const cached = statements.get(source);
    if (cached) {
      if (cached.reader) cached.raw(false);
      return cached;
    }
    const statement = prepare(source);
    statements.set(source, statement);
    return statement;
  }) as typeof sqlite.prepare;
}

/**
 * A query built and prepared once, on first use, then run with placeholder values. drizzle otherwise
 * builds the SQL text again on every call (its query builder was a third of an uncached read's CPU).
 */
export function preparedOnce<T>(build: () => T): () => T {
  let query: T | undefined;
  return () => (query ??= build());
}

/**
 * Queries whose SQL depends on a few facts of the request (which filters are set, the sort, a cursor or
 * not), never on their values: each shape is built and prepared once, on first use, under its key, and run
 * with placeholder values. The shapes are few in practice; the cache bounds them anyway.
 */
export function preparedByShape<S, Q>(keyOf: (shape: S) => string, build: (shape: S) => Q, max = 256): (shape: S) => Q {
  const queries = new LRUCache<string, { q: Q }>({ max });
  return (shape) => {
    const key = keyOf(shape);
    let entry = queries.get(key);
    if (!entry) queries.set(key, (entry = { q: build(shape) }));
    return entry.q;
  };
}

/** `column IN` the JSON array bound to placeholder `name`: one prepared statement for any list length. */
export const inJsonArray = (column: AnyColumn, name = 'ids'): SQL => sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;

/**
 * A one-row INSERT of every column of `table`, each bound to a placeholder named like its key: build it
 * once with `db.insert(table).values(insertPlaceholders(table))…prepare()` and run it with
 * `insertValues(table, row)`. drizzle's builder otherwise walks the columns and builds the SQL again on
 * every insert (most of a write's query-building CPU).
 */
export function insertPlaceholders<T extends SQLiteTable>(table: T): SQLiteInsertValue<T> {
  return Object.fromEntries(Object.keys(getTableColumns(table)).map((key) => [key, sql.placeholder(key)])) as SQLiteInsertValue<T>;
}

const insertDefaults = new WeakMap<SQLiteTable, [string, unknown][]>();

/** The values for an `insertPlaceholders` statement: what drizzle would insert (an absent column takes its default, else NULL). */
export function insertValues<T extends SQLiteTable>(table: T, row: T['$inferInsert']): Record<string, unknown> {
  let defaults = insertDefaults.get(table);
  if (!defaults) {
    defaults = Object.entries(getTableColumns(table)).map(([key, column]): [string, unknown] => {
      if (column.defaultFn || is(column.default, SQL)) throw new Error(`insertValues: ${key} has a computed default; insert it explicitly`);
      return [key, column.default ?? null];
    });
    insertDefaults.set(table, defaults);
  }
  const values: Record<string, unknown> = {};
  for (const [key, fallback] of defaults) {
    const value = (row as Record<string, unknown>)[key];
    values[key] = value === undefined ? fallback : value;
  }
  return values;
}

/** Synchronous row count (drizzle's $count is awaitable only). */
export function countRows(db: Db, table: SQLiteTable, where?: SQL): number {
  return db.select({ n: sql<number>`count(*)` }).from(table).where(where).get()?.n ?? 0;
}

/**
 * Keeps the planner statistics in step with a database that grows inside one long-running process.
 * Startup's `PRAGMA optimize` on a young database records articles_fts_data as 2 rows; SQLite then plans
 * FTS5's own segment deletes (`DELETE … WHERE id >= ? AND id <= ?`) as full scans of the index, and article
 * writes get slower as the archive grows (12–25 ms more per write after a few thousand articles, measured)
 * until the next restart. Call the returned function inside every write's transaction (it holds the write
 * lock, so ANALYZE cannot meet SQLITE_BUSY): every `every` writes it runs `PRAGMA optimize=0x10002` (all
 * tables, as at startup), which re-analyses only the tables whose size changed a lot since their last
 * analysis and costs little otherwise.
 */
export function statisticsRefresher(sqlite: Database.Database, every = 500): () => void {
  let writes = 0;
  return () => {
    if (++writes < every) return;
    writes = 0;
    sqlite.pragma('optimize=0x10002');
  };
}

/**
 * `PRAGMA data_version`: changes when another connection (another process on the same file) commits,
 * never for this connection's own writes. Prepared once; each call is one cheap step.
 */
export function dataVersionReader(sqlite: Database.Database): () => number {
  const statement = sqlite.prepare('PRAGMA data_version');
  return () => (statement.get() as { data_version: number }).data_version;
}
