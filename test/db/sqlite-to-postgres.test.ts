/**
 * `npm run migrate:sqlite-to-postgres` as an operator runs it: a site built through the HTTP API on a SQLite
 * file, copied by the CLI (a child process) into a fresh PostgreSQL schema, then compared row for row where
 * it matters. Needs the local PostgreSQL (PG_TEST_URL); skipped, saying so, when it does not answer.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { build, fixtureCaller, multipart, para } from '../helper.js';
import { freshSchema, PG_URL, pgUnreachable } from '../postgres.js';
import { entryArgs } from '../hardening/server-process.js';

const unreachable = await pgUnreachable();
if (unreachable) {
  t.plan(0, `PostgreSQL at ${PG_URL} does not answer (${unreachable}): the SQLite-to-PostgreSQL copy tests need it`);
} else {
  await main();
}

type Run = { code: number; stdout: string; stderr: string };

/** The CLI in a child process, through its npm script (as documented) or straight through node (`entryArgs`). */
function cli(args: string[], viaNpm = false): Promise<Run> {
  const [cmd, argv] = viaNpm
    ? ['npm', ['run', '--silent', 'migrate:sqlite-to-postgres', '--', ...args]]
    : [process.execPath, [...entryArgs('src/cli/sqlite-to-postgres.ts'), ...args]];
  return new Promise((resolve) => {
    execFile(cmd as string, argv as string[], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bs-s2p-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'site.db');

  await t.test('a site on a SQLite file, built through the API', async (t) => {
    // The source site is on SQLite on either run: under DB=postgres build() would put it on a schema.
    const app = await build(t, { databaseFile: file, databaseUrl: undefined, webhookAllowedHosts: ['127.0.0.1'] });
    const call = fixtureCaller(app);
    const admin = (method: string, url: string, payload?: unknown) => call(method, url, payload, app.admin);
    // A child section created before its parent: the copy must still insert the parent first.
    const asia = await call('POST', '/v1/sections', { name: 'Asia' });
    const world = await call('POST', '/v1/sections', { name: 'World' });
    await call('PATCH', `/v1/sections/${asia.id}`, { parentId: world.id });
    const author = await call('POST', '/v1/authors', { name: 'Guest Columnist', bio: 'Columns.' });
    const tags = [await call('POST', '/v1/tags', { name: 'Korean Peninsula' }), await call('POST', '/v1/tags', { name: 'United Nations' })];
    const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: '#345678' } }).png().toBuffer();
    const up = multipart([
      { name: 'file', filename: 'border.png', type: 'image/png', data: png },
      { name: 'caption', value: JSON.stringify([{ type: 'text', text: 'Delegates at Panmunjom' }]) },
      { name: 'altText', value: 'Delegates shake hands' },
    ]);
    const photo = await app.req({ method: 'POST', url: '/v1/media', headers: { ...app.editor, ...up.headers }, payload: up.payload });
    if (photo.status !== 201) throw new Error(`upload: ${photo.status} ${photo.raw}`);
    const notice = await call('POST', '/v1/disclaimers', { key: 'opinion-views', body: [{ type: 'text', text: 'Views are the author’s own.' }], placements: ['top'], appliesTo: { types: ['opinion'] } });
    await admin('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['*'], description: 'the newsroom bot' });
    await admin('POST', '/v1/api-keys', { name: 'syndication', role: 'editor' });

    const related = await call('POST', '/v1/articles', { headline: 'Talks resume', type: 'news', body: [para('p1', 'A short report.')], language: 'en', commentsMode: 'open' });
    const column = await call('POST', '/v1/articles', {
      headline: 'Mediation at Panmunjom', standfirst: 'Who will lead the talks?', type: 'opinion', language: 'en', commentsMode: 'open',
      body: [para('p1', 'Café diplomacy returns to the border.'), { type: 'image', id: 'photo', mediaId: photo.body.id, layout: 'wide' }],
      sectionId: asia.id, tagIds: tags.map((x) => x.id), authors: [{ authorId: author.id, role: 'author' }], source: { name: 'TASS' },
    });
    await call('POST', `/v1/articles/${column.id}/related-links`, { targetArticleId: related.id });
    await call('POST', `/v1/articles/${column.id}/related-links`, { url: 'https://example.com/background', label: 'Background' });
    await call('PUT', `/v1/articles/${column.id}/disclaimers`, [{ disclaimerId: notice.id, placements: ['bottom'] }]);
    await call('PATCH', `/v1/articles/${column.id}`, { kicker: 'Analysis' });
    await call('POST', `/v1/articles/${column.id}/publish`);
    await call('POST', `/v1/articles/${column.id}/corrections`, { kind: 'clarification', text: 'The talks are in March.' });
    const idempotent = await app.req({ method: 'POST', url: '/v1/tags', headers: { ...app.editor, 'idempotency-key': 'tag-1' }, payload: { name: 'Diplomacy' } });
    if (idempotent.status !== 201) throw new Error(`idempotent POST: ${idempotent.status} ${idempotent.raw}`);
    await app.app.close();
  });

  const lite = new Database(file, { readonly: true });
  t.teardown(() => lite.close());
  const tables = (lite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'articles_fts%' AND name <> '__drizzle_migrations' ORDER BY name").pluck().all() as string[]);
  // The article counters are PostgreSQL's triggers' own work, not copied: their non-zero rows are compared.
  const liteCount = (table: string) => lite.prepare(`SELECT count(*) FROM "${table}"${table === 'article_counts' ? ' WHERE n <> 0' : ''}`).pluck().get() as number;
  for (const table of ['sections', 'articles', 'article_tags', 'article_authors', 'article_revisions', 'article_disclaimers', 'related_links', 'media', 'media_uses', 'disclaimers', 'corrections', 'api_keys', 'webhooks', 'events', 'webhook_deliveries', 'audit_log', 'idempotency_keys']) {
    t.ok(liteCount(table) > 0, `the SQLite site has ${table}`);
  }

  await t.test('copies every table into an empty schema and verifies the counts', async (t) => {
    const pg = await freshSchema(t);
    const res = await cli([file, pg.url], true);
    t.equal(res.code, 0, res.stderr);
    t.match(res.stderr, /100% \d+\/\d+ rows/, 'a progress bar on stderr');
    for (const table of tables) {
      const [row] = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"${table === 'article_counts' ? ' WHERE n <> 0' : ''}`);
      t.equal(row?.n, liteCount(table), `${table}: as many rows as in SQLite`);
      t.match(res.stdout, new RegExp(`^${table} +${liteCount(table)} +${liteCount(table)} +ok$`, 'm'), `${table}: in the verification table`);
    }
    t.match(res.stdout, `all ${tables.length} tables match`);
    t.notMatch(res.stdout, /lone surrogates/, 'a site written through the API needs no replacement');
    const counters = 'SELECT scope, bucket, n FROM article_counts WHERE n <> 0 ORDER BY scope, bucket';
    t.ok(liteCount('article_counts') >= 8, 'the site has counters (all, type, section, tags, author)');
    t.same(await pg.query(counters), lite.prepare(counters).all(), 'the counters PostgreSQL kept while the rows arrived are SQLite\'s');

    const liteArticles = lite.prepare('SELECT id, body, seo, source, hero FROM articles ORDER BY id').all() as { id: string; body: string; seo: string | null; source: string | null; hero: string | null }[];
    const pgArticles = await pg.query<{ id: string; body: unknown; seo: unknown; source: unknown; hero: unknown }>('SELECT id, body, seo, source, hero FROM articles ORDER BY id');
    t.same(pgArticles, liteArticles.map((a) => ({ id: a.id, body: JSON.parse(a.body), seo: a.seo && JSON.parse(a.seo), source: a.source && JSON.parse(a.source), hero: a.hero && JSON.parse(a.hero) })), 'article JSON is the same JSON, now jsonb');
    t.same(
      await pg.query("SELECT jsonb_typeof(body) AS body FROM articles GROUP BY 1"), [{ body: 'array' }], 'stored as JSON values, not JSON strings',
    );
    t.same(await pg.query('SELECT id, hash, role, prefix FROM api_keys ORDER BY id'), lite.prepare('SELECT id, hash, role, prefix FROM api_keys ORDER BY id').all(), 'API keys keep their hashes');
    t.same(await pg.query('SELECT id, secret, events, active FROM webhooks'), (lite.prepare('SELECT id, secret, events, active FROM webhooks').all() as any[]).map((w) => ({ ...w, events: JSON.parse(w.events), active: w.active === 1 })), 'webhooks keep their secrets; booleans are booleans');
    t.same(await pg.query('SELECT suppress, placements FROM article_disclaimers'), [{ suppress: false, placements: ['bottom'] }]);
    t.same(await pg.query('SELECT article_id, revision, snapshot FROM article_revisions ORDER BY 1, 2'), (lite.prepare('SELECT article_id, revision, snapshot FROM article_revisions ORDER BY 1, 2').all() as any[]).map((r) => ({ ...r, snapshot: JSON.parse(r.snapshot) })), 'revisions and their snapshots');
    t.same(await pg.query('SELECT principal, key, state, status, body FROM idempotency_keys'), lite.prepare('SELECT principal, key, state, status, body FROM idempotency_keys').all(), 'idempotency records, the stored response byte for byte');
    t.same((await pg.query<{ id: string }>("SELECT id FROM articles WHERE search @@ websearch_to_tsquery('simple', 'panmunjom')")).length, 1, 'the copied article is found by a word of its headline');
    t.same((await pg.query<{ id: string }>("SELECT id FROM articles WHERE search @@ websearch_to_tsquery('broadsheet', 'cafe')")).length, 1, '…and by an accented word of its body, unaccented');

    const again = await cli([file, pg.url]);
    t.not(again.code, 0, 'a second copy into the same schema is refused');
    t.match(again.stderr, /target is not empty \(.*articles: \d+ rows/);
    const [articles] = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM articles');
    t.equal(articles?.n, liteCount('articles'), 'and changes nothing');
  });

  await t.test('one row per INSERT: a child section stored before its parent still goes in after it', async (t) => {
    // One multi-row INSERT checks its foreign keys at its end; row by row, the order of the rows matters.
    const pg = await freshSchema(t);
    const res = await cli(['--batch-rows=1', file, pg.url]);
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout, `all ${tables.length} tables match`);
    t.same(await pg.query("SELECT c.name FROM sections c JOIN sections p ON p.id = c.parent_id WHERE p.name = 'World'"), [{ name: 'Asia' }]);
  });

  await t.test('text older versions stored and PostgreSQL refuses: NUL and lone surrogates become U+FFFD, and the summary says where', async (t) => {
    // Written straight into the file, as versions before the validator's text rules could.
    const old = join(dir, 'old-text.db');
    copyFileSync(file, old);
    const w = new Database(old);
    const article = w.prepare("SELECT id, body FROM articles WHERE headline = 'Mediation at Panmunjom'").get() as { id: string; body: string };
    const body = JSON.parse(article.body) as { id: string; children?: { text: string }[] }[];
    body.find((b) => b.id === 'p1')!.children![0]!.text = 'Café\u0000diplomacy \ud800returns';
    w.prepare('UPDATE articles SET headline = ?, body = ?, source = ? WHERE id = ?')
      .run('Mediation\u0000at Panmunjom', JSON.stringify(body), JSON.stringify({ name: 'TASS', 'note\u0000': 'a key' }), article.id);
    const mediaId = w.prepare('SELECT id FROM media').pluck().get() as string;
    w.prepare('UPDATE media SET caption = ?, caption_text = ? WHERE id = ?')
      .run(JSON.stringify([{ type: 'text', text: 'Delegates\u0000at \udc00Panmunjom' }]), 'Delegates\u0000at Panmunjom', mediaId);
    const stored = w.prepare('SELECT a.headline, a.body, m.caption FROM articles a, media m WHERE a.id = ? AND m.id = ?').get(article.id, mediaId) as Record<string, string>;
    w.close();
    t.equal(stored.headline, 'Mediation\u0000at Panmunjom', 'the SQLite file holds the NUL in text');
    t.match(stored.body, '\\u0000diplomacy \\ud800returns', '…and the escapes in JSON text');
    t.match(stored.caption, '\\u0000at \\udc00Panmunjom');

    const pg = await freshSchema(t);
    const res = await cli([old, pg.url]);
    t.equal(res.code, 0, res.stderr);
    t.match(res.stdout, `all ${tables.length} tables match`, 'every row is copied');
    const [copied] = await pg.query<{ headline: string; body: { id: string; children?: { text: string }[] }[]; source: unknown }>('SELECT headline, body, source FROM articles WHERE id = $1', [article.id]);
    t.equal(copied?.headline, 'Mediation\ufffdat Panmunjom', 'NUL in a text column becomes U+FFFD');
    t.equal(copied?.body.find((b) => b.id === 'p1')?.children?.[0]?.text, 'Café\ufffddiplomacy \ufffdreturns', 'NUL and a lone surrogate in a JSON text node become U+FFFD');
    t.same(copied?.source, { name: 'TASS', 'note\ufffd': 'a key' }, '…and in a JSON object key');
    t.same(await pg.query('SELECT caption, caption_text FROM media WHERE id = $1', [mediaId]), [{ caption: [{ type: 'text', text: 'Delegates\ufffdat \ufffdPanmunjom' }], caption_text: 'Delegates\ufffdat Panmunjom' }], 'a media caption');
    const others = lite.prepare('SELECT id, headline, body FROM articles WHERE id <> ? ORDER BY id').all(article.id) as { id: string; headline: string; body: string }[];
    t.same(await pg.query('SELECT id, headline, body FROM articles WHERE id <> $1 ORDER BY id', [article.id]), others.map((a) => ({ ...a, body: JSON.parse(a.body) })), 'other rows are untouched');

    const replaced = res.stdout.split('\n').filter((l) => l.includes('lone surrogates'));
    t.same(replaced, [
      'articles.headline: 1 value had NUL or lone surrogates, replaced by U+FFFD',
      'articles.body: 1 value had NUL or lone surrogates, replaced by U+FFFD',
      'articles.source: 1 value had NUL or lone surrogates, replaced by U+FFFD',
      'media.caption: 1 value had NUL or lone surrogates, replaced by U+FFFD',
      'media.caption_text: 1 value had NUL or lone surrogates, replaced by U+FFFD',
    ], 'the summary names each column and how many values changed');
  });

  await t.test('a failure part-way leaves the target empty', async (t) => {
    // Bad JSON in a table copied after several others (sections, authors, tags… go first).
    const broken = join(dir, 'broken.db');
    copyFileSync(file, broken);
    const w = new Database(broken);
    w.prepare("UPDATE webhooks SET events = '[not json'").run();
    w.close();
    const pg = await freshSchema(t);
    const res = await cli([broken, pg.url]);
    t.equal(res.code, 1);
    t.match(res.stderr, /copying webhooks: invalid input syntax for type json.*nothing was copied/s);
    for (const table of tables) {
      const [row] = await pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"${table === 'article_counts' ? ' WHERE n <> 0' : ''}`);
      t.equal(row?.n, 0, `${table} is empty`);
    }
  });

  await t.test('refuses a SQLite file that is not at the latest migration, before touching PostgreSQL', async (t) => {
    const old = join(dir, 'old.db');
    copyFileSync(file, old);
    const w = new Database(old);
    w.prepare('DELETE FROM __drizzle_migrations WHERE created_at = (SELECT max(created_at) FROM __drizzle_migrations)').run();
    w.close();
    const pg = await freshSchema(t);
    const res = await cli([old, pg.url]);
    t.equal(res.code, 1);
    t.match(res.stderr, /not at the latest migration \(it has \d+ of \d+ applied\): start this version of Broadsheet on it once/);
    t.same(await pg.query('SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()'), [], 'nothing was created in the target');

    const usage = await cli([old]);
    t.equal(usage.code, 2);
    t.match(usage.stderr, 'usage: npm run migrate:sqlite-to-postgres -- [--batch-rows=N] <sqlite file> <postgres url>');
    const missing = await cli([join(dir, 'nope.db'), pg.url]);
    t.equal(missing.code, 1);
    t.match(missing.stderr, /cannot open .*nope\.db read-only/);
  });
}
