import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export const pgMigrationsFolder = fileURLToPath(new URL('../../migrations-pg', import.meta.url));

type PgClient = pg.Pool | pg.PoolClient | pg.Client;

/**
 * The advisory lock key migrations take (any constant; this one spells "bsmigr" in ASCII). One key for the
 * whole database, not per schema: the unaccent extension the first migration may create is database-wide.
 */
export const MIGRATION_LOCK_KEY = 0x62736d696772;
/** How long a starting process waits for another process's migration to finish (as src/db/migrate.ts). */
const MIGRATION_WAIT = '600s';

/**
 * Applies the committed PostgreSQL migrations (migrations-pg/) that the database has not seen, with drizzle's
 * node-postgres migrator. Two processes starting together must not both apply the same migration: drizzle
 * reads the newest recorded migration before it opens its transaction, so a transaction-scoped lock taken
 * inside it would come too late. Here one connection takes a session advisory lock, runs the whole migrator
 * on that same connection, and unlocks; the second process waits on the lock and then finds nothing to do.
 * The lock goes with the session if the process dies.
 *
 * drizzle's bookkeeping table (`__drizzle_migrations`) goes in the schema the migrations run in
 * (`current_schema()`, the first of the search_path), not drizzle's default "drizzle" schema: every schema
 * that holds a Broadsheet (one per test file, or several sites in one database) keeps its own record.
 */
export async function runPgMigrations<S extends Record<string, unknown>>(target: PgClient | (NodePgDatabase<S> & { $client: PgClient })): Promise<void> {
  const client: PgClient = '$client' in target ? target.$client : target;
  // Duck-typed: a Pool from another copy of pg fails instanceof, and pool.query would spread the lock,
  // the migrator and the unlock over different connections.
  const pooled = 'totalCount' in client ? await (client as pg.Pool).connect() : undefined;
  const conn = pooled ?? (client as Exclude<PgClient, pg.Pool>);
  try {
    await conn.query(`SET lock_timeout = '${MIGRATION_WAIT}'`);
    await conn.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      const { rows } = await conn.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      const schema = rows[0]?.schema;
      if (!schema) throw new Error('PostgreSQL migrations: no schema of the search_path exists; create it first');
      await migrate(drizzle(conn), { migrationsFolder: pgMigrationsFolder, migrationsSchema: schema });
    } finally {
      // Best effort: on a broken connection the lock has gone with the session already.
      await conn.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
      await conn.query('RESET lock_timeout').catch(() => undefined);
    }
  } finally {
    // Not handed back to the pool: whatever a failure left on it (a held lock, an aborted transaction) goes with it.
    pooled?.release(true);
  }
}
