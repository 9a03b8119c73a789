import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
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

/** `column IN` the JSON array bound to placeholder `name`: one prepared statement for any list length. */
export const inJsonArray = (column: AnyColumn, name = 'ids'): SQL => sql`${column} in (select value from json_each(${sql.placeholder(name)}))`;

/** Synchronous row count (drizzle's $count is awaitable only). */
export function countRows(db: Db, table: SQLiteTable, where?: SQL): number {
  return db.select({ n: sql<number>`count(*)` }).from(table).where(where).get()?.n ?? 0;
}

/**
 * `PRAGMA data_version`: changes when another connection (another process on the same file) commits,
 * never for this connection's own writes. Prepared once; each call is one cheap step.
 */
export function dataVersionReader(sqlite: Database.Database): () => number {
  const statement = sqlite.prepare('PRAGMA data_version');
  return () => (statement.get() as { data_version: number }).data_version;
}
