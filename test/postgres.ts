/**
 * The local PostgreSQL the PostgreSQL tests use (PG_TEST_URL, default postgres://postgres@127.0.0.1:5432/test;
 * the dev and CI machines run one, trust auth). Each test file works in a fresh schema of its own, dropped
 * when it ends. Not a *.test.ts file.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'tap';

export const PG_URL = process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL cannot be used (for a skip message), or undefined when it answers. */
export async function pgUnreachable(url = PG_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `url` whose sessions start with `search_path` set to `schema` (libpq's `options`, understood by pg). */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

export type PgSchema = {
  /** t_<random hex>: a plain identifier, no quoting needed. */
  name: string;
  /** A connection URL whose sessions work in this schema. */
  url: string;
  /** A pool on this schema, ended when the test ends. */
  pool(max?: number): pg.Pool;
  /** One query on a short-lived connection to this schema. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
};

/** A fresh, empty schema and how to drop it (with everything in it); `freshSchema` drops it when a test ends. */
export async function createSchema(url = PG_URL): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(url);
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA ${name}`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withSearchPath(url, name),
    async drop() {
      const c = new pg.Client(url);
      await c.connect();
      try {
        await c.query(`DROP SCHEMA ${name} CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A fresh, empty schema (`CREATE SCHEMA t_<random>`), dropped with everything in it when `t` ends. */
export async function freshSchema(t: Test, url = PG_URL): Promise<PgSchema> {
  const { name, drop } = await createSchema(url);
  const pools: pg.Pool[] = [];
  t.teardown(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await drop();
  });
  const scoped = withSearchPath(url, name);
  const pool = (max = 4) => {
    const p = new pg.Pool({ connectionString: scoped, max });
    p.on('error', () => undefined); // an idle client dropped by the server: the next query reports it
    pools.push(p);
    return p;
  };
  let shared: pg.Pool | undefined;
  return {
    name,
    url: scoped,
    pool,
    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]) {
      shared ??= pool(2);
      return (await shared.query<R>(text, values)).rows;
    },
  };
}
