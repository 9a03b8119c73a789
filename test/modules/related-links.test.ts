import t from 'tap';
import { build, countStatements, para, type TestApp } from '../helper.js';

/** Small helpers over the HTTP API; every call goes through inject. */
function api({ req, editor }: TestApp) {
  const article = async (headline: string, extra: object = {}) => {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline, body: [para('p', `${headline} words.`)], ...extra } });
    if (res.status !== 201) throw new Error(`create failed: ${res.raw}`);
    return res.body as { id: string; slug: string; revision: number };
  };
  const publish = (id: string) => req({ method: 'POST', url: `/v1/articles/${id}/publish`, headers: editor });
  const live = async (headline: string, extra: object = {}) => {
    const a = await article(headline, extra);
    await publish(a.id);
    return a;
  };
  const links = (id: string, headers: Record<string, string> = {}) => req({ method: 'GET', url: `/v1/articles/${id}/related-links`, headers });
  const add = (id: string, payload: object) => req({ method: 'POST', url: `/v1/articles/${id}/related-links`, headers: editor, payload });
  const put = (id: string, payload: unknown) => req({ method: 'PUT', url: `/v1/articles/${id}/related-links`, headers: editor, payload: payload as object });
  const patch = (id: string, linkId: string, payload: object) => req({ method: 'PATCH', url: `/v1/articles/${id}/related-links/${linkId}`, headers: editor, payload });
  const del = (id: string, linkId: string) => req({ method: 'DELETE', url: `/v1/articles/${id}/related-links/${linkId}`, headers: editor });
  const targets = (res: { body: any }) => res.body.data.map((l: any) => l.target?.id ?? l.url);
  return { article, publish, live, links, add, put, patch, del, targets };
}

t.test('add internal and external links: order, positions, shape, Location', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const { live, links, add, targets } = api(ctx);
  const main = await live('The main story');
  const a = await live('Oliver Stone’s film ‘Ukraine on Fire’ FINALLY available in original English (WATCH)', { type: 'feature' });
  const b = await live('Chelsea Handler makes homophobic Remark about Lindsey Graham');

  const first = await add(main.id, { targetArticleId: a.id });
  t.equal(first.status, 201);
  t.equal(first.headers.location, `/v1/articles/${main.id}/related-links/${first.body.id}`);
  t.match(first.body, {
    position: 0, label: null, url: `http://localhost:3000/articles/${a.slug}`,
    target: { id: a.id, slug: a.slug, url: `http://localhost:3000/articles/${a.slug}`, headline: /Ukraine on Fire/, type: 'feature', hero: null },
  });
  t.match(first.body.target.publishedAt, /^\d{4}-\d\d-\d\dT/);
  const second = await add(main.id, { targetArticleId: b.id, label: 'Also read' });
  t.match(second.body, { position: 1, label: 'Also read' });
  const ext = await add(main.id, { url: 'https://www.reuters.com/world/asia', label: 'Reuters: Asia' });
  t.equal(ext.status, 201);
  t.same(ext.body, { id: ext.body.id, position: 2, label: 'Reuters: Asia', url: 'https://www.reuters.com/world/asia', target: null }, 'external link: target null, url is the page');

  const list = await links(main.id);
  t.equal(list.status, 200);
  t.same(targets(list), [a.id, b.id, 'https://www.reuters.com/world/asia']);
  t.same(list.body.data.map((l: any) => l.position), [0, 1, 2]);

  const inserted = await add(main.id, { url: 'https://example.org/first', label: 'First', position: 0 });
  t.equal(inserted.body.position, 0, 'inserted at the given position');
  const clamped = await add(main.id, { url: 'https://example.org/last', label: 'Last', position: 99 });
  t.equal(clamped.body.position, 4, 'a position past the end is clamped');
  const after = await links(main.id);
  t.same(targets(after), ['https://example.org/first', a.id, b.id, 'https://www.reuters.com/world/asia', 'https://example.org/last']);
  t.same(after.body.data.map((l: any) => l.position), [0, 1, 2, 3, 4], 'the others moved down');

  t.equal((await req({ method: 'POST', url: `/v1/articles/${main.id}/related-links`, payload: { targetArticleId: a.id } })).status, 401, 'writes need a key');
  t.equal((await req({ method: 'GET', url: `/v1/articles/nope/related-links`, headers: editor })).status, 404, 'unknown article');
});

t.test('PUT replaces the list in order; PATCH label and position; DELETE', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const { live, links, add, put, patch, del, targets } = api(ctx);
  const main = await live('Main');
  const [a, b, c] = [await live('Alpha'), await live('Bravo'), await live('Charlie')];
  const kept = (await add(main.id, { targetArticleId: b.id })).body;
  await add(main.id, { url: 'https://example.org/gone', label: 'Gone soon' });

  const replaced = await put(main.id, [{ targetArticleId: c.id }, { url: 'https://example.org/x', label: 'X' }, { targetArticleId: b.id, label: 'Bravo!' }, { targetArticleId: a.id }]);
  t.equal(replaced.status, 200);
  t.same(targets(replaced), [c.id, 'https://example.org/x', b.id, a.id], 'the order sent');
  t.same(replaced.body.data.map((l: any) => l.position), [0, 1, 2, 3], 'order = position');
  t.equal(replaced.body.data[2].id, kept.id, 'a link that stays keeps its id');
  t.equal(replaced.body.data[2].label, 'Bravo!');
  t.same(targets(await links(main.id)), targets(replaced), 'GET answers the same list');

  const relabel = await patch(main.id, kept.id, { label: 'Read this' });
  t.equal(relabel.status, 200);
  t.match(relabel.body, { id: kept.id, label: 'Read this', position: 2 });
  const moved = await patch(main.id, kept.id, { position: 0 });
  t.equal(moved.body.position, 0);
  t.same(targets(await links(main.id)), [b.id, c.id, 'https://example.org/x', a.id], 'PATCH position moves the link, the others close up');
  const cleared = await patch(main.id, kept.id, { label: null });
  t.equal(cleared.body.label, null, 'an internal link\'s label can be cleared');

  const extId = (await links(main.id)).body.data[2].id;
  const newUrl = await patch(main.id, extId, { url: 'https://example.org/y' });
  t.equal(newUrl.body.url, 'https://example.org/y', 'an external link\'s URL can change');
  const urlOnInternal = await patch(main.id, kept.id, { url: 'https://example.org/z' });
  t.equal(urlOnInternal.status, 422, 'an internal link has no URL of its own');
  t.equal(urlOnInternal.body.errors[0].pointer, '/body/url');
  const noLabel = await patch(main.id, extId, { label: null });
  t.equal(noLabel.status, 422, 'an external link keeps a label');
  t.equal(noLabel.body.errors[0].pointer, '/body/label');

  const gone = await del(main.id, kept.id);
  t.equal(gone.status, 204);
  t.equal(gone.raw, '');
  const rest = await links(main.id);
  t.same(targets(rest), [c.id, 'https://example.org/y', a.id]);
  t.same(rest.body.data.map((l: any) => l.position), [0, 1, 2], 'positions renumbered after a delete');
  t.equal((await del(main.id, kept.id)).status, 404, 'deleting twice: 404');
  t.equal((await patch(main.id, 'nope', { label: 'x' })).status, 404);
  const other = await live('Other');
  t.equal((await del(other.id, rest.body.data[0].id)).status, 404, 'a link id of another article: 404');

  const empty = await put(main.id, []);
  t.equal(empty.status, 200);
  t.same(empty.body.data, [], 'PUT [] removes every link');
  t.equal((await req({ method: 'PUT', url: `/v1/articles/${main.id}/related-links`, headers: editor, payload: { data: [] } })).status, 400, 'PUT takes a bare array');
});

t.test('rules: self-link, duplicates, limit, labels, URLs, unknown targets', async (t) => {
  const ctx = await build(t);
  const { req } = ctx;
  const { live, article, links, add, put } = api(ctx);
  const main = await live('Main');
  const a = await live('Alpha');

  const self = await add(main.id, { targetArticleId: main.id });
  t.equal(self.status, 422);
  t.equal(self.body.code, 'self-link');
  t.equal(self.body.errors[0].pointer, '/body/targetArticleId');

  await add(main.id, { targetArticleId: a.id });
  const dupTarget = await add(main.id, { targetArticleId: a.id, label: 'again' });
  t.equal(dupTarget.status, 409);
  t.equal(dupTarget.body.code, 'duplicate-link');
  t.equal(dupTarget.body.errors[0].pointer, '/body/targetArticleId');
  await add(main.id, { url: 'https://example.org/a', label: 'A' });
  const dupUrl = await add(main.id, { url: 'https://example.org/a', label: 'Same page' });
  t.equal(dupUrl.status, 409);
  t.equal(dupUrl.body.errors[0].pointer, '/body/url');

  const noLabel = await add(main.id, { url: 'https://example.org/b' });
  t.equal(noLabel.status, 400, 'an external link needs a label');
  t.equal(noLabel.body.errors[0].pointer, '/body/label');
  const emptyLabel = await add(main.id, { url: 'https://example.org/b', label: '  ' });
  t.equal(emptyLabel.status, 400);
  t.equal(emptyLabel.body.errors[0].pointer, '/body/label');
  for (const url of ['javascript:alert(1)', 'data:text/html,hi', 'ftp://example.org/x', '/relative']) {
    const bad = await add(main.id, { url, label: 'x' });
    t.equal(bad.status, 400, `${url}: 400`);
    t.equal(bad.body.errors[0].pointer, '/body/url', `${url}: names /body/url`);
  }
  const both = await add(main.id, { targetArticleId: a.id, url: 'https://example.org/c', label: 'x' });
  t.equal(both.status, 400, 'a target and a URL at once');
  const unknownField = await add(main.id, { targetArticleId: a.id, colour: 'red' });
  t.equal(unknownField.status, 400, 'unknown fields are refused');

  const unknown = await add(main.id, { targetArticleId: '01JD3Q8Z6V0R8Y5M2K1N4P7S9T' });
  t.equal(unknown.status, 422);
  t.equal(unknown.body.code, 'unknown-reference');
  t.equal(unknown.body.errors[0].pointer, '/body/targetArticleId');
  const trashed = await live('Trashed');
  await req({ method: 'DELETE', url: `/v1/articles/${trashed.id}`, headers: ctx.editor });
  const toTrash = await add(main.id, { targetArticleId: trashed.id });
  t.equal(toTrash.status, 422, 'an article in the trash is not a valid target');
  t.equal(toTrash.body.errors[0].pointer, '/body/targetArticleId');

  const draft = await article('A draft');
  t.equal((await add(main.id, { targetArticleId: draft.id })).status, 201, 'editors may link to drafts');

  // Main now has 3 links; fill up to 20 and try one more.
  for (let i = 3; i < 20; i++) t.equal((await add(main.id, { url: `https://example.org/n${i}`, label: `N${i}` })).status, 201);
  t.equal((await links(main.id, ctx.editor)).body.data.length, 20);
  const tooMany = await add(main.id, { url: 'https://example.org/n21', label: 'N21' });
  t.equal(tooMany.status, 422, 'the 21st link is refused');
  t.equal(tooMany.body.code, 'too-many-links');
  t.equal((await links(main.id, ctx.editor)).body.data.length, 20, 'nothing was added');

  // PUT: the same rules, pointers into the array, all or nothing.
  const before = (await links(main.id, ctx.editor)).body.data;
  const putSelf = await put(main.id, [{ targetArticleId: a.id }, { targetArticleId: main.id }]);
  t.equal(putSelf.status, 422);
  t.equal(putSelf.body.errors[0].pointer, '/body/1/targetArticleId');
  const putDup = await put(main.id, [{ targetArticleId: a.id }, { url: 'https://example.org/a', label: 'A' }, { targetArticleId: a.id }]);
  t.equal(putDup.status, 409);
  t.equal(putDup.body.errors[0].pointer, '/body/2/targetArticleId');
  const putDupUrl = await put(main.id, [{ url: 'https://example.org/a', label: 'A' }, { url: 'https://example.org/a', label: 'B' }]);
  t.equal(putDupUrl.status, 409);
  t.equal(putDupUrl.body.errors[0].pointer, '/body/1/url');
  const putUnknown = await put(main.id, [{ targetArticleId: a.id }, { url: 'https://example.org/q', label: 'Q' }, { targetArticleId: 'missing-one' }]);
  t.equal(putUnknown.status, 422);
  t.same(putUnknown.body.errors.map((e: any) => e.pointer), ['/body/2/targetArticleId']);
  const putNoLabel = await put(main.id, [{ targetArticleId: a.id }, { url: 'https://example.org/q' }]);
  t.equal(putNoLabel.status, 400);
  t.equal(putNoLabel.body.errors[0].pointer, '/body/1/label');
  const putJs = await put(main.id, [{ url: 'javascript:alert(1)', label: 'x' }]);
  t.equal(putJs.status, 400);
  t.equal(putJs.body.errors[0].pointer, '/body/0/url');
  const put21 = await put(main.id, Array.from({ length: 21 }, (_, i) => ({ url: `https://example.org/p${i}`, label: `P${i}` })));
  t.equal(put21.status, 400, 'more than 20 items in a PUT fail the schema');
  t.same((await links(main.id, ctx.editor)).body.data, before, 'failed PUTs changed nothing');
});

t.test('visibility: drafts, scheduling, unpublishing, trash', async (t) => {
  const ctx = await build(t);
  const { req, editor, clock } = ctx;
  const { live, article, publish, links, add, targets } = api(ctx);
  const main = await live('Main');
  const draftMain = await article('Draft main');
  const target = await article('Target draft');
  const other = await live('Other live');
  await add(main.id, { targetArticleId: target.id });
  await add(main.id, { targetArticleId: other.id });
  await add(draftMain.id, { targetArticleId: other.id });

  t.equal((await links(draftMain.id)).status, 404, 'anonymous: related links of a draft article are 404');
  t.equal((await links(draftMain.id, editor)).status, 200, 'editors see them');

  const read = (headers: Record<string, string> = {}) => req({ method: 'GET', url: `/v1/articles/${main.id}?include=related`, headers });
  const seen = async (label: string, anon: string[], ed: string[]) => {
    t.same(targets(await links(main.id)), anon, `${label}: anonymous GET /related-links`);
    t.same(targets(await links(main.id, editor)), ed, `${label}: editor GET /related-links`);
    t.same((await read()).body.related.map((l: any) => l.target.id), anon, `${label}: anonymous include=related`);
    t.same((await read(editor)).body.related.map((l: any) => l.target.id), ed, `${label}: editor include=related`);
  };

  await seen('draft target', [other.id], [target.id, other.id]);
  const anon = await links(main.id);
  t.notOk(anon.raw.includes(target.id) || anon.raw.includes('Target draft'), 'nothing of the draft leaks');
  t.equal(anon.body.data[0].position, 1, 'positions are as stored (the hidden link keeps its place)');
  const list = await req({ method: 'GET', url: '/v1/articles?include=related' });
  t.notOk(list.raw.includes(target.id), 'nor through the list with include=related');

  await publish(target.id);
  await seen('published target', [target.id, other.id], [target.id, other.id]);

  await req({ method: 'POST', url: `/v1/articles/${target.id}/unpublish`, headers: editor });
  await seen('unpublished target', [other.id], [target.id, other.id]);

  const future = new Date(clock.now.getTime() + 3_600_000).toISOString();
  await req({ method: 'POST', url: `/v1/articles/${target.id}/publish`, headers: editor, payload: { publishAt: future } });
  await seen('scheduled target', [other.id], [target.id, other.id]);
  clock.advance(3_600_001);
  await seen('schedule came due', [target.id, other.id], [target.id, other.id]);

  await req({ method: 'DELETE', url: `/v1/articles/${target.id}`, headers: editor });
  await seen('target in the trash', [other.id], [other.id]);
  const hiddenId = (await add(main.id, { url: 'https://example.org/while-trashed', label: 'x' })).body.id;
  t.ok(hiddenId, 'the article can still change while a target is in the trash');
  const replaced = await req({ method: 'PUT', url: `/v1/articles/${main.id}/related-links`, headers: editor, payload: [{ targetArticleId: other.id }] });
  t.same(targets(replaced), [other.id], 'PUT answers the visible list');

  await req({ method: 'POST', url: `/v1/articles/${target.id}/restore`, headers: editor });
  await seen('target restored', [other.id, target.id], [other.id, target.id]);
  t.same((await links(main.id)).body.data.map((l: any) => l.position), [0, 1], 'the kept link came back after the list');

  await req({ method: 'DELETE', url: `/v1/articles/${main.id}`, headers: editor });
  t.equal((await links(main.id)).status, 404, 'anonymous: the links of an article in the trash are 404');
  const inTrash = await add(main.id, { url: 'https://example.org/t', label: 't' });
  t.equal(inTrash.status, 409, 'no changes to an article in the trash');
  t.equal(inTrash.body.code, 'article-in-trash');
  t.equal((await links(main.id, editor)).body.data.length, 2, 'and nothing was stored');
});

t.test('include=related by slug: target summaries with the hero expanded', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const { live, add } = api(ctx);
  const media = await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://images.example.org/korea.jpg', altText: 'Delegates at the border', creditText: 'Korea Pool / Reuters' } });
  t.equal(media.status, 201, 'external media registered');
  const target = await live('Putin likely to lead mediation', { type: 'opinion', hero: { mediaId: media.body.id, credit: 'Pool' } });
  const main = await live('As North and South meet');
  await add(main.id, { targetArticleId: target.id, label: 'Related' });
  await add(main.id, { url: 'https://example.org/wire', label: 'Wire' });

  const res = await req({ method: 'GET', url: `/v1/articles/by-slug/${main.slug}?include=related` });
  t.equal(res.status, 200);
  t.equal(res.body.related.length, 2);
  const [internal, external] = res.body.related;
  t.same(Object.keys(internal.target).sort(), ['headline', 'hero', 'id', 'publishedAt', 'slug', 'type', 'url']);
  t.match(internal, {
    position: 0, label: 'Related', url: `http://localhost:3000/articles/${target.slug}`,
    target: {
      id: target.id, slug: target.slug, url: `http://localhost:3000/articles/${target.slug}`, headline: 'Putin likely to lead mediation', type: 'opinion',
      hero: { mediaId: media.body.id, credit: 'Pool', media: { id: media.body.id, creditText: 'Korea Pool / Reuters' }, display: { credit: 'Pool', alt: 'Delegates at the border', caption: null } },
    },
  });
  t.match(internal.target.publishedAt, /^\d{4}-\d\d-\d\dT/);
  t.same(external, { id: external.id, position: 1, label: 'Wire', url: 'https://example.org/wire', target: null });
  const all = await req({ method: 'GET', url: `/v1/articles/${main.id}?include=all` });
  t.same(all.body.related, res.body.related, 'include=all has the same links');
  const none = await req({ method: 'GET', url: `/v1/articles/${main.id}` });
  t.notOk('related' in none.body, 'no related links without the include');
});

t.test('every link write bumps the article revision', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const { live, add, put, patch, del } = api(ctx);
  const main = await live('Main');
  const a = await live('Alpha');
  const revision = async () => (await req({ method: 'GET', url: `/v1/articles/${main.id}`, headers: editor })).body.revision as number;
  const r0 = await revision();
  const link = (await add(main.id, { targetArticleId: a.id })).body;
  t.equal(await revision(), r0 + 1, 'POST');
  await patch(main.id, link.id, { label: 'L' });
  t.equal(await revision(), r0 + 2, 'PATCH');
  const same = await patch(main.id, link.id, {});
  t.match(same, { status: 200, body: { id: link.id, label: 'L' } }, 'an empty PATCH answers the link');
  t.equal(await revision(), r0 + 2, 'and is not a write');
  await put(main.id, [{ targetArticleId: a.id }]);
  t.equal(await revision(), r0 + 3, 'PUT');
  await del(main.id, link.id);
  t.equal(await revision(), r0 + 4, 'DELETE');
  await add(main.id, { targetArticleId: main.id });
  t.equal(await revision(), r0 + 4, 'a refused write changes nothing');
  const history = await req({ method: 'GET', url: `/v1/articles/${main.id}/revisions`, headers: editor });
  t.equal(history.body.data[0].note, 'related links changed');
  t.equal(history.body.data[0].revision, r0 + 4);
});

t.test('include=related costs a fixed number of queries per page', async (t) => {
  const ctx = await build(t, { responseCache: false }); // the read path itself, not the response cache
  const { app, req, editor } = ctx;
  const { live, add } = api(ctx);
  const media = (await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://images.example.org/x.jpg' } })).body;
  const targets = [await live('T1', { hero: { mediaId: media.id } }), await live('T2'), await live('T3')];
  for (let i = 0; i < 6; i++) {
    const a = await live(`Page ${i}`);
    for (const target of targets) await add(a.id, { targetArticleId: target.id });
    await add(a.id, { url: `https://example.org/${i}`, label: 'Ext' });
  }
  const counter = countStatements(t, app);
  const count = (url: string) => counter.get(req, url);
  const one = await count('/v1/articles?limit=1&include=related');
  const six = await count('/v1/articles?limit=6&include=related');
  const plain = await count('/v1/articles?limit=6');
  const pages = six.res.body.data.filter((a: any) => a.headline.startsWith('Page'));
  t.equal(pages.length, 6);
  t.ok(pages.every((a: any) => a.related.length === 4 && a.related[0].target.hero?.media?.id === media.id), 'every article got its links and the hero');
  t.equal(six.queries, one.queries, `same query count for 1 and 6 articles (${one.queries})`);
  t.ok(six.queries - plain.queries <= 3, `the expansion adds at most three queries (${six.queries - plain.queries})`);
});

t.test('concurrent writes: the limit, duplicates and positions hold', async (t) => {
  const ctx = await build(t);
  const { editor } = ctx;
  const { live, links, add, put, del } = api(ctx);
  const main = await live('Main');
  t.equal((await put(main.id, Array.from({ length: 18 }, (_, i) => ({ url: `https://example.org/k${i}`, label: `K${i}` })))).status, 200);

  const adds = await Promise.all(Array.from({ length: 4 }, (_, i) => add(main.id, { url: `https://example.org/c${i}`, label: `C${i}`, position: 0 })));
  t.same(adds.map((r) => r.status).sort(), [201, 201, 422, 422], 'two fit under the limit, two are refused');
  const after = (await links(main.id, editor)).body.data;
  t.equal(after.length, 20, 'never a 21st link');
  t.same(after.map((l: any) => l.position), Array.from({ length: 20 }, (_, i) => i), 'positions stay 0..n-1');

  const other = await live('Other');
  const same = await Promise.all(Array.from({ length: 3 }, () => add(other.id, { url: 'https://example.org/same', label: 'Same' })));
  t.same(same.map((r) => r.status).sort(), [201, 409, 409], 'one duplicate wins');
  const twice = await Promise.all([put(other.id, [{ url: 'https://example.org/x', label: 'X' }]), add(other.id, { url: 'https://example.org/y', label: 'Y' })]);
  t.same(twice.map((r) => r.status), [200, 201]);
  const list = (await links(other.id, editor)).body.data;
  t.same(list.map((l: any) => l.position), list.map((_: unknown, i: number) => i), 'a PUT and an add at once leave a consistent list');

  const gone = after[5].id as string;
  const removes = await Promise.all([del(main.id, gone), del(main.id, gone), del(main.id, after[6].id)]);
  t.same(removes.map((r) => r.status).sort(), [204, 204, 404]);
  const left = (await links(main.id, editor)).body.data;
  t.equal(left.length, 18);
  t.same(left.map((l: any) => l.position), Array.from({ length: 18 }, (_, i) => i), 'removals close up without gaps');
});
