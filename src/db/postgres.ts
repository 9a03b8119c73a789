import { drizzle } from 'drizzle-orm/node-postgres';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Async, Transactions } from './client.js';
import { pgDialect } from './dialect.pg.js';
import type { Dialect } from './dialect.js';
import { runPgMigrations } from './migrate.pg.js';
import * as pgTables from './schema.pg.js';

/** The channel every process LISTENs on; a write transaction NOTIFYs it (delivered at commit). */
const WRITES_CHANNEL = 'broadsheet_writes';
/** How often a transaction that lost a serialization race is run again before the error reaches the caller. */
const MAX_ATTEMPTS = 10;
/** serialization_failure, deadlock_detected: the transaction can simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** A serialization failure or deadlock, raised by node-postgres or wrapped by drizzle (DrizzleQueryError.cause). */
function retryable(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && RETRYABLE.has(e.code)) return true;
  }
  return false;
}

/** The transaction the caller's async context is in; `open` turns false when it ends (stale contexts see that). */
type Current = { client: pg.PoolClient; open: boolean };

export type Postgres = {
  dialect: Dialect;
  transactions: Transactions;
  pool: pg.Pool;
  /** Inside a write transaction: tells the other processes (at commit) that the data changed. */
  notifyWrite(): Promise<void>;
  /** Counts the writes other processes committed (LISTEN/NOTIFY), as SQLite's `PRAGMA data_version` does. */
  dataVersion(): number;
  /** One statement outside the repositories (tests, tools), `?` placeholders. */
  query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
};

/**
 * PostgreSQL behind the same seam as SQLite: a pool, the migrations applied under an advisory lock, the
 * dialect, transactions, and the cross-process write signal.
 *
 * Transactions are SERIALIZABLE. The services were written for one writer (SQLite): a write reads, checks
 * (If-Match, slug taken, "21st related link", in use) and writes in one transaction, and relies on nothing
 * changing in between. SERIALIZABLE gives exactly that guarantee across processes; the price is that a
 * transaction that lost a race fails with a serialization error, and it is run again (up to MAX_ATTEMPTS),
 * seeing the winner's write: a lost If-Match race answers 412, as on SQLite. Transaction bodies must stay
 * free of side effects other than statements and idempotent in-memory ones (response-cache invalidation).
 *
 * Statements run on the connection of the caller's transaction (found through AsyncLocalStorage) or, outside
 * one, on any pooled connection: drizzle is given a client whose `query` routes each call.
 */
export async function openPostgres(url: string, options: { poolMax?: number } = {}): Promise<Postgres> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolMax ?? 10 });
  // An idle connection the server dropped: the pool discards it; the next query takes another.
  pool.on('error', () => undefined);
  await runPgMigrations(pool);

  const current = new AsyncLocalStorage<Current>();
  const connection = () => {
    const tx = current.getStore();
    return tx?.open ? tx.client : pool;
  };
  const router = { query: (config: unknown, values?: unknown) => connection().query(config as string, values as unknown[]) };
  const db = drizzle({ client: router as unknown as pg.Pool, schema: pgTables });
  const dialect = pgDialect(db);

  async function run<T>(begin: string, fn: () => Promise<T>): Promise<T> {
    const outer = current.getStore();
    if (outer?.open) return fn();
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      const tx: Current = { client, open: true };
      let broken = false;
      try {
        await client.query(begin);
        const result = await current.run(tx, fn);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (retryable(err) && attempt < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 6)));
          continue;
        }
        throw err;
      } finally {
        tx.open = false;
        client.release(broken);
      }
    }
  }

  const transactions: Transactions = {
    tx: (fn) => run('BEGIN ISOLATION LEVEL SERIALIZABLE', fn),
    readTx: (fn) => run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn),
    // The repositories answer promises already, and the database keeps transactions apart.
    repository: <R extends object>(repo: R) => repo as Async<R>,
    outside: async (fn) => fn(),
  };

  const instance = randomUUID();
  let version = 0;
  const listener = await listen(url, instance, () => version++);

  return {
    dialect,
    transactions,
    pool,
    async notifyWrite() {
      await connection().query('SELECT pg_notify($1, $2)', [WRITES_CHANNEL, instance]);
    },
    dataVersion: () => version,
    async query(text, values = []) {
      let n = 0;
      return (await connection().query(text.replace(/\?/g, () => `$${++n}`), values)).rows as Record<string, unknown>[];
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await listener.close();
      await pool.end();
    },
  };
}

/**
 * One connection LISTENing for other processes' writes. When it is lost, notifications may have been missed:
 * `changed` is called once more (the cache drops everything) and it reconnects, with a growing delay.
 */
async function listen(url: string, instance: string, changed: () => void) {
  let client: pg.Client | undefined;
  let closed = false;
  let reconnecting = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = 100;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      if (n.payload !== instance) changed();
    });
    const drop = () => {
      if (client === c) lost();
    };
    c.on('error', drop);
    c.on('end', drop);
    try {
      await c.connect();
      await c.query(`LISTEN ${WRITES_CHANNEL}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    client = c;
  };
  const reconnect = () => {
    retry = setTimeout(() => {
      connect().then(() => {
        reconnecting = false;
        delay = 100;
        // Writes committed while nobody listened: drop what may be stale once more.
        changed();
      }, () => {
        delay = Math.min(delay * 2, 5_000);
        if (!closed) reconnect();
      });
    }, delay);
  };
  const lost = () => {
    if (closed || reconnecting) return;
    reconnecting = true;
    client = undefined;
    changed();
    reconnect();
  };
  await connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
