import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ProblemSchema, SlugSchema } from '../../http/schemas.js';
import { FEED_SIZE, type FeedFormat } from './service.js';

const tags = ['feeds'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, ProblemSchema]));

const FeedQuerySchema = z.strictObject({
  section: SlugSchema.optional().meta({ description: 'Section slug: only articles in that section (unknown → 404).' }),
  tag: SlugSchema.optional().meta({ description: 'Tag slug: only articles with that tag (unknown → 404).' }),
});

const JsonFeedSchema = z
  .object({
    version: z.literal('https://jsonfeed.org/version/1.1').meta({ description: 'The JSON Feed version this document follows.' }),
    title: z.string().meta({ description: 'The publication name (SITE_NAME).', example: 'Broadsheet' }),
    home_page_url: z.string().meta({ description: 'The site (SITE_URL).' }),
    feed_url: z.string().meta({ description: 'This feed\'s own URL, with its `section`/`tag` filter.' }),
    description: z.string().meta({ description: 'What the feed holds (the publication, or one section or tag of it).' }),
    authors: z
      .array(
        z.object({
          name: z.string().meta({ description: 'The publication name.' }),
          url: z.string().optional().meta({ description: 'The site.' }),
        }),
      )
      .meta({ description: 'The publisher.' }),
    items: z
      .array(
        z.object({
          id: z.string().meta({ description: 'A stable id, `urn:broadsheet:article:<id>` (it survives slug changes).' }),
          url: z.string().meta({ description: 'The article page.' }),
          title: z.string().meta({ description: 'The headline.' }),
          content_html: z.string().meta({ description: 'The full body as HTML (the hero figure first).' }),
          summary: z.string().optional().meta({ description: 'Plain text: `seo.description`, else the standfirst, else the excerpt.' }),
          image: z.string().optional().meta({ description: 'The hero image URL, when there is one.' }),
          date_published: z.string().meta({ description: 'The publication time, `publishedAt` (RFC 3339).' }),
          date_modified: z.string().meta({ description: 'The later of `publishedAt` and the editorial "Updated" stamp `contentUpdatedAt` (RFC 3339).' }),
          authors: z.array(z.object({ name: z.string().meta({ description: 'A credited author.' }) })).optional().meta({ description: 'The credited authors, when there are any.' }),
          tags: z.array(z.string()).meta({ description: 'The section name, then the tag names.' }),
          language: z.string().meta({ description: 'BCP 47 language tag.' }),
        }),
      )
      .meta({ description: 'The newest live articles, newest first.' }),
  })
  .meta({ id: 'JsonFeed', description: 'A JSON Feed 1.1 document (https://jsonfeed.org/version/1.1).' });

/** A 200 response in a media type other than JSON, documented as such. */
const document = (type: string, description: string, schema: z.ZodType = z.string().meta({ description })) => ({ description, content: { [type]: { schema } } });

const FEEDS: Record<FeedFormat, { type: string; operationId: string; summary: string; description: string; schema?: z.ZodType }> = {
  rss: { type: 'application/rss+xml', operationId: 'getRssFeed', summary: 'RSS 2.0 feed', description: 'RSS 2.0' },
  atom: { type: 'application/atom+xml', operationId: 'getAtomFeed', summary: 'Atom feed', description: 'Atom 1.0' },
  json: { type: 'application/feed+json', operationId: 'getJsonFeed', summary: 'JSON Feed', description: 'JSON Feed 1.1', schema: JsonFeedSchema },
};

/** Sends a finished document as is: the Zod serializer would JSON-quote a string. */
const sendDocument = (reply: FastifyReply, type: string, body: string) =>
  reply.type(`${type}; charset=utf-8`).serializer((s: unknown) => s as string).send(body);

/** Public syndication: feeds and sitemaps of live articles only, whoever asks. */
const feedRoutes: FastifyPluginAsyncZod = async (app) => {
  const feeds = app.services.feeds;

  for (const [format, f] of Object.entries(FEEDS) as [FeedFormat, (typeof FEEDS)[FeedFormat]][]) {
    app.get(`/feeds/${format}`, {
      schema: {
        operationId: f.operationId, tags, summary: f.summary,
        description: `The newest ${FEED_SIZE} live articles as ${f.description}, with full content as HTML (media resolved: figures carry their caption and credit); optionally for one section and/or tag.`,
        querystring: FeedQuerySchema,
        response: { 200: document(f.type, `${f.description} document.`, f.schema), ...err(400, 404) },
      },
    }, async (request, reply) => {
      const { document, articleIds } = await feeds.feed(format, request.query);
      // A string skips the hook that collects ids from JSON bodies: a CDN purging an article purges its feeds too.
      reply.surrogateKeys = new Set(articleIds.map((id) => `article:${id}`));
      return sendDocument(reply, f.type, document);
    });
  }

  app.get('/sitemap.xml', {
    schema: {
      operationId: 'getSitemap', tags, summary: 'Sitemap',
      description: 'Every live article URL with `lastmod`. Over 50,000 URLs, a sitemap index of `?page=N` pages of 50,000 URLs each (oldest publication first, so new articles land on the last page).',
      querystring: z.strictObject({ page: z.coerce.number().int().min(1).max(100_000).optional().meta({ description: 'Page of a sitemap index, from 1.' }) }),
      response: { 200: document('application/xml', 'A sitemap (urlset) or a sitemap index.'), ...err(400, 404) },
    },
  }, async (request, reply) => sendDocument(reply, 'application/xml', await feeds.sitemap(request.query.page)));

  app.get('/sitemap-news.xml', {
    // Its content moves with the clock (the last 48 hours), not only with writes.
    config: { responseCache: false },
    schema: {
      operationId: 'getNewsSitemap', tags, summary: 'Google News sitemap',
      description: 'Live articles first published in the last 48 hours (at most 1,000), with publication name and language, publication date and title.',
      querystring: z.strictObject({}),
      response: { 200: document('application/xml', 'A Google News sitemap.'), ...err(400, 404) },
    },
  }, async (_request, reply) => sendDocument(reply, 'application/xml', await feeds.newsSitemap()));
};

export default feedRoutes;
