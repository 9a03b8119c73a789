import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { createRequire } from 'node:module';
import { ERROR_DESCRIPTIONS, OPERATIONS, pathParameterExample, problemExample } from './openapi-examples.js';

const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

const INTRODUCTION = `Headless CMS API for newsrooms: articles with structured bodies (typed blocks, never HTML), media with captions and credits, reusable disclaimers, related links, authors, sections, tags, revisions and corrections. The examples in this document are drawn from one opinion column, *As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis* (with its Panmunjom photo, its disclaimer and its two related articles), as the API serves it.

## Audiences
Anonymous callers are the public delivery audience: they see live content only (\`status = published\`, \`publishedAt\` in the past, not in the trash), and anything else answers 404 as if it did not exist. Editorial tools and integrations send \`Authorization: Bearer <api key>\`; each operation's \`security\` names the least role it needs (\`editor\` or \`admin\`).

## Errors
Every 4xx and 5xx answer is RFC 9457 \`application/problem+json\`: \`{ type, title, status, detail, instance, code, errors? }\`. Branch on \`code\` (stable); \`errors[].pointer\` is a JSON Pointer into the request (\`/body/headline\`, \`/query/limit\`, \`/headers/if-match\`); \`instance\` ends with the request id (also in \`X-Request-Id\`). Unknown query parameters and body fields are a 400.

## Lists and pagination
Lists answer \`{ data, page: { limit, nextCursor, total } }\`. \`limit\` is 1..100 (default 20); pass \`page.nextCursor\` back as \`cursor\` for the next page (keyset: stable while items are added); a \`Link: <…>; rel="next"\` header carries the same URL. \`nextCursor\` is null on the last page.

## Caching
Every GET has a strong \`ETag\`; send it back in \`If-None-Match\` to get \`304 Not Modified\`, which carries \`ETag\`, \`Cache-Control\`, \`Vary\` and the rate-limit headers only: keep the other headers of the \`200\` you hold. Anonymous reads are \`Cache-Control: public\` (with \`stale-while-revalidate\`) and carry \`Surrogate-Key\` (\`article:<id> media:<id> disclaimer:<id>\`) for CDN purges; reads with a key are \`private, no-store\`. Responses vary on \`Authorization\` and \`Accept-Encoding\`.

## Concurrent edits: If-Match
Reads without \`include\` and every write answer carry the resource's version as \`ETag\` (\`"r<revision>-<status>"\` for articles). Send it as \`If-Match\` on PATCH, PUT, DELETE, publish and unpublish: if someone else wrote in between, the answer is \`412 Precondition Failed\` with the current \`ETag\`, and nothing is written. Deployments with \`REQUIRE_IF_MATCH=true\` answer \`428\` to article writes without it.

## Safe retries: Idempotency-Key
Send \`Idempotency-Key: <1-255 visible ASCII characters>\` on any POST with a key: a retry with the same key and body gets the first answer again (\`Idempotent-Replayed: true\`, secrets left out), the same key with another body answers 422 \`idempotency-key-reused\`, and one still running answers 409 \`idempotency-in-flight\`. Keys are kept for IDEMPOTENCY_TTL_HOURS (24 by default).

## Rate limits
Anonymous callers are limited per address, keys per key (600 and 1,200 requests a minute by default); \`RateLimit-*\` headers count down and a 429 carries \`Retry-After\`.`;

const BEARER_AUTH = `An API key, sent as \`Authorization: Bearer <secret>\` (secrets look like \`bsk_…\`; only their hash is stored, so a lost secret means a new key).

Roles: \`editor\` can do all editorial work (drafts, publishing, media, disclaimers, taxonomy, related links, revisions); \`admin\` can also manage API keys and webhooks, read the audit trail, delete disclaimers and delete articles permanently. Each operation's \`security\` names the least role it needs; a key with too small a role gets 403, a missing, unknown or revoked one 401.

Getting a key:
- the first admin key: set \`ADMIN_API_KEY\` (24+ characters) at start, and a key with that secret is created if none exists; or run \`npm run key:create -- --role admin\` on the server, which prints the secret once;
- an editor key for a tool: \`npm run key:create -- --role editor\`, or \`POST /v1/api-keys\` with an admin key (the secret is in that answer only).

Without a key, requests are anonymous: reads of live content only.`;

/** The fixed parts of the OpenAPI document (deterministic: nothing from the environment). */
export function openapiOptions() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Broadsheet API',
      version: pkg.version,
      summary: 'Headless CMS REST API for newsrooms.',
      description: INTRODUCTION,
      license: { name: 'MIT', identifier: 'MIT' },
      contact: { name: 'Broadsheet', url: 'https://broadsheet.dev' },
    },
    servers: [{ url: '/', description: 'The server that serves this document (`npm start` listens on http://127.0.0.1:3000)' }],
    tags: [
      {
        name: 'articles',
        description: 'News and opinion articles with structured bodies: drafts, publishing and scheduling, slugs (old ones redirect), corrections and JSON-LD. ' +
          '`include=all` returns a whole page (authors, section, tags, media, disclaimers, related links, HTML) in one request.',
      },
      { name: 'revisions', description: 'Numbered snapshots of every article write (who, when, what), with restore as a new revision. Editors only.' },
      {
        name: 'media',
        description: 'Images with captions, credits and rights: uploads (type sniffed from the bytes, stored once by SHA-256) or external URLs. ' +
          'Per-use overrides of caption, credit and alt live on the article; renditions are made on demand from an allow-list of widths.',
      },
      { name: 'authors', description: 'People credited on articles, in byline order with a role; anyone reads, editors write.' },
      { name: 'sections', description: 'The site sections, as a tree (`parentId`); each article belongs to at most one. Anyone reads, editors write.' },
      { name: 'tags', description: 'Topic labels, many per article, used by the list, search and feed filters. Anyone reads, editors write.' },
      {
        name: 'disclaimers',
        description: 'Reusable editorial notices (opinion disclaimers, editor\'s notes, sponsorship labels), attached to articles by rule or by hand and resolved into top and bottom slots.',
      },
      {
        name: 'related-links',
        description: 'The ordered "related articles" of an article: links to other articles (with a summary of each target) or to external pages. Anonymous readers only see links to live articles.',
      },
      { name: 'search', description: 'Full-text search over live articles (editors also find drafts), ranked, with highlighted snippets.' },
      { name: 'feeds', description: 'Syndication of live articles: RSS 2.0, Atom and JSON Feed (per section and tag, full content as HTML), sitemap.xml and a Google News sitemap.' },
      { name: 'api-keys', description: 'Admin: API keys for editorial tools and integrations. The secret is shown once, at creation; revoking a key stops it at once.' },
      { name: 'audit', description: 'Admin: the audit trail of every write (who, what, which revision, which request), newest first. Never carries a secret.' },
      { name: 'webhooks', description: 'Admin: signed event deliveries to integrators (`Broadsheet-Signature`), with retries, a delivery log and redelivery.' },
      { name: 'ops', description: 'Health and readiness probes for orchestrators and load balancers (not rate limited).' },
    ],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http' as const, scheme: 'bearer', description: BEARER_AUTH },
      },
    },
  };
}

type Doc = { components?: { schemas?: Record<string, unknown> }; paths?: Record<string, Record<string, Operation>> };
type Named = Record<string, { summary: string; value: unknown }>;
type Media = { schema?: { $ref?: string }; examples?: Named };
type Response = { description?: string; headers?: Record<string, unknown>; content?: Record<string, Media> };
type Operation = {
  operationId?: string;
  parameters?: { in: string; name: string; description?: string; schema?: { example?: unknown } }[];
  requestBody?: { content?: Record<string, Media> };
  responses?: Record<string, Response>;
  security?: Record<string, string[]>[];
};

/**
 * The document's last pass (`transformObject` in src/app.ts): what the per-route transform cannot write, because
 * @fastify/swagger drops a request body's media-type examples and rewrites the ones of responses. It puts the
 * examples of src/http/openapi-examples.ts at the media-type level, turns every error answer into
 * `application/problem+json` with the Problem schema and an example of what this operation sends, and describes
 * the answers and path parameters that only had a generic description. Then the unused Zod twins are dropped.
 *
 * Examples are named (`examples: { name: { summary, value } }`), not `example`: openapi-typescript copies an
 * `example` into the JSDoc of the typed client (clients/typescript), which would carry the whole column a dozen
 * times; named examples stay in the document.
 */
export function finishDocument<T extends Doc>(doc: T): T {
  return dropUnusedSchemas(documentOperations(doc));
}


const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 202: 'Accepted' };
const GENERIC_ID = /^Opaque id/;
const ANONYMOUS_401 = 'Unauthorized: the API key sent is unknown or revoked (without an `Authorization` header the request is anonymous and sees live content only).';
const PROBLEM = { $ref: '#/components/schemas/Problem' };
const RETRY_AFTER = { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } };

function documentOperations<T extends Doc>(doc: T): T {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, { description?: string }>;
  const describedBy = (media: Media | undefined) => schemas[media?.schema?.$ref?.split('/').pop() ?? '']?.description;
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      const examples = OPERATIONS[op.operationId ?? ''] ?? {};
      const role = op.security?.every((r) => r.bearerAuth) ? op.security[0]?.bearerAuth?.[0] : undefined;

      for (const [type, media] of Object.entries(op.requestBody?.content ?? {})) {
        const example = examples.requestByType?.[type] ?? (type === 'application/json' ? examples.request : undefined);
        if (example !== undefined) media.examples = { request: { summary: 'Example request', value: example } };
      }

      for (const p of op.parameters ?? []) {
        if (p.in !== 'path') continue;
        if (p.description === undefined || GENERIC_ID.test(p.description)) p.description = pathParameterDescription(path, p.name);
        const example = pathParameterExample(path, p.name);
        if (example !== undefined && p.schema) p.schema = { ...p.schema, example };
      }

      declareWriteHeaders(method, op);
      for (const [key, response] of Object.entries(op.responses ?? {})) {
        const status = Number(key);
        if (status >= 400) {
          const example = problemExample({
            operationId: op.operationId ?? '', method, path, status, role,
            hasBody: op.requestBody !== undefined, query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          });
          op.responses![key] = {
            description: status === 401 && !role ? ANONYMOUS_401 : (ERROR_DESCRIPTIONS[status] ?? response.description ?? 'Error'),
            ...(status === 429 ? { headers: { 'Retry-After': RETRY_AFTER } } : {}),
            content: {
              'application/problem+json': { schema: PROBLEM, examples: { [example.code]: { summary: example.detail, value: example } } },
              // What the document said before errors were problem+json: kept so that clients generated from it still match.
              'application/json': { schema: PROBLEM },
            },
          };
          continue;
        }
        const example = examples.responses?.[status];
        for (const media of Object.values(response.content ?? {})) {
          if (example !== undefined) media.examples = { response: { summary: `${status} ${STATUS_TEXT[status] ?? ''}`.trim(), value: example } };
        }
        if (response.description === 'Default Response') {
          const what = describedBy(Object.values(response.content ?? {})[0]);
          response.description = what ? `${STATUS_TEXT[status] ?? key}: ${what}` : (STATUS_TEXT[status] ?? key);
        }
      }
    }
  }
  return doc;
}

/**
 * Writes that check `If-Match` against the resource's version tag inside their transaction (services call
 * `precondition()`); 'article' ones answer 428 without it when REQUIRE_IF_MATCH=true. test/http/concurrency.test.ts
 * sends every operation listed here a stale If-Match and expects 412, so this list stays true.
 */
export const IF_MATCH_OPERATIONS: Record<string, 'article' | 'optional'> = {
  updateArticle: 'article', deleteArticle: 'article', restoreArticle: 'article', publishArticle: 'article', unpublishArticle: 'article',
  restoreRevision: 'article', putArticleDisclaimers: 'article', addRelatedLink: 'article', replaceRelatedLinks: 'article',
  updateRelatedLink: 'article', deleteRelatedLink: 'article', addCorrection: 'optional',
  updateAuthor: 'optional', deleteAuthor: 'optional', updateSection: 'optional', deleteSection: 'optional', updateTag: 'optional', deleteTag: 'optional',
  updateMedia: 'optional', deleteMedia: 'optional', updateDisclaimer: 'optional', deleteDisclaimer: 'optional',
};

const IF_MATCH = {
  in: 'header', name: 'If-Match', required: false,
  description: 'The `ETag` of the version you read (from a read without `include`, or from your last write). The write happens only if it is still the current version; otherwise 412 with the current `ETag`, and nothing is written.',
  schema: { type: 'string', example: '"r3-published"' },
};
const IDEMPOTENCY_KEY = {
  in: 'header', name: 'Idempotency-Key', required: false,
  description: 'Any unique string (a UUID) per intended write: a retry with the same key and body gets the first answer again (`Idempotent-Replayed: true`) instead of writing twice; the same key with another body is a 422, while the first is still running a 409. Kept for IDEMPOTENCY_TTL_HOURS (24 h).',
  schema: { type: 'string', minLength: 1, maxLength: 255, example: '0f8fad5b-d9cb-469f-a165-70867728950e' },
};

/** The optimistic-concurrency and idempotency headers a write honours, with the answers they can cause. */
function declareWriteHeaders(method: string, op: Operation) {
  const params = (op.parameters ??= []);
  const has = (name: string) => params.some((p) => p.in === 'header' && p.name.toLowerCase() === name.toLowerCase());
  if (method === 'post' && !has('Idempotency-Key')) params.push(IDEMPOTENCY_KEY);
  const versioned = IF_MATCH_OPERATIONS[op.operationId ?? ''];
  if (!versioned) return;
  if (!has('If-Match')) params.push(IF_MATCH);
  op.responses ??= {};
  op.responses['412'] ??= { description: 'Precondition Failed' };
  if (versioned === 'article') op.responses['428'] ??= { description: 'Precondition Required' };
}

const NAMES: Record<string, string> = {
  articles: 'article', media: 'media item', authors: 'author', sections: 'section', tags: 'tag', disclaimers: 'disclaimer',
  'api-keys': 'API key', webhooks: 'webhook',
};

function pathParameterDescription(path: string, name: string): string {
  const what = NAMES[path.split('/')[2] ?? ''] ?? 'resource';
  if (name === 'id') return `The id of the ${what} (a ULID, as returned when it was created or listed).`;
  if (name === 'linkId') return 'The id of the related link (see the list of the article\'s related links).';
  if (name === 'deliveryId') return 'The id of the delivery (see the webhook\'s delivery list).';
  return `The ${name} of the ${what}.`;
}

/**
 * The Zod type provider emits an input and an output twin for every registered schema; only the ones
 * some operation references (directly or through another schema) belong in the document.
 */
function dropUnusedSchemas<T extends Doc>(doc: T): T {
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
