import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeCursor, encodeCursor, sendPage } from '../../http/pagination.js';
import { IdParamsSchema, PagingQuery, ProblemSchema } from '../../http/schemas.js';
import {
  CreatedWebhookSchema, DeliveryListSchema, DeliveryParamsSchema, DeliveryQuerySchema, DeliverySchema, NewWebhookSchema,
  WebhookListSchema, WebhookPatchSchema, WebhookSchema,
} from './schemas.js';

const tags = ['webhooks'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));
const NoQuery = z.strictObject({});

/** Webhook subscriptions and their deliveries, for admins. The signing secret is shown once, at creation. */
const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const webhooks = app.services.webhooks;

  app.get('/', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listWebhooks', tags, summary: 'List webhooks',
      description: 'Every webhook, oldest first, without secrets.',
      querystring: z.strictObject(PagingQuery),
      response: { 200: WebhookListSchema, ...err(400) },
    },
  }, async (request, reply) => {
    const after = decodeCursor(request.query.cursor, 'id');
    const { data, total, lastId } = await webhooks.list(request.query.limit, after?.id);
    return sendPage(request, reply, data, request.query.limit, total, lastId ? encodeCursor('id', null, lastId) : null);
  });

  app.post('/', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createWebhook', tags, summary: 'Create a webhook',
      description:
        'Subscribes a URL to events. The response carries the signing secret; it is never shown again. The host must resolve to public ' +
        'addresses only (422 `webhook-target-forbidden` otherwise) unless WEBHOOK_ALLOWED_HOSTS names it; non-http(s) URLs answer 400.',
      querystring: NoQuery,
      body: NewWebhookSchema,
      response: { 201: CreatedWebhookSchema, ...err(400, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const { webhook, secret } = await webhooks.create(request.body);
    return reply.code(201).header('location', `/v1/webhooks/${webhook.id}`).header('cache-control', 'no-store').send({ ...webhook, secret });
  });

  app.get('/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'getWebhook', tags, summary: 'Get a webhook',
      description: 'One webhook by id, without its secret.',
      querystring: NoQuery,
      params: IdParamsSchema,
      response: { 200: WebhookSchema, ...err(400, 404) },
    },
  }, async (request) => webhooks.get(request.params.id));

  app.patch('/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'updateWebhook', tags, summary: 'Update a webhook',
      description: 'Changes the URL (checked like at creation), the events, the description or `active`. Queued deliveries go to the new URL.',
      querystring: NoQuery,
      params: IdParamsSchema,
      body: WebhookPatchSchema,
      response: { 200: WebhookSchema, ...err(400, 404, 413, 415, 422) },
    },
  }, async (request) => webhooks.update(request.params.id, request.body));

  app.delete('/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'deleteWebhook', tags, summary: 'Delete a webhook',
      description: 'Stops the webhook at once and deletes its delivery history.',
      querystring: NoQuery,
      params: IdParamsSchema,
      response: { 204: z.null().meta({ description: 'Deleted.' }), ...err(400, 404) },
    },
  }, async (request, reply) => {
    await webhooks.remove(request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/:id/deliveries', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listWebhookDeliveries', tags, summary: 'List the deliveries of a webhook',
      description: 'Newest first: the event, status, attempts, last response code, error and latency of each delivery; filter by `status`.',
      querystring: DeliveryQuerySchema,
      params: IdParamsSchema,
      response: { 200: DeliveryListSchema, ...err(400, 404) },
    },
  }, async (request, reply) => {
    const { limit, cursor, status } = request.query;
    const after = decodeCursor(cursor, '-id');
    const { data, total, lastId } = await webhooks.deliveries(request.params.id, status, limit, after?.id);
    return sendPage(request, reply, data, limit, total, lastId ? encodeCursor('-id', null, lastId) : null);
  });

  app.post('/:id/deliveries/:deliveryId/redeliver', {
    config: { role: 'admin' },
    schema: {
      operationId: 'redeliverWebhookDelivery', tags, summary: 'Send a delivery again',
      description:
        'Puts a succeeded or dead delivery back in the queue, due now, with a fresh retry budget; the event keeps its id so receivers can ' +
        'de-duplicate. A delivery still pending or in flight answers 409.',
      querystring: NoQuery,
      params: DeliveryParamsSchema,
      response: { 202: DeliverySchema, ...err(400, 404, 409) },
    },
  }, async (request, reply) => {
    const delivery = await webhooks.redeliver(request.params.id, request.params.deliveryId);
    app.webhookDispatcher.wake();
    return reply.code(202).send(delivery);
  });
};

export default webhookRoutes;
