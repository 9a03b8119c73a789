import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { decodeCursor, encodeCursor, sendPage } from '../../http/pagination.js';
import { IdParamsSchema, PagingQuery, ProblemSchema } from '../../http/schemas.js';
import { ApiKeyListSchema, CreatedApiKeySchema, NewApiKeySchema } from './schemas.js';

const tags = ['api-keys'];

const apiKeyRoutes: FastifyPluginAsyncZod = async (app) => {
  const keys = app.services.apiKeys;

  app.get('/', {
    config: { role: 'admin' },
    schema: {
      operationId: 'listApiKeys', tags, summary: 'List API keys',
      description: 'Active keys, oldest first, without secrets.',
      querystring: z.strictObject(PagingQuery),
      response: { 200: ApiKeyListSchema, 400: ProblemSchema },
    },
  }, async (request, reply) => {
    const after = decodeCursor(request.query.cursor, 'createdAt');
    const rows = await keys.list(request.query.limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
    const page = rows.slice(0, request.query.limit);
    const last = page.at(-1);
    const next = rows.length > request.query.limit && last ? encodeCursor('createdAt', last.createdAt, last.id) : null;
    return sendPage(request, reply, page, request.query.limit, await keys.countActive(), next);
  });

  app.post('/', {
    config: { role: 'admin' },
    schema: {
      operationId: 'createApiKey', tags, summary: 'Create an API key',
      description: 'The response carries the secret; it is never shown again.',
      body: NewApiKeySchema,
      response: { 201: CreatedApiKeySchema, 400: ProblemSchema, 415: ProblemSchema },
    },
  }, async (request, reply) => {
    const { row, secret } = await keys.create(request.body.name, request.body.role);
    return reply.code(201).header('location', `/v1/api-keys/${row.id}`).header('cache-control', 'no-store').send({ ...row, secret });
  });

  app.delete('/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'revokeApiKey', tags, summary: 'Revoke an API key',
      description: 'The key stops working at once.',
      params: IdParamsSchema,
      response: { 204: z.null().meta({ description: 'Revoked.' }), 400: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request, reply) => {
    if (!(await keys.revoke(request.params.id, app.clock().toISOString()))) throw notFound('API key');
    return reply.code(204).send(null);
  });
};

export default apiKeyRoutes;
