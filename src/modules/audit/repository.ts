import { and, desc, eq, gte, lt, or, type SQL } from 'drizzle-orm';
import { countRows, insertPlaceholders, insertValues, preparedOnce, type Db, type Async } from '../../db/client.js';
import { auditLog, events, webhookDeliveries, webhooks } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type AuditFilter = { resource?: string | undefined; resourceId?: string | undefined; action?: string | undefined; actorKeyId?: string | undefined; since?: string | undefined; until?: string | undefined };

const conditions = (f: AuditFilter): (SQL | undefined)[] => [
  f.resource ? eq(auditLog.resource, f.resource) : undefined,
  f.resourceId ? eq(auditLog.resourceId, f.resourceId) : undefined,
  f.action ? eq(auditLog.action, f.action) : undefined,
  f.actorKeyId ? eq(auditLog.actorKeyId, f.actorKeyId) : undefined,
  f.since ? gte(auditLog.at, f.since) : undefined,
  f.until ? lt(auditLog.at, f.until) : undefined,
];

export function createJournalRepository(db: Db) {
  // Every write runs these: built and prepared once.
  const audit = preparedOnce(() => db.insert(auditLog).values(insertPlaceholders(auditLog)).prepare());
  const event = preparedOnce(() => db.insert(events).values(insertPlaceholders(events)).prepare());
  const delivery = preparedOnce(() => db.insert(webhookDeliveries).values(insertPlaceholders(webhookDeliveries)).prepare());
  const active = preparedOnce(() => db.select({ id: webhooks.id, events: webhooks.events }).from(webhooks).where(eq(webhooks.active, true)).prepare());
  return {
    insertAudit(row: typeof auditLog.$inferInsert): void {
      audit().run(insertValues(auditLog, row));
    },
    insertEvent(row: typeof events.$inferInsert): void {
      event().run(insertValues(events, row));
    },
    /** Active webhooks; the subscription match is done by the caller (event patterns). */
    activeWebhooks() {
      return active().all();
    },
    insertDeliveries(rows: (typeof webhookDeliveries.$inferInsert)[]): void {
      for (const row of rows) delivery().run(insertValues(webhookDeliveries, row));
    },
    listAudit(f: AuditFilter, limit: number, after?: { key: string; id: string }): AuditRow[] {
      const keyset = after ? or(lt(auditLog.at, after.key), and(eq(auditLog.at, after.key), lt(auditLog.id, after.id))) : undefined;
      return db.select().from(auditLog).where(and(...conditions(f), keyset)).orderBy(desc(auditLog.at), desc(auditLog.id)).limit(limit).all();
    },
    countAudit(f: AuditFilter): number {
      return countRows(db, auditLog, and(...conditions(f)));
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type JournalRepository = Async<ReturnType<typeof createJournalRepository>>;
