import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import type { Transactions } from '../../db/client.js';
import { badRequest, conflict, notFound, unprocessable } from '../../errors.js';
import type { Journal } from '../audit/journal.js';
import type { DeliveryStatus, DeliveryView, WebhookRepository, WebhookRow } from './repository.js';
import type { Delivery, NewWebhook, Webhook, WebhookPatch } from './schemas.js';
import { systemResolve, TargetError, vetTarget, type Resolve } from './url-guard.js';

export type WebhookDeps = {
  repo: WebhookRepository;
  journal: Journal;
  tx: Transactions['tx'];
  now: () => Date;
  allowedHosts: readonly string[];
  resolve?: Resolve;
};

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** The public shape: never the secret. */
const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id, url: r.url, events: r.events as Webhook['events'], description: r.description, active: r.active, createdAt: r.createdAt, updatedAt: r.updatedAt,
});

const toDelivery = (d: DeliveryView): Delivery => ({
  id: d.id, eventId: d.eventId, eventType: d.eventType, status: d.status, attempts: d.attempts,
  lastStatusCode: d.lastStatusCode, lastError: d.lastError, lastLatencyMs: d.lastLatencyMs,
  nextAttemptAt: d.status === 'pending' || d.status === 'delivering' ? d.nextAttemptAt : null,
  createdAt: d.createdAt, deliveredAt: d.deliveredAt,
});

export function createWebhookService(deps: WebhookDeps) {
  const { repo, journal, tx } = deps;
  const iso = () => deps.now().toISOString();

  async function mustGet(id: string): Promise<WebhookRow> {
    const row = await repo.get(id);
    if (!row) throw notFound('Webhook');
    return row;
  }

  /** The registration-time SSRF check; the dispatcher repeats it at every attempt and redirect hop. */
  async function checkTarget(url: string): Promise<void> {
    try {
      await vetTarget(new URL(url), deps.allowedHosts, deps.resolve ?? systemResolve);
    } catch (e) {
      if (!(e instanceof TargetError)) throw e;
      const pointer = (code: string) => [{ pointer: '/body/url', message: e.message, code }];
      if (e.kind === 'scheme') throw badRequest('The webhook URL must be http(s)', pointer('invalid-url'));
      if (e.kind === 'unresolvable') throw unprocessable('webhook-target-unresolvable', 'The webhook host does not resolve', pointer('webhook-target-unresolvable'));
      throw unprocessable('webhook-target-forbidden', 'Webhooks may not target loopback, private, link-local or other non-public addresses', pointer('webhook-target-forbidden'));
    }
  }

  const unique = <T>(xs: readonly T[]) => [...new Set(xs)];

  return {
    /** The target is vetted (DNS) before the transaction: no network I/O while it holds the write lock. */
    async create(input: NewWebhook): Promise<{ webhook: Webhook; secret: string }> {
      await checkTarget(input.url);
      const at = iso();
      const secret = newSecret();
      const row = await tx(async () => {
        const r = await repo.insert({
          id: ulid(), url: input.url, events: unique(input.events), secret, description: input.description || null, active: input.active, createdAt: at, updatedAt: at,
        });
        await journal.record({ resource: 'webhook', id: r.id, action: 'created' });
        return r;
      });
      return { webhook: toWebhook(row), secret };
    },

    async list(limit: number, afterId?: string) {
      const rows = await repo.list(limit + 1, afterId);
      const page = rows.slice(0, limit);
      return { data: page.map(toWebhook), total: await repo.count(), lastId: rows.length > limit ? page.at(-1)?.id : undefined };
    },

    get: async (id: string) => toWebhook(await mustGet(id)),

    /** 404 before the URL check; the URL is vetted (DNS) outside the transaction, whose update answers 404 itself if the webhook went meanwhile. */
    async update(id: string, patch: WebhookPatch): Promise<Webhook> {
      await mustGet(id);
      if (patch.url !== undefined) await checkTarget(patch.url);
      return tx(async () => {
        const row = await repo.update(id, {
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.events !== undefined ? { events: unique(patch.events) } : {}),
          ...(patch.description !== undefined ? { description: patch.description || null } : {}),
          ...(patch.active !== undefined ? { active: patch.active } : {}),
          updatedAt: iso(),
        });
        if (!row) throw notFound('Webhook');
        await journal.record({ resource: 'webhook', id, action: 'updated' });
        return toWebhook(row);
      });
    },

    remove(id: string): Promise<void> {
      return tx(async () => {
        if (!(await repo.delete(id))) throw notFound('Webhook');
        await journal.record({ resource: 'webhook', id, action: 'deleted' });
      });
    },

    async deliveries(id: string, status: DeliveryStatus | undefined, limit: number, beforeId?: string) {
      await mustGet(id);
      const rows = await repo.listDeliveries(id, status, limit + 1, beforeId);
      const page = rows.slice(0, limit);
      return { data: page.map(toDelivery), total: await repo.countDeliveries(id, status), lastId: rows.length > limit ? page.at(-1)?.id : undefined };
    },

    /** Sends a finished delivery again (same event id, so receivers can de-duplicate): pending, due now. */
    redeliver(id: string, deliveryId: string): Promise<Delivery> {
      return tx(async () => {
        await mustGet(id);
        const current = await repo.getDelivery(id, deliveryId);
        if (!current) throw notFound('Delivery');
        if (!(await repo.requeue(id, deliveryId, iso()))) {
          throw conflict('delivery-in-progress', `The delivery is ${current.status}; only a succeeded or dead delivery can be sent again`);
        }
        return toDelivery((await repo.getDelivery(id, deliveryId))!);
      });
    },

    /** The outbox, for the dispatcher. */
    outbox: { hasDue: repo.hasDue, claim: repo.claim, finish: repo.finish },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
