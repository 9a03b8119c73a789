import { eq } from 'drizzle-orm';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { openDb } from '../../src/db/client.js';
import { migrationsFolder } from '../../src/db/migrate.js';
import { articles, media } from '../../src/db/schema.js';
import { articleCaptions } from '../../src/modules/media/captions.js';
import { build, para, type TestApp } from '../helper.js';

type Fixture = Pick<TestApp, 'req' | 'editor'>;

async function article({ req, editor }: Fixture, payload: object, publish = true) {
  const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload });
  if (res.status !== 201) throw new Error(`create failed: ${res.raw}`);
  if (publish) await req({ method: 'POST', url: `/v1/articles/${res.body.id}/publish`, headers: editor });
  return res.body as { id: string; slug: string };
}

const search = (req: TestApp['req'], query: string, headers: Record<string, string> = {}) =>
  req({ method: 'GET', url: `/v1/search?${query}`, headers });
const q = (text: string) => `q=${encodeURIComponent(text)}`;
const ids = (res: { body: { data: { id: string }[] } }) => res.body.data.map((x) => x.id);

t.test('search: body words, drafts, captions, ranking, snippets, filters', async (t) => {
  const { req, editor, clock } = await build(t);
  const fx = { req, editor };
  const section = (await req({ method: 'POST', url: '/v1/sections', headers: editor, payload: { name: 'World' } })).body;
  const tag = (await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Korea' } })).body;
  const photo = (await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://images.example.org/harbour.jpg', caption: [{ type: 'text', text: 'Paper lanterns over the harbour' }] } })).body;

  const bodyOnly = await article(fx, {
    headline: 'Budget talks resume',
    body: [para('p1', 'Ministers met again on Tuesday.'), para('p2', 'A zeppelin flew over the <script>alert(1)</script> building & the crowd cheered.')],
    hero: { mediaId: photo.id },
    type: 'analysis', sectionId: section.id, tagIds: [tag.id],
  });
  const inHeadline = await article(fx, { headline: 'The zeppelin returns', body: [para('p1', 'Crowds gathered at the airfield.'), para('p2', 'It was a zeppelin after all.')] });
  const overridden = await article(fx, { headline: 'Port at night', body: [para('p1', 'Ships came in.'), { type: 'image', id: 'i1', mediaId: photo.id, caption: [{ type: 'text', text: 'A walrus on the quay' }] }] });
  const hidden = await article(fx, { headline: 'Quiet harbour', body: [para('p1', 'Nothing happened.'), { type: 'image', id: 'i1', mediaId: photo.id, caption: null }] });
  const draft = await article(fx, { headline: 'Secret plans', body: [para('p1', 'The quokka strategy is not public yet.')] }, false);
  clock.advance(1000);

  // A word in the body finds the article; the snippet marks it and escapes the text around it.
  const found = await search(req, q('zeppelin'));
  t.equal(found.status, 200);
  t.equal(found.body.page.total, 2);
  t.same(ids(found), [inHeadline.id, bodyOnly.id], 'a headline match ranks above a body-only match');
  t.ok(found.body.data[0].score > found.body.data[1].score, 'scores descend');
  const snippet: string = found.body.data[1].snippet;
  t.match(snippet, /<mark>zeppelin<\/mark>/i, 'the snippet marks the word');
  t.match(snippet, /&lt;script&gt;/, 'text in the snippet is HTML-escaped');
  t.match(snippet, /&amp;/);
  t.notOk(/<(?!\/?mark>)/.test(snippet), 'no markup but <mark>');
  t.match(found.body.data[1], { id: bodyOnly.id, headline: 'Budget talks resume', type: 'analysis', status: 'published', sectionId: section.id, tagIds: [tag.id] }, 'results carry the article summary fields');
  t.equal(found.headers['cache-control'], 'public, max-age=60, stale-while-revalidate=300');

  // A word only in a draft: nothing for the public (total too), found by editors.
  const anon = await search(req, q('quokka'));
  t.equal(anon.status, 200);
  t.same(anon.body.data, []);
  t.equal(anon.body.page.total, 0, 'the total counts only what the caller can read');
  t.notOk(anon.raw.includes(draft.id));
  const asEditor = await search(req, q('quokka'), editor);
  t.same(ids(asEditor), [draft.id], 'editors find drafts');
  t.match(asEditor.body.data[0].snippet, /<mark>quokka<\/mark>/);
  t.equal(asEditor.headers['cache-control'], 'private, no-store');

  // Captions: inherited from the media item, overridden per use, hidden by null.
  const lanterns = await search(req, q('lanterns'));
  t.same(ids(lanterns), [bodyOnly.id], 'the inherited caption is searchable; an overridden or hidden one is not');
  t.match(lanterns.body.data[0].snippet, /<mark>lanterns<\/mark>/i, 'a caption-only match takes its snippet from the caption');
  t.same(ids(await search(req, q('walrus'))), [overridden.id], 'a per-use caption is searchable');
  t.equal((await search(req, q('lanterns'), editor)).body.page.total, 1);

  // Editing the media caption refreshes the articles that inherit it, and only those.
  const patched = await req({ method: 'PATCH', url: `/v1/media/${photo.id}`, headers: editor, payload: { caption: [{ type: 'text', text: 'Fireworks over the bay' }] } });
  t.equal(patched.status, 200);
  t.equal((await search(req, q('lanterns'))).body.page.total, 0, 'the old caption is gone from the index');
  t.same(ids(await search(req, q('fireworks'))), [bodyOnly.id], 'the new caption is indexed for the inheriting article only');
  t.same(ids(await search(req, q('walrus'))), [overridden.id]);
  t.notOk(ids(await search(req, q('fireworks'), editor)).includes(hidden.id), 'a hidden caption stays hidden');

  // Editing the article's hero override takes effect with the write.
  await req({ method: 'PATCH', url: `/v1/articles/${bodyOnly.id}`, headers: editor, payload: { hero: { mediaId: photo.id, caption: [{ type: 'text', text: 'Albatross at dawn' }] } } });
  t.same(ids(await search(req, q('albatross'))), [bodyOnly.id]);
  t.equal((await search(req, q('fireworks'))).body.page.total, 0);

  // Filters like the article list, and includes.
  t.same(ids(await search(req, `${q('zeppelin')}&type=analysis`)), [bodyOnly.id]);
  t.same(ids(await search(req, `${q('zeppelin')}&section=${section.slug}&include=section,tags`)), [bodyOnly.id]);
  t.same(ids(await search(req, `${q('zeppelin')}&tag=${tag.slug}`)), [bodyOnly.id]);
  t.equal((await search(req, `${q('zeppelin')}&type=opinion`)).body.page.total, 0);
  const expanded = await search(req, `${q('zeppelin')}&tag=${tag.slug}&include=section,tags`);
  t.equal(expanded.body.data[0].section.name, 'World');
  t.equal(expanded.body.data[0].tags[0].name, 'Korea');

  // Trash and schedules: not for the public; the trash not even for editors.
  await req({ method: 'DELETE', url: `/v1/articles/${inHeadline.id}`, headers: editor });
  t.same(ids(await search(req, q('zeppelin'), editor)), [bodyOnly.id], 'trashed articles are not found');
  const later = await article(fx, { headline: 'Embargoed zeppelin story' }, false);
  await req({ method: 'POST', url: `/v1/articles/${later.id}/publish`, headers: editor, payload: { publishAt: '2030-01-01T00:00:00.000Z' } });
  t.same(ids(await search(req, q('zeppelin'))), [bodyOnly.id], 'scheduled articles are not found before their time');
  clock.set('2030-01-01T00:00:01.000Z');
  t.same(ids(await search(req, q('zeppelin'))), [later.id, bodyOnly.id], '…and are once they are live');

  // The query string is strict.
  const unknown = await search(req, `${q('zeppelin')}&colour=red`);
  t.equal(unknown.status, 400);
  t.equal(unknown.body.errors[0].pointer, '/query/colour');
  const missing = await search(req, '');
  t.equal(missing.status, 400);
  t.equal(missing.body.errors[0].pointer, '/query/q');
  for (const empty of ['', '   ', '***', '"()"']) {
    const res = await search(req, q(empty));
    t.equal(res.status, 400, `q=${JSON.stringify(empty)} has no words`);
    t.equal(res.body.errors[0].pointer, '/query/q');
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  }
});

t.test('search: user input is text, never FTS syntax', async (t) => {
  const { req, editor } = await build(t);
  const fx = { req, editor };
  const texts = [
    'Alpha particles were measured in the lab.',
    'Beta testers reported the bug.',
    'Gamma rays from the sun.',
    'Notes on the headline: x marks the spot.',
    'Delta of the river flooded.',
    'Epsilon is small.',
  ];
  const made = [];
  for (const [i, text] of texts.entries()) made.push(await article(fx, { headline: `Story ${i + 1}`, body: [para('p', text)] }));
  const all = made.length;

  for (const text of ['a', '*', '%', '_', '(', ')', 'NEAR(a b)', 'headline:x', '"unbalanced', 'a OR b', 'alpha OR beta', 'NOT alpha', '-alpha', '^alpha', 'alpha*', '"a" "b"', 'x\u0000y', '\u0000', '{headline standfirst}: x', 'the']) {
    const res = await search(req, q(text));
    t.ok(res.status === 200 || res.status === 400, `q=${JSON.stringify(text)} answers ${res.status}`);
    if (res.status === 200) t.ok(res.body.page.total < all, `q=${JSON.stringify(text)} does not match every article (${res.body.page.total})`);
    if (res.status === 400) t.equal(res.body.errors[0].pointer, '/query/q');
  }
  // Operators are words: "OR" must itself occur, so this matches nothing instead of both articles.
  t.equal((await search(req, q('alpha OR beta'))).body.page.total, 0, 'OR is not an operator');
  t.same(ids(await search(req, q('alpha'))), [made[0]!.id]);
  t.same(ids(await search(req, q('NOT alpha'))), [], 'NOT is not an operator');
  // A column filter is two words, matched anywhere.
  t.same(ids(await search(req, q('headline:x'))), [made[3]!.id], '"headline:x" is the words headline and x');
  t.same(ids(await search(req, q('"unbalanced gamma'))), [], 'quotes are dropped, the words must all match');
  t.same(ids(await search(req, q('(gamma'))), [made[2]!.id], 'brackets are dropped');
  // Prefix matching only for the last word, and only from three letters.
  t.same(ids(await search(req, q('epsil'))), [made[5]!.id], 'the last word matches as a prefix');
  t.equal((await search(req, q('e'))).body.page.total, 0, 'a one-letter word is a word, not a prefix of every word');
  t.equal((await search(req, q('the'))).body.page.total, 5, 'an ordinary word matches where it occurs');
});

t.test('search: cursor paging gives every match once, in rank order', async (t) => {
  const { req, editor } = await build(t);
  const fx = { req, editor };
  const made: string[] = [];
  for (let i = 0; i < 7; i++) {
    // More mentions in a short text rank higher: the expected order is known.
    const body = [para('p', `${Array.from({ length: i + 1 }, () => 'pagination').join(' ')} ${'filler '.repeat(10)}`)];
    made.push((await article(fx, { headline: `Paging story ${i}`, body })).id);
  }
  await article(fx, { headline: 'Unrelated', body: [para('p', 'nothing to see')] });

  const seen: string[] = [];
  const scores: number[] = [];
  let url = `/v1/search?${q('pagination')}&limit=3`;
  let pages = 0;
  for (; pages < 5 && url; pages++) {
    const res = await req({ method: 'GET', url });
    t.equal(res.status, 200);
    t.equal(res.body.page.total, 7, 'every page reports the same total');
    t.equal(res.body.page.limit, 3);
    seen.push(...ids(res));
    scores.push(...res.body.data.map((x: { score: number }) => x.score));
    const link = res.headers.link as string | undefined;
    if (res.body.page.nextCursor) t.match(link, /rel="next"/);
    else t.equal(link, undefined, 'no Link on the last page');
    url = link ? /<([^>]+)>/.exec(link)![1]! : '';
  }
  t.equal(pages, 3);
  t.equal(new Set(seen).size, 7, 'no repeats');
  t.same([...seen].sort(), [...made].sort(), 'every match once');
  t.same(seen, [...made].reverse(), 'the most mentions rank first');
  t.same(scores, [...scores].sort((a, b) => b - a), 'scores descend across pages');

  const first = await search(req, `${q('pagination')}&limit=3`);
  t.same(ids(await search(req, `${q('pagination')}&limit=3`)), ids(first), 'the same search gives the same order');
  const other = await search(req, `${q('filler')}&limit=3&cursor=${first.body.page.nextCursor}`);
  t.equal(other.status, 400, 'a cursor is bound to its search');
  t.equal(other.body.errors[0].pointer, '/query/cursor');
  t.equal((await search(req, `${q('pagination')}&cursor=nonsense`)).status, 400);
  t.equal((await req({ method: 'GET', url: `/v1/articles?cursor=${first.body.page.nextCursor}` })).status, 400, 'nor does it work on the list');
});

t.test('search: the captions migration backfills existing articles with the rule the write path uses', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-mig-captions-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // The migrations up to (not including) the one that recreates the index.
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const upTo = journal.entries.findIndex((e) => e.tag.endsWith('_search_captions'));
  t.ok(upTo > 0);
  cpSync(migrationsFolder, join(dir, 'migrations'), { recursive: true });
  writeFileSync(join(dir, 'migrations/meta/_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, upTo) }));
  const { db, sqlite } = openDb(':memory:');
  t.teardown(() => sqlite.close());
  migrate(db, { migrationsFolder: join(dir, 'migrations') });

  const at = '2026-01-01T00:00:00.000Z';
  const mediaRow = (id: string, captionText: string | null) => ({ id, kind: 'external' as const, externalUrl: `https://x.example/${id}.jpg`, captionText, createdAt: at, updatedAt: at });
  db.insert(media).values([mediaRow('m1', 'Gulls over the pier'), mediaRow('m2', null)]).run();
  const caption = [{ type: 'text', text: 'Own ' }, { type: 'link', href: 'https://x.example', children: [{ type: 'text', text: 'linked' }] }, { type: 'break' }, { type: 'text', text: 'words' }];
  const cases = [
    { id: 'a1', hero: { mediaId: 'm1' }, body: [{ type: 'image', id: 'i1', mediaId: 'm2' }, { type: 'image', id: 'i2', mediaId: 'm1', caption }] },
    { id: 'a2', hero: { mediaId: 'm1', caption: null }, body: [{ type: 'paragraph', id: 'p', children: [] }] },
    { id: 'a3', hero: null, body: [{ type: 'image', id: 'i1', mediaId: 'gone' }, { type: 'image', id: 'i2', mediaId: 'm1' }] },
  ];
  for (const c of cases) {
    db.insert(articles).values({
      id: c.id, slug: c.id, headline: `Headline ${c.id}`, type: 'news', status: 'published', body: c.body, hero: c.hero, language: 'en',
      commentsMode: 'open', revision: 1, createdAt: at, updatedAt: at, publishedAt: at, plainText: '', wordCount: 0, readingTimeMinutes: 0,
    }).run();
  }
  migrate(db, { migrationsFolder });

  const texts = new Map([['m1', 'Gulls over the pier'], ['m2', null]]);
  for (const c of cases) {
    const stored = db.select({ captions: articles.captions }).from(articles).where(eq(articles.id, c.id)).get()!.captions;
    t.equal(stored, articleCaptions(c, texts), `${c.id}: SQL backfill = write-path rule`);
  }
  t.equal(articleCaptions(cases[0]!, texts), 'Gulls over the pier\nOwn linked\nwords');
  const match = (word: string) => sqlite.prepare('select a.id from articles_fts f join articles a on a.rowid = f.rowid where articles_fts match ? order by a.id').all(`"${word}"`).map((r) => (r as { id: string }).id);
  t.same(match('gulls'), ['a1', 'a3'], 'the rebuilt index covers the captions');
  t.same(match('linked'), ['a1']);
  t.same(match('headline'), ['a1', 'a2', 'a3'], 'and still the headlines');
});
