import { z } from 'zod';
import { IdSchema, listOf, PagingQuery, TimestampSchema } from '../../http/schemas.js';
import { EVENT_TYPES } from '../audit/journal.js';

/** What a subscription may name: an event type, every event of a resource (`article.*`), or everything (`*`). */
export const EVENT_PATTERNS = ['*', 'article.*', 'media.*', 'disclaimer.*', ...EVENT_TYPES] as const;

export const EventPatternSchema = z.enum(EVENT_PATTERNS).meta({
  id: 'WebhookEventPattern',
  description: 'An event type, `<resource>.*` for every event of a resource, or `*` for all events.',
  example: 'article.published',
});

const parseUrl = (v: string): URL | undefined => {
  try {
    return new URL(v);
  } catch {
    return undefined;
  }
};

export const WebhookUrlSchema = z
  .string()
  .max(2048)
  .refine((v) => ['http:', 'https:'].includes(parseUrl(v)?.protocol ?? ''), { message: 'must be an absolute http(s) URL' })
  // The URL is shown to every admin and kept in the audit context: credentials belong in the signature check.
  .refine((v) => { const u = parseUrl(v); return !u || (!u.username && !u.password); }, { message: 'must not carry a user name or password' })
  .meta({
    description: 'Where events are POSTed: an absolute http(s) URL. Hosts that resolve to loopback, private, link-local or other non-public ' +
      'addresses are refused (422 `webhook-target-forbidden`) unless WEBHOOK_ALLOWED_HOSTS names them.',
    example: 'https://hooks.example.org/broadsheet',
  });

const fields = {
  url: WebhookUrlSchema,
  events: z.array(EventPatternSchema).min(1).max(20).meta({ description: 'The events to receive.', example: ['article.*', 'media.created'] }),
  description: z.string().trim().max(500).meta({ description: 'A note for admins.', example: 'Cache purger for the web front end' }),
  active: z.boolean().meta({ description: 'Inactive webhooks receive nothing: new events are not queued for them, and queued deliveries wait until they are switched on again.' }),
};

export const WebhookSchema = z
  .object({
    id: IdSchema.meta({ description: 'The webhook id (ULID).' }),
    url: z.string().meta({ description: 'Where events are POSTed.', example: 'https://hooks.example.org/broadsheet' }),
    events: z.array(EventPatternSchema).meta({ description: 'The event patterns subscribed to.', example: ['article.*', 'media.created'] }),
    description: z.string().nullable().meta({ description: 'A note for admins; null when there is none.' }),
    active: z.boolean().meta({ description: 'false: nothing is queued for it and queued deliveries wait.' }),
    createdAt: TimestampSchema.meta({ description: 'When the webhook was created (RFC 3339, UTC).' }),
    updatedAt: TimestampSchema.meta({ description: 'The last change (RFC 3339, UTC).' }),
  })
  .meta({ id: 'Webhook', description: 'A webhook subscription, without its secret.' });

export const CreatedWebhookSchema = WebhookSchema.extend({
  secret: z.string().meta({
    description: 'The signing secret (`whsec_…`). Shown only in this response. `Broadsheet-Signature: t=<unix>,v1=<hex>` is the HMAC-SHA256 of `<t>.<raw body>` with this secret.',
    example: 'whsec_q9Xc1m2Vb7k8Pz0aLw3nRt5yU6iO4eS2dF1gH0jK9lM',
  }),
}).meta({ id: 'CreatedWebhook', description: 'A new webhook with its signing secret (shown once).' });

export const NewWebhookSchema = z
  .strictObject({ url: fields.url, events: fields.events, description: fields.description.optional(), active: fields.active.default(true) })
  .meta({ id: 'NewWebhook', description: 'A webhook to create.' });

export const WebhookPatchSchema = z
  .strictObject({
    url: fields.url.optional(),
    events: fields.events.optional(),
    description: fields.description.nullable().optional().meta({ description: 'A note for admins; null clears it.' }),
    active: fields.active.optional(),
  })
  .meta({ id: 'WebhookPatch', description: 'Changes to a webhook (absent = unchanged; `description: null` clears it).' });

export const WebhookListSchema = listOf(WebhookSchema, 'WebhookList', 'A page of webhooks, oldest first.');

export const DELIVERY_STATUSES = ['pending', 'delivering', 'succeeded', 'dead'] as const;

export const DeliverySchema = z
  .object({
    id: IdSchema.meta({ description: 'The delivery id (ULID): what the redeliver operation names.' }),
    eventId: IdSchema.meta({ description: 'The event sent: the `id` of the delivered body, the same for every webhook and every attempt (use it to de-duplicate).' }),
    eventType: z.string().meta({ description: 'The event type (`article.published`, `media.updated`…).', example: 'article.published' }),
    status: z.enum(DELIVERY_STATUSES).meta({
      description: '`pending` (queued or waiting for a retry), `delivering` (an attempt is under way), `succeeded` (a 2xx answer), `dead` (retries exhausted or the target refused; redeliver to try again).',
    }),
    attempts: z.number().int().meta({ description: 'Attempts made so far (reset by a redelivery).' }),
    lastStatusCode: z.number().int().nullable().meta({ description: 'The HTTP status of the last attempt; null when it got no answer.' }),
    lastError: z.string().nullable().meta({ description: 'Why the last attempt failed (short; never a secret).', example: 'HTTP 500' }),
    lastLatencyMs: z.number().int().nullable().meta({ description: 'How long the last attempt took, in milliseconds.' }),
    nextAttemptAt: TimestampSchema.nullable().meta({ description: 'When the next attempt is due; null once the delivery is finished.' }),
    createdAt: TimestampSchema.meta({ description: 'When the event was queued for this webhook (RFC 3339, UTC).' }),
    deliveredAt: TimestampSchema.nullable().meta({ description: 'When a 2xx answer arrived; null until then.' }),
  })
  .meta({ id: 'WebhookDelivery', description: 'One event sent (or to be sent) to one webhook.' });

export const DeliveryListSchema = listOf(DeliverySchema, 'WebhookDeliveryList', 'A page of deliveries, newest first.');

export const DeliveryQuerySchema = z.strictObject({
  ...PagingQuery,
  status: z.enum(DELIVERY_STATUSES).optional().meta({ description: 'Only deliveries in this state.' }),
});

export const DeliveryParamsSchema = z.strictObject({ id: IdSchema, deliveryId: IdSchema });

export type NewWebhook = z.output<typeof NewWebhookSchema>;
export type WebhookPatch = z.output<typeof WebhookPatchSchema>;
export type Webhook = z.output<typeof WebhookSchema>;
export type Delivery = z.output<typeof DeliverySchema>;
