import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import {
  BroadsheetError, createBroadsheetClient, type Article, type BroadsheetClient, type NewArticle,
} from '../../clients/typescript/src/index.js';
import { build, type TestApp } from '../helper.js';

// The typed client (clients/typescript) against a real listening server: real sockets, real fetch, real multipart.

type Harness = TestApp & { baseUrl: string; cms: BroadsheetClient; anon: BroadsheetClient; urls: string[] };

async function serve(t: Parameters<typeof build>[0]): Promise<Harness> {
  const ctx = await build(t);
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ctx.app.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const urls: string[] = [];
  // Records every URL the anonymous client asks for, to check paging and the include serialization.
  const recording: typeof fetch = async (input, init) => {
    urls.push(input instanceof Request ? input.url : String(input));
    return fetch(input, init);
  };
  const editorKey = ctx.editor.authorization!.replace(/^Bearer /, '');
  return {
    ...ctx,
    baseUrl,
    urls,
    cms: createBroadsheetClient({ baseUrl, apiKey: editorKey, headers: { 'user-agent': 'broadsheet-client-test' } }),
    anon: createBroadsheetClient({ baseUrl, fetch: recording }),
  };
}

/** Runs `fn` and returns the BroadsheetError it must throw. */
async function rejection(t: Test, fn: () => Promise<unknown>): Promise<BroadsheetError> {
  try {
    await fn();
  } catch (e) {
    t.type(e, BroadsheetError);
    t.type(e, Error, 'a BroadsheetError is an Error');
    return e as BroadsheetError;
  }
  t.fail('expected a BroadsheetError');
  throw new Error('unreachable');
}

/** A typed paragraph block (the client checks bodies against the generated types). */
const p = (id: string, text: string) => ({ type: 'paragraph' as const, id, children: [{ type: 'text' as const, text }] });

const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();

t.test('create, publish and read an article expanded, anonymously', async (t) => {
  const h = await serve(t);

  const section = await h.cms.raw.POST('/v1/sections', { body: { name: 'World', slug: 'world' } });
  t.equal(section.response.status, 201);
  const author = await h.cms.raw.POST('/v1/authors', { body: { name: 'Ada Reporter', slug: 'ada-reporter' } });
  t.equal(author.response.status, 201);
  const sectionId = section.data!.id;
  const authorId = author.data!.id;

  const harbour: NewArticle = {
    headline: 'Harbour plan approved',
    standfirst: 'A vote of 7 to 2',
    sectionId,
    authors: [{ authorId }],
    body: [p('p1', 'The council voted late on Tuesday.')],
  };
  const draft = await h.cms.articles.create(harbour, { idempotencyKey: 'create-harbour-1' });
  t.equal(draft.status, 'draft');
  t.equal(draft.slug, 'harbour-plan-approved');
  t.equal(draft.sectionId, sectionId);
  t.same(draft.authors.map((a) => [a.authorId, a.role]), [[authorId, 'author']]);
  t.equal(draft.revision, 1);

  const replay = await h.cms.articles.create(harbour, { idempotencyKey: 'create-harbour-1' });
  t.equal(replay.id, draft.id, 'the Idempotency-Key replays the first answer instead of creating another article');

  const hidden = await rejection(t, () => h.anon.articles.getBySlug(draft.slug));
  t.equal(hidden.status, 404, 'a draft is invisible anonymously');
  t.equal(hidden.problem.code, 'not-found');

  const stale = await rejection(t, () => h.cms.articles.publish(draft.id, { ifMatch: '"r0-draft"' }));
  t.equal(stale.status, 412);
  t.equal(stale.code, 'version-mismatch');
  t.equal(stale.errors[0]?.pointer, '/headers/if-match');
  const etag = stale.headers.get('etag');
  t.equal(etag, '"r1-draft"', 'the 412 carries the current ETag');

  const live = await h.cms.articles.publish(draft.id, { ifMatch: etag! });
  t.equal(live.status, 'published');
  t.equal(live.publishedAt, h.clock.now.toISOString());
  t.equal(live.revision, 2);

  const page = await h.anon.articles.getBySlug(draft.slug, { include: ['all'] });
  t.equal(page.id, draft.id);
  t.equal(page.headline, 'Harbour plan approved');
  t.equal(page.section?.slug, 'world', 'section expanded');
  t.equal(page.authors[0]?.author?.name, 'Ada Reporter', 'authors expanded');
  t.same(page.tags, []);
  t.same(page.related, []);
  t.same(page.disclaimers, { top: [], bottom: [] });
  t.match(page.bodyHtml, /The council voted late on Tuesday\./);
  t.match(page.bodyText, /The council voted late on Tuesday\./);

  const some = await h.anon.articles.get(draft.id, { include: ['section', 'text'] });
  t.equal(some.section?.id, sectionId);
  t.type(some.bodyText, 'string');
  t.equal(some.bodyHtml, undefined, 'only the requested expansions');
  t.equal(some.authors[0]?.author, undefined);
  const includeUrl = new URL(h.urls.at(-1)!);
  t.equal(includeUrl.searchParams.get('include'), 'section,text', 'include is sent as one comma list');

  const plain = await h.anon.articles.get(draft.id);
  t.equal(plain.section, undefined, 'no include, no expansion');
  t.equal(new URL(h.urls.at(-1)!).search, '', 'and no include parameter');

  // An old slug answers 301; the client follows it.
  const renamed = await h.cms.raw.PATCH('/v1/articles/{id}', { params: { path: { id: draft.id } }, body: { slug: 'harbour-plan-passes' } });
  t.equal(renamed.response.status, 200);
  const viaOldSlug = await h.anon.articles.getBySlug('harbour-plan-approved', { include: ['section'] });
  t.equal(viaOldSlug.slug, 'harbour-plan-passes', 'the redirect to the current slug is followed');
  t.equal(viaOldSlug.section?.slug, 'world', 'with the include kept');

  // Sections.
  const sections = await h.anon.sections.list();
  t.same(sections.map((s) => s.slug), ['world']);
  const world = await h.anon.sections.getBySlug('world');
  t.equal(world.id, sectionId);
  t.equal(world.name, 'World');
  const missing = await rejection(t, () => h.anon.sections.getBySlug('nowhere'));
  t.equal(missing.status, 404);
  t.equal(missing.problem.code, 'not-found');

  // Scheduling through the same helper: a future publishAt is not visible yet.
  const later = await h.cms.articles.create({ headline: 'Tomorrow only', body: [p('p1', 'Soon.')] });
  const scheduledAt = new Date(h.clock.now.getTime() + 86_400_000).toISOString();
  const scheduled = await h.cms.articles.publish(later.id, { publishAt: scheduledAt });
  t.equal(scheduled.status, 'scheduled');
  t.equal(scheduled.publishedAt, scheduledAt);
  t.equal((await rejection(t, () => h.anon.articles.get(later.id))).status, 404, 'scheduled: not live yet');
});

t.test('list and iterate page after page', async (t) => {
  const h = await serve(t);
  const section = await h.cms.raw.POST('/v1/sections', { body: { name: 'Local', slug: 'local' } });
  const other = await h.cms.raw.POST('/v1/sections', { body: { name: 'Sport', slug: 'sport' } });
  const sectionId = section.data!.id;

  // Seven live articles in "local", one minute apart (newest last), one in "sport", one draft in "local".
  const ids: string[] = [];
  for (let i = 1; i <= 7; i++) {
    const a = await h.cms.articles.create({ headline: `Local story ${i}`, sectionId, type: i % 2 ? 'news' : 'opinion', body: [p('p1', `Story ${i}.`)] });
    await h.cms.articles.publish(a.id);
    ids.push(a.id);
    h.clock.advance(60_000);
  }
  const sport = await h.cms.articles.create({ headline: 'Sport story', sectionId: other.data!.id });
  await h.cms.articles.publish(sport.id);
  await h.cms.articles.create({ headline: 'Local draft', sectionId });

  const first = await h.anon.articles.list({ section: 'local', limit: 2, include: ['section'] });
  t.equal(first.data.length, 2);
  t.equal(first.page.limit, 2);
  t.equal(first.page.total, 7, 'total counts every live match (not the draft, not sport)');
  t.type(first.page.nextCursor, 'string');
  t.same(first.data.map((a) => a.id), [ids[6], ids[5]], 'newest first');
  t.equal(first.data[0]?.section?.slug, 'local');

  const second = await h.anon.articles.list({ section: 'local', limit: 2, cursor: first.page.nextCursor! });
  t.same(second.data.map((a) => a.id), [ids[4], ids[3]]);

  h.urls.length = 0;
  const seen: Article[] = [];
  for await (const a of h.anon.articles.iterate({ section: 'local', limit: 2 })) seen.push(a);
  t.same(seen.map((a) => a.id), [...ids].reverse(), 'every local article, newest first');
  t.equal(new Set(seen.map((a) => a.id)).size, seen.length, 'no duplicates');
  t.ok(seen.every((a) => a.status === 'published' && a.sectionId === sectionId));
  t.equal(h.urls.length, 4, 'four pages of at most 2');
  t.notOk(new URL(h.urls[0]!).searchParams.has('cursor'), 'the first page has no cursor');
  t.ok(h.urls.slice(1).every((u) => new URL(u).searchParams.get('cursor')), 'the next ones follow page.nextCursor');
  t.ok(h.urls.every((u) => new URL(u).searchParams.get('limit') === '2' && new URL(u).searchParams.get('section') === 'local'), 'with the same filters');

  // Other filters pass through; an early break stops fetching.
  const opinions: string[] = [];
  for await (const a of h.anon.articles.iterate({ section: 'local', type: 'opinion', limit: 1 })) opinions.push(a.headline);
  t.same(opinions, ['Local story 6', 'Local story 4', 'Local story 2']);
  h.urls.length = 0;
  for await (const a of h.anon.articles.iterate({ limit: 2 })) {
    t.equal(a.headline, 'Sport story');
    break;
  }
  t.equal(h.urls.length, 1, 'breaking out of the loop fetches no further page');

  const oldestFirst = await h.anon.articles.list({ section: 'local', sort: 'publishedAt', limit: 3 });
  t.same(oldestFirst.data.map((a) => a.id), ids.slice(0, 3));

  const drafts = await h.cms.articles.list({ status: 'draft' });
  t.same(drafts.data.map((a) => a.headline), ['Local draft'], 'editors list drafts with their key');
  const denied = await rejection(t, () => h.anon.articles.list({ status: 'draft' }));
  t.ok([401, 403].includes(denied.status), `anonymous status=draft is refused (${denied.status})`);

  const none: Article[] = [];
  for await (const a of h.anon.articles.iterate({ section: 'nowhere' })) none.push(a);
  t.same(none, [], 'an empty result iterates nothing');
});

t.test('media upload as multipart', async (t) => {
  const h = await serve(t);
  const bytes = await png(40, 30);

  const fromBytes = await h.cms.media.upload({
    file: new Uint8Array(bytes),
    filename: 'harbour.png',
    alt: 'The harbour at dawn',
    credit: 'Ada Reporter / Broadsheet',
    caption: 'Boats in the harbour.',
    creator: 'Ada Reporter',
    copyrightNotice: '© Broadsheet',
    licenseUrl: 'https://example.com/licence',
    source: { name: 'Broadsheet', category: 'staff' },
    focalPoint: { x: 0.25, y: 0.75 },
    takenAt: '2026-01-14T08:30:00.000Z',
  });
  t.equal(fromBytes.kind, 'upload');
  t.equal(fromBytes.mimeType, 'image/png', 'type sniffed from the bytes');
  t.equal(fromBytes.width, 40);
  t.equal(fromBytes.height, 30);
  t.equal(fromBytes.bytes, bytes.length);
  t.equal(fromBytes.altText, 'The harbour at dawn', 'alt → altText');
  t.equal(fromBytes.creditText, 'Ada Reporter / Broadsheet', 'credit → creditText');
  t.same(fromBytes.caption, [{ type: 'text', text: 'Boats in the harbour.' }]);
  t.equal(fromBytes.creator, 'Ada Reporter');
  t.equal(fromBytes.copyrightNotice, '© Broadsheet');
  t.equal(fromBytes.licenseUrl, 'https://example.com/licence');
  t.same(fromBytes.source, { name: 'Broadsheet', category: 'staff' });
  t.same(fromBytes.focalPoint, { x: 0.25, y: 0.75 });
  t.equal(fromBytes.takenAt, '2026-01-14T08:30:00.000Z');

  const jpeg = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#336699' } }).jpeg().toBuffer();
  const fromBlob = await h.cms.media.upload({
    file: new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }),
    filename: 'tiny.jpg',
    caption: [{ type: 'text', text: 'Bold', marks: ['bold'] }],
  });
  t.equal(fromBlob.mimeType, 'image/jpeg');
  t.same([fromBlob.width, fromBlob.height], [8, 6]);
  t.same(fromBlob.caption, [{ type: 'text', text: 'Bold', marks: ['bold'] }], 'inline caption sent as JSON');
  t.equal(fromBlob.altText, null);

  // The uploaded bytes are served back.
  const file = await h.cms.raw.GET('/v1/media/{id}/file', { params: { path: { id: fromBytes.id } }, parseAs: 'arrayBuffer' });
  t.equal(file.response.status, 200);
  t.same(Buffer.from(file.data as ArrayBuffer), bytes);

  const notImage = await rejection(t, () => h.cms.media.upload({ file: new TextEncoder().encode('plain text'), filename: 'a.txt', contentType: 'text/plain' }));
  t.equal(notImage.status, 415);

  const badMeta = await rejection(t, () => h.cms.media.upload({ file: bytes, filename: 'x.png', focalPoint: { x: 2, y: 0.5 } }));
  t.equal(badMeta.status, 400);
  t.equal(badMeta.problem.code, 'validation-failed');
  t.ok(badMeta.errors.some((e) => e.pointer.startsWith('/body/focalPoint')), 'pointer to the focal point');

  const anonymous = await rejection(t, () => h.anon.media.upload({ file: bytes, filename: 'x.png' }));
  t.equal(anonymous.status, 401);
  t.equal(anonymous.problem.code, 'unauthorized');
});

t.test('errors surface as BroadsheetError with the problem', async (t) => {
  const h = await serve(t);

  const invalid = await rejection(t, () => h.cms.articles.create({
    headline: 'x',
    body: [{ type: 'paragraph', children: [{ type: 'link', href: 'javascript:alert(1)', children: [] }] }],
  }));
  t.equal(invalid.status, 400);
  t.equal(invalid.problem.status, 400);
  t.equal(invalid.problem.code, 'validation-failed');
  t.equal(invalid.problem.type, 'https://broadsheet.dev/problems/validation-failed');
  t.equal(invalid.problem.title, 'Bad Request');
  t.match(invalid.problem.instance, /^\/v1\/articles/);
  t.type(invalid.problem.detail, 'string');
  t.match(invalid.problem.errors, [{ pointer: '/body/body/0/children/0/href', message: /http\(s\)/ }]);
  t.match(invalid.message, /^400 validation-failed/);

  const badQuery = await rejection(t, () => h.anon.articles.list({ type: 'gossip' }));
  t.equal(badQuery.status, 400);
  t.ok(badQuery.errors.some((e) => e.pointer === '/query/type'), 'pointer into the query');

  const unknownRef = await rejection(t, () => h.cms.articles.create({ headline: 'Orphan', sectionId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' }));
  t.equal(unknownRef.status, 422);
  t.equal(unknownRef.problem.code, 'unknown-reference');
  t.same(unknownRef.errors.map((e) => e.pointer), ['/body/sectionId']);

  const missing = await rejection(t, () => h.anon.articles.get('01JD3Q8Z6V0R8Y5M2K1N4P7S9T'));
  t.equal(missing.status, 404);
  t.equal(missing.problem.code, 'not-found');

  const noKey = await rejection(t, () => h.anon.articles.create({ headline: 'Anonymous' }));
  t.equal(noKey.status, 401);
  t.equal(noKey.headers.get('www-authenticate'), 'Bearer realm="broadsheet"');

  const badKey = createBroadsheetClient({ baseUrl: h.baseUrl, apiKey: 'not-a-real-key-0123456789abcdef' });
  t.equal((await rejection(t, () => badKey.articles.create({ headline: 'Nope' }))).status, 401);

  // raw keeps openapi-fetch's contract: no throw, typed error.
  const raw = await h.anon.raw.GET('/v1/articles/{id}', { params: { path: { id: 'nope' } } });
  t.equal(raw.response.status, 404);
  t.equal(raw.error?.code, 'not-found');
});

t.test('a non-problem error body still becomes a BroadsheetError', async (t) => {
  const gateway: typeof fetch = async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway', headers: { 'content-type': 'text/html' } });
  const client = createBroadsheetClient({ baseUrl: 'http://api.invalid', fetch: gateway });
  const e = await rejection(t, () => client.articles.getBySlug('anything'));
  t.equal(e.status, 502);
  t.equal(e.problem.status, 502);
  t.equal(e.problem.code, 'unexpected-response');
  t.equal(e.problem.title, 'Bad Gateway');
  t.match(e.problem.detail, /Bad gateway/);

  const seen: Request[] = [];
  const ok: typeof fetch = async (input) => {
    seen.push(input as Request);
    return Response.json({ data: [], page: { limit: 20, nextCursor: null, total: 0 } });
  };
  const keyed = createBroadsheetClient({ baseUrl: 'http://api.invalid/', apiKey: 'secret-key', fetch: ok, headers: { 'x-site': 'front' } });
  t.same(await keyed.articles.list({ include: ['authors', 'html'], q: 'harbour' }), { data: [], page: { limit: 20, nextCursor: null, total: 0 } });
  const req = seen[0]!;
  t.equal(req.headers.get('authorization'), 'Bearer secret-key', 'apiKey → Authorization: Bearer');
  t.equal(req.headers.get('x-site'), 'front', 'extra headers are sent');
  const url = new URL(req.url);
  t.equal(url.origin + url.pathname, 'http://api.invalid/v1/articles');
  t.equal(url.searchParams.get('include'), 'authors,html');
  t.equal(url.searchParams.get('q'), 'harbour');
});
