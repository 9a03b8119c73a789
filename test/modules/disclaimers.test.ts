import t from 'tap';
import { build, countStatements, para, type TestApp } from '../helper.js';

const OPINION_TEXT = 'The statements, views and opinions expressed in this column are solely those of the author and do not necessarily represent those of this site.';
const text = (s: string) => [{ type: 'text', text: s }];

/** Small request helpers over one test app. */
function api({ req, editor }: TestApp) {
  const disclaimer = async (body: object) => {
    const res = await req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: body });
    if (res.status !== 201) throw new Error(`disclaimer create answered ${res.status}: ${res.raw}`);
    return res.body;
  };
  const opinionViews = () => disclaimer({ key: 'opinion-views', title: 'Opinion', body: text(OPINION_TEXT), placements: ['top', 'bottom'], appliesTo: { types: ['opinion'] } });
  const article = async (body: object, publish = true) => {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: body });
    if (res.status !== 201) throw new Error(`article create answered ${res.status}: ${res.raw}`);
    if (publish) await req({ method: 'POST', url: `/v1/articles/${res.body.id}/publish`, headers: editor });
    return res.body;
  };
  const slots = async (id: string, headers: Record<string, string> = {}) => {
    const res = await req({ method: 'GET', url: `/v1/articles/${id}?include=disclaimers`, headers });
    if (res.status !== 200) throw new Error(`article read answered ${res.status}: ${res.raw}`);
    return res.body.disclaimers as { top: any[]; bottom: any[] };
  };
  const put = (id: string, list: unknown) => req({ method: 'PUT', url: `/v1/articles/${id}/disclaimers`, headers: editor, payload: list as object });
  return { disclaimer, opinionViews, article, slots, put };
}

t.test('disclaimers: create, read, patch, list, validation pointers', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const post = (body: object) => req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: body });

  const created = await post({ key: 'opinion-views', title: 'Opinion', body: text(OPINION_TEXT), placements: ['bottom', 'top'], appliesTo: { types: ['opinion'] } });
  t.equal(created.status, 201);
  t.equal(created.headers.location, `/v1/disclaimers/${created.body.id}`);
  t.match(created.body, { key: 'opinion-views', kind: 'disclaimer', title: 'Opinion', active: true, appliesTo: { types: ['opinion'] } });
  t.same(created.body.placements, ['top', 'bottom'], 'placements are kept in slot order');
  t.same(created.body.body, text(OPINION_TEXT));

  const minimal = await post({ key: 'editors-note', kind: 'editors-note', body: text('This article was updated.') });
  t.equal(minimal.status, 201);
  t.match(minimal.body, { title: null, active: true });
  t.same(minimal.body.placements, ['top'], 'default placement is top');
  t.same(minimal.body.appliesTo, {}, 'no rule by default');

  const cases: [string, object, string][] = [
    ['unknown field', { key: 'a', body: text('x'), colour: 'red' }, '/body/colour'],
    ['unknown placement', { key: 'a', body: text('x'), placements: ['middle'] }, '/body/placements/0'],
    ['empty placements', { key: 'a', body: text('x'), placements: [] }, '/body/placements'],
    ['duplicate placements', { key: 'a', body: text('x'), placements: ['top', 'top'] }, '/body/placements'],
    ['bad key', { key: 'Not A Slug', body: text('x') }, '/body/key'],
    ['missing body', { key: 'a' }, '/body/body'],
    ['empty body', { key: 'a', body: [] }, '/body/body'],
    ['unknown kind', { key: 'a', body: text('x'), kind: 'rumour' }, '/body/kind'],
    ['unknown article type in rule', { key: 'a', body: text('x'), appliesTo: { types: ['gossip'] } }, '/body/appliesTo/types/0'],
    ['unknown rule field', { key: 'a', body: text('x'), appliesTo: { tags: ['x'] } }, '/body/appliesTo/tags'],
  ];
  for (const [name, body, pointer] of cases) {
    const res = await post(body);
    t.equal(res.status, 400, `${name}: 400`);
    t.ok(res.body.errors?.some((e: any) => e.pointer === pointer), `${name}: names ${pointer} (got ${JSON.stringify(res.body.errors?.map((e: any) => e.pointer))})`);
  }
  const dup = await post({ key: 'opinion-views', body: text('again') });
  t.equal(dup.status, 409, 'a taken key is a conflict');
  t.equal(dup.body.code, 'key-taken');
  t.same(dup.body.errors.map((e: any) => e.pointer), ['/body/key']);
  const badSection = await post({ key: 'world-note', body: text('x'), appliesTo: { sectionIds: ['nope'] } });
  t.equal(badSection.status, 422, 'a rule naming a missing section is refused');
  t.same(badSection.body.errors.map((e: any) => e.pointer), ['/body/appliesTo/sectionIds/0']);

  const id = created.body.id;
  const got = await req({ method: 'GET', url: `/v1/disclaimers/${id}`, headers: editor });
  t.equal(got.status, 200);
  t.same(got.body, created.body);
  t.equal((await req({ method: 'GET', url: '/v1/disclaimers/nope', headers: editor })).status, 404);
  t.equal((await req({ method: 'GET', url: `/v1/disclaimers/${id}` })).status, 401, 'editors only');
  t.equal((await req({ method: 'GET', url: '/v1/disclaimers' })).status, 401, 'editors only');
  const unknownParam = await req({ method: 'GET', url: `/v1/disclaimers/${id}?colour=red`, headers: editor });
  t.equal(unknownParam.status, 400);
  t.equal(unknownParam.body.errors[0].pointer, '/query/colour');

  const section = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'Comment' } })).body;
  const patch = (body: object) => req({ method: 'PATCH', url: `/v1/disclaimers/${id}`, headers: editor, payload: body });
  const p1 = await patch({ title: null, appliesTo: { sectionIds: [section.id] } });
  t.equal(p1.status, 200);
  t.equal(p1.body.title, null, 'null clears the title');
  t.same(p1.body.appliesTo, { types: ['opinion'], sectionIds: [section.id] }, 'the rule is merge-patched');
  t.equal(p1.body.key, 'opinion-views', 'absent fields are unchanged');
  const p2 = await patch({ appliesTo: { types: null } });
  t.same(p2.body.appliesTo, { sectionIds: [section.id] }, 'null clears one part of the rule');
  const p3 = await patch({ appliesTo: null });
  t.same(p3.body.appliesTo, {}, 'null clears the whole rule');
  const taken = await patch({ key: 'editors-note' });
  t.equal(taken.status, 409);
  t.equal(taken.body.errors[0].pointer, '/body/key');
  t.equal((await patch({ key: 'opinion-views' })).status, 200, 'keeping its own key is fine');
  t.equal((await patch({ placements: ['left'] })).body.errors[0].pointer, '/body/placements/0');
  t.equal((await patch({ appliesTo: { sectionIds: ['gone'] } })).status, 422);
  t.equal((await req({ method: 'PATCH', url: '/v1/disclaimers/nope', headers: editor, payload: { title: 'x' } })).status, 404);

  for (const key of ['c-note', 'b-note', 'd-note']) await post({ key, body: text(key) });
  const seen: string[] = [];
  let url = '/v1/disclaimers?limit=2';
  for (let guard = 0; guard < 5 && url; guard++) {
    const res = await req({ method: 'GET', url, headers: editor });
    t.equal(res.status, 200);
    t.equal(res.body.page.total, 5);
    seen.push(...res.body.data.map((d: any) => d.key));
    const link = res.headers.link as string | undefined;
    url = link ? /<([^>]+)>/.exec(link)![1]! : '';
  }
  t.same(seen, ['b-note', 'c-note', 'd-note', 'editors-note', 'opinion-views'], 'ordered by key, every notice once across pages');
  t.equal((await req({ method: 'GET', url: '/v1/disclaimers?cursor=junk', headers: editor })).body.errors[0].pointer, '/query/cursor');
});

t.test('delete: admin only, 409 while attached, force detaches', async (t) => {
  const ctx = await build(t);
  const { req, editor, admin } = ctx;
  const { disclaimer, article, put } = api(ctx);
  const note = await disclaimer({ key: 'editors-note', kind: 'editors-note', body: text('Updated.') });
  const other = await disclaimer({ key: 'other', body: text('Other.') });
  const a = await article({ headline: 'Attached', type: 'news' });
  t.equal((await put(a.id, [{ disclaimerId: note.id }, { disclaimerId: other.id, suppress: true }])).status, 200);

  t.equal((await req({ method: 'DELETE', url: `/v1/disclaimers/${note.id}`, headers: editor })).status, 403, 'editors cannot delete');
  const blocked = await req({ method: 'DELETE', url: `/v1/disclaimers/${note.id}`, headers: admin });
  t.equal(blocked.status, 409);
  t.equal(blocked.body.code, 'disclaimer-in-use');
  t.equal((await req({ method: 'GET', url: `/v1/disclaimers/${note.id}`, headers: editor })).status, 200, 'still there');
  t.equal((await req({ method: 'DELETE', url: `/v1/disclaimers/${other.id}`, headers: admin })).status, 204, 'a suppression does not block deletion');
  t.equal((await req({ method: 'DELETE', url: `/v1/disclaimers/${note.id}?force=maybe`, headers: admin })).status, 400);
  t.equal((await req({ method: 'DELETE', url: `/v1/disclaimers/${note.id}?force=true`, headers: admin })).status, 204);
  t.equal((await req({ method: 'GET', url: `/v1/disclaimers/${note.id}`, headers: editor })).status, 404, 'gone');
  t.same((await req({ method: 'GET', url: `/v1/articles/${a.id}/disclaimers` })).body.data, [], 'detached from the article');
  t.equal((await req({ method: 'DELETE', url: `/v1/disclaimers/${note.id}`, headers: admin })).status, 404);
});

t.test('the opinion disclaimer: one notice in both slots, resolved at read time', async (t) => {
  const ctx = await build(t);
  const { req } = ctx;
  const { opinionViews, article, slots } = api(ctx);
  const body = [para('p1', 'Talks signify new hopes for the de-escalation of tensions.'), para('p2', 'Russia continues to grow.')];
  const column = await article({ headline: 'As North and South meet', type: 'opinion', body });
  const news = await article({ headline: 'Plain news', type: 'news', body });
  const wordCount = column.wordCount;
  const d = await opinionViews();

  const s = await slots(column.id);
  t.equal(s.top.length, 1, 'one notice on top');
  t.equal(s.bottom.length, 1, 'one notice at the bottom');
  t.equal(s.top[0].id, d.id);
  t.equal(s.bottom[0].id, d.id, 'the same id in both slots');
  t.same(s.top[0], { id: d.id, key: 'opinion-views', kind: 'disclaimer', title: 'Opinion', body: text(OPINION_TEXT), placements: ['top', 'bottom'], source: 'rule' });
  t.same(s.bottom[0], s.top[0], 'one notice rendered in two slots');

  const bySlug = await req({ method: 'GET', url: `/v1/articles/by-slug/${column.slug}?include=disclaimers` });
  t.same(bySlug.body.disclaimers, s, 'by slug too');
  const all = await req({ method: 'GET', url: `/v1/articles/${column.id}?include=all` });
  t.same(all.body.disclaimers, s, 'include=all expands them');
  t.notOk('disclaimers' in (await req({ method: 'GET', url: `/v1/articles/${column.id}` })).body, 'absent without include');
  const listed = await req({ method: 'GET', url: '/v1/articles?include=disclaimers' });
  const byId = new Map(listed.body.data.map((a: any) => [a.id, a.disclaimers]));
  t.same(byId.get(column.id), s, 'expanded in lists');
  t.same(byId.get(news.id), { top: [], bottom: [] }, 'news articles in the same page get none');

  const resolved = await req({ method: 'GET', url: `/v1/articles/${column.id}/disclaimers` });
  t.equal(resolved.status, 200);
  t.same(resolved.body.data.map((x: any) => [x.id, x.placements, x.source]), [[d.id, ['top', 'bottom'], 'rule']], 'each notice once, with its placements');
  t.same((await slots(news.id)), { top: [], bottom: [] }, 'not on a news article');

  const edit = (type: string) => req({ method: 'PATCH', url: `/v1/articles/${column.id}`, headers: ctx.editor, payload: { type } });
  t.equal((await edit('news')).status, 200);
  t.same(await slots(column.id), { top: [], bottom: [] }, 'changing the type to news removes it');
  await edit('opinion');
  t.equal((await slots(column.id)).top[0]?.id, d.id, 'back to opinion brings it back');

  const after = (await req({ method: 'GET', url: `/v1/articles/${column.id}?include=disclaimers` })).body;
  t.equal(after.wordCount, wordCount, 'disclaimers never count as body text');
  t.equal(after.excerpt, 'Talks signify new hopes for the de-escalation of tensions.', 'nor reach the excerpt');
  t.equal((await req({ method: 'GET', url: '/v1/articles?q=solely' })).body.page.total, 0, 'nor the search index');
});

t.test('rules, attachments, suppression, inactive notices', async (t) => {
  const ctx = await build(t);
  const { req, editor } = ctx;
  const { disclaimer, opinionViews, article, slots, put } = api(ctx);
  const section = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'Business' } })).body;
  const opinion = await opinionViews();
  const markets = await disclaimer({ key: 'markets', kind: 'legal', body: text('Not investment advice.'), placements: ['bottom'], appliesTo: { sectionIds: [section.id] } });
  const note = await disclaimer({ key: 'aa-editors-note', kind: 'editors-note', body: text('Corrected.') });
  const dormant = await disclaimer({ key: 'dormant', body: text('Never shown.'), appliesTo: { types: ['opinion', 'news'] }, active: false });

  const business = await article({ headline: 'Markets fall', type: 'news', sectionId: section.id });
  const sb = await slots(business.id);
  t.same(sb.top, [], 'a bottom-only notice is not on top');
  t.same(sb.bottom.map((x) => [x.key, x.source]), [['markets', 'rule']], 'the sectionIds rule attaches it');

  const column = await article({ headline: 'Opinion on markets', type: 'opinion', sectionId: section.id });
  const list = async () => (await req({ method: 'GET', url: `/v1/articles/${column.id}/disclaimers` })).body.data.map((x: any) => `${x.key}:${x.source}:${x.placements.join('+')}`);
  t.same(await list(), ['markets:rule:bottom', 'opinion-views:rule:top+bottom'], 'rule notices by key; the inactive one never shows');

  const suppressed = await put(column.id, [{ disclaimerId: opinion.id, suppress: true }]);
  t.equal(suppressed.status, 200);
  t.same(suppressed.body.data.map((x: any) => x.key), ['markets'], 'suppress removes the inherited notice');
  t.same((await slots(column.id)).top, [], 'and the suppression renders nothing');

  const overridden = await put(column.id, [{ disclaimerId: opinion.id, placements: ['bottom'] }]);
  t.same(overridden.body.data.map((x: any) => `${x.key}:${x.source}:${x.placements.join('+')}`), ['opinion-views:article:bottom', 'markets:rule:bottom'], 'the attachment wins, with its own placements, before the rule notices');
  const so = await slots(column.id);
  t.same(so.top, [], 'the rule\'s top placement is overridden');
  t.same(so.bottom.map((x) => x.id), [opinion.id, markets.id], 'attached and ruled, it still appears once');

  await put(column.id, [{ disclaimerId: note.id, placements: ['top'] }, { disclaimerId: opinion.id }, { disclaimerId: dormant.id }]);
  t.same(await list(), ['aa-editors-note:article:top', 'opinion-views:article:top+bottom', 'markets:rule:bottom'], 'attachments in their order (default placements when absent), then rules; inactive attachments render nothing');
  const sa = await slots(column.id);
  for (const slot of [sa.top, sa.bottom]) t.equal(new Set(slot.map((x) => x.id)).size, slot.length, 'no notice twice in one slot');

  await req({ method: 'PATCH', url: `/v1/disclaimers/${opinion.id}`, headers: editor, payload: { active: false } });
  t.same(await list(), ['aa-editors-note:article:top', 'markets:rule:bottom'], 'an inactive notice never renders, attached or ruled');
  const news = await article({ headline: 'Unrelated', type: 'news' });
  t.same(await slots(news.id), { top: [], bottom: [] });
  await req({ method: 'PATCH', url: `/v1/articles/${news.id}`, headers: editor, payload: { sectionId: section.id } });
  t.same((await slots(news.id)).bottom.map((x) => x.key), ['markets'], 'moving an article into the section re-resolves');
});

t.test('GET and PUT /v1/articles/{id}/disclaimers: visibility, validation, revisions', async (t) => {
  const ctx = await build(t);
  const { req, editor, clock } = ctx;
  const { disclaimer, article, put } = api(ctx);
  const note = await disclaimer({ key: 'editors-note', kind: 'editors-note', body: text('Updated.') });
  const draft = await article({ headline: 'Draft', body: [para('p', 'four words right here')] }, false);

  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}/disclaimers` })).status, 404, 'anonymous callers: 404 for a draft');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}/disclaimers`, headers: editor })).status, 200, 'editors see it');
  t.equal((await req({ method: 'GET', url: '/v1/articles/nope/disclaimers', headers: editor })).status, 404);

  const bad = await put(draft.id, [{ disclaimerId: 'nope' }]);
  t.equal(bad.status, 422);
  t.same(bad.body.errors.map((e: any) => e.pointer), ['/body/0/disclaimerId']);
  const bad2 = await put(draft.id, [{ disclaimerId: note.id }, { disclaimerId: 'gone' }]);
  t.same(bad2.body.errors.map((e: any) => e.pointer), ['/body/1/disclaimerId'], 'the pointer names the index');
  t.equal((await put(draft.id, { disclaimerId: note.id })).status, 400, 'the body is a bare array');
  t.equal((await put(draft.id, [{ disclaimerId: note.id }, { disclaimerId: note.id }])).status, 400, 'a notice is attached once');
  const badPlacement = await put(draft.id, [{ disclaimerId: note.id, placements: ['side'] }]);
  t.equal(badPlacement.body.errors[0].pointer, '/body/0/placements/0');
  t.equal((await put('nope', [])).status, 404);
  t.equal((await req({ method: 'PUT', url: `/v1/articles/${draft.id}/disclaimers`, payload: [] })).status, 401);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}`, headers: editor })).body.revision, 1, 'refused writes change nothing');

  clock.advance(60_000);
  const ok = await put(draft.id, [{ disclaimerId: note.id, placements: ['bottom'] }]);
  t.equal(ok.status, 200);
  t.same(ok.body.data.map((x: any) => [x.id, x.source, x.placements]), [[note.id, 'article', ['bottom']]]);
  const bumped = (await req({ method: 'GET', url: `/v1/articles/${draft.id}`, headers: editor })).body;
  t.equal(bumped.revision, 2, 'the PUT bumps the revision');
  t.equal(bumped.updatedAt, clock.now.toISOString(), 'and updatedAt');
  t.equal(bumped.wordCount, 4, 'the notice is not body text');
  const history = (await req({ method: 'GET', url: `/v1/articles/${draft.id}/revisions?limit=1`, headers: editor })).body.data[0];
  t.match(history, { revision: 2, note: 'disclaimers changed', actor: { name: 'test editor' } });
  await put(draft.id, [{ disclaimerId: note.id, placements: ['bottom'] }]);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}`, headers: editor })).body.revision, 2, 'the same list again is not a new revision');

  await req({ method: 'POST', url: `/v1/articles/${draft.id}/publish`, headers: editor });
  const live = await req({ method: 'GET', url: `/v1/articles/${draft.id}/disclaimers` });
  t.equal(live.status, 200, 'anonymous callers: 200 once live');
  t.same(live.body.data.map((x: any) => x.key), ['editors-note']);
  t.same((await put(draft.id, [])).body.data, [], 'an empty list detaches everything');

  await req({ method: 'DELETE', url: `/v1/articles/${draft.id}`, headers: editor });
  t.equal((await put(draft.id, [{ disclaimerId: note.id }])).status, 409, 'no changes in the trash');
});

t.test('the disclaimers expansion costs a fixed number of queries per page', async (t) => {
  const ctx = await build(t, { responseCache: false }); // the read path itself, not the response cache
  const { app, req } = ctx;
  const { disclaimer, opinionViews, article, put } = api(ctx);
  await opinionViews();
  const notes = [await disclaimer({ key: 'n1', body: text('One.') }), await disclaimer({ key: 'n2', body: text('Two.'), placements: ['bottom'] })];
  for (let i = 0; i < 6; i++) {
    const a = await article({ headline: `Column ${i}`, type: i % 2 ? 'opinion' : 'news' });
    await put(a.id, notes.map((n) => ({ disclaimerId: n.id })));
  }
  const counter = countStatements(t, app);
  const count = (url: string) => counter.get(req, url);
  const one = await count('/v1/articles?limit=1&include=disclaimers');
  const six = await count('/v1/articles?limit=6&include=disclaimers');
  const plain = await count('/v1/articles?limit=6');
  t.equal(six.res.body.data.length, 6);
  t.ok(six.res.body.data.every((a: any) => a.disclaimers.top.length >= 1 && a.disclaimers.bottom.length >= 1), 'every article got its notices');
  t.equal(six.queries, one.queries, `same query count for 1 and 6 articles (${one.queries})`);
  t.ok(six.queries - plain.queries <= 2, `the expansion adds at most two queries (${six.queries - plain.queries})`);
});
