import t from 'tap';
import { build, countStatements, fixtureCaller, para } from '../helper.js';

t.test('articles: create, read, patch, publish, list', async (t) => {
  const { req, editor, admin, clock } = await build(t);
  const create = (body: object) => req({ method: 'POST', url: '/v1/articles', headers: editor, payload: body });

  const created = await create({ headline: 'Russia’s role — in 2018', standfirst: 'A stand', body: [para('p1', 'One two three four five.'), { type: 'pullquote', text: 'Not counted at all' }] });
  t.equal(created.status, 201);
  t.equal(created.headers.location, `/v1/articles/${created.body.id}`);
  const a = created.body;
  t.match(a, { slug: 'russias-role-in-2018', status: 'draft', type: 'news', language: 'en', commentsMode: 'open', revision: 1, publishedAt: null, firstPublishedAt: null, wordCount: 5, readingTimeMinutes: 1, excerpt: 'One two three four five.' });
  t.equal(a.url, 'http://localhost:3000/articles/russias-role-in-2018');
  t.match(a.body[1].id, /^b_[0-9a-f]{12}$/, 'a missing block id is generated');

  const dup = await create({ headline: 'Russia’s role — in 2018' });
  t.equal(dup.body.slug, 'russias-role-in-2018-2', 'derived slugs never collide');
  const taken = await create({ headline: 'Other', slug: 'russias-role-in-2018' });
  t.equal(taken.status, 409);
  t.equal(taken.body.errors[0].pointer, '/body/slug');

  const patched = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { standfirst: null, seo: { description: 'SEO text wins the excerpt' }, kicker: 'Analysis' } });
  t.equal(patched.status, 200);
  t.match(patched.body, { standfirst: null, kicker: 'Analysis', revision: 2, excerpt: 'SEO text wins the excerpt', headline: 'Russia’s role — in 2018' });
  const seoMerge = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { seo: { title: 'T' } } });
  t.same(seoMerge.body.seo, { title: 'T', description: 'SEO text wins the excerpt' }, 'seo is merge-patched');

  clock.advance(60_000);
  const pub = await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor, payload: {} });
  t.equal(pub.status, 200);
  t.equal(pub.body.status, 'published');
  t.equal(pub.body.publishedAt, clock.now.toISOString());
  t.equal(pub.body.firstPublishedAt, clock.now.toISOString());

  const anon = await req({ method: 'GET', url: `/v1/articles/${a.id}` });
  t.equal(anon.status, 200);
  t.equal(anon.body.id, a.id);
  const list = await req({ method: 'GET', url: '/v1/articles' });
  t.equal(list.body.page.total, 1, 'anonymous total counts live articles only');
  t.same(list.body.data.map((x: any) => x.id), [a.id]);
  const editorList = await req({ method: 'GET', url: '/v1/articles', headers: editor });
  t.equal(editorList.body.page.total, 2);

  clock.advance(60_000);
  const unpub = await req({ method: 'POST', url: `/v1/articles/${a.id}/unpublish`, headers: editor });
  t.equal(unpub.body.status, 'draft');
  t.equal(unpub.body.publishedAt, null);
  t.equal(unpub.body.firstPublishedAt, pub.body.firstPublishedAt, 'unpublish keeps firstPublishedAt');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}` })).status, 404);

  const noKey = await req({ method: 'POST', url: '/v1/articles', payload: { headline: 'x' } });
  t.equal(noKey.status, 401);
  t.equal(noKey.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=draft' })).status, 403, 'status filter is for editors');
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=draft', headers: admin })).body.page.total, 2);
});

t.test('drafts are invisible to anonymous callers everywhere', async (t) => {
  const { req, editor } = await build(t);
  const section = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'World' } })).body;
  const tag = (await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Korea' } })).body;
  const author = (await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ann Writer' } })).body;
  const refs = { sectionId: section.id, tagIds: [tag.id], authors: [{ authorId: author.id, role: 'author' }], type: 'opinion' };
  const draft = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Secret draft zebra', ...refs, body: [para('p', 'zebra words')] } })).body;
  const live = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Live story', ...refs, body: [para('p', 'giraffe words')] } })).body;
  await req({ method: 'POST', url: `/v1/articles/${live.id}/publish`, headers: editor });

  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}` })).status, 404, 'by id');
  t.equal((await req({ method: 'GET', url: `/v1/articles/by-slug/${draft.slug}` })).status, 404, 'by slug');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}/jsonld` })).status, 404, 'json-ld');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}/corrections` })).status, 404, 'corrections');
  for (const filter of ['', '?type=opinion', `?section=${section.slug}`, `?tag=${tag.slug}`, `?author=${author.slug}`, '?q=zebra', '?publishedAfter=2000-01-01T00:00:00.000Z', '?sort=headline', '?include=all']) {
    const res = await req({ method: 'GET', url: `/v1/articles${filter}` });
    t.equal(res.status, 200, `list ${filter}`);
    t.notOk(res.raw.includes(draft.id) || res.raw.includes('zebra'), `no draft in list ${filter}`);
    t.equal(res.body.page.total, res.body.data.length, `total ${filter} counts only what is visible`);
  }
  t.equal((await req({ method: 'GET', url: '/v1/articles?q=giraffe' })).body.page.total, 1, 'search finds live text');
  t.equal((await req({ method: 'GET', url: '/v1/articles?q=zebra', headers: editor })).body.page.total, 1, 'editors search drafts');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${draft.id}`, headers: editor })).status, 200, 'editors read drafts');
});

t.test('list: filters, sorting, cursor paging, includes', async (t) => {
  const { req, editor, clock } = await build(t);
  const sec = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'Politics' } })).body;
  const ids: string[] = [];
  for (let i = 0; i < 7; i++) {
    clock.advance(1000);
    const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Story ${String.fromCharCode(71 - i)}`, sectionId: i % 2 ? sec.id : undefined } })).body;
    await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
    ids.push(a.id);
  }
  const seen: string[] = [];
  let url = '/v1/articles?limit=3';
  for (let guard = 0; guard < 5 && url; guard++) {
    const res = await req({ method: 'GET', url });
    t.equal(res.body.page.total, 7);
    seen.push(...res.body.data.map((x: any) => x.id));
    const link = res.headers.link as string | undefined;
    if (res.body.page.nextCursor) t.match(link, /rel="next"/);
    url = link ? /<([^>]+)>/.exec(link)![1]! : '';
  }
  t.same(seen, [...ids].reverse(), 'newest first, every item once across pages');
  const byHeadline = await req({ method: 'GET', url: '/v1/articles?sort=headline&limit=100' });
  t.same(byHeadline.body.data.map((x: any) => x.headline), ['Story A', 'Story B', 'Story C', 'Story D', 'Story E', 'Story F', 'Story G']);
  const oldest = await req({ method: 'GET', url: '/v1/articles?sort=publishedAt&limit=2' });
  t.same(oldest.body.data.map((x: any) => x.id), ids.slice(0, 2));
  const inSection = await req({ method: 'GET', url: `/v1/articles?section=${sec.slug}&include=section` });
  t.equal(inSection.body.page.total, 3);
  t.equal(inSection.body.data[0].section.name, 'Politics');
  const bad = await req({ method: 'GET', url: '/v1/articles?cursor=nonsense' });
  t.equal(bad.status, 400);
  t.equal(bad.body.errors[0].pointer, '/query/cursor');
  const wrongSort = await req({ method: 'GET', url: `/v1/articles?sort=headline&cursor=${oldest.body.page.nextCursor}` });
  t.equal(wrongSort.status, 400, 'a cursor from another sort order is refused');
  const unknownInclude = await req({ method: 'GET', url: '/v1/articles?include=authors,bogus' });
  t.equal(unknownInclude.status, 400);
  t.equal(unknownInclude.body.errors[0].pointer, '/query/include');
  const unknownParam = await req({ method: 'GET', url: '/v1/articles?colour=red' });
  t.equal(unknownParam.status, 400);
  t.equal(unknownParam.body.errors[0].pointer, '/query/colour');
  for (const q of ['*', '%', '(', '"', '_', 'a\u0000']) {
    const res = await req({ method: 'GET', url: `/v1/articles?q=${encodeURIComponent(q)}` });
    t.ok(res.status === 200 || res.status === 400, `q=${JSON.stringify(q)} answers ${res.status}`);
    if (res.status === 200) t.ok(res.body.page.total < 7, `q=${JSON.stringify(q)} does not match everything`);
  }
});

t.test('page.total: read from counters the database keeps, exact through every kind of write', async (t) => {
  const ctx = await build(t, { responseCache: false });
  const { req, editor, admin, clock, app } = ctx;
  const call = fixtureCaller(ctx);
  const [world, sport] = [await call('POST', '/v1/sections', { name: 'World' }), await call('POST', '/v1/sections', { name: 'Sport' })];
  const [peace, trade] = [await call('POST', '/v1/tags', { name: 'Peace' }), await call('POST', '/v1/tags', { name: 'Trade' })];
  const author = await call('POST', '/v1/authors', { name: 'Guest Columnist' });
  // Counter filters (none, one dimension) and counted ones (two dimensions, a date range, an unknown slug).
  const filters = ['', 'type=opinion', 'type=news', `section=${world.slug}`, `section=${sport.slug}`, `tag=${peace.slug}`, `tag=${trade.slug}`,
    `author=${author.slug}`, `section=${world.slug}&tag=${peace.slug}`, 'publishedAfter=2000-01-01T00:00:00.000Z', 'section=nowhere'];
  const statuses = ['', 'status=draft', 'status=published', 'status=scheduled', 'status=deleted'];
  const bucket = (a: string) => `CASE WHEN ${a}.status = 'published' AND ${a}.published_at IS NULL THEN 'unset' ELSE ${a}.status END`;
  const truth = `SELECT scope, bucket, count(*) AS n FROM (
      SELECT '' AS scope, ${bucket('a')} AS bucket FROM articles a WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'type:' || a.type, ${bucket('a')} FROM articles a WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'section:' || a.section_id, ${bucket('a')} FROM articles a WHERE a.deleted_at IS NULL AND a.section_id IS NOT NULL
      UNION ALL SELECT 'tag:' || l.tag_id, ${bucket('a')} FROM article_tags l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'author:' || l.author_id, ${bucket('a')} FROM article_authors l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
    ) rows GROUP BY scope, bucket ORDER BY scope, bucket`;
  const totals: Record<string, number> = {};
  const check = async (step: string) => {
    const kept = await app.db.query('SELECT scope, bucket, n FROM article_counts WHERE n <> 0 ORDER BY scope, bucket');
    t.same(kept.map((r) => ({ ...r, n: Number(r.n) })), (await app.db.query(truth)).map((r) => ({ ...r, n: Number(r.n) })), `${step}: the counters match the rows`);
    for (const [who, headers, list] of [['anonymous', {}, ['']], ['editor', editor, statuses]] as const) {
      for (const status of list) {
        for (const filter of filters) {
          const url = `/v1/articles?limit=100&${[filter, status].filter(Boolean).join('&')}`;
          const res = await req({ method: 'GET', url, headers });
          t.equal(res.status, 200, url);
          // Fewer than 100 articles: one page holds them all.
          if (res.body.page.total !== res.body.data.length) t.fail(`${step}: ${who} ${url}: total ${res.body.page.total}, ${res.body.data.length} articles`);
          totals[[who, filter, status].filter(Boolean).join(' ')] = res.body.page.total;
        }
      }
    }
    t.pass(`${step}: every total is the number of articles listed`);
  };

  await check('empty');
  const a1 = await call('POST', '/v1/articles', { headline: 'One', type: 'opinion', sectionId: world.id, tagIds: [peace.id, trade.id], authors: [{ authorId: author.id, role: 'author' }] });
  const a2 = await call('POST', '/v1/articles', { headline: 'Two', type: 'news', sectionId: sport.id, tagIds: [peace.id] });
  await call('POST', '/v1/articles', { headline: 'Three', type: 'news' });
  await check('three drafts');
  t.equal(totals[`editor tag=${peace.slug} status=draft`], 2);
  await call('POST', `/v1/articles/${a1.id}/publish`, {});
  await call('POST', `/v1/articles/${a2.id}/publish`, { publishAt: new Date(clock.now.getTime() + 3_600_000).toISOString() });
  await check('one live, one scheduled');
  t.same([totals.anonymous, totals[`anonymous tag=${peace.slug}`], totals[`editor tag=${peace.slug} status=scheduled`], totals[`editor tag=${peace.slug}`]], [1, 1, 1, 2]);
  await call('PATCH', `/v1/articles/${a1.id}`, { type: 'news', sectionId: sport.id, tagIds: [trade.id], authors: [] });
  await check('moved to another section, type, tags and authors');
  clock.advance(2 * 3_600_000);
  await check('the scheduled one live with no write');
  t.same([totals.anonymous, totals[`anonymous section=${sport.slug}`], totals['anonymous type=news']], [2, 2, 2]);
  await call('DELETE', `/v1/articles/${a1.id}`);
  await check('one in the trash');
  await call('POST', `/v1/articles/${a1.id}/restore`);
  await call('POST', `/v1/articles/${a2.id}/unpublish`);
  await check('restored, and one unpublished');
  await call('DELETE', `/v1/articles/${a1.id}?permanent=true`, undefined, admin);
  await check('one deleted for good');
  t.same([totals.editor, totals.anonymous, totals[`editor tag=${peace.slug}`]], [2, 0, 1]);

  // The totals of one-dimension filters are the counters: a counter changed behind the app's back shows.
  await app.db.query("UPDATE article_counts SET n = n + 5 WHERE scope = '' AND bucket = 'draft'");
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=draft', headers: editor })).body.page.total, 2 + 5, 'read from the counter');
  t.equal((await req({ method: 'GET', url: `/v1/articles?status=draft&publishedBefore=2999-01-01T00:00:00.000Z`, headers: editor })).body.page.total, 0, 'a date range is counted');
});

t.test('body rules: each rejected case names its pointer', async (t) => {
  const { req, editor } = await build(t);
  const post = (body: unknown) => req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'H', body } });
  const link = (href: string) => [{ type: 'paragraph', id: 'p', children: [{ type: 'link', href, children: [{ type: 'text', text: 'x' }] }] }];
  const nest = (depth: number): any => ({ type: 'list', id: `l${depth}`, style: 'bullet', items: [{ children: [], ...(depth > 1 ? { list: nest(depth - 1) } : {}) }] });
  const cases: [string, unknown, string][] = [
    ['unknown block type', [{ type: 'video', id: 'v' }], '/body/body/0/type'],
    ['unknown mark', [{ type: 'paragraph', id: 'p', children: [{ type: 'text', text: 'x', marks: ['blink'] }] }], '/body/body/0/children/0/marks/0'],
    ['duplicate marks', [{ type: 'paragraph', id: 'p', children: [{ type: 'text', text: 'x', marks: ['bold', 'bold'] }] }], '/body/body/0/children/0/marks'],
    ['javascript: link', link('javascript:alert(1)'), '/body/body/0/children/0/href'],
    ['JaVaScRiPt with a tab', link('java\tscript:alert(1)'), '/body/body/0/children/0/href'],
    ['data: link', link('data:text/html,<script>alert(1)</script>'), '/body/body/0/children/0/href'],
    ['protocol-relative link', link('//evil.example/x'), '/body/body/0/children/0/href'],
    ['heading level 1', [{ type: 'heading', id: 'h', level: 1, children: [] }], '/body/body/0/level'],
    ['heading level 5', [{ type: 'heading', id: 'h', level: 5, children: [] }], '/body/body/0/level'],
    ['list nested 5 deep', [nest(5)], '/body/body/0/items/0/list/items/0/list/items/0/list/items/0/list'],
    ['duplicate block id', [para('same', 'a'), para('same', 'b')], '/body/body/1/id'],
    ['unknown block field', [{ type: 'divider', id: 'd', colour: 'red' }], '/body/body/0/colour'],
    ['link inside a link', [{ type: 'paragraph', id: 'p', children: [{ type: 'link', href: '/a', children: [{ type: 'link', href: '/b', children: [] }] }] }], '/body/body/0/children/0/children/0/type'],
    ['embed with a non-http url', [{ type: 'embed', id: 'e', url: 'file:///etc/passwd' }], '/body/body/0/url'],
    ['too many blocks', Array.from({ length: 2001 }, () => ({ type: 'divider' })), '/body/body'],
  ];
  for (const [name, body, pointer] of cases) {
    const res = await post(body);
    t.equal(res.status, 400, `${name}: 400`);
    t.ok(res.body.errors?.some((e: any) => e.pointer === pointer), `${name}: names ${pointer} (got ${JSON.stringify(res.body.errors?.map((e: any) => e.pointer))})`);
  }
  const ok = await post([
    { type: 'heading', id: 'h', level: 2, children: [{ type: 'text', text: 'Sub', marks: ['bold', 'italic'] }] },
    { type: 'paragraph', id: 'p', children: [{ type: 'link', href: 'https://example.org/a', children: [{ type: 'text', text: 'web' }] }, { type: 'break' }, { type: 'link', href: 'mailto:desk@example.org', children: [{ type: 'text', text: 'mail' }] }, { type: 'link', href: '/articles/x', children: [{ type: 'text', text: 'rel' }] }] },
    nest(4),
    { type: 'blockquote', id: 'q', children: [para('q1', 'Quoted words here')], attribution: { name: 'Speaker', role: 'Envoy' } },
    { type: 'pullquote', id: 'pq', text: 'Pulled' },
    { type: 'embed', id: 'e', url: 'https://video.example/v/1', provider: 'video' },
    { type: 'divider', id: 'd' },
  ]);
  t.equal(ok.status, 201, 'every block type is accepted');
  t.equal(ok.body.wordCount, 6, 'heading, paragraph and quotation count; pull quotes do not');
  const missingHeadline = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { body: [] } });
  t.equal(missingHeadline.status, 400);
  t.equal(missingHeadline.body.errors[0].pointer, '/body/headline');
  const badRefs = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'H', tagIds: ['nope'], authors: [{ authorId: 'nobody' }], sectionId: 'none' } });
  t.equal(badRefs.status, 422);
  t.same(badRefs.body.errors.map((e: any) => e.pointer).sort(), ['/body/authors/0/authorId', '/body/sectionId', '/body/tagIds/0']);
});

t.test('slug history: old slugs answer 301 to the current one', async (t) => {
  const { req, editor } = await build(t);
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'First title' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { slug: 'second-title' } });
  const third = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { slug: 'third-title' } });
  t.equal(third.body.slug, 'third-title');
  for (const old of ['first-title', 'second-title']) {
    const res = await req({ method: 'GET', url: `/v1/articles/by-slug/${old}?include=tags` });
    t.equal(res.status, 301, `${old} redirects`);
    t.equal(res.headers.location, '/v1/articles/by-slug/third-title?include=tags');
  }
  t.equal((await req({ method: 'GET', url: '/v1/articles/by-slug/third-title' })).body.id, a.id);
  const other = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Other', slug: 'first-title' } });
  t.equal(other.status, 409, 'an old slug stays reserved for its redirect');
  const back = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { slug: 'first-title' } });
  t.equal(back.status, 200, 'an article can take back its own old slug');
  t.equal((await req({ method: 'GET', url: '/v1/articles/by-slug/first-title' })).status, 200);
  t.equal((await req({ method: 'GET', url: '/v1/articles/by-slug/third-title' })).status, 301);
  await req({ method: 'POST', url: `/v1/articles/${a.id}/unpublish`, headers: editor });
  t.equal((await req({ method: 'GET', url: '/v1/articles/by-slug/third-title' })).status, 404, 'a draft\'s old slug does not reveal the new one');
  t.equal((await req({ method: 'GET', url: '/v1/articles/by-slug/Bad_Slug' })).status, 400);
});

t.test('generated block ids are distinct across a long body and across articles', async (t) => {
  const { req, editor } = await build(t);
  // 1,500 blocks: more ids than one fill of the random pool they are drawn from (4 KiB, 6 bytes each).
  const body = Array.from({ length: 1500 }, (_, i) => ({ type: 'paragraph', children: [{ type: 'text', text: `Paragraph ${i}.` }] }));
  const ids: string[] = [];
  for (let n = 0; n < 2; n++) {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Long body ${n}`, body } });
    t.equal(res.status, 201);
    ids.push(...res.body.body.map((b: { id: string }) => b.id));
  }
  t.equal(ids.length, 3000);
  t.ok(ids.every((id) => /^b_[0-9a-f]{12}$/.test(id)), 'every generated id has the documented shape');
  t.equal(new Set(ids).size, ids.length, 'no id repeats, within an article or across the two');
});

t.test('a reused headline gets the first free numbered slug, in statements that do not grow with its predecessors', async (t) => {
  const { req, editor, admin, app } = await build(t);
  const create = async (headline: string) => {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline } });
    t.equal(res.status, 201);
    return res.body;
  };
  const first = await create('Morning briefing');
  t.equal(first.slug, 'morning-briefing');
  const second = await create('Morning briefing');
  t.equal(second.slug, 'morning-briefing-2');
  // An old slug stays taken (it redirects): morning-briefing-2 renamed, the next one skips it.
  t.equal((await req({ method: 'PATCH', url: `/v1/articles/${second.id}`, headers: editor, payload: { slug: 'briefing-tuesday' } })).status, 200);
  t.equal((await create('Morning briefing')).slug, 'morning-briefing-3', 'an old slug is not handed out again');
  const counter = countStatements(t, app);
  counter.reset();
  const fourth = await create('Morning briefing');
  const early = counter.n;
  t.equal(fourth.slug, 'morning-briefing-4');
  let last = fourth;
  for (let i = 5; i <= 40; i++) last = await create('Morning briefing');
  t.equal(last.slug, 'morning-briefing-40', 'through batch boundaries (8, 40), each takes the next number');
  counter.reset();
  const next = await create('Morning briefing');
  t.equal(next.slug, 'morning-briefing-41');
  // Candidates are checked in batches of 8, 32, 128...: the 41st reads two batches more than the 4th (one statement per
  // batch for articles, one for old slugs), where probing one number at a time read 74 more.
  t.ok(counter.n <= early + 4, `the 41st costs about what the 4th did (${counter.n} statements against ${early})`);
  // A number freed by a permanent delete is the first free one again.
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${fourth.id}?permanent=true`, headers: admin })).status, 204);
  t.equal((await create('Morning briefing')).slug, 'morning-briefing-4', 'a freed number is reused');
  // Sections, tags and authors share the rule.
  const tags = [];
  for (let i = 0; i < 10; i++) tags.push((await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Weather' } })).body.slug);
  t.same(tags, ['weather', ...Array.from({ length: 9 }, (_, i) => `weather-${i + 2}`)]);
});

t.test('relations: a create inserts tags, authors and media uses without deleting first; an update replaces them', async (t) => {
  const { app, req, editor } = await build(t);
  const post = async (url: string, payload: object) => {
    const res = await req({ method: 'POST', url, headers: editor, payload });
    t.equal(res.status, 201, url);
    return res.body.id as string;
  };
  const [peace, trade, wire] = [await post('/v1/tags', { name: 'Peace' }), await post('/v1/tags', { name: 'Trade' }), await post('/v1/tags', { name: 'Wire' })];
  const [ann, bob] = [await post('/v1/authors', { name: 'Ann Writer' }), await post('/v1/authors', { name: 'Bob Writer' })];
  const [photo, chart] = [await post('/v1/media', { url: 'https://images.example.org/a.jpg', altText: 'A' }), await post('/v1/media', { url: 'https://images.example.org/b.jpg', altText: 'B' })];
  const counter = countStatements(t, app);
  const deletes = () => counter.texts.filter((sql) => /^\s*delete\b/i.test(sql) && /article_tags|article_authors|media_uses/.test(sql));

  counter.reset();
  const id = await post('/v1/articles', {
    headline: 'Talks resume', tagIds: [peace, trade], authors: [{ authorId: ann, role: 'author' }, { authorId: bob, role: 'contributor' }],
    hero: { mediaId: photo }, body: [para('p1', 'Text.'), { type: 'image', id: 'fig', mediaId: chart }],
  });
  t.same(deletes(), [], 'a new article has no relation rows to delete');
  const read = async () => (await req({ method: 'GET', url: `/v1/articles/${id}?include=tags,authors`, headers: editor })).body;
  const usage = async (mediaId: string) => (await req({ method: 'GET', url: `/v1/media/${mediaId}/usage`, headers: editor })).body.data.map((u: any) => u.blockId);
  let a = await read();
  t.same(a.tags.map((x: any) => x.id), [peace, trade]);
  t.same(a.authors.map((x: any) => [x.authorId, x.role]), [[ann, 'author'], [bob, 'contributor']]);
  t.same([await usage(photo), await usage(chart)], [['hero'], ['fig']]);

  counter.reset();
  const patched = await req({ method: 'PATCH', url: `/v1/articles/${id}`, headers: editor, payload: { tagIds: [wire], authors: [{ authorId: bob, role: 'author' }], hero: { mediaId: chart }, body: [para('p1', 'Text.')] } });
  t.equal(patched.status, 200);
  t.ok(deletes().length >= 3, 'an update replaces tags, authors and uses');
  a = await read();
  t.same(a.tags.map((x: any) => x.id), [wire], 'the tags are replaced, not added to');
  t.same(a.authors.map((x: any) => [x.authorId, x.role]), [[bob, 'author']]);
  t.same([await usage(photo), await usage(chart)], [[], ['hero']], 'the use index follows the update');
});

t.test('scheduling: visible at its time with no job running', async (t) => {
  const { req, editor, clock } = await build(t);
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Embargoed' } })).body;
  const at = new Date(clock.now.getTime() + 3_600_000).toISOString();
  const sched = await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor, payload: { publishAt: at } });
  t.equal(sched.body.status, 'scheduled');
  t.equal(sched.body.publishedAt, at);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}` })).status, 404, 'not before its time');
  t.equal((await req({ method: 'GET', url: '/v1/articles' })).body.page.total, 0);
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=scheduled', headers: editor })).body.page.total, 1);
  clock.set(at);
  const live = await req({ method: 'GET', url: `/v1/articles/${a.id}` });
  t.equal(live.status, 200, 'live at its time');
  t.equal(live.body.status, 'published');
  t.equal((await req({ method: 'GET', url: '/v1/articles' })).body.page.total, 1);

  const b = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Called off' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${b.id}/publish`, headers: editor, payload: { publishAt: '2099-01-01T00:00:00.000Z' } });
  const off = await req({ method: 'POST', url: `/v1/articles/${b.id}/unpublish`, headers: editor });
  t.equal(off.body.firstPublishedAt, null, 'a schedule that never came due is not a first publication');
  const back = await req({ method: 'POST', url: `/v1/articles/${b.id}/publish`, headers: editor, payload: { publishAt: '2020-05-01T00:00:00.000Z' } });
  t.equal(back.body.status, 'published', 'a past publishAt is live at once');
  t.equal(back.body.publishedAt, '2020-05-01T00:00:00.000Z', 'and keeps its date');
});

t.test('trash: soft delete, restore, permanent delete', async (t) => {
  const { req, editor, admin } = await build(t);
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Doomed' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: editor })).status, 204);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}` })).status, 404, 'trashed articles are not live');
  t.equal((await req({ method: 'GET', url: '/v1/articles', headers: editor })).body.page.total, 0, 'not in the default list');
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=deleted', headers: editor })).body.page.total, 1, 'in the trash list');
  const trashed = await req({ method: 'GET', url: `/v1/articles/${a.id}`, headers: editor });
  t.ok(trashed.body.deletedAt);
  t.equal((await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { headline: 'x' } })).status, 409, 'no edits in the trash');
  const restored = await req({ method: 'POST', url: `/v1/articles/${a.id}/restore`, headers: editor });
  t.equal(restored.status, 200);
  t.equal(restored.body.deletedAt, null);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}` })).status, 200, 'live again after restore');
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}?permanent=true`, headers: editor })).status, 403, 'permanent delete needs admin');
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}?permanent=true`, headers: admin })).status, 204);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}`, headers: admin })).status, 404, 'gone for good');
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: editor })).status, 404);
});

t.test('revisions: every write is a snapshot; restore makes a new revision', async (t) => {
  const { req, editor } = await build(t);
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Version one', body: [para('p', 'first text')] } })).body;
  await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { headline: 'Version two', body: [para('p', 'second text here')] } });
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  const list = await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions`, headers: editor });
  t.equal(list.status, 200);
  t.same(list.body.data.map((r: any) => [r.revision, r.note]), [[3, 'published'], [2, 'updated'], [1, 'created']]);
  t.equal(list.body.data[0].actor.name, 'test editor');
  t.notOk(JSON.stringify(list.body).includes('bsk_'), 'no secrets in revisions');
  const one = await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions/1`, headers: editor });
  t.equal(one.body.article.headline, 'Version one');
  t.equal(one.body.article.body[0].children[0].text, 'first text');
  const restored = await req({ method: 'POST', url: `/v1/articles/${a.id}/revisions/1/restore`, headers: editor });
  t.equal(restored.status, 200);
  t.match(restored.body, { headline: 'Version one', revision: 4, status: 'published', wordCount: 2 });
  t.equal(restored.body.slug, a.slug, 'the slug stays');
  const latest = await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions?limit=1`, headers: editor });
  t.equal(latest.body.data[0].note, 'restored revision 1');
  t.ok(latest.body.page.nextCursor);
  const page2 = await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions?limit=1&cursor=${latest.body.page.nextCursor}`, headers: editor });
  t.equal(page2.body.data[0].revision, 3);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions/99`, headers: editor })).status, 404);
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}/revisions` })).status, 401, 'history is for editors');
});

t.test('corrections and JSON-LD', async (t) => {
  const { req, editor, clock } = await build(t);
  const author = (await req({ method: 'POST', url: '/v1/authors', headers: editor, payload: { name: 'Ann Writer', url: 'https://example.org/ann' } })).body;
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Opinion piece', type: 'opinion', standfirst: 'Summary', authors: [{ authorId: author.id }], source: { name: 'TASS' } } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  clock.advance(3_600_000);
  const c = await req({ method: 'POST', url: `/v1/articles/${a.id}/corrections`, headers: editor, payload: { kind: 'correction', text: 'An earlier version misnamed the envoy.' } });
  t.equal(c.status, 201);
  t.match(c.body, { kind: 'correction', text: 'An earlier version misnamed the envoy.', publishedAt: clock.now.toISOString() });
  const after = await req({ method: 'GET', url: `/v1/articles/${a.id}` });
  t.equal(after.body.contentUpdatedAt, clock.now.toISOString(), 'a correction sets contentUpdatedAt');
  const list = await req({ method: 'GET', url: `/v1/articles/${a.id}/corrections` });
  t.same(list.body.data.map((x: any) => x.kind), ['correction']);
  t.equal((await req({ method: 'POST', url: `/v1/articles/${a.id}/corrections`, headers: editor, payload: { kind: 'oops', text: 'x' } })).status, 400);
  const ld = await req({ method: 'GET', url: `/v1/articles/${a.id}/jsonld` });
  t.equal(ld.status, 200);
  t.match(ld.headers['content-type'], /application\/ld\+json/);
  t.match(ld.body, { '@context': 'https://schema.org', '@type': 'OpinionNewsArticle', headline: 'Opinion piece', description: 'Summary', dateModified: clock.now.toISOString(), author: [{ '@type': 'Person', name: 'Ann Writer', url: 'https://example.org/ann' }], sourceOrganization: { name: 'TASS' } });
});

t.test('editor lists page through drafts (no publishedAt) and live articles alike', async (t) => {
  const { req, editor, clock } = await build(t);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Mixed ${i}` } })).body;
    if (i % 2 === 0) await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
    ids.push(a.id);
  }
  for (const sort of ['-publishedAt', 'publishedAt']) {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page: any = await req({ method: 'GET', url: `/v1/articles?sort=${sort}&limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: editor });
      seen.push(...page.body.data.map((x: any) => x.id));
      cursor = page.body.page.nextCursor;
      if (!cursor) break;
    }
    t.equal(seen.length, 5, `${sort}: every article once`);
    t.equal(new Set(seen).size, 5, `${sort}: no repeats`);
    const drafts = seen.filter((id) => [1, 3].includes(ids.indexOf(id)));
    t.same(sort === '-publishedAt' ? seen.slice(3).sort() : seen.slice(0, 2).sort(), drafts.sort(), `${sort}: drafts sort together (last descending, first ascending)`);
  }
});
