import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The fixed parts of the OpenAPI document (deterministic: nothing from the environment). */
export function openapiOptions() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Broadsheet API',
      version: pkg.version,
      description:
        'Headless CMS API for newsrooms: articles with structured bodies, authors, sections, tags, revisions and corrections.\n\n' +
        'Anonymous callers are the public delivery audience and see live content only. Editorial tools authenticate with ' +
        '`Authorization: Bearer <api key>`; keys have the role `editor` or `admin` (admin includes editor). Errors are ' +
        'RFC 9457 `application/problem+json` with JSON Pointers into the request.',
      license: { name: 'MIT', identifier: 'MIT' },
      contact: { name: 'Broadsheet', url: 'https://broadsheet.dev' },
    },
    servers: [{ url: '/', description: 'The server that serves this document (`npm start` listens on http://127.0.0.1:3000)' }],
    tags: [
      { name: 'articles', description: 'News and opinion articles with structured bodies: drafts, publishing, scheduling, slugs, corrections, JSON-LD.' },
      { name: 'revisions', description: 'Numbered snapshots of every article write, with restore.' },
      { name: 'media', description: 'Images with captions, credits and rights; uploads are sniffed and stored by content hash.' },
      { name: 'authors', description: 'People credited on articles.' },
      { name: 'sections', description: 'The site sections, as a tree.' },
      { name: 'tags', description: 'Topic labels.' },
      { name: 'disclaimers', description: 'Reusable editorial notices (opinion disclaimers, editor\'s notes, sponsorship labels), attached to articles by rule or by hand and resolved into top and bottom slots.' },
      { name: 'related-links', description: 'The ordered "related articles" of an article: links to other articles (with a summary of each target) or to external pages. Anonymous readers only see links to live articles.' },
      { name: 'search', description: 'Full-text search over live articles (editors also find drafts), ranked, with highlighted snippets.' },
      { name: 'feeds', description: 'Syndication of live articles: RSS 2.0, Atom and JSON Feed (per section and tag, full content as HTML), sitemap.xml and a Google News sitemap.' },
      { name: 'api-keys', description: 'Admin: API keys for editorial tools and integrations.' },
      { name: 'audit', description: 'Admin: the audit trail of every write.' },
      { name: 'webhooks', description: 'Admin: signed event deliveries to integrators (`Broadsheet-Signature`), with retries, a delivery log and redelivery.' },
      { name: 'ops', description: 'Health and readiness probes.' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http' as const,
          scheme: 'bearer',
          description: 'An API key created with `npm run key:create -- --role admin`, from `ADMIN_API_KEY` at first start, or by an admin through `POST /v1/api-keys`.',
        },
      },
    },
  };
}

type Doc = { components?: { schemas?: Record<string, unknown> } };

/**
 * The Zod type provider emits an input and an output twin for every registered schema; only the ones
 * some operation references (directly or through another schema) belong in the document.
 */
export function pruneUnusedSchemas<T extends Doc>(doc: T): T {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const refsIn = (v: unknown) => [...JSON.stringify(v).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => decodeURIComponent(m[1]!));
  const { components, ...rest } = doc;
  const used = new Set<string>(refsIn(rest));
  const queue = [...used];
  while (queue.length) {
    for (const ref of refsIn(schemas[queue.pop()!])) {
      if (!used.has(ref)) {
        used.add(ref);
        queue.push(ref);
      }
    }
  }
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } };
}

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Content = Record<string, { schema: unknown }>;

/**
 * The Zod transform reads one body schema; a route that takes several media types (the media upload:
 * JSON or multipart) declares `body.content`, which Fastify validates per type. Each one is converted
 * on its own and put back under its media type.
 */
export function openapiTransform(input: TransformInput): ReturnType<typeof jsonSchemaTransform> {
  const body = (input.schema as { body?: { content?: Content } } | undefined)?.body;
  if (!body?.content) return jsonSchemaTransform(input);
  const content: Record<string, { schema: unknown }> = {};
  let out: ReturnType<typeof jsonSchemaTransform> | undefined;
  for (const [type, { schema }] of Object.entries(body.content)) {
    out = jsonSchemaTransform({ ...input, schema: { ...input.schema, body: schema } as TransformInput['schema'] });
    content[type] = { schema: (out.schema as { body?: unknown }).body };
  }
  return { ...out!, schema: { ...out!.schema, body: { content } } };
}
