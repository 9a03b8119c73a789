import { and, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { insertPlaceholders, insertValues, preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { auditLog } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type AuditFilter = { resource?: string | undefined; resourceId?: string | undefined; action?: string | undefined; actorKeyId?: string | undefined; since?: string | undefined; until?: string | undefined };

export function createJournalRepository(d: Dialect) {
  const { db } = d;
  const { auditLog, events, webhookDeliveries, webhooks } = d.tables;

  const conditions = (f: AuditFilter): (SQL | undefined)[] => [
    f.resource ? eq(auditLog.resource, f.resource) : undefined,
    f.resourceId ? eq(auditLog.resourceId, f.resourceId) : undefined,
    f.action ? eq(auditLog.action, f.action) : undefined,
    f.actorKeyId ? eq(auditLog.actorKeyId, f.actorKeyId) : undefined,
    f.since ? gte(auditLog.at, f.since) : undefined,
    f.until ? lt(auditLog.at, f.until) : undefined,
  ];

  // Every write runs these: built and prepared once.
  const audit = preparedOnce(() => d.prepare(db.insert(auditLog).values(insertPlaceholders(auditLog))));
  const event = preparedOnce(() => d.prepare(db.insert(events).values(insertPlaceholders(events))));
  const delivery = preparedOnce(() => d.prepare(db.insert(webhookDeliveries).values(insertPlaceholders(webhookDeliveries))));
  const active = preparedOnce(() => d.prepare(db.select({ id: webhooks.id, events: webhooks.events }).from(webhooks).where(eq(webhooks.active, true))));
  return {
    async insertAudit(row: typeof auditLog.$inferInsert): Promise<void> {
      await audit().run(insertValues(auditLog, row));
    },
    async insertEvent(row: typeof events.$inferInsert): Promise<void> {
      await event().run(insertValues(events, row));
    },
    /** Active webhooks; the subscription match is done by the caller (event patterns). */
    async activeWebhooks() {
      return active().all();
    },
    async insertDeliveries(rows: (typeof webhookDeliveries.$inferInsert)[]): Promise<void> {
      for (const row of rows) await delivery().run(insertValues(webhookDeliveries, row));
    },
    async listAudit(f: AuditFilter, limit: number, after?: { key: string; id: string }): Promise<AuditRow[]> {
      const keyset = after ? or(lt(auditLog.at, after.key), and(eq(auditLog.at, after.key), lt(auditLog.id, after.id))) : undefined;
      return d.all(db.select().from(auditLog).where(and(...conditions(f), keyset)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit));
    },
    async countAudit(f: AuditFilter): Promise<number> {
      return d.count(auditLog, and(...conditions(f)));
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type JournalRepository = Async<ReturnType<typeof createJournalRepository>>;
