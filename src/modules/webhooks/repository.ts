import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, sql, type Placeholder } from 'drizzle-orm';
import type { Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { webhookDeliveries, webhooks } from '../../db/schema.js';

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

export function createWebhookRepository(d: Dialect) {
  const { db } = d;
  const { events, webhookDeliveries, webhooks } = d.tables;
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
  ) and exists (select 1 from ${webhooks} where ${webhooks.id} = ${webhookDeliveries.webhookId} and ${eq(webhooks.active, true)})`;

  // The idle poll runs every 250 ms in every process: prepared once, it is one indexed lookup and no parsing.
  const due = d.prepare(db.select({ one: sql`1` }).from(webhookDeliveries).where(claimable(sql.placeholder('now'))).limit(1));
  return {
    async insert(row: typeof webhooks.$inferInsert): Promise<WebhookRow> {
      return (await d.get(db.insert(webhooks).values(row).returning()))!;
    },
    async get(id: string): Promise<WebhookRow | undefined> {
      return d.get(db.select().from(webhooks).where(eq(webhooks.id, id)));
    },
    async list(limit: number, afterId?: string): Promise<WebhookRow[]> {
      return d.all(db.select().from(webhooks).where(afterId ? gt(webhooks.id, afterId) : undefined).orderBy(asc(webhooks.id)).limit(limit));
    },
    async count(): Promise<number> {
      return d.count(webhooks);
    },
    async update(id: string, patch: Partial<typeof webhooks.$inferInsert>): Promise<WebhookRow | undefined> {
      return d.get(db.update(webhooks).set(patch).where(eq(webhooks.id, id)).returning());
    },
    async delete(id: string): Promise<boolean> {
      return (await d.run(db.delete(webhooks).where(eq(webhooks.id, id)))) > 0;
    },

    async listDeliveries(webhookId: string, status: DeliveryStatus | undefined, limit: number, beforeId?: string): Promise<DeliveryView[]> {
      return d.all(db.select(deliveryView).from(webhookDeliveries).innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(and(eq(webhookDeliveries.webhookId, webhookId), status ? eq(webhookDeliveries.status, status) : undefined, beforeId ? lt(webhookDeliveries.id, beforeId) : undefined))
        .orderBy(desc(webhookDeliveries.id)).limit(limit));
    },
    async countDeliveries(webhookId: string, status?: DeliveryStatus): Promise<number> {
      return d.count(webhookDeliveries, and(eq(webhookDeliveries.webhookId, webhookId), status ? eq(webhookDeliveries.status, status) : undefined));
    },
    async getDelivery(webhookId: string, id: string): Promise<DeliveryView | undefined> {
      return d.get(db.select(deliveryView).from(webhookDeliveries).innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id))));
    },
    /** A finished delivery (succeeded or dead) goes back to the queue, due now, with a fresh retry budget. */
    async requeue(webhookId: string, id: string, at: string): Promise<boolean> {
      return (await d.run(db.update(webhookDeliveries)
        .set({ status: 'pending', attempts: 0, nextAttemptAt: at, lockedUntil: null, deliveredAt: null, updatedAt: at })
        .where(and(eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id), inArray(webhookDeliveries.status, ['succeeded', 'dead']))))) > 0;
    },

    /** Cheap read for the idle poll: is anything claimable now? (the claim itself takes the write lock) */
    async hasDue(now: string): Promise<boolean> {
      return (await due.get({ now })) !== undefined;
    },
    /**
     * Claims up to `limit` due deliveries in one statement: they become `delivering` with a lease until
     * `lockedUntil`. SQLite runs it under its one write lock, so two processes never claim the same row; on
     * PostgreSQL the inner select takes `FOR UPDATE SKIP LOCKED` (`d.skipLocked`; README, "Webhooks"): rows
     * another process is claiming are passed over, not waited for. `exclude` names the ones this process is
     * still sending (never claimed twice here, even if the app clock jumps).
     */
    async claim(now: string, lockedUntil: string, limit: number, exclude: readonly string[]): Promise<ClaimedDelivery[]> {
      const skip = exclude.length ? sql`and ${webhookDeliveries.id} not in (${sql.join(exclude.map((id) => sql`${id}`), sql`, `)})` : sql``;
      const ids = (await d.all(db.update(webhookDeliveries)
        .set({ status: 'delivering', lockedUntil, updatedAt: now })
        .where(sql`${webhookDeliveries.id} in (
          select ${webhookDeliveries.id} from ${webhookDeliveries} where ${claimable(now)} ${skip}
          order by ${webhookDeliveries.nextAttemptAt}, ${webhookDeliveries.id} limit ${limit} ${d.skipLocked}
        )`)
        .returning({ id: webhookDeliveries.id }))).map((r) => r.id);
      if (!ids.length) return [];
      return d.all(db.select({
        id: webhookDeliveries.id, webhookId: webhookDeliveries.webhookId, attempts: webhookDeliveries.attempts, lockedUntil: sql<string>`${webhookDeliveries.lockedUntil}`,
        url: webhooks.url, secret: webhooks.secret, eventId: events.id, eventType: events.type, occurredAt: events.occurredAt, data: events.data,
      }).from(webhookDeliveries)
        .innerJoin(webhooks, eq(webhooks.id, webhookDeliveries.webhookId))
        .innerJoin(events, eq(events.id, webhookDeliveries.eventId))
        .where(inArray(webhookDeliveries.id, ids)).orderBy(asc(webhookDeliveries.id)));
    },
    /**
     * Records the outcome of an attempt. The lease is the fencing token: a process whose lease expired
     * (and whose delivery another process re-claimed) cannot overwrite the newer attempt.
     */
    async finish(id: string, lease: string, patch: Partial<typeof webhookDeliveries.$inferInsert>): Promise<boolean> {
      return (await d.run(db.update(webhookDeliveries).set(patch)
        .where(and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.status, 'delivering'), eq(webhookDeliveries.lockedUntil, lease))))) > 0;
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type WebhookRepository = Async<ReturnType<typeof createWebhookRepository>>;
