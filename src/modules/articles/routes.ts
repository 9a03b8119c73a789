import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { articleJsonLd } from '../../content/jsonld.js';
import { jsonLdImages } from '../media/display.js';
import { sendPage } from '../../http/pagination.js';
import { IdParamsSchema, ProblemSchema, SlugSchema } from '../../http/schemas.js';
import { viewerOf } from '../../http/visibility.js';
import {
  ArticleListQuerySchema, ArticleListSchema, ArticlePatchSchema, ArticleReadQuerySchema, ArticleSchema, CorrectionListSchema,
  CorrectionSchema, DeleteQuerySchema, JsonLdSchema, NewArticleSchema, NewCorrectionSchema, PublishSchema,
} from './schemas.js';

const tags = ['articles'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

const articleRoutes: FastifyPluginAsyncZod = async (app) => {
  const articles = app.services.articles;

  app.get('/', {
    schema: {
      operationId: 'listArticles', tags, summary: 'List articles',
      description: 'Filtered, sorted, keyset-paged list. Anonymous callers see live articles only; `status` needs an editor key.',
      querystring: ArticleListQuerySchema,
      response: { 200: ArticleListSchema, ...err(400, 403) },
    },
  }, async (request, reply) => {
    const { data, total, nextCursor } = await articles.list(request.query, viewerOf(request));
    return sendPage(request, reply, data, request.query.limit, total, nextCursor);
  });

  app.post('/', {
    config: { role: 'editor' },
    schema: {
      operationId: 'createArticle', tags, summary: 'Create a draft article',
      description: 'Creates a draft. The slug is derived from the headline when omitted.',
      body: NewArticleSchema,
      response: { 201: ArticleSchema, ...err(400, 409, 413, 415, 422) },
    },
  }, async (request, reply) => {
    const article = await articles.create(request.body, request.principal);
    return reply.code(201).header('location', `/v1/articles/${article.id}`).send(article);
  });

  app.get('/by-slug/:slug', {
    schema: {
      operationId: 'getArticleBySlug', tags, summary: 'Get an article by slug',
      description: 'An old slug answers 301 with `Location` set to the current slug\'s URL.',
      params: z.strictObject({ slug: SlugSchema }),
      querystring: ArticleReadQuerySchema,
      response: { 200: ArticleSchema, 301: z.null().meta({ description: 'Moved: the article has a new slug (see Location).' }), ...err(400, 404) },
    },
  }, async (request, reply) => {
    const result = await articles.getBySlug(request.params.slug, request.query.include ?? [], viewerOf(request));
    if ('redirect' in result) {
      const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
      return reply.code(301).header('location', `/v1/articles/by-slug/${result.redirect}${query}`).send(null);
    }
    return result;
  });

  app.get('/:id', {
    schema: {
      operationId: 'getArticle', tags, summary: 'Get an article',
      description: 'One article; anonymous callers get 404 for anything not live.',
      params: IdParamsSchema,
      querystring: ArticleReadQuerySchema,
      response: { 200: ArticleSchema, ...err(400, 404) },
    },
  }, async (request) => articles.get(request.params.id, request.query.include ?? [], viewerOf(request)));

  app.patch('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'updateArticle', tags, summary: 'Update an article',
      description: 'Merge-patch; bumps `revision`. A new slug keeps the old one as a redirect.',
      params: IdParamsSchema,
      body: ArticlePatchSchema,
      response: { 200: ArticleSchema, ...err(400, 404, 409, 413, 415, 422) },
    },
  }, async (request) => articles.update(request.params.id, request.body, request.principal));

  app.delete('/:id', {
    config: { role: 'editor' },
    schema: {
      operationId: 'deleteArticle', tags, summary: 'Delete an article',
      description: 'Moves the article to the trash; `permanent=true` (admins) deletes it for good.',
      params: IdParamsSchema,
      querystring: DeleteQuerySchema,
      response: { 204: z.null().meta({ description: 'Deleted.' }), ...err(400, 404) },
    },
  }, async (request, reply) => {
    await articles.remove(request.params.id, request.query.permanent, request.principal);
    return reply.code(204).send(null);
  });

  app.post('/:id/restore', {
    config: { role: 'editor' },
    schema: {
      operationId: 'restoreArticle', tags, summary: 'Restore an article from the trash',
      description: 'Undoes a soft delete. Restoring an article that is not in the trash changes nothing.',
      params: IdParamsSchema,
      response: { 200: ArticleSchema, ...err(400, 404) },
    },
  }, async (request) => articles.restore(request.params.id, request.principal));

  app.post('/:id/publish', {
    config: { role: 'editor' },
    schema: {
      operationId: 'publishArticle', tags, summary: 'Publish or schedule an article',
      description: 'Past or absent `publishAt`: live now. Future: scheduled; it becomes visible at that time with no job running.',
      params: IdParamsSchema,
      body: PublishSchema.nullish(),
      response: { 200: ArticleSchema, ...err(400, 404, 409, 415, 422) },
    },
  }, async (request) => articles.publish(request.params.id, request.body?.publishAt, request.principal));

  app.post('/:id/unpublish', {
    config: { role: 'editor' },
    schema: {
      operationId: 'unpublishArticle', tags, summary: 'Unpublish an article',
      description: 'Back to draft; `firstPublishedAt` is kept.',
      params: IdParamsSchema,
      response: { 200: ArticleSchema, ...err(400, 404, 409) },
    },
  }, async (request) => articles.unpublish(request.params.id, request.principal));

  app.get('/:id/corrections', {
    schema: {
      operationId: 'listCorrections', tags, summary: 'List corrections',
      description: 'Append-only, dated corrections, oldest first.',
      params: IdParamsSchema,
      response: { 200: CorrectionListSchema, ...err(400, 404) },
    },
  }, async (request) => ({ data: await articles.corrections(request.params.id, viewerOf(request)) }));

  app.post('/:id/corrections', {
    config: { role: 'editor' },
    schema: {
      operationId: 'addCorrection', tags, summary: 'Add a correction',
      description: 'Appends a correction and sets the article\'s `contentUpdatedAt`.',
      params: IdParamsSchema,
      body: NewCorrectionSchema,
      response: { 201: CorrectionSchema, ...err(400, 404, 409, 415) },
    },
  }, async (request, reply) => {
    const correction = await articles.addCorrection(request.params.id, request.body, request.principal);
    return reply.code(201).header('location', `/v1/articles/${request.params.id}/corrections`).send(correction);
  });

  app.get('/:id/jsonld', {
    schema: {
      operationId: 'getArticleJsonLd', tags, summary: 'Get an article as JSON-LD',
      description: 'schema.org `NewsArticle` (or `OpinionNewsArticle`) for the page head.',
      params: IdParamsSchema,
      response: { 200: JsonLdSchema, ...err(400, 404) },
    },
  }, async (request, reply) => {
    const a = await articles.get(request.params.id, ['authors', 'section', 'tags', 'media'], viewerOf(request));
    const people = a.authors.flatMap((x) => (x.author && x.role === 'author' ? [x.author] : []));
    void reply.type('application/ld+json; charset=utf-8');
    return articleJsonLd(a, people, a.section?.name ?? null, (a.tags ?? []).map((t) => t.name), jsonLdImages(a));
  });
};

export default articleRoutes;
