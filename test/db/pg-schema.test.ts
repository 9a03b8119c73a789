/**
 * The PostgreSQL schema (src/db/schema.pg.ts, migrations-pg/) against the SQLite one (src/db/schema.ts,
 * migrations/): the same tables, columns, nullability, defaults, keys, indexes and checks, in drizzle's
 * table configs and in the two migrated databases' catalogs; its migrations, alone and two processes at once;
 * and its full-text search. The PostgreSQL parts need the local server (PG_TEST_URL) and skip, saying so,
 * when it does not answer.
 */
import Database from 'better-sqlite3';
import { getTableColumns, getTableName, is, sql } from 'drizzle-orm';
import { drizzle as sqliteDrizzle } from 'drizzle-orm/better-sqlite3';
import { migrate as sqliteMigrate } from 'drizzle-orm/better-sqlite3/migrator';
import { drizzle } from 'drizzle-orm/node-postgres';
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { migrationsFolder } from '../../src/db/migrate.js';
import { pgMigrationsFolder, runPgMigrations } from '../../src/db/migrate.pg.js';
import * as pgSchema from '../../src/db/schema.pg.js';
import * as sqliteSchema from '../../src/db/schema.js';
import { freshSchema, PG_URL, pgUnreachable } from '../postgres.js';

const run = promisify(execFile);

// Compile time (npm run typecheck): every table infers the same row and insert types on both sides, enum
// unions included (the PostgreSQL enums are typed text, so only the compiler sees their values).
type Tables = { [K in keyof typeof sqliteSchema as (typeof sqliteSchema)[K] extends SQLiteTable ? K : never]: (typeof sqliteSchema)[K] };
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type PgOf<K extends keyof Tables> = K extends keyof typeof pgSchema ? (typeof pgSchema)[K] : never;
type Parity = {
  [K in keyof Tables]: [
    Same<Tables[K]['$inferSelect'], Omit<PgOf<K> extends PgTable ? PgOf<K>['$inferSelect'] : never, 'search'>>,
    Same<Tables[K]['$inferInsert'], PgOf<K> extends PgTable ? PgOf<K>['$inferInsert'] : never>,
  ];
};
const typesMatch: { [K in keyof Tables]: Parity[K] extends [true, true] ? true : ['row types differ', K] } = {
  apiKeys: true, authors: true, sections: true, tags: true, articles: true, articleSlugs: true, articleTags: true,
  articleAuthors: true, articleCounts: true, articleRevisions: true, corrections: true, media: true, mediaUses: true, disclaimers: true,
  articleDisclaimers: true, relatedLinks: true, auditLog: true, webhooks: true, events: true, webhookDeliveries: true,
  idempotencyKeys: true,
};

const sqliteTables = Object.entries(sqliteSchema).filter((e) => is(e[1], SQLiteTable)) as [string, SQLiteTable][];
/** Columns PostgreSQL has and SQLite does not, by table: the search index (SQLite: the FTS5 table). */
const PG_ONLY_COLUMNS: Record<string, string[]> = { articles: ['search'] };
const PG_ONLY_INDEXES: Record<string, string[]> = { articles: ['articles_search_idx'] };

type AnyConfig = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;
const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => a.name.localeCompare(b.name));

/** What both dialects must agree on, from drizzle's table config. */
function shape(config: AnyConfig, skipColumns: string[] = []) {
  const columns = (config.columns as AnyConfig['columns'][number][]).filter((c) => !skipColumns.includes(c.name));
  return {
    name: config.name,
    columns: byName(columns.map((c) => ({
      name: c.name, notNull: c.notNull, primary: c.primary, unique: c.isUnique ? c.uniqueName : null,
      default: c.default ?? null, generated: c.generated ? 'yes' : 'no',
    }))),
    primaryKeys: (config.primaryKeys as { columns: { name: string }[] }[]).map((pk) => pk.columns.map((c) => c.name)),
    foreignKeys: byName((config.foreignKeys as AnyConfig['foreignKeys'][number][]).map((fk) => {
      const ref = fk.reference();
      return {
        name: fk.getName(), columns: ref.columns.map((c) => c.name), table: getTableName(ref.foreignTable),
        foreignColumns: ref.foreignColumns.map((c) => c.name), onDelete: fk.onDelete ?? 'no action', onUpdate: fk.onUpdate ?? 'no action',
      };
    })),
    indexes: byName((config.indexes as AnyConfig['indexes'][number][]).map((i) => ({
      name: i.config.name ?? '', unique: i.config.unique, columns: i.config.columns.map((c) => ('name' in c ? c.name : String(c))),
    }))),
    uniqueConstraints: byName((config.uniqueConstraints as { getName(): string; columns: { name: string }[] }[]).map((u) => ({ name: u.getName(), columns: u.columns.map((c) => c.name) }))),
    checks: (config.checks as { name: string }[]).map((c) => c.name).sort(),
  };
}

t.test('drizzle table configs: every SQLite table has its PostgreSQL twin', async (t) => {
  t.ok(typesMatch, 'row types (checked by tsc)');
  t.equal(sqliteTables.length, 21, 'the tables this test knows of');
  const pgTables = Object.entries(pgSchema).filter((e) => is(e[1], PgTable)) as [string, PgTable][];
  t.same(pgTables.map(([k]) => k).sort(), sqliteTables.map(([k]) => k).sort(), 'the same exported tables');
  for (const [key, table] of sqliteTables) {
    const twin = (pgSchema as Record<string, unknown>)[key] as PgTable;
    const s = sqliteTableConfig(table);
    const p = pgTableConfig(twin);
    const pgOnly = PG_ONLY_COLUMNS[s.name] ?? [];
    const pShape = shape(p, pgOnly);
    pShape.indexes = pShape.indexes.filter((i) => !(PG_ONLY_INDEXES[s.name] ?? []).includes(i.name));
    t.same(pShape, shape(s), `${s.name}: columns, keys, indexes and checks`);
    t.same(Object.keys(getTableColumns(twin)).filter((k) => !pgOnly.includes(k)).sort(), Object.keys(getTableColumns(table)).sort(), `${s.name}: the same TypeScript keys`);
  }
});

t.test('migrations-pg match schema.pg.ts and run in any schema', async (t) => {
  // As test/app/migrations.test.ts: drizzle-kit against a copy writes a file when a schema change has no migration.
  const out = join(mkdtempSync(join(tmpdir(), 'bs-pgmig-')), 'migrations-pg');
  cpSync(pgMigrationsFolder, out, { recursive: true });
  const before = readdirSync(out).sort();
  const { stdout } = await run('npx', ['drizzle-kit', 'generate', '--config', 'drizzle.pg.config.ts'], { env: { ...process.env, DRIZZLE_OUT: relative(process.cwd(), out) }, timeout: 60_000 });
  t.same(readdirSync(out).sort(), before, 'no new migration was needed');
  t.match(stdout, /No schema changes/, 'drizzle-kit reports no schema changes; run `npm run db:generate:pg` and commit');
  // drizzle-kit writes `REFERENCES "public"."articles"` in foreign keys: that would tie every schema's tables to
  // public's (or fail). Generated migrations have the qualifier removed by hand before they are committed.
  for (const file of readdirSync(pgMigrationsFolder).filter((f) => f.endsWith('.sql'))) {
    t.notMatch(readFileSync(join(pgMigrationsFolder, file), 'utf8'), /"public"\./, `${file} names no schema (remove "public". from its foreign keys)`);
  }
});

const unreachable = await pgUnreachable();
const skip = unreachable ? `PostgreSQL at ${PG_URL} does not answer (${unreachable}): the PostgreSQL schema tests need it` : false;
const migrationCount = (JSON.parse(readFileSync(join(pgMigrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

t.test('migrations: a second run is a no-op; two processes starting together apply each once', { skip }, async (t) => {
  const one = await freshSchema(t);
  const pool = one.pool();
  await runPgMigrations(pool);
  const applied = await one.query<{ hash: string; created_at: string }>('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id');
  t.equal(applied.length, migrationCount, 'every migration recorded, in the schema it ran in');
  await runPgMigrations(drizzle(pool));
  t.same(await one.query('SELECT hash, created_at FROM __drizzle_migrations ORDER BY id'), applied, 'the second run applied nothing');

  const two = await freshSchema(t);
  const results = await Promise.allSettled([runPgMigrations(two.pool()), runPgMigrations(two.pool())]);
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled'], `both started: ${results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; ')}`);
  t.equal((await two.query('SELECT hash FROM __drizzle_migrations')).length, migrationCount, 'each migration applied once');
  t.equal((await two.query("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'articles'"))[0]?.n, 1);
});

/** The SQLite database as the app's migrations leave it (hand-written SQL included). */
function migratedSqlite() {
  const sqlite = new Database(':memory:');
  sqliteMigrate(sqliteDrizzle(sqlite), { migrationsFolder });
  return sqlite;
}

t.test('catalogs: the migrated PostgreSQL schema has what the migrated SQLite database has', { skip }, async (t) => {
  const s = await freshSchema(t);
  await runPgMigrations(s.pool());
  const sqlite = migratedSqlite();
  t.teardown(() => sqlite.close());
  const all = <R>(q: string, ...args: unknown[]) => sqlite.prepare(q).all(...args) as R[];

  const sqliteOnly = /^(sqlite_|articles_fts|__drizzle_migrations$)/;
  const liteTables = all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map((r) => r.name).filter((n) => !sqliteOnly.test(n));
  const pgTables = (await s.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_name <> '__drizzle_migrations' ORDER BY 1", [s.name])).map((r) => r.name);
  t.same(pgTables, liteTables, 'the same tables (SQLite-only: FTS5 shadow tables, migrations bookkeeping)');
  t.same(liteTables, sqliteTables.map(([, table]) => getTableName(table)).sort(), 'and they are those of schema.ts');

  const normDefault = (d: string | null) => (d === null ? null : d.replace(/::[a-z ]+$/, ''));
  for (const table of liteTables) {
    const lite = all<{ name: string; notnull: number; dflt_value: string | null; pk: number }>(`PRAGMA table_info("${table}")`);
    const pgCols = await s.query<{ name: string; nullable: string; dflt: string | null; collation: string | null; type: string }>(
      'SELECT column_name AS name, is_nullable AS nullable, column_default AS dflt, collation_name AS collation, data_type AS type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [s.name, table],
    );
    const pgOnly = PG_ONLY_COLUMNS[table] ?? [];
    t.same(
      byName(pgCols.filter((c) => !pgOnly.includes(c.name)).map((c) => ({ name: c.name, notNull: c.nullable === 'NO', default: normDefault(c.dflt) }))),
      byName(lite.map((c) => ({ name: c.name, notNull: c.notnull === 1, default: c.dflt_value }))),
      `${table}: column names, nullability and defaults`,
    );
    t.same(pgCols.filter((c) => c.type === 'text' && c.collation !== 'C').map((c) => c.name), [], `${table}: text compares bytewise (COLLATE "C"), as SQLite's BINARY`);

    const litePk = lite.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const [pgPk] = await s.query<{ cols: string[] }>(
      `SELECT array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[] AS cols
       FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.contype = 'p'`,
      [`${s.name}.${table}`],
    );
    t.same(pgPk?.cols, litePk, `${table}: primary key`);

    // Indexes other than the primary key's, unique ones included (SQLite makes UNIQUE columns unique indexes of the same name).
    const liteIdx = all<{ name: string; unique: number; origin: string }>(`PRAGMA index_list("${table}")`)
      .filter((i) => i.origin !== 'pk')
      .map((i) => ({ name: i.name, unique: i.unique === 1, columns: all<{ name: string }>(`PRAGMA index_info("${i.name}")`).map((c) => c.name) }));
    const pgIdx = await s.query<{ name: string; unique: boolean; columns: string[] }>(
      `SELECT ic.relname AS name, i.indisunique AS unique,
         array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = $1::regclass AND NOT i.indisprimary`,
      [`${s.name}.${table}`],
    );
    const pgOnlyIdx = PG_ONLY_INDEXES[table] ?? [];
    t.same(byName(pgIdx.filter((i) => !pgOnlyIdx.includes(i.name))), byName(liteIdx), `${table}: indexes and unique keys`);

    const fkRows = all<{ id: number; seq: number; table: string; from: string; to: string; on_delete: string }>(`PRAGMA foreign_key_list("${table}")`);
    const liteFks = [...new Set(fkRows.map((r) => r.id))]
      .map((id) => fkRows.filter((r) => r.id === id).sort((a, b) => a.seq - b.seq))
      .map((rows) => ({ columns: rows.map((r) => r.from), table: rows[0]!.table, foreignColumns: rows.map((r) => r.to), onDelete: rows[0]!.on_delete.toLowerCase() }));
    const pgFks = await s.query<{ columns: string[]; table: string; schema: string; foreignColumns: string[]; onDelete: string }>(
      `SELECT array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
         rc.relname AS table, rn.nspname AS schema,
         array(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS "foreignColumns",
         CASE c.confdeltype WHEN 'c' THEN 'cascade' WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'n' THEN 'set null' ELSE 'set default' END AS "onDelete"
       FROM pg_constraint c JOIN pg_class rc ON rc.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = rc.relnamespace
       WHERE c.conrelid = $1::regclass AND c.contype = 'f'`,
      [`${s.name}.${table}`],
    );
    t.same(pgFks.filter((f) => f.schema !== s.name), [], `${table}: foreign keys point into the same schema`);
    const fkKey = (f: { columns: string[] }) => f.columns.join();
    t.same(pgFks.map(({ schema: _schema, ...f }) => f).sort((a, b) => fkKey(a).localeCompare(fkKey(b))), liteFks.sort((a, b) => fkKey(a).localeCompare(fkKey(b))), `${table}: foreign keys and their ON DELETE`);

    const liteSql = all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table)[0]!.sql;
    const liteChecks = [...liteSql.matchAll(/CONSTRAINT "(\w+)" CHECK/g)].map((m) => m[1]).sort();
    const pgChecks = (await s.query<{ name: string }>("SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' ORDER BY 1", [`${s.name}.${table}`])).map((r) => r.name);
    t.same(pgChecks, liteChecks, `${table}: checks`);
  }
});

const NOW = '2026-01-15T12:00:00.000Z';
const para = (text: string) => [{ type: 'paragraph', id: 'p1', children: [{ type: 'text', text }] }];
const article = (id: string, fields: Partial<typeof pgSchema.articles.$inferInsert> = {}): typeof pgSchema.articles.$inferInsert => ({
  id, slug: id.toLowerCase(), headline: `Headline of ${id}`, type: 'news', status: 'published', body: para('Body text.'), language: 'en',
  commentsMode: 'open', revision: 1, createdAt: NOW, updatedAt: NOW, publishedAt: NOW, plainText: 'Body text.', wordCount: 2, readingTimeMinutes: 1,
  ...fields,
});

t.test('full-text search: weighted like the SQLite index, accents folded, kept by every write', { skip }, async (t) => {
  const s = await freshSchema(t);
  const pool = s.pool();
  await runPgMigrations(pool);
  const db = drizzle(pool, { schema: pgSchema });
  await db.insert(pgSchema.articles).values([
    article('BODY', { plainText: 'Delegates met at panmunjom on Tuesday.' }),
    article('HEADLINE', { headline: 'Talks resume at Panmunjom' }),
    article('CAPTION', { captions: 'The border village of Panmunjom' }),
    article('STANDFIRST', { standfirst: 'Why Panmunjom matters' }),
    article('OTHER', { headline: 'Nothing to see', plainText: 'Panmunjoms are not a word.' }),
    article('CAFE', { headline: 'Café society returns', plainText: 'Über alles.' }),
  ]);
  const search = async (config: string, q: string) => (await db.execute<{ id: string }>(sql`
    SELECT id FROM articles, websearch_to_tsquery(${config}::regconfig, ${q}) q
    WHERE search @@ q ORDER BY ts_rank_cd(${pgSchema.SEARCH_WEIGHTS}::float4[], search, q) DESC, id`)).rows.map((r) => r.id);

  t.same(await search('simple', 'panmunjom'), ['HEADLINE', 'STANDFIRST', 'CAPTION', 'BODY'], "websearch_to_tsquery('simple', …): headline above standfirst above captions above body (bm25 10/4/2/1)");
  t.same(await search(pgSchema.SEARCH_CONFIG, 'PANMUNJOM'), ['HEADLINE', 'STANDFIRST', 'CAPTION', 'BODY'], 'the same with the search configuration, any case');
  t.same(await search(pgSchema.SEARCH_CONFIG, 'cafe'), ['CAFE'], 'accents are folded in the index…');
  t.same(await search(pgSchema.SEARCH_CONFIG, 'CAFÉ uber'), ['CAFE'], '…and in the query');
  t.same(await search(pgSchema.SEARCH_CONFIG, '"café society"'), ['CAFE'], 'phrases');
  t.same(await search(pgSchema.SEARCH_CONFIG, 'panmunjom -talks'), ['STANDFIRST', 'CAPTION', 'BODY'], 'exclusions');

  await db.update(pgSchema.articles).set({ headline: 'Talks end', captions: 'Panmunjom at dusk' }).where(sql`id = 'HEADLINE'`);
  t.same(await search('simple', 'panmunjom'), ['STANDFIRST', 'CAPTION', 'HEADLINE', 'BODY'], 'an update re-indexes the row (the headline no longer matches; its new caption does)');
  await db.delete(pgSchema.articles).where(sql`id = 'STANDFIRST'`);
  t.same(await search('simple', 'panmunjom'), ['CAPTION', 'HEADLINE', 'BODY'], 'a deleted row is gone from the index');

  t.match(String((await pool.query("SELECT indexdef FROM pg_indexes WHERE indexname = 'articles_search_idx' AND schemaname = $1", [s.name])).rows[0]?.indexdef), /USING gin \(search\)/, 'a GIN index on the search column');
});

t.test('constraints behave as on SQLite: checks, cascades, unique keys', { skip }, async (t) => {
  const s = await freshSchema(t);
  const pool = s.pool();
  await runPgMigrations(pool);
  const db = drizzle(pool, { schema: pgSchema });
  await db.insert(pgSchema.articles).values([article('A'), article('B')]);
  const fails = async (what: string, p: Promise<unknown>, code: string) => {
    const e = await p.then(() => undefined, (err: { cause?: { code?: string }; code?: string }) => err);
    t.equal(e?.cause?.code ?? e?.code, code, what);
  };
  await fails('an empty correction', db.insert(pgSchema.corrections).values({ id: 'C1', articleId: 'A', kind: 'correction', text: '', publishedAt: NOW }), '23514');
  await fails('a related link with neither target nor url', db.insert(pgSchema.relatedLinks).values({ id: 'L0', articleId: 'A', position: 0, createdAt: NOW, updatedAt: NOW }), '23514');
  await fails('a link to itself', db.insert(pgSchema.relatedLinks).values({ id: 'L1', articleId: 'A', targetArticleId: 'A', position: 0, createdAt: NOW, updatedAt: NOW }), '23514');
  await fails('a duplicate slug', db.insert(pgSchema.articles).values(article('C', { slug: 'a' })), '23505');
  await fails('a tag that does not exist', db.insert(pgSchema.articleTags).values({ articleId: 'A', tagId: 'NOPE', position: 0 }), '23503');
  await db.insert(pgSchema.relatedLinks).values([
    { id: 'L2', articleId: 'A', targetArticleId: 'B', position: 0, createdAt: NOW, updatedAt: NOW },
    { id: 'L3', articleId: 'B', url: 'https://example.com/', position: 0, createdAt: NOW, updatedAt: NOW },
  ]);
  await fails('the same target twice', db.insert(pgSchema.relatedLinks).values({ id: 'L4', articleId: 'A', targetArticleId: 'B', position: 1, createdAt: NOW, updatedAt: NOW }), '23505');
  await db.delete(pgSchema.articles).where(sql`id = 'B'`);
  t.same((await db.select({ id: pgSchema.relatedLinks.id }).from(pgSchema.relatedLinks)).map((r) => r.id), [], 'deleting an article deletes links from and to it');
  await db.insert(pgSchema.tags).values(['apple', 'Zebra', 'Banana', 'éclair', 'Apple'].map((name, i) => ({ id: `T${i}`, slug: `s${i}`, name, createdAt: NOW, updatedAt: NOW })));
  t.same((await db.select({ name: pgSchema.tags.name }).from(pgSchema.tags).orderBy(pgSchema.tags.name)).map((r) => r.name), ['Apple', 'Banana', 'Zebra', 'apple', 'éclair'], 'text sorts by bytes (COLLATE "C"), as SQLite\'s BINARY does, whatever the server\'s locale');
});

t.test('article counters: kept per statement, right after statements of many rows', { skip }, async (t) => {
  const s = await freshSchema(t);
  const pool = s.pool();
  await runPgMigrations(pool);
  const db = drizzle(pool, { schema: pgSchema });
  // The recount, as the migration's backfill does it.
  const recount = async () => (await pool.query<{ scope: string; bucket: string; n: number }>(`
    SELECT scope, bucket, count(*)::int AS n FROM (
      SELECT '' AS scope, article_bucket(a.status, a.published_at) AS bucket FROM articles a WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'type:' || a.type, article_bucket(a.status, a.published_at) FROM articles a WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'section:' || a.section_id, article_bucket(a.status, a.published_at) FROM articles a WHERE a.deleted_at IS NULL AND a.section_id IS NOT NULL
      UNION ALL SELECT 'tag:' || l.tag_id, article_bucket(a.status, a.published_at) FROM article_tags l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
      UNION ALL SELECT 'author:' || l.author_id, article_bucket(a.status, a.published_at) FROM article_authors l JOIN articles a ON a.id = l.article_id WHERE a.deleted_at IS NULL
    ) c GROUP BY 1, 2 ORDER BY 1, 2`)).rows;
  const kept = async () => (await pool.query<{ scope: string; bucket: string; n: number }>('SELECT scope, bucket, n FROM article_counts WHERE n <> 0 ORDER BY 1, 2')).rows;
  const check = async (after: string) => t.same(await kept(), await recount(), `after ${after}: the counters equal a recount`);

  await db.insert(pgSchema.sections).values(['S1', 'S2'].map((id) => ({ id, slug: id.toLowerCase(), name: id, createdAt: NOW, updatedAt: NOW })));
  await db.insert(pgSchema.tags).values(['T1', 'T2'].map((id) => ({ id, slug: id.toLowerCase(), name: id, createdAt: NOW, updatedAt: NOW })));
  await db.insert(pgSchema.authors).values([{ id: 'U1', slug: 'u1', name: 'U1', createdAt: NOW, updatedAt: NOW }]);
  await db.insert(pgSchema.articles).values([
    ...Array.from({ length: 40 }, (_, i) => article(`A${i}`, { sectionId: i % 2 ? 'S1' : 'S2', type: i % 3 ? 'news' : 'opinion', status: i % 4 ? 'published' : 'draft', publishedAt: i % 4 ? NOW : null })),
    article('GONE', { deletedAt: NOW, sectionId: 'S1' }),
  ]);
  await check('one INSERT of 41 articles');
  await db.insert(pgSchema.articleTags).values(Array.from({ length: 40 }, (_, i) => ({ articleId: `A${i}`, tagId: i % 2 ? 'T1' : 'T2', position: 0 })));
  await db.insert(pgSchema.articleAuthors).values([...Array.from({ length: 20 }, (_, i) => ({ articleId: `A${i}`, authorId: 'U1', role: 'author' as const, position: 0 })), { articleId: 'GONE', authorId: 'U1', role: 'author' as const, position: 0 }]);
  await check('one INSERT of 40 tag links and one of 21 author links');
  await db.update(pgSchema.articles).set({ status: 'published', publishedAt: NOW }).where(sql`status = 'draft'`);
  await check('one UPDATE publishing 10 drafts');
  await db.update(pgSchema.articles).set({ revision: 2, headline: 'Edited' });
  await check('one UPDATE of every article that moves nothing');
  await db.update(pgSchema.articles).set({ sectionId: 'S1', type: 'news' }).where(sql`id IN ('A0', 'A2', 'A3')`);
  await check('one UPDATE moving 3 articles (their tag and author counters move with them)');
  await db.update(pgSchema.articleTags).set({ tagId: 'T1' }).where(sql`tag_id = 'T2'`);
  await db.update(pgSchema.articleAuthors).set({ position: 5 });
  await check('one UPDATE moving 20 tag links and one that moves nothing');
  await db.update(pgSchema.articles).set({ deletedAt: NOW }).where(sql`id IN ('A1', 'A4', 'A5')`);
  await check('one UPDATE trashing 3 articles');
  await db.delete(pgSchema.articleTags).where(sql`article_id IN ('A6', 'A7', 'A8')`);
  await db.delete(pgSchema.articles).where(sql`id IN ('A9', 'A10', 'A11', 'A1')`);
  await check('one DELETE of 3 tag links and one of 4 articles (one of them trashed)');

  // Per-row counting triggers are quadratic in PostgreSQL (migrations-pg/0002_article_counts.sql): only the one that
  // deletes an article's links first is per row.
  const perRow = (await pool.query<{ name: string }>(`
    SELECT t.tgname AS name FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND NOT t.tgisinternal AND t.tgname LIKE 'article_counts%' AND (t.tgtype & 1) = 1 ORDER BY 1`, [s.name])).rows.map((r) => r.name);
  t.same(perRow, ['article_counts_bd'], 'the counting triggers run per statement');
});
