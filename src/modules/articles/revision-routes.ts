import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { sendPage } from '../../http/pagination.js';
import { IdSchema, PagingQuery, ProblemSchema } from '../../http/schemas.js';
import { ArticleSchema, RevisionListSchema, RevisionParamsSchema, RevisionSchema } from './schemas.js';

const tags = ['revisions'];

/** Article history: every write is a numbered snapshot; any snapshot can be made current again. */
const revisionRoutes: FastifyPluginAsyncZod = async (app) => {
  const articles = app.services.articles;

  app.get('/:id/revisions', {
    config: { role: 'editor' },
    schema: {
      operationId: 'listRevisions', tags, summary: 'List an article\'s revisions',
      description: 'Newest first: number, time, who and a note.',
      params: z.strictObject({ id: IdSchema }),
      querystring: z.strictObject(PagingQuery),
      response: { 200: RevisionListSchema, 400: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request, reply) => {
    const { data, total, nextCursor } = await articles.revisions(request.params.id, request.query.limit, request.query.cursor);
    return sendPage(request, reply, data, request.query.limit, total, nextCursor);
  });

  app.get('/:id/revisions/:revision', {
    config: { role: 'editor' },
    schema: {
      operationId: 'getRevision', tags, summary: 'Get one revision',
      description: 'The full snapshot of the article at that revision.',
      params: RevisionParamsSchema,
      response: { 200: RevisionSchema, 400: ProblemSchema, 404: ProblemSchema },
    },
  }, async (request) => articles.revision(request.params.id, request.params.revision));

  app.post('/:id/revisions/:revision/restore', {
    config: { role: 'editor' },
    schema: {
      operationId: 'restoreRevision', tags, summary: 'Restore a revision',
      description: 'Makes that snapshot\'s content current, as a new revision. The slug and the publication state are kept.',
      params: RevisionParamsSchema,
      response: { 200: ArticleSchema, 400: ProblemSchema, 404: ProblemSchema, 409: ProblemSchema },
    },
  }, async (request) => articles.restoreRevision(request.params.id, request.params.revision, request.principal));
};

export default revisionRoutes;
