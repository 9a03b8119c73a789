import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { createResponseCache, negotiateEncoding } from '../../src/http/response-cache.js';
import { build, countStatements, onPostgres, para, testDatabase, type TestApp } from '../helper.js';

async function publish(ctx: TestApp, payload: Record<string, unknown>, publishAt?: string) {
  const created = await ctx.req({ method: 'POST', url: '/v1/articles', headers: ctx.editor, payload: { body: [para('p', 'Some words.')], ...payload } });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.raw}`);
  const a = created.body;
  const res = await ctx.req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: ctx.editor, payload: publishAt ? { publishAt } : undefined });
  if (res.status !== 200) throw new Error(`publish: ${res.status} ${res.raw}`);
  return res.body as { id: string; slug: string; headline: string };
}

t.test('a repeated anonymous read is answered from the cache: same bytes and representation headers, no SQL', async (t) => {
  const ctx = await build(t);
  const { app } = ctx;
  const a = await publish(ctx, { headline: 'Cached story', standfirst: 'A standfirst.' });
  const url = `/v1/articles/by-slug/${a.slug}?include=all`;
  const counter = countStatements(t, app);
  const first = await counter.get(ctx.req, url);
  t.ok(first.queries > 0, `the first read runs SQL (${first.queries} statements)`);
  const second = await counter.get(ctx.req, url);
  t.equal(second.queries, 0, 'the second read runs none');
  t.equal(second.res.raw, first.res.raw, 'byte for byte');
  for (const h of ['etag', 'content-type', 'cache-control', 'vary', 'surrogate-key']) t.equal(second.res.headers[h], first.res.headers[h], h);
  t.equal(second.res.headers['content-length'], String(Buffer.byteLength(first.res.raw)));
  const SECURITY = ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'cross-origin-resource-policy', 'referrer-policy', 'cross-origin-opener-policy'];
  for (const h of SECURITY) {
    t.ok(first.res.headers[h], `the miss carries ${h}`);
    t.equal(second.res.headers[h], first.res.headers[h], `the hit carries the same ${h}`);
  }
  t.ok(second.res.headers['ratelimit-remaining'], 'the hit was counted by the rate limiter');
  t.ok(Number(second.res.headers['ratelimit-remaining']) < Number(first.res.headers['ratelimit-remaining']), 'and its counter is this exchange\'s, not the stored one');

  const mine = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'reader-42' } });
  t.equal(mine.headers['x-request-id'], 'reader-42', 'the request id is this request\'s, never the stored one');

  const revalidated = await app.inject({ method: 'GET', url, headers: { 'if-none-match': String(first.res.headers.etag) } });
  t.equal(revalidated.statusCode, 304);
  t.equal(revalidated.body, '');
  t.equal(revalidated.headers.etag, first.res.headers.etag);
  t.notOk(revalidated.headers['content-type'], 'no content type on a 304');
  for (const h of SECURITY) t.notOk(revalidated.headers[h], `a 304 hit leaves out ${h}: the revalidated 200 has it (RFC 9110 §15.4.5)`);
  for (const h of ['cache-control', 'vary']) t.equal(revalidated.headers[h], first.res.headers[h], `a 304 hit carries ${h}`);
  t.equal((await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"stale"' } })).statusCode, 200);

  const plainUrl = `/v1/articles/${a.id}`;
  const plain = await app.inject({ method: 'GET', url: plainUrl });
  const lastModified = String(plain.headers['last-modified']);
  t.equal((await app.inject({ method: 'GET', url: plainUrl, headers: { 'if-modified-since': lastModified } })).statusCode, 304, 'If-Modified-Since on a hit');
});

t.test('compressed variants are made once from the stored bytes', async (t) => {
  const ctx = await build(t);
  const a = await publish(ctx, { headline: 'Long story', body: [para('p', 'word '.repeat(2000))] });
  const url = `/v1/articles/${a.id}?include=all`;
  const identity = await ctx.app.inject({ method: 'GET', url });
  for (const [accept, encoding, decode] of [['br;q=1, gzip;q=0.5', 'br', brotliDecompressSync], ['gzip, br;q=0', 'gzip', gunzipSync]] as const) {
    for (let round = 0; round < 2; round++) {
      const res = await ctx.app.inject({ method: 'GET', url, headers: { 'accept-encoding': accept } });
      t.equal(res.headers['content-encoding'], encoding, `${accept} → ${encoding} (round ${round})`);
      t.equal(decode(res.rawPayload).toString(), identity.body, 'the same representation');
      t.equal(res.headers.etag, identity.headers.etag, 'one ETag for every encoding');
    }
  }
  t.notOk((await ctx.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'identity' } })).headers['content-encoding']);
  t.same([negotiateEncoding('gzip;q=0, br;q=0'), negotiateEncoding('*'), negotiateEncoding('deflate'), negotiateEncoding(undefined)], [undefined, 'br', undefined, undefined]);
});

t.test('a write to an article invalidates its reads, the articles linking to it, and every list', async (t) => {
  const ctx = await build(t);
  const { app, req, editor } = ctx;
  const target = await publish(ctx, { headline: 'Target' });
  const parent = await publish(ctx, { headline: 'Parent' });
  await req({ method: 'PUT', url: `/v1/articles/${parent.id}/related-links`, headers: editor, payload: [{ targetArticleId: target.id }] });
  const other = await publish(ctx, { headline: 'Unrelated' });
  const parentUrl = `/v1/articles/${parent.id}?include=related`;
  const otherUrl = `/v1/articles/by-slug/${other.slug}`;
  const related = async () => (await req({ method: 'GET', url: parentUrl })).body.related.map((l: { target: { headline: string } }) => l.target.headline);
  const listed = async () => (await req({ method: 'GET', url: '/v1/articles?limit=50' })).body.data.map((x: { headline: string }) => x.headline);

  t.same(await related(), ['Target']);
  t.same(await listed(), ['Unrelated', 'Parent', 'Target']);
  await req({ method: 'GET', url: otherUrl });
  const counter = countStatements(t, app);
  await req({ method: 'GET', url: otherUrl });
  t.equal(counter.n, 0, 'the unrelated article is cached');

  await req({ method: 'PATCH', url: `/v1/articles/${target.id}`, headers: editor, payload: { headline: 'Target, renamed' } });
  t.same(await related(), ['Target, renamed'], 'the linking article shows the new headline');
  t.same(await listed(), ['Unrelated', 'Parent', 'Target, renamed'], 'the list too');
  counter.reset();
  await req({ method: 'GET', url: otherUrl });
  t.equal(counter.n, 0, 'an article that does not link to it stays cached (precise invalidation)');

  await req({ method: 'POST', url: `/v1/articles/${target.id}/unpublish`, headers: editor });
  t.same(await related(), [], 'an unpublished target disappears from the cached parent');
  t.same(await listed(), ['Unrelated', 'Parent']);
  await req({ method: 'POST', url: `/v1/articles/${target.id}/publish`, headers: editor });
  t.same(await related(), ['Target, renamed'], 'and comes back: the link was hidden, so only the link index knew the parent depends on it');

  await req({ method: 'DELETE', url: `/v1/articles/${parent.id}`, headers: editor });
  t.equal((await req({ method: 'GET', url: parentUrl })).status, 404, 'a trashed article is gone at once');
  const fresh = await publish(ctx, { headline: 'Brand new' });
  t.same((await listed())[0], 'Brand new', 'a newly published article is in the list at once');
  t.equal((await req({ method: 'GET', url: `/v1/articles/by-slug/${fresh.slug}` })).status, 200);
});

t.test('other content writes (disclaimers, taxonomy, media) drop everything they could touch', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const notice = (await req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: { key: 'views', body: [{ type: 'text', text: 'Old notice.' }], appliesTo: { types: ['opinion'] } } })).body;
  const author = (await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ann Writer' } })).body;
  const media = (await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://img.example.org/a.jpg', creditText: 'Old credit' } })).body;
  const a = await publish(ctx, { headline: 'Column', type: 'opinion', authors: [{ authorId: author.id }], hero: { mediaId: media.id } });
  const url = `/v1/articles/${a.id}?include=all`;
  const read = async () => (await req({ method: 'GET', url })).body;
  t.equal((await read()).disclaimers.top[0].body[0].text, 'Old notice.');

  await req({ method: 'PATCH', url: `/v1/disclaimers/${notice.id}`, headers: editor, payload: { body: [{ type: 'text', text: 'New notice.' }] } });
  t.equal((await read()).disclaimers.top[0].body[0].text, 'New notice.', 'disclaimer text');
  await req({ method: 'PATCH', url: `/v1/authors/${author.id}`, headers: editor, payload: { name: 'Ann Renamed' } });
  t.equal((await read()).authors[0].author.name, 'Ann Renamed', 'author name');
  await req({ method: 'PATCH', url: `/v1/media/${media.id}`, headers: editor, payload: { creditText: 'New credit' } });
  t.equal((await read()).hero.display.credit, 'New credit', 'media credit');
});

t.test('a scheduled article appears when its time comes, with no write', async (t) => {
  const ctx = await build(t);
  const { req, clock } = ctx;
  await publish(ctx, { headline: 'Now' });
  const later = await publish(ctx, { headline: 'Later' }, '2026-01-15T13:00:00.000Z');
  const listed = async () => (await req({ method: 'GET', url: '/v1/articles' })).body.data.map((x: { headline: string }) => x.headline);
  const bySlug = `/v1/articles/by-slug/${later.slug}`;
  t.same(await listed(), ['Now']);
  t.same(await listed(), ['Now'], 'cached');
  t.equal((await req({ method: 'GET', url: bySlug })).status, 404);
  clock.set('2026-01-15T12:59:59.000Z');
  t.same(await listed(), ['Now']);
  clock.set('2026-01-15T13:00:00.000Z');
  t.same(await listed(), ['Later', 'Now'], 'live at its publishAt');
  t.equal((await req({ method: 'GET', url: bySlug })).status, 200);
});

t.test('a commit by another process on the same file is seen at once (PRAGMA data_version)', {
  skip: onPostgres && 'SQLite: PRAGMA data_version of a second connection to the file (PostgreSQL: the next test)',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-rc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const ctx = await build(t, { databaseFile: file });
  const a = await publish(ctx, { headline: 'Before' });
  const url = `/v1/articles/${a.id}`;
  t.equal((await ctx.req({ method: 'GET', url })).body.headline, 'Before');
  t.equal((await ctx.req({ method: 'GET', url })).body.headline, 'Before', 'cached');
  const other = new Database(file);
  t.teardown(() => other.close());
  other.prepare('update articles set headline = ? where id = ?').run('After', a.id);
  await new Promise((resolve) => setTimeout(resolve, 150)); // the cache asks at most every 100 ms
  t.equal((await ctx.req({ method: 'GET', url })).body.headline, 'After');
});

t.test('a write through another app on the same schema drops this one\'s answers within a second (LISTEN/NOTIFY)', {
  skip: !onPostgres && 'PostgreSQL: two apps on one schema (SQLite: the test above)',
}, async (t) => {
  const database = await testDatabase();
  t.teardown(database.drop); // teardowns run last-first: after both apps have closed
  const ctx = await build(t, database.settings);
  const other = await build(t, database.settings);
  const a = await publish(ctx, { headline: 'Before' });
  const url = `/v1/articles/${a.id}`;
  t.equal((await ctx.req({ method: 'GET', url })).body.headline, 'Before');
  // The other app's own setup writes (its API keys) reach this one too and drop what it holds: read until
  // the answer is kept.
  const counter = countStatements(t, ctx.app);
  let queries = -1;
  for (let i = 0; i < 10 && queries !== 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 120)); // the cache asks at most every 100 ms
    queries = (await counter.get(ctx.req, url)).queries;
  }
  t.equal(queries, 0, 'cached');
  const patched = await other.req({ method: 'PATCH', url, headers: other.editor, payload: { headline: 'After' } });
  t.equal(patched.status, 200, 'written through the other app');
  const started = Date.now();
  let headline = 'Before';
  while (headline === 'Before' && Date.now() - started < 1_000) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    headline = (await ctx.req({ method: 'GET', url })).body.headline;
  }
  t.equal(headline, 'After', `seen after ${Date.now() - started} ms`);
});

t.test('never for authenticated callers; never around the rate limit', async (t) => {
  const ctx = await build(t, { rateLimitAnonPerMinute: 4 });
  const { app, req, editor } = ctx;
  const draft = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Draft only' } })).body;
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}`, headers: editor })).status, 200, 'the editor sees the draft');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}` })).status, 404, 'an anonymous reader never gets the editor\'s answer');
  const listUrl = '/v1/articles';
  t.equal((await req({ method: 'GET', url: listUrl })).body.data.length, 0);
  t.equal((await req({ method: 'GET', url: listUrl, headers: editor })).body.data.length, 1, 'the editor\'s list is not the cached anonymous one');
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'GET', url: listUrl })).statusCode);
  t.same(statuses, [200, 200, 429, 429], 'cached answers are counted by the anonymous limit (2 earlier reads + 2 here)');
});

t.test('RESPONSE_CACHE=false turns it off', async (t) => {
  const ctx = await build(t, { responseCache: false });
  const a = await publish(ctx, { headline: 'Uncached' });
  const counter = countStatements(t, ctx.app);
  await counter.get(ctx.req, `/v1/articles/${a.id}`);
  const second = await counter.get(ctx.req, `/v1/articles/${a.id}`);
  t.ok(second.queries > 0, 'every read runs its queries');
});

t.test('an answer computed while a write came in is not kept', async (t) => {
  let version = 1;
  const cache = createResponseCache({
    maxBytes: 1 << 20, ttlSeconds: 60, clock: () => new Date('2026-01-01T00:00:00Z'),
    dataVersion: () => version, dataVersionEveryMs: 0, sourcesOf: async () => [], nextPublicationAfter: async () => undefined,
  });
  const entry = { body: Buffer.from('{}'), etag: '"e"', lastModified: undefined, headers: {}, tags: ['article:a'] };
  const since = cache.epoch;
  await cache.invalidate({ resource: 'article', id: 'b' });
  await cache.store('/v1/articles/a', since, entry);
  t.notOk(cache.lookup('/v1/articles/a'), 'read started before the write: dropped');
  await cache.store('/v1/articles/a', cache.epoch, entry);
  t.ok(cache.lookup('/v1/articles/a'), 'stored when nothing changed meanwhile');
  await cache.invalidate({ resource: 'webhook', id: 'w' });
  t.ok(cache.lookup('/v1/articles/a'), 'writes that no anonymous answer shows change nothing');
  version = 2;
  t.notOk(cache.lookup('/v1/articles/a'), 'another process committed: dropped');
});
