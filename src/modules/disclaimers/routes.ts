import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../http/pagination.js';
import { IdParamsSchema, ProblemSchema } from '../../http/schemas.js';
import { viewerOf } from '../../http/visibility.js';
import {
  AttachmentListSchema, DeleteDisclaimerQuerySchema, DisclaimerListQuerySchema, DisclaimerListSchema, DisclaimerPatchSchema,
  DisclaimerSchema, NewDisclaimerSchema, ResolvedDisclaimerListSchema,
} from './schemas.js';

const tags = ['disclaimers'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));
/** Routes without query parameters still reject unknown ones (the contract: unknown query parameters → 400). */
const NoQuery = z.strictObject({});

/** The notices themselves, at /v1/disclaimers: editors manage them, admins delete them. */
const disclaimerRoutes: FastifyPluginAsyncZod = async (app) => {
  const disclaimers = app.services.disclaimers;

  app.get('/', {
    config: { role: 'editor' },
    schema: {
      operationId: 'listDisclaimers', tags, summary: 'List disclaimers',
      description: 'All notices, active or not, ordered by key, with keyset paging.',
      querystring: DisclaimerListQuerySchema,
      response: { 200: DisclaimerListSchema, ...err(400) },
    },
  }, async (request, reply) => {
    const { data, total, nextCursor } = await disclaimers.list(request.query.limit, request.query.cursor);
    return sendPage(request, reply, data, request.query.limit, total, nextCursor);
  });

  app.post('/', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createDisclaimer', tags, summary: 'Create a disclaimer',
      description: 'Creates a reusable notice. `appliesTo` attaches it automatically to matching articles; a taken `key` answers 409.',
      querystring: NoQuery,
      body: NewDisclaimerSchema,
      response: { 201: DisclaimerSchema, ...err(400, 409, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const disclaimer = await disclaimers.create(request.body);
    return reply.code(201).header('location', `/v1/disclaimers/${disclaimer.id}`).send(disclaimer);
  });

  app.get('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'getDisclaimer', tags, summary: 'Get a disclaimer',
      description: 'One notice by id, with its rule and default placements.',
      querystring: NoQuery,
      params: IdParamsSchema,
      response: { 200: DisclaimerSchema, ...err(400, 404) },
    },
  }, async (request) => disclaimers.get(request.params.id));

  app.patch('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateDisclaimer', tags, summary: 'Update a disclaimer',
      description: 'Merge-patch (absent = unchanged, null = clear). Articles re-resolve their notices on the next read.',
      querystring: NoQuery,
      params: IdParamsSchema,
      body: DisclaimerPatchSchema,
      response: { 200: DisclaimerSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request) => disclaimers.update(request.params.id, request.body));

  app.delete('/:id', {
    config: { role: 'admin' },
    schema: {
      operationId: 'deleteDisclaimer', tags, summary: 'Delete a disclaimer',
      description: 'Admins only. Answers 409 `disclaimer-in-use` while an article attaches the notice, unless `force=true` (which detaches it everywhere).',
      querystring: DeleteDisclaimerQuerySchema,
      params: IdParamsSchema,
      response: { 204: z.null().meta({ description: 'Deleted.' }), ...err(400, 404, 409) },
    },
  }, async (request, reply) => {
    await disclaimers.delete(request.params.id, request.query.force);
    return reply.code(204).send(null);
  });
};

/** The notices of one article, at /v1/articles/{id}/disclaimers. */
export const articleDisclaimerRoutes: FastifyPluginAsyncZod = async (app) => {
  const disclaimers = app.services.disclaimers;

  app.get('/:id/disclaimers', {
    schema: {
      operationId: 'getArticleDisclaimers', tags, summary: 'Get the resolved notices of an article',
      description:
        'Each notice once, in order (the article\'s own attachments, then rule-attached notices by key), with its `placements` ' +
        'and `source`. Anonymous callers get 404 for an article that is not live.',
      querystring: NoQuery,
      params: IdParamsSchema,
      response: { 200: ResolvedDisclaimerListSchema, ...err(400, 404) },
    },
  }, async (request) => ({ data: await disclaimers.forArticle(request.params.id, viewerOf(request)) }));

  app.put('/:id/disclaimers', {
    config: { role: 'editor' },
    schema: {
      operationId: 'putArticleDisclaimers', tags, summary: 'Replace the notices attached to an article',
      description:
        'The body is the whole ordered list of the article\'s own attachments. An attachment overrides a rule for that notice; ' +
        '`suppress: true` removes a rule-attached notice. A change bumps the article\'s `revision`. Returns the resolved notices.',
      querystring: NoQuery,
      params: IdParamsSchema,
      body: AttachmentListSchema,
      response: { 200: ResolvedDisclaimerListSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request) => ({ data: await disclaimers.putAttachments(request.params.id, request.body, request.principal) }));
};

export default disclaimerRoutes;
