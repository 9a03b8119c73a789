import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { apiKeys } from '../../db/schema.js';

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function createApiKeyRepository(d: Dialect) {
  const { db } = d;
  const { apiKeys } = d.tables;
  // Every authenticated request runs it: built and prepared once.
  const activeByHash = preparedOnce(() => d.prepare(db.select().from(apiKeys).where(and(eq(apiKeys.hash, sql.placeholder('hash')), isNull(apiKeys.revokedAt)))));
  return {
    async insert(row: typeof apiKeys.$inferInsert): Promise<ApiKeyRow> {
      return (await d.get(db.insert(apiKeys).values(row).returning()))!;
    },
    async findActiveByHash(hash: string): Promise<ApiKeyRow | undefined> {
      return activeByHash().get({ hash });
    },
    async findByHash(hash: string): Promise<ApiKeyRow | undefined> {
      return d.get(db.select().from(apiKeys).where(eq(apiKeys.hash, hash)));
    },
    async touch(id: string, at: string): Promise<void> {
      await d.run(db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, id)));
    },
    async list(limit: number, after?: { key: string; id: string }): Promise<ApiKeyRow[]> {
      const cond = after ? or(gt(apiKeys.createdAt, after.key), and(eq(apiKeys.createdAt, after.key), gt(apiKeys.id, after.id))) : undefined;
      return d.all(db.select().from(apiKeys).where(and(isNull(apiKeys.revokedAt), cond)).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).limit(limit));
    },
    async countActive(): Promise<number> {
      return d.count(apiKeys, isNull(apiKeys.revokedAt));
    },
    async revoke(id: string, at: string): Promise<boolean> {
      return (await d.run(db.update(apiKeys).set({ revokedAt: at }).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt))))) > 0;
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type ApiKeyRepository = Async<ReturnType<typeof createApiKeyRepository>>;
