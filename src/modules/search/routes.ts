import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sendPage } from '../../http/pagination.js';
import { ProblemSchema } from '../../http/schemas.js';
import { viewerOf } from '../../http/visibility.js';
import { SearchQuerySchema, SearchResultListSchema } from './schemas.js';

const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  const search = app.services.search;

  app.get('/', {
    schema: {
      operationId: 'searchArticles', tags: ['search'], summary: 'Search articles',
      description:
        'Full-text search over headline, standfirst, body text and image captions, ranked by BM25 (headline matches weigh most, then ' +
        'standfirst, captions, body), with a highlighted `snippet`. Filters `type`, `section` and `tag` work as on the article list. ' +
        'Anonymous callers only ever match live articles (the visibility rule applies inside the search query, so draft text never ' +
        'matches); editors also find drafts and scheduled articles, not the trash. The query is plain text, never search syntax.',
      querystring: SearchQuerySchema,
      response: { 200: SearchResultListSchema, 400: ProblemSchema },
    },
  }, async (request, reply) => {
    const { data, total, nextCursor } = await search.search(request.query, viewerOf(request));
    return sendPage(request, reply, data, request.query.limit, total, nextCursor);
  });
};

export default searchRoutes;
