import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { countRows, preparedOnce, type Db, type Async } from '../../db/client.js';
import { apiKeys } from '../../db/schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createApiKeyRepository(db: Db) {
  // Every authenticated request runs it: built and prepared once.
  const activeByHash = preparedOnce(() => db.select().from(apiKeys).where(and(eq(apiKeys.hash, sql.placeholder('hash')), isNull(apiKeys.revokedAt))).prepare());
  return {
    insert(row: typeof apiKeys.$inferInsert): ApiKeyRow {
      return db.insert(apiKeys).values(row).returning().get();
    },
    findActiveByHash(hash: string): ApiKeyRow | undefined {
      return activeByHash().get({ hash });
    },
    findByHash(hash: string): ApiKeyRow | undefined {
      return db.select().from(apiKeys).where(eq(apiKeys.hash, hash)).get();
    },
    touch(id: string, at: string): void {
      db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)).run();
    },
    list(limit: number, after?: { key: string; id: string }): ApiKeyRow[] {
      const cond = after ? or(gt(apiKeys.createdAt, after.key), and(eq(apiKeys.createdAt, after.key), gt(apiKeys.id, after.id))) : undefined;
      return db.select().from(apiKeys).where(and(isNull(apiKeys.revokedAt), cond)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).limit(limit).all();
    },
    countActive(): number {
      return countRows(db, apiKeys, isNull(apiKeys.revokedAt));
    },
    revoke(id: string, at: string): boolean {
      return db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))).run().changes > 0;
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type ApiKeyRepository = Async<ReturnType<typeof createApiKeyRepository>>;
