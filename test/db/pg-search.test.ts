/**
 * Full-text search on PostgreSQL (issue 8): the search repository over pgDialect, on the migrated schema's
 * `articles.search` tsvector, and the article list's text match (`d.textMatch` + `d.matchValue`). The app does
 * not run on PostgreSQL yet, so the repository is driven directly with rows inserted by hand. Needs the local
 * server (PG_TEST_URL) and skips, saying so, when it does not answer.
 */
import { drizzle } from 'drizzle-orm/node-postgres';
import t, { type Test } from 'tap';
import { ftsQuery, MARK_CLOSE, MARK_OPEN, type SearchTerms } from '../../src/content/search.js';
import { pgDialect, tsQueryText } from '../../src/db/dialect.pg.js';
import { runPgMigrations } from '../../src/db/migrate.pg.js';
import * as pgSchema from '../../src/db/schema.pg.js';
import type { Viewer } from '../../src/db/visibility.js';
import { createSearchRepository, type SearchFilter } from '../../src/modules/search/repository.js';
import { freshSchema, PG_URL, pgUnreachable } from '../postgres.js';

const unreachable = await pgUnreachable();
const skip = unreachable ? `PostgreSQL at ${PG_URL} does not answer (${unreachable}): the PostgreSQL search tests need it` : false;

const NOW = '2026-01-15T12:00:00.000Z';
const anonymous: Viewer = { anonymous: true, now: NOW };
const editor: Viewer = { anonymous: false, now: NOW };
const para = (text: string) => [{ type: 'paragraph', id: 'p1', children: [{ type: 'text', text }] }];
const article = (id: string, fields: Partial<typeof pgSchema.articles.$inferInsert> = {}): typeof pgSchema.articles.$inferInsert => ({
  id, slug: id.toLowerCase(), headline: `Story ${id}`, type: 'news', status: 'published', body: para('Nothing much.'), language: 'en',
  commentsMode: 'open', revision: 1, createdAt: NOW, updatedAt: NOW, publishedAt: '2026-01-01T00:00:00.000Z',
  plainText: 'Nothing much.', wordCount: 2, readingTimeMinutes: 1, ...fields,
});

async function setup(t: Test) {
  const s = await freshSchema(t);
  const pool = s.pool();
  await runPgMigrations(pool);
  const db = drizzle(pool, { schema: pgSchema });
  const at = { createdAt: NOW, updatedAt: NOW };
  await db.insert(pgSchema.sections).values([{ id: 'S1', slug: 'world', name: 'World', ...at }, { id: 'S2', slug: 'sport', name: 'Sport', ...at }]);
  await db.insert(pgSchema.tags).values({ id: 'T1', slug: 'korea', name: 'Korea', ...at });
  const long = `Ministers met again on Tuesday after a long week. ${'Filler words keep coming here. '.repeat(8)}A zeppelin flew over the <b>old</b> building & the crowd cheered.`;
  await db.insert(pgSchema.articles).values([
    article('BODY', { headline: 'Budget talks resume', plainText: long, type: 'analysis', sectionId: 'S1' }),
    article('HEADLINE', { headline: 'The zeppelin returns', plainText: 'Crowds gathered at the airfield.', sectionId: 'S2' }),
    article('CAPTION', { headline: 'Port at night', plainText: 'Ships came in.', captions: 'A zeppelin over the quay' }),
    article('STANDFIRST', { headline: 'Harbour news', standfirst: 'Why the zeppelin matters' }),
    article('CAFE', { headline: 'Café society', plainText: 'Über alles, a crème brûlée.' }),
    article('DRAFT', { headline: 'Secret plans', plainText: 'The zeppelin quokka strategy.', status: 'draft', publishedAt: null }),
    article('LATER', { headline: 'Embargoed zeppelin story', publishedAt: '2030-01-01T00:00:00.000Z' }),
    article('TRASH', { headline: 'Old zeppelin news', deletedAt: NOW }),
  ]);
  await db.insert(pgSchema.articleTags).values({ articleId: 'BODY', tagId: 'T1', position: 0 });
  const d = pgDialect(db);
  return { d, repo: createSearchRepository(d) };
}

const filter = (text: string, more: Omit<SearchFilter, 'match'> = {}): SearchFilter => ({ match: ftsQuery(text, '/query/q'), ...more });

t.test('tsquery text: quoted words AND-ed, the last one a prefix when asked', async (t) => {
  t.equal(tsQueryText({ words: ['zeppelin'], prefix: false }), "'zeppelin'");
  t.equal(tsQueryText({ words: ['big', 'zepp'], prefix: true }), "'big' & 'zepp':*");
  t.equal(tsQueryText({ words: ["it's", 'a\\b'], prefix: false }), "'it\\'s' & 'a\\\\b'", 'quotes and backslashes are escaped, should a word ever hold one');
  t.same(ftsQuery('alpha | !beta & (gam', '/q'), { words: ['alpha', 'beta', 'gam'], prefix: true }, 'operators never reach the query');
});

t.test('search on PostgreSQL: ranking, prefixes, accents, filters, visibility, snippets', { skip }, async (t) => {
  const { repo } = await setup(t);
  const ids = async (f: SearchFilter, viewer = anonymous) => (await repo.rank(f, viewer, 0, 50)).map((r) => r.id);

  // Ranking: the weights of SEARCH_WEIGHTS (headline 10, standfirst 4, captions 2, body 1); scores ascend (lower is better).
  const ranked = await repo.rank(filter('zeppelin'), anonymous, 0, 50);
  t.same(ranked.map((r) => r.id), ['HEADLINE', 'STANDFIRST', 'CAPTION', 'BODY'], 'headline above standfirst above captions above body');
  t.ok(ranked.every((r, i) => typeof r.score === 'number' && (i === 0 || r.score >= ranked[i - 1]!.score)), 'scores ascend, as bm25 does');
  t.ok(ranked[0]!.score < ranked[3]!.score, 'a headline match scores better than a body-only match');
  t.equal(await repo.count(filter('zeppelin'), anonymous), 4, 'the total counts what the caller can read');
  t.same((await repo.rank(filter('zeppelin'), anonymous, 1, 2)).map((r) => r.id), ['STANDFIRST', 'CAPTION'], 'offset and limit page the ranked list');

  // Words: all must occur; the last is a prefix from three characters; accents and case are folded both ways.
  t.same(await ids(filter('zepp')), ['HEADLINE', 'STANDFIRST', 'CAPTION', 'BODY'], 'the last word matches as a prefix');
  t.same(await ids(filter('ze')), [], 'a two-letter last word is a whole word, not a prefix');
  t.same(await ids(filter('zepp returns')), [], 'only the last word is a prefix');
  t.same(await ids(filter('zeppelin retu')), ['HEADLINE'], 'earlier words match whole, all of them must occur');
  t.same(await ids(filter('cafe')), ['CAFE'], 'an unaccented query finds the accented word');
  t.same(await ids(filter('CAFÉ UBER')), ['CAFE'], 'an accented, upper-case query finds it too');
  t.same(await ids(filter('creme brul')), ['CAFE'], 'a prefix is folded as well');
  t.same(await ids(filter('zeppelin OR quokka')), [], 'OR is a word to find, not an operator');

  // Visibility: drafts and scheduled articles only for editors; the trash for nobody.
  t.same(await ids(filter('quokka')), [], 'an anonymous reader does not find a draft');
  t.equal(await repo.count(filter('quokka'), anonymous), 0, 'nor counts it');
  t.same(await ids(filter('quokka'), editor), ['DRAFT'], 'an editor does');
  t.same(await ids(filter('embargoed')), [], 'a scheduled article is not found before its time');
  t.same(await ids(filter('embargoed'), { anonymous: true, now: '2030-01-01T00:00:01.000Z' }), ['LATER'], '…and is once it is live');
  t.same((await ids(filter('zeppelin'), editor)).sort(), ['BODY', 'CAPTION', 'DRAFT', 'HEADLINE', 'LATER', 'STANDFIRST'], 'the trash is never searched');
  t.equal(await repo.count(filter('zeppelin'), editor), 6);

  // The list's filters.
  t.same(await ids(filter('zeppelin', { type: 'analysis' })), ['BODY'], 'type');
  t.same(await ids(filter('zeppelin', { sectionSlug: 'sport' })), ['HEADLINE'], 'section');
  t.same(await ids(filter('zeppelin', { tagSlug: 'korea' })), ['BODY'], 'tag');
  t.same(await ids(filter('zeppelin', { sectionSlug: 'nowhere' })), [], 'an unknown section matches nothing');
  t.equal(await repo.count(filter('zeppelin', { type: 'opinion' }), anonymous), 0);

  // Rows: visible ones only, without the index column.
  const rows = await repo.rows(['BODY', 'DRAFT'], anonymous);
  t.same(rows.map((r) => r.id), ['BODY']);
  t.notOk('search' in rows[0]!, 'the tsvector is not part of a row');
  t.same(rows[0]!.body, para('Nothing much.'), 'JSON columns come back parsed');

  // Snippets: the matched words between the markers, from the text that holds them.
  const snippets = new Map((await repo.snippets(ftsQuery('zeppelin', '/q'), ['BODY', 'CAPTION', 'STANDFIRST', 'HEADLINE'])).map((s) => [s.id, s]));
  t.same([...snippets.keys()].sort(), ['BODY', 'CAPTION', 'HEADLINE', 'STANDFIRST']);
  const body = snippets.get('BODY')!.body;
  t.match(body, `${MARK_OPEN}zeppelin${MARK_CLOSE}`, 'the body excerpt marks the word');
  t.ok(body.split(/\s+/).length <= 24, `at most 24 words (${body})`);
  t.notMatch(body, /Ministers/, 'the excerpt is around the match, not the start of a long body');
  t.match(snippets.get('CAPTION')!.captions, `${MARK_OPEN}zeppelin${MARK_CLOSE}`, 'a caption match is marked in the captions');
  t.match(snippets.get('STANDFIRST')!.standfirst, `Why the ${MARK_OPEN}zeppelin${MARK_CLOSE} matters`, 'a standfirst match is marked in the standfirst');
  t.equal(snippets.get('HEADLINE')!.body, 'Crowds gathered at the airfield.', 'a text without the words gives its start, unmarked');
  t.equal(snippets.get('HEADLINE')!.standfirst, '', 'no standfirst: an empty excerpt');
  const prefixed = await repo.snippets(ftsQuery('café zepp', '/q'), ['BODY', 'CAFE']);
  t.same(prefixed.map((s) => s.id), [], 'snippets only for rows that match');
  const folded = (await repo.snippets(ftsQuery('cafe', '/q'), ['CAFE']))[0]!;
  t.equal(folded.body, 'Über alles, a crème brûlée.', 'a headline-only match: the start of the body, unmarked');
  const brulee = (await repo.snippets(ftsQuery('brul', '/q'), ['CAFE']))[0]!;
  t.match(brulee.body, `${MARK_OPEN}brûlée${MARK_CLOSE}`, 'a prefix match marks the whole word, accents kept');
  t.same(await repo.snippets(ftsQuery('zeppelin', '/q'), []), [], 'no ids, no statement');
});

t.test("the article list's text match: textMatch with matchValue, prepared", { skip }, async (t) => {
  // As the articles repository writes it: the dialect's db and tables.
  const { d } = await setup(t);
  const { db, tables: { articles } } = d;
  const matching = d.prepare(db.select({ id: articles.id }).from(articles).where(d.textMatch(articles, 'match')).orderBy(articles.id));
  const find = async (terms: SearchTerms) => (await matching.all({ match: d.matchValue(terms) })).map((r) => r.id);
  t.same(await find(ftsQuery('zeppelin', '/q')), ['BODY', 'CAPTION', 'DRAFT', 'HEADLINE', 'LATER', 'STANDFIRST', 'TRASH'], 'every article with the word (visibility is the list\'s own filter)');
  t.same(await find(ftsQuery('CAFE', '/q')), ['CAFE'], 'accents folded, any case');
  t.same(await find(ftsQuery('zeppelin quok', '/q')), ['DRAFT'], 'all words, the last as a prefix');
  t.same(await find({ words: ['ze'], prefix: false }), [], 'a whole word only');
  t.same(await find({ words: ["it's", 'a\\b', '&', '!'], prefix: true }), [], 'quotes, backslashes and operators inside words are text, not syntax');
});
