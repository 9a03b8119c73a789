import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { IdParamsSchema, ProblemSchema } from '../../http/schemas.js';
import { viewerOf } from '../../http/visibility.js';
import { LinkParamsSchema, NewRelatedLinkSchema, RelatedLinkListInputSchema, RelatedLinkListSchema, RelatedLinkPatchSchema, RelatedLinkSchema } from './schemas.js';

const tags = ['related-links'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

/** Registered at /v1/articles: the ordered related links of an article. */
const relatedLinkRoutes: FastifyPluginAsyncZod = async (app) => {
  const links = app.services.relatedLinks;

  app.get('/:id/related-links', {
    schema: {
      operationId: 'listRelatedLinks', tags, summary: 'List an article\'s related links',
      description: 'The ordered links. Anonymous callers get 404 for an article that is not live and never see a link whose target is not live; a link to an article in the trash is hidden from everyone until it is restored.',
      params: IdParamsSchema,
      response: { 200: RelatedLinkListSchema, ...err(400, 404) },
    },
  }, async (request) => ({ data: await links.list(request.params.id, viewerOf(request)) }));

  app.post('/:id/related-links', {
    config: { role: 'editor' },
    schema: {
      operationId: 'addRelatedLink', tags, summary: 'Add a related link',
      description: 'Links to another article (`targetArticleId`, drafts allowed) or to an external http(s) page (`url` + `label`). `position` inserts at that place; later links move down. No link to the article itself (422), no duplicate target or URL (409), at most 20 links (422). Bumps the article\'s revision.',
      params: IdParamsSchema,
      body: NewRelatedLinkSchema,
      response: { 201: RelatedLinkSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const link = await links.add(request.params.id, request.body, request.principal);
    return reply.code(201).header('location', `/v1/articles/${request.params.id}/related-links/${link.id}`).send(link);
  });

  app.put('/:id/related-links', {
    config: { role: 'editor' },
    schema: {
      operationId: 'replaceRelatedLinks', tags, summary: 'Replace all related links',
      description: 'The body is the whole ordered list (a bare array; order = position), applied all or nothing with the same rules as adding one. A link that stays keeps its id. Bumps the article\'s revision.',
      params: IdParamsSchema,
      body: RelatedLinkListInputSchema,
      response: { 200: RelatedLinkListSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request) => ({ data: await links.replaceAll(request.params.id, request.body, request.principal) }));

  app.patch('/:id/related-links/:linkId', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateRelatedLink', tags, summary: 'Update a related link',
      description: 'Changes the label, moves the link to another position (the others close up), or changes the URL of an external link. Bumps the article\'s revision.',
      params: LinkParamsSchema,
      body: RelatedLinkPatchSchema,
      response: { 200: RelatedLinkSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request) => links.patch(request.params.id, request.params.linkId, request.body, request.principal));

  app.delete('/:id/related-links/:linkId', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteRelatedLink', tags, summary: 'Delete a related link',
      description: 'Removes the link; the later links move up one. Bumps the article\'s revision.',
      params: LinkParamsSchema,
      response: { 204: z.null().meta({ description: 'Deleted.' }), ...err(400, 404, 409) },
    },
  }, async (request, reply) => {
    await links.remove(request.params.id, request.params.linkId, request.principal);
    return reply.code(204).send(null);
  });
};

export default relatedLinkRoutes;
