import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, sql, type Placeholder } from 'drizzle-orm';
import { countRows, type Db, type Async } from '../../db/client.js';
import { events, webhookDeliveries, webhooks } from '../../db/schema.js';

export type WebhookRow = typeof webhooks.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeliveryStatus = DeliveryRow['status'];
/** A delivery as the admin API shows it: the row and the type of its event. */
export type DeliveryView = DeliveryRow & { eventType: string };
/** What the dispatcher needs to send one claimed delivery. */
export type ClaimedDelivery = {
  id: string; webhookId: string; attempts: number; lockedUntil: string;
  url: string; secret: string; eventId: string; eventType: string; occurredAt: string; data: unknown;
};

const deliveryView = { ...getTableColumns(webhookDeliveries), eventType: events.type };

/**
 * Claimable: pending and due, or delivering with an expired lease (its process died mid-attempt), and the
 * oldest unfinished delivery of its (webhook, resource): a resource's events go out one at a time, in order.
 * Webhooks switched off keep their deliveries pending until switched on again.
 */
const claimable = (now: string | Placeholder) => sql`(
  (${webhookDeliveries.status} = 'pending' and ${webhookDeliveries.nextAttemptAt} <= ${now})
  or (${webhookDeliveries.status} = 'delivering' and ${webhookDeliveries.lockedUntil} < ${now})
) and not exists (
  select 1 from ${webhookDeliveries} as earlier
  where earlier.webhook_id = ${webhookDeliveries.webhookId} and earlier.resource_id = ${webhookDeliveries.resourceId}
    and earlier.id < ${webhookDeliveries.id} and earlier.status in ('pending', 'delivering')
) and exists (select 1 from ${webhooks} where ${webhooks.id} = ${webhookDeliveries.webhookId} and ${webhooks.active} = 1)`;

export function createWebhookRepository(db: Db) {
  // The idle poll runs every 250 ms in every process: prepared once, it is one indexed lookup and no parsing.
  const due = db.select({ one: sql`1` }).from(webhookDeliveries).where(claimable(sql.placeholder('now'))).limit(1).prepare();
  return {
    insert(row: typeof webhooks.$inferInsert): WebhookRow {
      return db.insert(webhooks).values(row).returning().get();
    },
    get(id: string): WebhookRow | undefined {
      return db.select().from(webhooks).where(eq(webhooks.id, id)).get();
    },
    list(limit: number, afterId?: string): WebhookRow[] {
      return db.select().from(webhooks).where(afterId ? gt(webhooks.id, afterId) : undefined).orderBy(asc(webhooks.id)).limit(limit).all();
    },
    count(): number {
      return countRows(db, webhooks);
    },
    update(id: string, patch: Partial<typeof webhooks.$inferInsert>): WebhookRow | undefined {
      return db.update(webhooks).set(patch).where(eq(webhooks.id, id)).returning().get();
    },
    delete(id: string): boolean {
      return db.delete(webhooks).where(eq(webhooks.id, id)).run().changes > 0;
    },

    listDeliveries(webhookId: string, status: DeliveryStatus | undefined, limit: number, beforeId?: string): DeliveryView[] {
      return db.select(deliveryView).from(webhookDeliveries).innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(and(eq(webhookDeliveries.webhookId, webhookId), status ? eq(webhookDeliveries.status, status) : undefined, beforeId ? lt(webhookDeliveries.id, beforeId) : undefined))
        .orderBy(desc(webhookDeliveries.id)).limit(limit).all();
    },
    countDeliveries(webhookId: string, status?: DeliveryStatus): number {
      return countRows(db, webhookDeliveries, and(eq(webhookDeliveries.webhookId, webhookId), status ? eq(webhookDeliveries.status, status) : undefined));
    },
    getDelivery(webhookId: string, id: string): DeliveryView | undefined {
      return db.select(deliveryView).from(webhookDeliveries).innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id))).get();
    },
    /** A finished delivery (succeeded or dead) goes back to the queue, due now, with a fresh retry budget. */
    requeue(webhookId: string, id: string, at: string): boolean {
      return db.update(webhookDeliveries)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: at, lockedUntil: null, deliveredAt: null, updatedAt: at })
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id), inArray(webhookDeliveries.status, ['succeeded', 'dead'])))
        .run().changes > 0;
    },

    /** Cheap read for the idle poll: is anything claimable now? (the claim itself takes the write lock) */
    hasDue(now: string): boolean {
      return due.get({ now }) !== undefined;
    },
    /**
     * Claims up to `limit` due deliveries in one statement: they become `delivering` with a lease until
     * `lockedUntil`. SQLite runs it under its one write lock, so two processes never claim the same row; on
     * PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED` (README, "Webhooks"). `exclude` names the
     * ones this process is still sending (never claimed twice here, even if the app clock jumps).
     */
    claim(now: string, lockedUntil: string, limit: number, exclude: readonly string[]): ClaimedDelivery[] {
      const skip = exclude.length ? sql`and ${webhookDeliveries.id} not in (${sql.join(exclude.map((id) => sql`${id}`), sql`, `)})` : sql``;
      const ids = db.all<{ id: string }>(sql`
        update ${webhookDeliveries} set status = 'delivering', locked_until = ${lockedUntil}, updated_at = ${now}
        where id in (
          select ${webhookDeliveries.id} from ${webhookDeliveries} where ${claimable(now)} ${skip}
          order by ${webhookDeliveries.nextAttemptAt}, ${webhookDeliveries.id} limit ${limit}
        )
        returning id`).map((r) => r.id);
      if (!ids.length) return [];
      return db.select({
        id: webhookDeliveries.id, webhookId: webhookDeliveries.webhookId, attempts: webhookDeliveries.attempts, lockedUntil: sql<string>`${webhookDeliveries.lockedUntil}`,
        url: webhooks.url, secret: webhooks.secret, eventId: events.id, eventType: events.type, occurredAt: events.occurredAt, data: events.data,
      }).from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(inArray(webhookDeliveries.id, ids)).orderBy(asc(webhookDeliveries.id)).all();
    },
    /**
     * Records the outcome of an attempt. The lease is the fencing token: a process whose lease expired
     * (and whose delivery another process re-claimed) cannot overwrite the newer attempt.
     */
    finish(id: string, lease: string, patch: Partial<typeof webhookDeliveries.$inferInsert>): boolean {
      return db.update(webhookDeliveries).set(patch)
        .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'delivering'), eq(webhookDeliveries.lockedUntil, lease)))
        .run().changes > 0;
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type WebhookRepository = Async<ReturnType<typeof createWebhookRepository>>;
