import { monotonicIds } from '../../ids.js';
import { currentActor, currentRequestId } from '../../http/request-context.js';
import type { JournalRepository } from './repository.js';

export type Resource = 'article' | 'media' | 'disclaimer' | 'author' | 'section' | 'tag' | 'api-key' | 'webhook';

export type WriteRecord = {
  resource: Resource;
  id: string;
  /** created, updated, published, unpublished, deleted, restored, revoked... */
  action: string;
  revision?: number | null;
  /** The public summary for webhook payloads (never private fields); absent = no event. */
  event?: { type: string; data: Record<string, unknown> };
};

/** Event types webhooks can subscribe to (api.md "Events"). */
export const EVENT_TYPES = [
  'article.created', 'article.updated', 'article.published', 'article.unpublished', 'article.deleted',
  'media.created', 'media.updated', 'media.deleted',
  'disclaimer.created', 'disclaimer.updated', 'disclaimer.deleted',
] as const;

export const subscribes = (patterns: readonly string[], type: string) =>
  patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));

/**
 * Every write awaits `record` inside its own transaction: the audit row, the outbox event and its
 * deliveries commit (or roll back) with the change itself, so no event is lost and none is sent for
 * a write that did not happen.
 */
export function createJournal(repo: JournalRepository, now: () => Date) {
  // Monotonic ids keep the outbox in write order even within one millisecond.
  const nextId = monotonicIds();
  const listeners: ((w: WriteRecord) => void | Promise<void>)[] = [];
  const queued: (() => void)[] = [];
  return {
    /** Called for every record, inside the same transaction (e.g. Idempotency-Key bookkeeping). */
    onRecord: listeners,
    /**
     * Called inside the same transaction when a record queued webhook deliveries (the dispatcher's wake-up):
     * a write no webhook subscribes to has nothing to send.
     */
    onDeliveriesQueued: queued,
    async record(w: WriteRecord): Promise<void> {
      for (const listen of listeners) await listen(w);
      const at = now().toISOString();
      const actor = currentActor();
      await repo.insertAudit({
        id: nextId(), at, actorKeyId: actor?.keyId ?? null, actorName: actor?.name ?? null, actorRole: actor?.role ?? null,
        resource: w.resource, resourceId: w.id, action: w.action, revision: w.revision ?? null, requestId: currentRequestId(),
      });
      if (!w.event) return;
      const eventId = nextId();
      await repo.insertEvent({ id: eventId, type: w.event.type, resource: w.resource, resourceId: w.id, occurredAt: at, data: w.event.data });
      const targets = (await repo.activeWebhooks()).filter((h) => subscribes(h.events as string[], w.event!.type));
      if (!targets.length) return;
      await repo.insertDeliveries(targets.map((h) => ({
        id: nextId(), webhookId: h.id, eventId, resourceId: w.id, status: 'pending' as const, attempts: 0,
        nextAttemptAt: at, createdAt: at, updatedAt: at,
      })));
      for (const listen of queued) listen();
    },
  };
}

export type Journal = ReturnType<typeof createJournal>;
