import { drizzle } from 'drizzle-orm/node-postgres';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Async, Transactions } from './client.js';
import { pgDialect } from './dialect.pg.js';
import type { Dialect } from './dialect.js';
import { runPgMigrations } from './migrate.pg.js';
import * as pgTables from './schema.pg.js';

/**
 * The channel every process LISTENs on; a write transaction NOTIFYs it (delivered at commit) with the payload
 * `<instance uuid> <schema>`. Channels span the whole database, so the schema tells sites that share one
 * database (one schema each: tenants, the test suite) apart.
 */
const WRITES_CHANNEL = 'broadsheet_writes';
/** How often a transaction that failed with a retryable error is run again before the error reaches the caller. */
const MAX_ATTEMPTS = 10;
/**
 * The write gate: a transaction-level advisory lock per schema (int4 pair: a constant, the schema's hash) that
 * every write transaction takes first, so writes to one site run one at a time across all processes, as
 * SQLite's single writer runs them. Released by COMMIT or ROLLBACK, so a crashed process cannot leave it held.
 */
const WRITE_GATE = '1112753239, hashtext(current_schema())';
/** serialization_failure, deadlock_detected: the transaction can simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * unique_violation: a statement outside the write gate (an Idempotency-Key record, say) inserted the same key
 * after the transaction looked for it. Run again, the service sees the row and answers precisely (409);
 * retried at most this many times, then src/db/errors.ts translates it.
 */
const UNIQUE_RETRIES = 2;

/** The SQLSTATE of a node-postgres error, raised as is or wrapped by drizzle (DrizzleQueryError.cause). */
function sqlState(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
}

/** Whether the failed attempt `attempt` of a transaction runs again. */
function retryable(err: unknown, attempt: number): boolean {
  const code = sqlState(err);
  if (code === '23505') return attempt <= UNIQUE_RETRIES;
  return code !== undefined && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS;
}

/**
 * The transaction the caller's async context is in; `open` turns false when it ends (stale contexts see that).
 * `ended`: set by notifyWrite, called when it ends (the reads waiting for it go on).
 */
type Current = { client: pg.PoolClient; open: boolean; ended?: () => void };

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
 * Write transactions run one at a time per site (WRITE_GATE), READ COMMITTED. The services were written for
 * one writer (SQLite): a write reads, checks (If-Match, slug taken, "21st related link", in use) and writes in
 * one transaction, and relies on nothing changing in between. Taking the gate in the transaction's first
 * statement gives exactly that, and each later statement reads what the writes before it committed: a lost
 * If-Match race answers 412, as on SQLite. Measured first with SERIALIZABLE and retries instead (2026-11-27,
 * npm run bench:scale): writes lost 1.35 serialization races each on average (false conflicts on shared index
 * pages), 167 writes/s for one process and 137 for two; and a write could lose MAX_ATTEMPTS times and answer
 * 500. Read-only snapshots (readTx) are REPEATABLE READ. Transaction bodies must stay free of side effects
 * other than statements and idempotent in-memory ones (response-cache invalidation): a deadlock (40P01) or a
 * unique violation from a write outside the gate runs the body again.
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
  /**
   * This process's write transactions that have signalled their write (notifyWrite) and not ended yet. A
   * statement outside a transaction, or a read transaction, started meanwhile waits for them, as reads wait
   * for the write on SQLite's one connection: the response cache drops a write's entries inside the write
   * (journal.onRecord, after notifyWrite), so a read that misses after that must see the commit, or it would
   * keep what the write replaced until the TTL.
   */
  const committing = new Set<Promise<void>>();
  const writesEnded = () => (committing.size ? Promise.all(committing) : undefined);
  const router = {
    query: async (config: unknown, values?: unknown) => {
      if (!current.getStore()?.open) await writesEnded();
      return connection().query(config as string, values as unknown[]);
    },
  };
  const db = drizzle({ client: router as unknown as pg.Pool, schema: pgTables });
  const dialect = pgDialect(db);

  async function run<T>(begin: string, fn: () => Promise<T>, gated = false): Promise<T> {
    const outer = current.getStore();
    if (outer?.open) return fn();
    // A read transaction's snapshot is taken after the writes it may have missed (see `committing`).
    if (!gated) await writesEnded();
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      const tx: Current = { client, open: true };
      let broken = false;
      try {
        // One round trip: BEGIN, then the gate (READ COMMITTED: later statements see what the writes that held it
        // before committed).
        await client.query(gated ? `${begin}; SELECT pg_advisory_xact_lock(${WRITE_GATE})` : begin);
        const result = await current.run(tx, fn);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        if (!retryable(err, attempt)) throw err;
      } finally {
        tx.open = false;
        tx.ended?.();
        client.release(broken);
      }
      // With the connection (and the gate) given back: nothing is held while waiting.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** Math.min(attempt, 6)));
    }
  }

  const transactions: Transactions = {
    tx: (fn) => run('BEGIN ISOLATION LEVEL READ COMMITTED', fn, true),
    readTx: (fn) => run('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn),
    // The repositories answer promises already, and the database keeps transactions apart.
    repository: <R extends object>(repo: R) => repo as Async<R>,
    outside: async (fn) => fn(),
  };

  const instance = randomUUID();
  const { schema } = (await pool.query<{ schema: string }>('SELECT current_schema() AS schema')).rows[0]!;
  const signal = `${instance} ${schema}`;
  let version = 0;
  const listener = await listen(url, instance, schema, () => version++);
  let closing: Promise<void> | undefined;

  return {
    dialect,
    transactions,
    pool,
    async notifyWrite() {
      const tx = current.getStore();
      if (tx?.open && !tx.ended) {
        const ended = new Promise<void>((resolve) => {
          tx.ended = () => {
            committing.delete(ended);
            resolve();
          };
        });
        committing.add(ended);
      }
      await connection().query('SELECT pg_notify($1, $2)', [WRITES_CHANNEL, signal]);
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
    // Once: a second pool.end() rejects, and a test that closed the database early is closed again by the app.
    close: () => (closing ??= listener.close().then(() => pool.end())),
  };
}

/**
 * One connection LISTENing for other processes' writes. When it is lost, notifications may have been missed:
 * `changed` is called once more (the cache drops everything) and it reconnects, with a growing delay.
 */
async function listen(url: string, instance: string, schema: string, changed: () => void) {
  let client: pg.Client | undefined;
  let closed = false;
  let reconnecting = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = 100;
  const connect = async (): Promise<void> => {
    const c = new pg.Client({ connectionString: url });
    c.on('notification', (n) => {
      // Another process's write to this schema (not this one's own, not another schema's).
      const [from, ...rest] = (n.payload ?? '').split(' ');
      if (from !== instance && rest.join(' ') === schema) changed();
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
