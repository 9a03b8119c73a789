import Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import { getTableColumns, is, SQL, sql } from 'drizzle-orm';
import type { SQLiteInsertValue, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
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
  // Sorts and IN-lists (ORDER BY without an index, `IN (select value from json_each(?))`) build temporary
  // b-trees; with the default (file) temp store each one set up fresh memory, ~15 page faults and ~300 µs on the
  // first such statement of every uncached article read (tags, 10,000-article archive; ~30 µs in memory).
  // Their size is that of a result set (a page of rows, a search's matches), never an archive's.
  sqlite.pragma('temp_store = MEMORY');
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
    optimize(sqlite);
  };
}

/**
 * `PRAGMA optimize` (ANALYZE of every table whose size changed a lot since its last analysis, or that has none),
 * keeping the per-index row counts (`sqlite_stat1`) and dropping the per-value samples (`sqlite_stat4`).
 * better-sqlite3 builds SQLite with SQLITE_ENABLE_STAT4: with samples for an index, a statement that binds a
 * parameter against that index is parsed and planned again at every run, for its values. The prepared-once read
 * path paid that on every list: the anonymous total's scheduled-articles count took 18 µs instead of 2.3 alone
 * and 69 µs instead of 8 inside an uncached list, the page query 372 µs instead of 336 (bench/statements.ts, the
 * bench archive). The app's statements are written for plans that row counts decide (test/db/plans.test.ts holds
 * them, with the samples dropped the same way).
 */
export function optimize(sqlite: Database.Database): void {
  sqlite.pragma('optimize=0x10002');
  dropValueSamples(sqlite);
}

/** Empties `sqlite_stat4` when it holds samples, and reloads the statistics (every statement is prepared again once). */
export function dropValueSamples(sqlite: Database.Database): void {
  if (sqlite.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sqlite_stat4'").get() === undefined) return;
  if (sqlite.prepare('SELECT 1 FROM sqlite_stat4 LIMIT 1').get() === undefined) return;
  sqlite.exec('DELETE FROM sqlite_stat4');
  sqlite.exec('ANALYZE sqlite_schema');
}

/**
 * `PRAGMA data_version`: changes when another connection (another process on the same file) commits,
 * never for this connection's own writes. Prepared once; each call is one cheap step.
 */
export function dataVersionReader(sqlite: Database.Database): () => number {
  const statement = sqlite.prepare('PRAGMA data_version');
  return () => (statement.get() as { data_version: number }).data_version;
}

/** A repository's methods as the layers above see them: every answer is a promise (the PostgreSQL seam). */
export type Async<R> = { [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : R[K] };

export type Transactions = {
  /** A write transaction (BEGIN IMMEDIATE): `fn` and everything it awaits run in it; nested calls join it. */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /** A read snapshot (BEGIN DEFERRED) for answers built from several queries (search: rows, total, ranking). */
  readTx<T>(fn: () => Promise<T>): Promise<T>;
  /** A repository whose every call runs apart from other callers' transactions (see createTransactions). */
  repository<R extends object>(repo: R): Async<R>;
  /** Runs `fn` (direct statements outside a repository) apart from other callers' transactions. */
  outside<T>(fn: () => T | Promise<T>): Promise<T>;
};

/**
 * Transactions over the process's one SQLite connection, for code that awaits between statements.
 *
 * better-sqlite3 runs each statement synchronously, but a transaction body that awaits yields to other
 * requests, and on one connection their statements would run inside the open transaction: reading its
 * uncommitted rows, or joining their writes to it. So the connection is taken by one caller at a time: a
 * transaction, or one repository call outside any (which may await between its own statements), while the
 * others queue, as SQLite's single writer makes writes do anyway. Repository calls inside the transaction
 * (same async context) run at once. Nothing awaited while the connection is held does I/O on SQLite, so a
 * wait is a few microtask turns.
 *
 * **Group commit.** Write transactions that are already waiting when one ends run in the same SQLite
 * transaction, one after the other, each in a savepoint of its own (at most `maxGroup`, default 64, or
 * `maxGroupWithReaders`, default 16, once a read waits), and
 * commit together: a COMMIT writes every page a transaction touched to the WAL, and consecutive article writes
 * touch mostly the same pages (the newest leaf of each index, the full-text index, the tag index), so a group
 * writes a fraction of the pages its members would one by one (issue 7: 54 WAL pages per article write alone).
 * Nothing changes for the callers: each `tx` still resolves only once its writes are committed, one that fails
 * rolls back to its savepoint (its group's others commit), and no read runs between the members of a group
 * (reads wait for the COMMIT: while a group is open, waiting writes go first, up to `maxGroupWithReaders`).
 * Groups of up to 32 (the bench's 32 writers) against 16: 12–14 % less CPU per article write and a lower p99
 * (`npm run bench -- --only write --rounds 1 --seconds 8`, alternating, four pairs). If the COMMIT
 * itself fails, or SQLite abandons the transaction, every member still waiting fails with that error.
 * `beforeCommit` runs inside every write transaction (group) just before its COMMIT (the search index flush).
 */
export function createTransactions(sqlite: Database.Database, options: { maxGroup?: number; maxGroupWithReaders?: number; beforeCommit?: () => void } = {}): Transactions {
  const maxGroup = options.maxGroup ?? 64;
  const maxGroupWithReaders = Math.min(maxGroup, options.maxGroupWithReaders ?? 16);
  const beforeCommit = options.beforeCommit ?? (() => undefined);
  // The holder's token, carried by the async context of everything it awaits. A token (not a flag): work
  // scheduled from inside a transaction that outlives it (a timer, a wake-up) carries a stale one and is
  // treated as outside, so it can never join a later transaction.
  const inside = new AsyncLocalStorage<object>();
  let current: object | undefined;
  let busy = false;
  const waiting: { write: boolean; go: () => void }[] = [];
  type Group = { size: number; committed: Promise<void>; settle: (err?: unknown) => void };
  let group: Group | undefined;

  /** The connection, now or in turn (FIFO; while a group is open, writes first). */
  function take(write: boolean): Promise<void> | undefined {
    if (!busy) {
      busy = true;
      return undefined;
    }
    return new Promise((go) => waiting.push({ write, go }));
  }

  /** Hands the connection to the next waiter, or frees it. */
  function pass(): void {
    const next = waiting.shift();
    if (next) next.go();
    else busy = false;
  }

  function openGroup(): Group {
    let settle!: Group['settle'];
    const committed = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
    // A member that failed on its own never awaits this: no unhandled rejection when the group fails later.
    committed.catch(() => undefined);
    return { size: 0, committed, settle };
  }

  function endGroup(err?: unknown): void {
    const g = group!;
    group = undefined;
    if (err === undefined) {
      try {
        beforeCommit();
        sqlite.exec('COMMIT');
      } catch (commitErr) {
        err = commitErr;
      }
    }
    if (err !== undefined && sqlite.inTransaction) sqlite.exec('ROLLBACK');
    g.settle(err);
  }

  /** The caller runs inside the holder of the connection (a statement of its transaction or repository call). */
  const joins = () => current !== undefined && inside.getStore() === current;

  async function run<T>(fn: () => T | Promise<T>): Promise<T> {
    const token = {};
    current = token;
    try {
      return await inside.run(token, fn);
    } finally {
      current = undefined;
    }
  }

  /** A repository call or a read snapshot (`begin`), alone on the connection. */
  async function exclusive<T>(begin: string | undefined, fn: () => T | Promise<T>): Promise<T> {
    if (joins()) return fn();
    await take(false);
    try {
      if (!begin) return await run(fn);
      sqlite.exec(begin);
      try {
        const result = await run(fn);
        sqlite.exec('COMMIT');
        return result;
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw err;
      }
    } finally {
      pass();
    }
  }

  /**
   * Continues the open group with the first waiting write, if the group may grow: to `maxGroup` while only
   * writes wait, to `maxGroupWithReaders` once a read waits (the writes go ahead of it, so this bounds its wait).
   */
  function handToNextWrite(g: Group): boolean {
    const limit = waiting.some((w) => !w.write) ? maxGroupWithReaders : maxGroup;
    const next = g.size < limit ? waiting.findIndex((w) => w.write) : -1;
    if (next < 0) return false;
    waiting.splice(next, 1)[0]!.go();
    return true;
  }

  /**
   * Where writes gather before they take the connection: until the event loop's next turn. A transaction body
   * that awaits no I/O runs to its end within the turn it began in, before any other request could reach its
   * own write; so the writes of the requests received in one turn first meet here, then take the connection
   * one after the other, and the first one's group finds the others waiting. Nothing is held meanwhile (reads
   * go on), and no transaction stays open across a turn: another connection to the file, whose wait for the
   * write lock blocks its thread, never waits for this one's event loop.
   */
  let gathering: Promise<void> | undefined;
  const gather = () =>
    (gathering ??= new Promise((resolve) => setImmediate(() => {
      gathering = undefined;
      resolve();
    })));

  /** A write transaction: a member of the open group, or the first of a new one. */
  async function write<T>(fn: () => Promise<T>): Promise<T> {
    if (joins()) return fn();
    await gather();
    await take(true);
    if (!group) {
      try {
        // Writes take the write lock at BEGIN (IMMEDIATE), waiting for it up to busy_timeout. A deferred
        // transaction that reads first and writes second fails at once with SQLITE_BUSY when another process on
        // the same file committed in between (SQLite cannot upgrade a stale snapshot, and no busy handler runs
        // for it): measured, 95 of 320 concurrent creates through two processes answered 500 before this.
        sqlite.exec('BEGIN IMMEDIATE');
      } catch (err) {
        pass();
        throw err;
      }
      group = openGroup();
    }
    const g = group;
    g.size++;
    let failed: { err: unknown } | undefined;
    let result: T | undefined;
    try {
      sqlite.exec('SAVEPOINT member');
      result = await run(fn);
      sqlite.exec('RELEASE member');
    } catch (err) {
      failed = { err };
      if (sqlite.inTransaction) {
        sqlite.exec('ROLLBACK TO member');
        sqlite.exec('RELEASE member');
      }
    }
    if (!sqlite.inTransaction) {
      // SQLite abandoned the whole transaction (I/O error, disk full…): the members before this one are lost too.
      endGroup(failed?.err ?? new Error('the transaction was rolled back'));
      pass();
    } else if (!handToNextWrite(g)) {
      endGroup();
      pass();
    }
    if (failed) throw failed.err;
    await g.committed;
    return result as T;
  }

  const outside = <T>(fn: () => T | Promise<T>) => exclusive(undefined, fn);
  return {
    tx: write,
    // Read-only snapshots (search: ranking, rows and total from one state) need no lock.
    readTx: (fn) => exclusive('BEGIN DEFERRED', fn),
    outside,
    repository<R extends object>(repo: R): Async<R> {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(repo)) {
        out[key] = typeof value === 'function' ? (...args: unknown[]) => outside(() => (value as (...a: unknown[]) => unknown)(...args)) : value;
      }
      return out as Async<R>;
    },
  };
}
