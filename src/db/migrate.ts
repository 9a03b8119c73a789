import { readMigrationFiles } from 'drizzle-orm/migrator';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.js';

export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

const TABLE = '"__drizzle_migrations"';
/** How long a starting process waits for another process's migration to finish. */
const MIGRATION_WAIT_MS = 10 * 60_000;

/**
 * Applies the committed migrations that the database has not seen, with drizzle's bookkeeping (the same
 * `__drizzle_migrations` table and rule: every migration newer than the newest recorded one), but inside one
 * IMMEDIATE transaction. drizzle's own `migrate` reads the newest recorded migration before it takes the write
 * lock, so two processes starting together on one file both decided to apply the same pending migration and
 * the second failed to start ("index … already exists"; reproduced with two processes and a migration that
 * takes a second). Here the second waits for the lock, however long the first one's migration takes (up
 * to MIGRATION_WAIT_MS, not the 5 s busy_timeout of requests), then finds nothing left to do.
 */
export function runMigrations(db: Db): void {
  const migrations = readMigrationFiles({ migrationsFolder });
  const sqlite = db.$client;
  const busyTimeout = sqlite.pragma('busy_timeout', { simple: true }) as number;
  sqlite.pragma(`busy_timeout = ${MIGRATION_WAIT_MS}`);
  try {
    apply(sqlite, migrations);
  } finally {
    sqlite.pragma(`busy_timeout = ${busyTimeout}`);
  }
}

function apply(sqlite: Db['$client'], migrations: ReturnType<typeof readMigrationFiles>): void {
  sqlite.transaction(() => {
    sqlite.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
    const last = sqlite.prepare(`SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`).get() as { created_at: number | string } | undefined;
    const record = sqlite.prepare(`INSERT INTO ${TABLE} ("hash", "created_at") VALUES (?, ?)`);
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) sqlite.exec(statement);
      record.run(migration.hash, migration.folderMillis);
    }
  }).immediate();
}
