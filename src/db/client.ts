import Database from 'better-sqlite3';
import { sql, type SQL } from 'drizzle-orm';
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
  const db = drizzle(sqlite, { schema }) as Db;
  return { db, sqlite };
}

/** Synchronous row count (drizzle's $count is awaitable only). */
export function countRows(db: Db, table: SQLiteTable, where?: SQL): number {
  return db.select({ n: sql<number>`count(*)` }).from(table).where(where).get()?.n ?? 0;
}
