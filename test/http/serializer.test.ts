/**
 * The response serializer (src/http/serializer.ts) writes the same bytes as the Zod serializer it replaced.
 *
 * The reference is the old serializer itself: a `preSerialization` hook added last hands the object the handler
 * returned to fastify-type-provider-zod's serializer for the route's response schema, and the test compares what
 * that would have written with the bytes served. Every GET of the OpenAPI document is walked, with every
 * `include`, as anonymous, editor and admin, on the demo column plus content that uses every block type and
 * expansion; the writes that build it are compared too. Then the captured objects are perturbed (key order,
 * unknown keys, strings that need escaping or trimming, numbers) and both serializers compared again.
 */
import fc from 'fast-check';
import Fastify from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import t, { type Test } from 'tap';
import { z } from 'zod';
import { seedDemoIfEmpty } from '../../src/cli/seed.js';
import { compileSerializer, serializerCompiler } from '../../src/http/serializer.js';
import { ArticleListSchema, ArticleSchema, INCLUDES } from '../../src/modules/articles/schemas.js';
import { build, fixtureCaller, para, type TestApp } from '../helper.js';
import { operations, type Json } from '../hardening/openapi-walk.js';

type Captured = { schema: z.ZodType; payload: unknown; expected: string; route: string };

/** What the Zod serializer writes for this object, or the error it throws. */
function zodBytes(schema: z.ZodType, data: unknown): string | Error {
  try {
    return zodSerializerCompiler({ schema, method: 'GET', url: '/', httpStatus: '200' })(data);
  } catch (err) {
    return err as Error;
  }
}

/** The first difference between two strings, for a readable failure. */
function sameBytes(t: Test, got: string, want: string, what: string) {
  if (got === want) return t.pass(what);
  let i = 0;
  while (i < got.length && got[i] === want[i]) i++;
  t.fail(what, { offset: i, got: got.slice(Math.max(0, i - 80), i + 80), want: want.slice(Math.max(0, i - 80), i + 80) });
}

/**
 * Records, for every response a route serializer writes (a 2xx or 3xx object: errors and documents such as
 * feeds are sent with their own serializer), what the Zod serializer would have written for the same object.
 */
function recordReference(ctx: TestApp) {
  const byRequest = new Map<string, Captured>();
  ctx.app.addHook('preSerialization', async (request, reply, payload) => {
    const schema = (request.routeOptions.schema?.response as Record<number, z.ZodType> | undefined)?.[reply.statusCode];
    if (reply.statusCode < 400 && schema && payload !== null && typeof payload === 'object' && !Buffer.isBuffer(payload)) {
      const expected = zodBytes(schema, payload);
      if (expected instanceof Error) throw expected;
      byRequest.set(request.id, { schema, payload, expected, route: `${request.method} ${request.routeOptions.url} ${reply.statusCode}` });
    }
    return payload;
  });
  return byRequest;
}

t.test('every JSON answer of the API has the bytes the Zod serializer wrote', async (t) => {
  const ctx = await build(t, { responseCache: false, webhookAllowedHosts: ['127.0.0.1'], rateLimitAnonPerMinute: 0, rateLimitKeyPerMinute: 0 });
  const { app, admin, editor } = ctx;
  const reference = recordReference(ctx);
  const compared = new Map<string, number>();
  const captured: Captured[] = [];
  const checked = async (opts: Parameters<TestApp['req']>[0]) => {
    const res = await ctx.req(opts);
    const ref = reference.get(String(res.headers['x-request-id']));
    if (ref) {
      sameBytes(t, res.raw, ref.expected, `${opts.method ?? 'GET'} ${opts.url}`);
      compared.set(ref.route, (compared.get(ref.route) ?? 0) + 1);
      if (captured.filter((c) => c.route === ref.route).length < 6) captured.push(ref);
    }
    return res;
  };
  const call = fixtureCaller({ ...ctx, req: checked });

  // Content: the demo column (photo, blockquote, disclaimer, related articles), and one article with every
  // other block type, a hero, an external image, every expansion, corrections, links both ways.
  t.equal(await seedDemoIfEmpty(app), true);
  const column = (await checked({ method: 'GET', url: '/v1/articles?type=opinion' })).body.data[0];
  const parent = await call('POST', '/v1/sections', { name: 'World' });
  const section = await call('POST', '/v1/sections', { name: 'Asia  ', parentId: parent.id });
  const tag = await call('POST', '/v1/tags', { name: 'Diplomacy' });
  const author = await call('POST', '/v1/authors', { name: 'Ana "Quotes" Ölund', bio: 'Line one\nline two\t\u2028 and a lone \ud800 surrogate', url: 'https://example.org/ana' });
  const photo = await call('POST', '/v1/media', {
    url: 'https://img.example.org/talks.jpg', caption: [{ type: 'text', text: 'Talks ', marks: ['italic'] }, { type: 'break' }, { type: 'link', href: 'https://example.org/', children: [{ type: 'text', text: 'source' }] }],
    creditText: 'Pool / Reuters', altText: 'Delegates', source: { name: 'Reuters', category: 'wires' }, focalPoint: { x: 0.25, y: 0.75 }, takenAt: '2018-01-09T08:00:00.000Z',
  });
  const bare = await call('POST', '/v1/media', { url: 'https://img.example.org/bare.jpg' });
  const full = await call('POST', '/v1/articles', {
    headline: 'Every block: “quotes”, <tags> & \\ backslashes', standfirst: 'Emoji 🗞️ and \u0007 control', kicker: 'Analysis', type: 'analysis',
    sectionId: section.id, tagIds: [tag.id], authors: [{ authorId: author.id, role: 'author' }, { authorId: column.authors[0].authorId, role: 'translator' }],
    hero: { mediaId: photo.id, caption: null, credit: 'Hero credit' }, canonicalUrl: 'https://example.org/original', seo: { title: 'SEO title', description: null },
    source: { name: 'TASS', url: 'https://tass.com/' }, commentsMode: 'closed', bylineOverride: 'By the desk',
    body: [
      para('p1', 'First paragraph.'),
      { type: 'heading', id: 'h1', level: 3, children: [{ type: 'text', text: 'A heading', marks: ['bold', 'code'] }] },
      { type: 'list', style: 'ordered', items: [{ children: [{ type: 'text', text: 'one' }], list: { type: 'list', style: 'bullet', items: [{ children: [{ type: 'text', text: 'nested' }] }] } }, { children: [{ type: 'text', text: 'two' }] }] },
      { type: 'blockquote', children: [para('q1', 'Quoted.')], attribution: { name: 'Someone', role: 'Envoy', source: 'A statement', url: 'https://example.org/s' } },
      { type: 'pullquote', text: 'Pulled out.', attribution: { name: 'Someone else' } },
      { type: 'image', id: 'img1', mediaId: photo.id, credit: null, alt: 'Override alt', layout: 'full' },
      { type: 'image', id: 'img2', mediaId: bare.id, caption: [{ type: 'text', text: 'Own caption' }] },
      { type: 'embed', url: 'https://video.example.org/watch/1', provider: 'Example Video', title: 'A video', caption: [{ type: 'text', text: 'Watch' }] },
      { type: 'divider' },
      { type: 'paragraph', children: [] },
    ],
  });
  await call('POST', `/v1/articles/${full.id}/publish`);
  await call('POST', `/v1/articles/${full.id}/corrections`, { kind: 'clarification', text: 'Clarified the envoy\'s role.' });
  await call('POST', `/v1/articles/${full.id}/related-links`, { targetArticleId: column.id });
  await call('POST', `/v1/articles/${full.id}/related-links`, { url: 'https://www.reuters.com/world/', label: 'Reuters: World' });
  await call('POST', `/v1/articles/${column.id}/related-links`, { targetArticleId: full.id, label: 'Every block' });
  const notice = await call('POST', '/v1/disclaimers', { key: 'analysis-note', kind: 'editors-note', title: 'Note', body: [{ type: 'text', text: 'An analysis.' }], placements: ['bottom'] });
  await call('PUT', `/v1/articles/${full.id}/disclaimers`, [{ disclaimerId: notice.id, placements: ['top', 'bottom'] }]);
  await call('PATCH', `/v1/articles/${full.id}`, { kicker: null, contentUpdatedAt: '2026-01-15T12:00:00.000Z' });
  const draft = await call('POST', '/v1/articles', { headline: 'A draft', body: [para('d1', 'Draft words.')], hero: { mediaId: bare.id } });
  const hook = await call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['article.*'], description: 'Purger' }, admin);
  await call('POST', '/v1/api-keys', { name: 'A tool', role: 'editor' }, admin);

  // Every GET of the document, each path parameter set to every value that names something.
  const doc = app.swagger() as Json;
  const articles = [column, full, draft];
  const values: Record<string, () => Promise<string[]>> = {
    '/v1/articles/{id}': async () => articles.map((a) => a.id),
    '/v1/articles/by-slug/{slug}': async () => articles.map((a) => a.slug),
    '/v1/authors/{id}': async () => (await checked({ url: '/v1/authors' })).body.data.map((x: Json) => x.id),
    '/v1/authors/by-slug/{slug}': async () => (await checked({ url: '/v1/authors' })).body.data.map((x: Json) => x.slug),
    '/v1/sections/{id}': async () => (await checked({ url: '/v1/sections' })).body.data.map((x: Json) => x.id),
    '/v1/sections/by-slug/{slug}': async () => (await checked({ url: '/v1/sections' })).body.data.map((x: Json) => x.slug),
    '/v1/tags/{id}': async () => (await checked({ url: '/v1/tags' })).body.data.map((x: Json) => x.id),
    '/v1/tags/by-slug/{slug}': async () => (await checked({ url: '/v1/tags' })).body.data.map((x: Json) => x.slug),
    '/v1/disclaimers/{id}': async () => (await checked({ url: '/v1/disclaimers', headers: editor })).body.data.map((x: Json) => x.id),
    '/v1/media/{id}': async () => (await checked({ url: '/v1/media', headers: editor })).body.data.map((x: Json) => x.id),
    '/v1/webhooks/{id}': async () => [hook.id],
  };
  const expand = async (path: string): Promise<string[]> => {
    let urls = [path];
    for (const [prefix, list] of Object.entries(values)) {
      if (!path.startsWith(prefix)) continue;
      const param = prefix.slice(prefix.lastIndexOf('{'));
      const options = await list();
      urls = urls.flatMap((u) => options.map((v) => u.replace(param, encodeURIComponent(v))));
    }
    urls = urls.flatMap((u) => (u.includes('{revision}') ? [u.replace('{revision}', '1'), u.replace('{revision}', '2')] : [u]));
    return urls;
  };
  const includes = ['', ...INCLUDES.map((i) => `include=${i}`), 'include=all', 'include=media,related,disclaimers'];
  const queries: Record<string, string[]> = {
    '/v1/articles': [...includes, 'status=draft&include=all', 'status=scheduled', 'sort=headline&limit=2', `section=${section.slug}&include=all`],
    '/v1/search': ['q=paragraph', 'q=Korea&include=all', 'q=block&include=media,html'],
    '/v1/articles/{id}': includes,
    '/v1/articles/by-slug/{slug}': includes,
    '/v1/media': ['', 'q=Delegates'],
    '/v1/audit': ['limit=100'],
  };
  let gets = 0;
  for (const op of operations(doc, ['get'])) {
    if (/\/file$|feeds|sitemap/.test(op.path)) continue; // bytes and documents: sent as they are, no response serializer
    for (const url of await expand(op.path)) {
      for (const query of queries[op.path] ?? ['']) {
        for (const headers of [{}, editor, admin]) {
          const res = await checked({ method: 'GET', url: query ? `${url}?${query}` : url, headers });
          if (res.status === 200) gets++;
          t.ok(res.status < 500, `${url} ${query}: ${res.status}`);
        }
      }
    }
  }
  for (const url of [`/v1/webhooks/${hook.id}/deliveries`, '/v1/api-keys', '/v1/audit?resource=article']) await checked({ url, headers: admin });
  await call('DELETE', `/v1/articles/${draft.id}`);
  await checked({ url: '/v1/articles?status=deleted&include=all', headers: editor });
  await checked({ url: `/v1/articles/${draft.id}?include=all`, headers: editor });

  t.ok(gets > 300, `${gets} successful GETs`);
  const routes = [...compared.keys()];
  for (const route of ['GET /v1/articles 200', 'GET /v1/articles/:id 200', 'GET /v1/articles/by-slug/:slug 200', 'GET /v1/search 200',
    'GET /v1/articles/:id/revisions/:revision 200', 'GET /v1/articles/:id/jsonld 200', 'GET /v1/articles/:id/related-links 200',
    'GET /v1/articles/:id/disclaimers 200', 'GET /v1/articles/:id/corrections 200', 'GET /v1/media/:id/usage 200', 'GET /v1/audit 200',
    'GET /v1/api-keys 200', 'GET /v1/webhooks/:id/deliveries 200', 'POST /v1/articles 201', 'POST /v1/api-keys 201', 'POST /v1/webhooks 201']) {
    t.ok(compared.has(route), `compared ${route}`);
  }
  t.ok(routes.length >= 40, `${routes.length} routes and statuses compared`);
  const fallbacks = [...new Set(captured.map((c) => c.schema))].map((s) => compileSerializer(s)).filter((c) => c.kind === 'zod');
  t.same(fallbacks, [], 'every response schema the API sends is compiled with fast-json-stringify');

  t.test('perturbed objects: whenever Zod writes one, the bytes are the same', async (t) => {
    const nasty = [' padded ', '"\\', '\u2028\u2029', '\ud800', '🗞️', 'é'.repeat(50), 'x'.repeat(5001), '\u0000\u001f', '</script>'];
    const numbers = [-0, 1e21, 0.1 + 0.2, -1.5e-7];
    const modes = ['reorder', 'unknown key', 'undefined key', 'strings', 'numbers'] as const;
    const written = new Map<string, number>();
    fc.assert(fc.property(fc.nat(captured.length - 1), fc.constantFrom(...modes), fc.nat(), fc.integer(), (which, mode, target, seed) => {
      const { schema, payload, route } = captured[which]!;
      let state = seed >>> 0;
      const rand = (n: number) => {
        state = (Math.imul(state ^ (state >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
        return state % n;
      };
      // Objects and free-text strings are numbered in traversal order; the mutation hits one of them (strings: a few).
      let objects = 0;
      let texts = 0;
      const mutate = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(mutate);
        if (typeof v === 'string') {
          // Text, not an id, slug, enum value, URL or time (their formats are checked by Zod).
          const free = /[ A-Z]/.test(v) && !/^https?:/.test(v);
          return free && mode === 'strings' && texts++ % 7 === target % 7 ? (rand(2) ? nasty[rand(nasty.length)] : ` ${v} `) : v;
        }
        if (typeof v === 'number') return mode === 'numbers' && !Number.isInteger(v) ? numbers[rand(numbers.length)] : v;
        if (v === null || typeof v !== 'object') return v;
        const hit = objects++ === target % 40;
        const entries = Object.entries(v).map(([k, x]) => [k, mutate(x)] as [string, unknown]);
        if (mode === 'reorder') entries.reverse();
        if (hit && mode === 'unknown key') entries.splice(rand(entries.length + 1), 0, ['internalNotes', { secret: 'never' }]);
        if (hit && mode === 'undefined key') entries.push(['undefinedKey', undefined]);
        return Object.fromEntries(entries);
      };
      const input = mutate(payload);
      const want = zodBytes(schema, input);
      if (want instanceof Error) return; // Zod refuses it (e.g. an unknown key in a strict object): a 500 before
      written.set(mode, (written.get(mode) ?? 0) + 1);
      const got = String(compileSerializer(schema).serialize!(input));
      if (got !== want) throw new Error(`${mode} differs for ${route}: ${got.slice(0, 300)} vs ${want.slice(0, 300)}`);
    }), { numRuns: 600 });
    for (const mode of modes) t.ok((written.get(mode) ?? 0) > 20, `${written.get(mode)} objects with ${mode} written by both`);
  });
});

t.test('a property the handler adds is not written; a value no union option takes is a 500, as before', async (t) => {
  const ctx = await build(t);
  await seedDemoIfEmpty(ctx.app);
  const list = (await ctx.req({ method: 'GET', url: '/v1/articles?include=all&type=opinion' })).body;
  const article = list.data[0];
  const leaky = {
    internalNotes: 'top level', ...article,
    authors: article.authors.map((a: Json) => ({ ...a, author: { ...a.author, email: 'columnist@example.org' } })),
    related: article.related.map((r: Json) => ({ ...r, requestHash: 'h', target: r.target && { ...r.target, captionText: 'c' } })),
    disclaimers: { ...article.disclaimers, top: article.disclaimers.top.map((d: Json) => ({ ...d, passwordHash: 'p' })) },
  };
  const strictLeak = { ...article, body: article.body.map((b: Json) => ({ ...b, tokenHash: 'x' })) };
  const unknownBlock = { ...article, body: [...article.body, { type: 'video', id: 'v1', url: 'https://example.org/v' }] };

  for (const [name, compiler] of [['fast-json-stringify', serializerCompiler], ['zod', zodSerializerCompiler]] as const) {
    const app = Fastify();
    app.setSerializerCompiler(compiler);
    const route = (url: string, data: unknown, schema: z.ZodType = ArticleSchema) => app.get(url, { schema: { response: { 200: schema } } }, async () => data);
    route('/leaky', leaky);
    route('/leaky-list', { data: [leaky, leaky], page: { limit: 2, nextCursor: null, total: 2, cursorSecret: 'c' } }, ArticleListSchema);
    route('/strict-leak', strictLeak);
    route('/unknown-block', unknownBlock);
    t.teardown(() => app.close());

    for (const url of ['/leaky', '/leaky-list']) {
      const res = await app.inject({ url });
      t.equal(res.statusCode, 200, `${name} ${url}`);
      for (const secret of ['internalNotes', 'email', 'requestHash', 'captionText', 'passwordHash', 'cursorSecret']) t.notOk(res.body.includes(secret), `${name} ${url}: no ${secret}`);
      const want = url === '/leaky' ? zodBytes(ArticleSchema, leaky) : zodBytes(ArticleListSchema, { data: [leaky, leaky], page: { limit: 2, nextCursor: null, total: 2 } });
      sameBytes(t, res.body, want as string, `${name} ${url}: the Zod bytes`);
    }
    const strict = await app.inject({ url: '/strict-leak' });
    if (name === 'zod') t.equal(strict.statusCode, 500, 'zod refuses an unknown key in a strict object (a block)');
    else t.same([strict.statusCode, strict.body.includes('tokenHash')], [200, false], 'fast-json-stringify drops it');
    t.equal((await app.inject({ url: '/unknown-block' })).statusCode, 500, `${name}: a block type the schema does not know is a 500`);
  }
});

t.test('a page is written item by item as bytes, the bytes of the page written whole', async (t) => {
  const ctx = await build(t);
  await seedDemoIfEmpty(ctx.app);
  const article = (await ctx.req({ method: 'GET', url: '/v1/articles?include=all&type=opinion' })).body.data[0];
  const page = { limit: 100, nextCursor: null, total: 1000 };
  const { serialize } = compileSerializer(ArticleListSchema);
  // Two-byte and astral characters, escapes, and pages larger than the writer's first buffer (256 KB).
  const long = para('long', `“Quoted” — ${'naïve 😀 \\ "esc" \t '.repeat(400)}`);
  const items = Array.from({ length: 60 }, (_, i) => ({ ...article, headline: ` ${i} 😀 “h” `, body: [...article.body, long] }));
  for (const [what, data] of [
    ['no items', { data: [], page }], ['one item', { data: items.slice(0, 1), page }], ['two items', { data: items.slice(0, 2), page }],
    ['60 items (more than the first buffer)', { data: items, page }], ['20 items after a large page', { data: items.slice(0, 20), page }],
  ] as const) {
    const got = serialize!(data);
    if (data.data.length > 1) t.ok(Buffer.isBuffer(got), `${what}: bytes`);
    const want = zodBytes(ArticleListSchema, data) as string;
    if (data.data.length === 60) t.ok(Buffer.byteLength(want) > 256 * 1024, `${what}: ${Buffer.byteLength(want)} bytes`);
    t.ok(Buffer.from(want).equals(Buffer.isBuffer(got) ? got : Buffer.from(got)), `${what}: the Zod bytes`);
  }
  t.throws(() => serialize!({ data: [items[0], { ...items[1], body: [{ type: 'video' }] }], page }), 'an item no schema takes throws, as whole');
});

t.test('schemas the compiler cannot write faithfully keep the Zod serializer', async (t) => {
  const strip = (shape: z.ZodRawShape) => z.object(shape);
  const cases: [string, z.ZodType, unknown][] = [
    ['a transform', z.object({ n: z.string().transform((s) => s.length) }), { n: 'abc' }],
    ['a pipe', z.object({ d: z.iso.datetime().pipe(z.string()) }), { d: '2026-01-01T00:00:00.000Z' }],
    ['options no property tells apart', z.union([strip({ a: z.string() }), strip({ a: z.string(), b: z.number() })]), { a: 'x', b: 1 }],
    ['a record with enumerated keys (Zod writes them in enum order)', z.record(z.enum(['b', 'a']), z.number()), { a: 1, b: 2 }],
    ['a tuple', z.object({ t: z.tuple([z.string(), z.number()]) }), { t: ['a', 1] }],
    ['catch', z.object({ c: z.string().catch('fallback') }), { c: 'x' }],
    ['an optional array item', z.array(z.string().optional()), ['a', undefined]],
    ['a trimmed string among primitives', z.object({ v: z.union([z.string().trim(), z.number()]) }), { v: ' x ' }],
  ];
  const answer = async (compiler: typeof serializerCompiler, schema: z.ZodType, data: unknown) => {
    const app = Fastify();
    app.setSerializerCompiler(compiler);
    app.get('/', { schema: { response: { 200: schema } } }, async () => data);
    const res = await app.inject({ url: '/' });
    await app.close();
    return [res.statusCode, res.body];
  };
  for (const [what, schema, data] of cases) {
    t.equal(compileSerializer(schema).kind, 'zod', what);
    t.same(await answer(serializerCompiler, schema, data), await answer(zodSerializerCompiler, schema, data), `${what}: the Zod answer`);
  }

  const supported: [string, z.ZodType, unknown][] = [
    ['trim, lowercase', z.object({ a: z.string().trim().toLowerCase(), b: z.array(z.object({ c: z.string().trim() })) }), { b: [{ c: ' x ' }, { c: 'y' }], a: '  MiXed ' }],
    ['dates', z.object({ at: z.date(), maybe: z.date().nullable() }), { maybe: null, at: new Date('0005-01-01T00:00:00.000Z') }],
    ['optional keys between required ones', z.object({ a: z.string(), b: z.string().optional(), c: z.number() }), { c: 1, b: 'b', a: 'a' }],
    ['loose objects', z.looseObject({ a: z.string() }), { z: 1, a: 'x', f: () => 1, u: undefined }],
    ['records and unknown values', z.object({ r: z.record(z.string(), z.unknown()), u: z.unknown(), l: z.array(z.any()) }), { r: { b: 1, a: [undefined, 2], c: undefined }, u: { toJSON: () => 'j' }, l: [undefined, () => 1] }],
    ['unions of primitives and literals', z.object({ v: z.union([z.literal(2), z.literal('x'), z.boolean(), z.null()]) }), { v: 'x' }],
    ['a discriminated union nested in a union', z.array(z.union([z.strictObject({ k: z.literal('a'), x: z.string(), more: z.number() }), z.discriminatedUnion('k', [z.strictObject({ k: z.literal('a'), x: z.string() }), z.object({ k: z.literal('b') })])]).nullable()), [{ k: 'a', x: '1' }, { x: '2', more: 3, k: 'a' }, { k: 'b', extra: 1 }]],
  ];
  type Tree = { name: string; children: Tree[] };
  const TreeSchema: z.ZodType<Tree> = z.lazy(() => z.object({ name: z.string().trim(), children: z.array(TreeSchema) }));
  supported.push(['a recursive z.lazy', TreeSchema, { children: [{ name: ' leaf ', children: [], extra: 1 }], name: 'root' }]);
  for (const [what, schema, data] of supported) {
    const c = compileSerializer(schema);
    t.equal(c.kind, 'fast-json-stringify', what);
    sameBytes(t, String(c.serialize!(data)), zodBytes(schema, data) as string, `${what}: the Zod bytes`);
  }
});
