import type Database from 'better-sqlite3';
import t from 'tap';
import { dropValueSamples, optimize } from '../../src/db/client.js';
import { build, onPostgres, para } from '../helper.js';

// Query plans that must not depend on the archive's size (issue 7). Statistics like those of the bench archive
// (10,003 articles, all live) are installed, then the plan of the statement the app really ran is read back.

/**
 * Statistics like those of the bench archive (10,003 articles, all live); the small write-side tables keep the
 * none they have in a real database (`articles_fts_pending` is empty whenever ANALYZE runs).
 */
function installArchiveStatistics(sqlite: Database.Database, { samples = false } = {}) {
  sqlite.exec('ANALYZE');
  const stats: [string, string][] = [
    ['sqlite_autoindex_articles_1', '10003 1'], ['articles_slug_unique', '10003 1'],
    ['articles_live_published_idx', '10003 10003 10003 1 1'], ['articles_section_live_idx', '10003 910 910 910 1 1'],
    ['articles_section_published_idx', '10003 910 1 1'], ['articles_updated_idx', '10003 1 1'], ['articles_headline_idx', '10003 1 1'],
  ];
  for (const [idx, stat] of stats) {
    sqlite.prepare("DELETE FROM sqlite_stat1 WHERE tbl = 'articles' AND idx = ?").run(idx);
    sqlite.prepare("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ('articles', ?, ?)").run(idx, stat);
  }
  sqlite.exec("DELETE FROM sqlite_stat1 WHERE tbl = 'articles_fts_pending'");
  sqlite.exec('ANALYZE sqlite_schema'); // reloads the statistics
  // The app keeps row counts only (src/db/client.ts `optimize`); `samples` leaves ANALYZE's sqlite_stat4 too.
  if (!samples) dropValueSamples(sqlite);
}

/** Runs `during`, adding to `seen` the SQL of every statement the app runs with `method` meanwhile. */
async function statementsRun<T>(sqlite: Database.Database, method: 'all' | 'run', seen: Set<string>, during: () => Promise<T>): Promise<T> {
  const proto = Object.getPrototypeOf(sqlite.prepare('select 1')) as Record<typeof method, (...args: unknown[]) => unknown>;
  const original = proto[method];
  proto[method] = function (this: { source: string }, ...args: unknown[]) {
    seen.add(this.source);
    return original.apply(this, args);
  };
  try {
    return await during();
  } finally {
    proto[method] = original;
  }
}

t.test('temporary b-trees (sorts, IN-lists) are kept in memory', { skip: onPostgres && 'SQLite pragma' }, async (t) => {
  // A file temp store cost the first sort of every uncached article read ~300 µs in page faults (src/db/client.ts).
  const { app } = await build(t);
  t.equal(app.db.sqlite!.pragma('temp_store', { simple: true }), 2, 'temp_store = MEMORY on the app connection');
});

t.test('related-link targets are looked up by key, never by walking the live-articles index', { skip: onPostgres && 'SQLite planner' }, async (t) => {
  const { req, editor, app } = await build(t);
  const sqlite = app.db.sqlite!;
  const create = async (headline: string) => {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline, type: 'news', body: [para('p1', 'Text.')] } });
    t.equal(res.status, 201);
    t.equal((await req({ method: 'POST', url: `/v1/articles/${res.body.id}/publish`, headers: editor })).status, 200);
    return res.body.id as string;
  };
  const [a, b] = [await create('Source'), await create('Target')];
  t.equal((await req({ method: 'PUT', url: `/v1/articles/${a}/related-links`, headers: editor, payload: [{ targetArticleId: b }] })).status, 200);

  // The SQL of the anonymous targets query, as the app prepared it.
  const seen = new Set<string>();
  const read = await statementsRun(sqlite, 'all', seen, () => req({ method: 'GET', url: `/v1/articles/${a}?include=related` }));
  t.equal(read.body.related[0].target.id, b, 'the link is shown');
  const targets = [...seen].find((s) => /^select "id", "slug", "headline", "type", "published_at", "hero" from "articles"/.test(s));
  t.ok(targets, 'found the targets statement');

  installArchiveStatistics(sqlite);
  const plan = (source: string) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${source}`).all('[]', 'published', '2026-01-01') as { detail: string }[]).map((r) => r.detail).join('\n');

  t.match(plan(targets!), /SEARCH articles USING INDEX sqlite_autoindex_articles_1 \(id=\?\)/, 'a primary-key lookup per id');
  t.notMatch(plan(targets!), /articles_live_published_idx/, 'the live index is not walked');
  // With ANALYZE's per-value samples as well (which the app drops), the planner is led to the index when the
  // visibility conditions are open to it; the unary + keeps the key lookup under those statistics too.
  installArchiveStatistics(sqlite, { samples: true });
  t.ok((sqlite.prepare('SELECT count(*) AS n FROM sqlite_stat4').get() as { n: number }).n > 0, 'samples present');
  t.match(plan(targets!), /SEARCH articles USING INDEX sqlite_autoindex_articles_1 \(id=\?\)/, 'a primary-key lookup per id, samples or not');
  t.match(plan(targets!.replace('+((', '((')), /articles_live_published_idx/, 'control: without the unary + the planner walks the index');
});

t.test('planner statistics: row counts kept, per-value samples dropped (no statement is planned again at every run)', { skip: onPostgres && 'SQLite statistics' }, async (t) => {
  const { req, editor, app } = await build(t);
  const sqlite = app.db.sqlite!;
  for (let i = 0; i < 3; i++) {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Story ${i}`, body: [para('p1', 'Text.')] } });
    t.equal(res.status, 201);
  }
  sqlite.exec('ANALYZE');
  t.ok((sqlite.prepare('SELECT count(*) AS n FROM sqlite_stat4').get() as { n: number }).n > 0, 'a plain ANALYZE leaves samples');
  optimize(sqlite);
  t.equal((sqlite.prepare('SELECT count(*) AS n FROM sqlite_stat4').get() as { n: number }).n, 0, 'optimize drops them');
  t.ok((sqlite.prepare("SELECT count(*) AS n FROM sqlite_stat1 WHERE tbl = 'articles'").get() as { n: number }).n > 0, 'and keeps the row counts');
  // Reads still answer after the statistics were reloaded under the prepared statements.
  t.equal((await req({ method: 'GET', url: '/v1/articles?status=draft', headers: editor })).body.page.total, 3);
});

t.test('the search-index flush reads the pending rows, then each article by rowid: never the whole table', { skip: onPostgres && 'SQLite planner' }, async (t) => {
  const { req, editor, app } = await build(t);
  const sqlite = app.db.sqlite!;
  const seen = new Set<string>();
  const res = await statementsRun(sqlite, 'run', seen, () => req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Indexed', body: [para('p1', 'Findable words.')] } }));
  t.equal(res.status, 201);
  t.equal((await req({ method: 'GET', url: '/v1/search?q=findable', headers: editor })).body.data.length, 1, 'the article is in the index');
  const flush = [...seen].find((s) => /INSERT INTO articles_fts\(rowid/.test(s));
  t.ok(flush, 'found the flush statement');

  installArchiveStatistics(sqlite);
  const plan = (source: string) => (sqlite.prepare(`EXPLAIN QUERY PLAN ${source}`).all() as { detail: string }[]).map((r) => r.detail).join('\n');
  t.match(plan(flush!), /SCAN p\b[^]*SEARCH a USING INTEGER PRIMARY KEY \(rowid=\?\)/, 'pending rows first, each article by rowid');
  t.notMatch(plan(flush!), /SCAN a\b/, 'articles is not walked');
  // Control: left to the planner (no statistics for the pending table), the join walks the articles.
  t.match(plan(flush!.replace('CROSS JOIN', 'JOIN')), /SCAN a\b/, 'with a plain JOIN the planner walks articles');
});

t.test('the search index merges 16 segments of a level at a time, and all of a level at once only at 64', { skip: onPostgres && 'SQLite FTS5' }, async (t) => {
  // migrations/0009_search_merge.sql: FTS5's defaults (4 and 16) cost a 600-word article write a quarter more index work.
  const { req, editor, app } = await build(t);
  const sqlite = app.db.sqlite!;
  const config = Object.fromEntries((sqlite.prepare('SELECT k, v FROM articles_fts_config').all() as { k: string; v: unknown }[]).map((r) => [r.k, r.v]));
  t.equal(config.automerge, 16);
  t.equal(config.crisismerge, 64);
  // Twenty writes, each its own segment: merged on the way, nothing lost.
  for (let i = 0; i < 20; i++) {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Merged ${i}`, body: [para('p1', `Segment number${i} words.`)] } });
    t.equal(res.status, 201);
  }
  t.doesNotThrow(() => sqlite.exec("INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)"), 'the index matches the articles');
  t.equal((await req({ method: 'GET', url: '/v1/search?q=segment&limit=50', headers: editor })).body.data.length, 20, 'every write is found');
  t.equal((await req({ method: 'GET', url: '/v1/search?q=number7', headers: editor })).body.data.length, 1);
});
