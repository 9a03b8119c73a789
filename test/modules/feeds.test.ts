import { XMLParser, XMLValidator } from 'fast-xml-parser';
import t, { type Test } from 'tap';
import { build, countStatements, para, type TestApp } from '../helper.js';

const LISTS = new Set(['item', 'entry', 'url', 'category', 'dc:creator', 'sitemap', 'author']);
// Atom links repeat; an RSS item's link does not.
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name, path) => LISTS.has(name) || (name === 'link' && String(path).startsWith('feed')) });

function parseXml(t: Test, raw: string): any {
  t.equal(XMLValidator.validate(raw), true, 'well-formed XML');
  t.notOk(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(raw), 'no characters XML forbids');
  return parser.parse(raw);
}

const TRICKY = 'Ri & "Son" <Gwon> ]]> twice ]]> end\u0001';

/** Sections, a tag and five articles: two live, a draft, a scheduled one and a trashed one. */
async function newsroom({ req, editor, clock }: TestApp) {
  const post = async (url: string, payload?: object) => {
    const res = await req({ method: 'POST', url, headers: editor, payload: payload ?? {} });
    if (res.status >= 300) throw new Error(`${url}: ${res.raw}`);
    return res.body;
  };
  const world = await post('/v1/sections', { name: 'World & Co' });
  const sport = await post('/v1/sections', { name: 'Sport' });
  const korea = await post('/v1/tags', { name: 'Korea <DMZ>' });
  const author = await post('/v1/authors', { name: 'Ann Writer' });
  const media = await post('/v1/media', { url: 'https://img.example.org/korea.jpg', caption: [{ type: 'text', text: 'Delegates at Panmunjom' }], creditText: 'Korea Pool / Reuters', altText: 'Delegates' });
  const article = async (headline: string, extra: object = {}) => post('/v1/articles', { headline, body: [para('p', `${headline} body <script>alert(1)</script>`)], ...extra });

  clock.advance(60_000);
  const a = await article(TRICKY, {
    sectionId: world.id, tagIds: [korea.id], authors: [{ authorId: author.id, role: 'author' }], standfirst: 'Talks & <hopes>',
    hero: { mediaId: media.id }, body: [para('p', 'Body <script>alert(1)</script>'), { type: 'image', id: 'i', mediaId: media.id, credit: 'Override credit' }],
  });
  await post(`/v1/articles/${a.id}/publish`);
  clock.advance(60_000);
  const b = await article('Sport live', { sectionId: sport.id, language: 'zh-Hant-TW' });
  await post(`/v1/articles/${b.id}/publish`);
  const draft = await article('Secret draft', { sectionId: world.id, tagIds: [korea.id] });
  const scheduled = await article('Embargoed story', { sectionId: world.id, tagIds: [korea.id] });
  const at = new Date(clock.now.getTime() + 3_600_000).toISOString();
  await post(`/v1/articles/${scheduled.id}/publish`, { publishAt: at });
  const trashed = await article('Trashed story', { sectionId: world.id });
  await post(`/v1/articles/${trashed.id}/publish`);
  await req({ method: 'DELETE', url: `/v1/articles/${trashed.id}`, headers: editor });
  return { world, sport, korea, a, b, draft, scheduled, trashed, scheduledAt: at };
}

const HIDDEN = ['Secret draft', 'Embargoed story', 'Trashed story'];

t.test('RSS and Atom: valid XML, live articles only, full content as HTML', async (t) => {
  const app = await build(t);
  const { req } = app;
  const n = await newsroom(app);

  const rss = await req({ method: 'GET', url: '/v1/feeds/rss' });
  t.equal(rss.status, 200);
  t.equal(rss.headers['content-type'], 'application/rss+xml; charset=utf-8');
  t.ok(rss.raw.startsWith('<?xml'), 'sent as is, not as a JSON string');
  for (const h of HIDDEN) t.notOk(rss.raw.includes(h), `RSS never shows "${h}"`);
  const channel = parseXml(t, rss.raw).rss.channel;
  t.equal(channel.title, 'Broadsheet');
  t.same(channel.item.map((i: any) => i.link), [n.b.url, n.a.url], 'newest first');
  const item = channel.item[1];
  t.ok(item.title.startsWith('Ri & "Son" <Gwon>'), 'the headline survives as text');
  t.equal(item.guid['#text'], `urn:broadsheet:article:${n.a.id}`);
  t.same(item['dc:creator'], ['Ann Writer'], 'the byline as dc:creator');
  t.same(item.category.map((c: any) => (typeof c === 'string' ? c : c['#text'])), ['World & Co', 'Korea <DMZ>'], 'section and tags as categories');
  t.equal(item.description, 'Talks &amp; &lt;hopes&gt;', 'the summary as escaped HTML');
  const content: string = item['content:encoded'];
  t.notOk(/<script/i.test(content), 'no script element in the content');
  t.ok(content.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'script text escaped');
  t.match(content, /^<figure class="image"><img src="https:\/\/img\.example\.org\/korea\.jpg" alt="Delegates" loading="lazy"><figcaption>Delegates at Panmunjom <span class="credit">Korea Pool \/ Reuters<\/span><\/figcaption><\/figure>/, 'the hero figure first');
  t.match(content, /<figcaption>Delegates at Panmunjom <span class="credit">Override credit<\/span><\/figcaption>/, 'body figures carry the resolved caption and credit');
  const live = (await req({ method: 'GET', url: `/v1/articles/${n.a.id}` })).body;
  t.equal(new Date(item.pubDate).toISOString(), live.publishedAt.replace(/\.\d+Z$/, '.000Z'), 'pubDate is the publication time');

  const atom = await req({ method: 'GET', url: '/v1/feeds/atom' });
  t.equal(atom.status, 200);
  t.equal(atom.headers['content-type'], 'application/atom+xml; charset=utf-8');
  for (const h of HIDDEN) t.notOk(atom.raw.includes(h), `Atom never shows "${h}"`);
  const feed = parseXml(t, atom.raw).feed;
  t.equal(feed['@_xmlns'], 'http://www.w3.org/2005/Atom');
  t.equal(feed.entry.length, 2);
  const entry = feed.entry[1];
  t.equal(entry.title['#text'], 'Ri &amp; &quot;Son&quot; &lt;Gwon&gt; ]]&gt; twice ]]&gt; end', 'an html title is escaped HTML');
  t.equal(entry.author[0].name, 'Ann Writer');
  t.same(entry.category.map((c: any) => [c['@_term'], c['@_label']]), [['world-co', 'World & Co'], ['korea-dmz', 'Korea <DMZ>']]);
  t.ok(entry.content['#text'].includes('&lt;script&gt;') && !/<script/i.test(entry.content['#text']), 'Atom content escaped');
  t.equal(feed.link.find((l: any) => l['@_rel'] === 'self')['@_href'], 'http://localhost:3000/v1/feeds/atom');

  const again = await req({ method: 'GET', url: '/v1/feeds/rss', headers: { 'if-none-match': rss.headers.etag as string } });
  t.equal(again.status, 304, 'feeds are cacheable with their ETag');
  t.match(rss.headers['cache-control'], /^public/);
  t.equal(rss.headers['surrogate-key'], `article:${n.b.id} article:${n.a.id}`, 'Surrogate-Key names the articles in the feed');
});

t.test('feeds: section and tag filters, strict query', async (t) => {
  const app = await build(t);
  const { req } = app;
  const n = await newsroom(app);
  const links = async (url: string) => {
    const res = await req({ method: 'GET', url });
    t.equal(res.status, 200, url);
    return (parseXml(t, res.raw).rss.channel.item ?? []).map((i: any) => i.link);
  };
  t.same(await links(`/v1/feeds/rss?section=${n.world.slug}`), [n.a.url], 'section filter');
  t.same(await links(`/v1/feeds/rss?section=${n.sport.slug}`), [n.b.url]);
  t.same(await links(`/v1/feeds/rss?tag=${n.korea.slug}`), [n.a.url], 'tag filter (the draft and scheduled article with the tag stay hidden)');
  t.same(await links(`/v1/feeds/rss?section=${n.sport.slug}&tag=${n.korea.slug}`), [], 'both filters at once');
  const titled = await req({ method: 'GET', url: `/v1/feeds/atom?section=${n.world.slug}&tag=${n.korea.slug}` });
  const feed = parseXml(t, titled.raw).feed;
  t.equal(feed.title, 'Broadsheet: World & Co, Korea <DMZ>');
  t.equal(feed.id, `http://localhost:3000/v1/feeds/atom?section=${n.world.slug}&tag=${n.korea.slug}`);

  for (const url of ['/v1/feeds/rss?section=nowhere', '/v1/feeds/atom?tag=nothing', '/v1/feeds/json?section=nowhere']) {
    const res = await req({ method: 'GET', url });
    t.equal(res.status, 404, `${url} → 404`);
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
  const unknown = await req({ method: 'GET', url: '/v1/feeds/rss?colour=red' });
  t.equal(unknown.status, 400);
  t.equal(unknown.body.errors[0].pointer, '/query/colour');
  t.equal((await req({ method: 'GET', url: '/v1/feeds/rss?section=Bad_Slug' })).status, 400);
});

t.test('JSON Feed 1.1', async (t) => {
  const app = await build(t);
  const { req } = app;
  const n = await newsroom(app);
  const res = await req({ method: 'GET', url: '/v1/feeds/json' });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/feed+json; charset=utf-8');
  t.ok(res.raw.startsWith('{'), 'a JSON object, not a JSON string');
  const feed = JSON.parse(res.raw);
  t.equal(feed.version, 'https://jsonfeed.org/version/1.1');
  t.match(feed, { title: 'Broadsheet', home_page_url: 'http://localhost:3000', feed_url: 'http://localhost:3000/v1/feeds/json', authors: [{ name: 'Broadsheet' }] });
  t.same(feed.items.map((i: any) => i.url), [n.b.url, n.a.url]);
  for (const h of HIDDEN) t.notOk(res.raw.includes(h), `JSON Feed never shows "${h}"`);
  const item = feed.items[1];
  t.match(item, { id: `urn:broadsheet:article:${n.a.id}`, title: TRICKY, summary: 'Talks & <hopes>', authors: [{ name: 'Ann Writer' }], tags: ['World & Co', 'Korea <DMZ>'], image: 'https://img.example.org/korea.jpg', language: 'en' });
  t.notOk('author' in item, 'the 1.0 author field is gone');
  t.ok(item.content_html.includes('&lt;script&gt;') && !/<script/i.test(item.content_html));
  t.equal(feed.items[0].language, 'zh-Hant-TW');
});

t.test('sitemap.xml: live URLs only, with lastmod; paging', async (t) => {
  const app = await build(t);
  const { req, editor, clock } = app;
  const n = await newsroom(app);
  const res = await req({ method: 'GET', url: '/v1/sitemap.xml' });
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
  const urls = parseXml(t, res.raw).urlset.url;
  t.same(urls.map((u: any) => u.loc), [n.a.url, n.b.url], 'the live articles, oldest first');
  for (const h of ['secret-draft', 'embargoed-story', 'trashed-story']) t.notOk(res.raw.includes(h), `no ${h}`);
  clock.advance(60_000);
  const edited = await req({ method: 'PATCH', url: `/v1/articles/${n.a.id}`, headers: editor, payload: { standfirst: 'New' } });
  const after = parseXml(t, (await req({ method: 'GET', url: '/v1/sitemap.xml' })).raw).urlset.url;
  t.equal(after[0].lastmod, edited.body.updatedAt, 'lastmod follows the last write');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml?page=1' })).raw, (await req({ method: 'GET', url: '/v1/sitemap.xml' })).raw, 'page 1 is the sitemap');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml?page=2' })).status, 404, 'no page 2 under 50,000 URLs');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml?page=0' })).status, 400);
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml?limit=5' })).status, 400);
  clock.set(n.scheduledAt);
  const later = parseXml(t, (await req({ method: 'GET', url: '/v1/sitemap.xml' })).raw).urlset.url;
  t.ok(later.some((u: any) => u.loc.endsWith('/embargoed-story')), 'a scheduled article appears at its time');
});

t.test('sitemap.xml: an index over 50,000 URLs', async (t) => {
  const app = await build(t);
  const { req, editor } = app;
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Seed' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  // 50,001 live copies of the seed, straight into the table (the HTTP API would take minutes).
  const sqlite = app.app.db.sqlite;
  if (sqlite) {
    const cols = (sqlite.prepare('select name from pragma_table_info(\'articles\')').all() as { name: string }[]).map((c) => c.name);
    const values = cols.map((c) => (c === 'id' || c === 'slug' ? `src.${c} || '-' || n.i` : `src.${c}`));
    sqlite.prepare(`insert into articles (${cols.join(', ')}) with recursive n(i) as (select 1 union all select i + 1 from n where i < 50001) select ${values.join(', ')} from n, articles src where src.id = ?`).run(a.id);
  } else {
    // PostgreSQL: every column but the generated search vector, which it computes for each copy.
    const cols = (await app.app.db.query("select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = 'articles' and is_generated = 'NEVER' order by ordinal_position")).map((c) => String(c.name));
    const values = cols.map((c) => (c === 'id' || c === 'slug' ? `src.${c} || '-' || n.i` : `src.${c}`));
    await app.app.db.query(`insert into articles (${cols.join(', ')}) select ${values.join(', ')} from generate_series(1, 50001) as n(i), articles src where src.id = ?`, [a.id]);
  }

  const index = await req({ method: 'GET', url: '/v1/sitemap.xml' });
  t.equal(index.status, 200);
  const doc = parseXml(t, index.raw);
  t.same(doc.sitemapindex.sitemap.map((s: any) => s.loc), ['http://localhost:3000/v1/sitemap.xml?page=1', 'http://localhost:3000/v1/sitemap.xml?page=2']);
  const page1 = await req({ method: 'GET', url: '/v1/sitemap.xml?page=1' });
  t.equal(page1.raw.match(/<url>/g)?.length, 50_000, 'page 1 holds 50,000 URLs');
  const page2 = parseXml(t, (await req({ method: 'GET', url: '/v1/sitemap.xml?page=2' })).raw);
  t.equal(page2.urlset.url.length, 2, 'page 2 the rest');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml?page=3' })).status, 404);
});

t.test('sitemap-news.xml: the last 48 hours by the app clock', async (t) => {
  const app = await build(t);
  const { req, editor, clock } = app;
  const start = clock.now.getTime();
  const old = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Old story' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${old.id}/publish`, headers: editor, payload: { publishAt: new Date(start - 49 * 3600_000).toISOString() } });
  const n = await newsroom(app);
  const news = async () => {
    const res = await req({ method: 'GET', url: '/v1/sitemap-news.xml' });
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'application/xml; charset=utf-8');
    const doc = parseXml(t, res.raw);
    t.equal(doc.urlset['@_xmlns:news'], 'http://www.google.com/schemas/sitemap-news/0.9');
    return { urls: doc.urlset.url ?? [], raw: res.raw };
  };
  const now = await news();
  t.same(now.urls.map((u: any) => u.loc), [n.b.url, n.a.url], 'live articles of the last 48 h, newest first; not the old one');
  for (const h of [...HIDDEN, 'Old story']) t.notOk(now.raw.includes(h), `no "${h}"`);
  const a = now.urls[1]['news:news'];
  t.same(a['news:publication'], { 'news:name': 'Broadsheet', 'news:language': 'en' });
  t.equal(a['news:title'], TRICKY.replace('\u0001', ''), 'the title, XML-escaped in the document');
  t.ok(now.raw.includes('<news:title>Ri &amp; &quot;Son&quot; &lt;Gwon&gt; ]]&gt; twice ]]&gt; end</news:title>'));
  const published = (await req({ method: 'GET', url: `/v1/articles/${n.a.id}` })).body.publishedAt;
  t.equal(a['news:publication_date'], published);
  t.equal(now.urls[0]['news:news']['news:publication']['news:language'], 'zh-tw', 'Google News language codes');

  clock.set(n.scheduledAt);
  t.same((await news()).urls.map((u: any) => u.loc.split('/').pop()), ['embargoed-story', 'sport-live', n.a.slug], 'a scheduled article joins at its time');
  clock.set(new Date(new Date(published).getTime() + 48 * 3600_000 + 1000).toISOString());
  t.same((await news()).urls.map((u: any) => u.loc.split('/').pop()), ['embargoed-story', 'sport-live'], 'older than 48 h drops out');
  clock.set(new Date(start + 72 * 3600_000).toISOString());
  t.same((await news()).urls, [], 'empty after two days');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap-news.xml?page=1' })).status, 400, 'no query parameters');
});

t.test('a feed costs a fixed number of statements, whatever it holds', async (t) => {
  const { app, editor } = await build(t);
  const counter = countStatements(t, app);
  const post = async (url: string, payload: object = {}) => (await app.inject({ method: 'POST', url, headers: editor, payload })).json();
  const publishSome = async (count: number, name: string) => {
    for (let i = 0; i < count; i++) {
      const media = await post('/v1/media', { url: `https://img.example.org/${name}-${i}.jpg`, creditText: `Credit ${i}` });
      const author = await post('/v1/authors', { name: `${name} author ${i}` });
      const tag = await post('/v1/tags', { name: `${name} tag ${i}` });
      const a = await post('/v1/articles', { headline: `${name} ${i}`, hero: { mediaId: media.id }, body: [{ type: 'image', mediaId: media.id }], authors: [{ authorId: author.id }], tagIds: [tag.id] });
      await post(`/v1/articles/${a.id}/publish`);
    }
  };
  const count = async (url: string) => {
    counter.reset();
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200);
    return counter.n;
  };
  await publishSome(1, 'one');
  const few = await count('/v1/feeds/rss');
  await publishSome(8, 'more');
  const many = await count('/v1/feeds/rss');
  t.equal(many, few, `the same statement count for 1 and 9 articles (${few})`);
  t.ok(few <= 12, `bounded: ${few}`);
});
