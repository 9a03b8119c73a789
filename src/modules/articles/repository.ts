import { and, asc, count, desc, eq, getTableColumns, gt, gte, inArray, isNotNull, isNull, lt, lte, ne, sql, type SQL } from 'drizzle-orm';
import { insertPlaceholders, insertValues, preparedByShape, preparedOnce, type Async } from '../../db/client.js';
import type { SearchTerms } from '../../content/search.js';
import type { Dialect, Tables } from '../../db/dialect.js';
import type { articleAuthors, articles } from '../../db/schema.js';
import { articleVisibleTo, preparedByViewer, visibleWhen, type Viewer } from '../../db/visibility.js';

export type ArticleRow = typeof articles.$inferSelect;
/** What a representation of the article needs: the row without the search-only text (plain_text, captions). */
export type ArticleReadRow = Omit<ArticleRow, 'plainText' | 'captions'>;
export type ArticleInsert = typeof articles.$inferInsert;
export type AuthorRef = { authorId: string; role: (typeof articleAuthors.$inferSelect)['role'] };

export type ArticleFilter = {
  type?: ArticleRow['type'] | undefined;
  sectionSlug?: string | undefined;
  tagSlug?: string | undefined;
  authorSlug?: string | undefined;
  status?: 'draft' | 'scheduled' | 'published' | 'deleted' | undefined;
  publishedAfter?: string | undefined;
  publishedBefore?: string | undefined;
  /** The words to search for, made by the caller from plain text (never raw user input); bound through `d.matchValue`. */
  match?: SearchTerms | undefined;
};

export type SortSpec = { column: 'publishedAt' | 'updatedAt' | 'headline'; direction: 'asc' | 'desc' };

// The bare column, so the (status, deleted_at, published_at, id) index gives the order without a sort.
// Drafts have no publishedAt: their NULL keys sort as SQLite sorts them (d.orderNullable, `after`).
const sortKey = ({ articles }: Tables, column: SortSpec['column']): SQL =>
  column === 'publishedAt' ? sql`${articles.publishedAt}` : column === 'updatedAt' ? sql`${articles.updatedAt}` : sql`${articles.headline}`;

/** Named values of the prepared list and count queries: the filter's own fields, `now`, the cursor, the limit. */
const p = sql.placeholder;

/**
 * Rows after the cursor (cursorKey, cursorId) in the list order. Drafts have no publishedAt: the list orders
 * NULL as SQLite does on both databases (d.orderNullable), before every value: NULL keys come first
 * ascending and last descending.
 */
function after({ articles }: Tables, key: SQL, nullKey: boolean, desc: boolean, nullable: boolean): SQL {
  const cmp = sql.raw(desc ? '<' : '>');
  if (nullKey) {
    const sameNull = sql`(${key} is null and ${articles.id} ${cmp} ${p('cursorId')})`;
    return desc ? sameNull : sql`(${sameNull} or ${key} is not null)`;
  }
  // A row-value comparison walks the index from the cursor on: deep pages cost what the first one does.
  const beyond = sql`((${key}, ${articles.id}) ${cmp} (${p('cursorKey')}, ${p('cursorId')}))`;
  return desc && nullable ? sql`(${beyond} or ${key} is null)` : beyond;
}

/** What decides the SQL text of a list or count: who reads, and which filters are set (not their values). */
type FilterShape = { anonymous: boolean; filter: ArticleFilter };
type ListShape = FilterShape & { sort: SortSpec; cursor: 'none' | 'null' | 'key' };

const FILTER_FIELDS = ['type', 'sectionSlug', 'tagSlug', 'authorSlug', 'publishedAfter', 'publishedBefore', 'match'] as const;
const filterKey = ({ anonymous, filter }: FilterShape) =>
  `${anonymous ? 'a' : 'e'}:${filter.status ?? ''}:${FILTER_FIELDS.map((k) => (filter[k] ? '1' : '0')).join('')}`;
const listKey = (s: ListShape) => `${filterKey(s)}:${s.sort.column}:${s.sort.direction}:${s.cursor}`;

/** The id of the section, tag or author whose slug is the placeholder `field`, as a scalar subquery. */
const idOfSlug = (table: Tables['sections'] | Tables['tags'] | Tables['authors'], field: string): SQL =>
  sql`(select ${table.id} from ${table} where ${table.slug} = ${p(field)})`;

/** The conditions of a filter shape; values come from placeholders named after the filter's fields. */
function filterConditions(d: Dialect, { anonymous, filter: f }: FilterShape): (SQL | undefined)[] {
  const { articles, articleTags, articleAuthors, authors, sections, tags } = d.tables;
  return [
    visibleWhen(articles, anonymous),
    f.status === 'deleted' ? isNotNull(articles.deletedAt) : isNull(articles.deletedAt),
    f.status === 'draft' ? eq(articles.status, 'draft') : undefined,
    f.status === 'scheduled' ? and(eq(articles.status, 'published'), gt(articles.publishedAt, p('now'))) : undefined,
    f.status === 'published' ? and(eq(articles.status, 'published'), lte(articles.publishedAt, p('now'))) : undefined,
    f.type ? eq(articles.type, p('type')) : undefined,
    f.sectionSlug ? eq(articles.sectionId, idOfSlug(sections, 'sectionSlug')) : undefined,
    f.tagSlug
      ? sql`exists (select 1 from ${articleTags} join ${tags} on ${tags.id} = ${articleTags.tagId} where ${articleTags.articleId} = ${articles.id} and ${tags.slug} = ${p('tagSlug')})`
      : undefined,
    f.authorSlug
      ? sql`exists (select 1 from ${articleAuthors} join ${authors} on ${authors.id} = ${articleAuthors.authorId} where ${articleAuthors.articleId} = ${articles.id} and ${authors.slug} = ${p('authorSlug')})`
      : undefined,
    f.publishedAfter ? gte(articles.publishedAt, p('publishedAfter')) : undefined,
    f.publishedBefore ? lt(articles.publishedAt, p('publishedBefore')) : undefined,
    f.match ? d.textMatch(articles, 'match') : undefined,
  ];
}

/** The dimensions a counter scope can follow (migrations/0008_article_counts.sql): one at most per count. */
const SCOPES = [['type', 'type'], ['sectionSlug', 'section'], ['tagSlug', 'tag'], ['authorSlug', 'author']] as const;

/**
 * The `article_counts` row a filter's total can be read from, or undefined when the filter needs the rows
 * counted: a date range, a search, more than one of type/section/tag/author, deleted or scheduled articles.
 * `buckets`: which statuses add up (undefined: all of them); `live`: the scheduled articles are to be taken out.
 */
function counterOf(d: Dialect, { anonymous, filter: f }: FilterShape): { scope: SQL; buckets?: string[]; live: boolean } | undefined {
  const { sections, tags, authors } = d.tables;
  if (f.publishedAfter || f.publishedBefore || f.match || f.status === 'deleted' || f.status === 'scheduled') return undefined;
  const set = SCOPES.filter(([field]) => f[field]);
  if (set.length > 1) return undefined;
  const bySlug = { sectionSlug: sections, tagSlug: tags, authorSlug: authors } as const;
  const [field, prefix] = set[0] ?? [];
  const scope = !field ? sql`''`
    : field === 'type' ? sql`${`${prefix}:`} || ${p('type')}`
    : sql`${`${prefix}:`} || ${idOfSlug(bySlug[field], field)}`;
  const live = anonymous || f.status === 'published';
  return { scope, live, ...(live ? { buckets: ['published'] } : f.status === 'draft' ? { buckets: ['draft'] } : {}) };
}

/**
 * The columns of an ArticleRow, for every read of whole rows: on PostgreSQL the table also has the `search`
 * tsvector, which no reader needs (and would read with every row). On SQLite, the SQL of a plain select().
 */
export function articleColumns(articles: Tables['articles']) {
  const columns: Partial<Record<string, unknown>> = { ...getTableColumns(articles) };
  delete columns.search;
  return columns as ReturnType<typeof getTableColumns<Tables['articles']>>;
}

/** The columns of an ArticleReadRow: the list and the by-slug read select these and map the raw rows by hand (readRow). */
const readColumns = (articles: Tables['articles']) => ({
  id: articles.id, slug: articles.slug, headline: articles.headline, standfirst: articles.standfirst, kicker: articles.kicker,
  type: articles.type, status: articles.status, body: articles.body, hero: articles.hero, sectionId: articles.sectionId,
  bylineOverride: articles.bylineOverride, language: articles.language, canonicalUrl: articles.canonicalUrl, seo: articles.seo,
  commentsMode: articles.commentsMode, source: articles.source, revision: articles.revision, createdAt: articles.createdAt,
  updatedAt: articles.updatedAt, firstPublishedAt: articles.firstPublishedAt, publishedAt: articles.publishedAt,
  contentUpdatedAt: articles.contentUpdatedAt, deletedAt: articles.deletedAt, wordCount: articles.wordCount,
  readingTimeMinutes: articles.readingTimeMinutes, excerpt: articles.excerpt,
});
type ReadColumns = ReturnType<typeof readColumns>;
/** Each column's position in a raw row (drizzle selects the fields in their key order). readColumns only names the keys of its argument. */
const ix = Object.fromEntries(Object.keys(readColumns({} as Tables['articles'])).map((k, i) => [k, i])) as Record<keyof ReadColumns, number>;
const json = (v: unknown): unknown => (v === null ? null : JSON.parse(v as string));
type Raw = unknown[];
type R = ArticleReadRow;
/**
 * A raw row (SQLite's `Statement.raw`) of readColumns → ArticleReadRow, by hand: drizzle's generic row mapping was a
 * good part of an uncached list's CPU (bench/results/profiles). JSON columns are parsed as drizzle would.
 */
const readRow = (r: Raw): ArticleReadRow => ({
  id: r[ix.id] as R['id'], slug: r[ix.slug] as R['slug'], headline: r[ix.headline] as R['headline'], standfirst: r[ix.standfirst] as R['standfirst'],
  kicker: r[ix.kicker] as R['kicker'], type: r[ix.type] as R['type'], status: r[ix.status] as R['status'], body: json(r[ix.body]),
  hero: json(r[ix.hero]), sectionId: r[ix.sectionId] as R['sectionId'], bylineOverride: r[ix.bylineOverride] as R['bylineOverride'],
  language: r[ix.language] as R['language'], canonicalUrl: r[ix.canonicalUrl] as R['canonicalUrl'], seo: json(r[ix.seo]),
  commentsMode: r[ix.commentsMode] as R['commentsMode'], source: json(r[ix.source]), revision: r[ix.revision] as R['revision'],
  createdAt: r[ix.createdAt] as R['createdAt'], updatedAt: r[ix.updatedAt] as R['updatedAt'], firstPublishedAt: r[ix.firstPublishedAt] as R['firstPublishedAt'],
  publishedAt: r[ix.publishedAt] as R['publishedAt'], contentUpdatedAt: r[ix.contentUpdatedAt] as R['contentUpdatedAt'],
  deletedAt: r[ix.deletedAt] as R['deletedAt'], wordCount: r[ix.wordCount] as R['wordCount'],
  readingTimeMinutes: r[ix.readingTimeMinutes] as R['readingTimeMinutes'], excerpt: r[ix.excerpt] as R['excerpt'],
});

/**
 * The write path's statements, built and prepared once: drizzle builds the SQL again on every call, and
 * the relation inserts take their rows as one JSON array, so the SQL text does not change with the count.
 */
function articleWriteStatements(d: Dialect) {
  const { db } = d;
  const { articles, articleSlugs, articleTags, articleAuthors, articleRevisions } = d.tables;
  const at = sql.placeholder;
  return {
    insert: preparedOnce(() => d.prepare(db.insert(articles).values(insertPlaceholders(articles)).returning(articleColumns(articles)))),
    // '' as exceptId excludes nothing (ids are ULIDs).
    slugInUse: preparedOnce(() => d.prepare(db.select({ id: articles.id }).from(articles).where(and(eq(articles.slug, at('slug')), ne(articles.id, at('exceptId')))))),
    slugsInUse: preparedOnce(() => d.prepare(db.select({ slug: articles.slug }).from(articles).where(d.inJsonArray(articles.slug, 'slugs')))),
    oldSlugsInUse: preparedOnce(() => d.prepare(db.select({ slug: articleSlugs.slug }).from(articleSlugs).where(d.inJsonArray(articleSlugs.slug, 'slugs')))),
    oldSlugInUse: preparedOnce(() => d.prepare(db.select({ id: articleSlugs.articleId }).from(articleSlugs).where(and(eq(articleSlugs.slug, at('slug')), ne(articleSlugs.articleId, at('exceptId')))))),
    deleteTags: preparedOnce(() => d.prepare(db.delete(articleTags).where(eq(articleTags.articleId, at('articleId'))))),
    // Position = index in the array (the array's `key`).
    insertTags: preparedOnce(() => d.prepare(db.insert(articleTags).select(sql`select ${at('articleId')}, value, key from ${d.jsonArray('tagIds')}`))),
    deleteAuthors: preparedOnce(() => d.prepare(db.delete(articleAuthors).where(eq(articleAuthors.articleId, at('articleId'))))),
    insertAuthors: preparedOnce(() => d.prepare(db.insert(articleAuthors)
      .select(sql`select ${at('articleId')}, ${d.jsonField('authorId')}, ${d.jsonField('role')}, key from ${d.jsonArray('authors')}`))),
    insertRevision: preparedOnce(() => d.prepare(db.insert(articleRevisions).values(insertPlaceholders(articleRevisions)))),
  };
}

export function createArticleRepository(d: Dialect) {
  const { db } = d;
  const t = d.tables;
  const { articles, articleSlugs, articleTags, articleAuthors, articleRevisions, corrections } = t;
  const ROW = articleColumns(articles);
  const READ_COLUMNS = readColumns(articles);
  const writes = articleWriteStatements(d);
  // The read path's queries, prepared once (see preparedOnce).
  const byId = preparedByViewer(articles, (visible) => d.prepare(db.select(ROW).from(articles).where(and(eq(articles.id, sql.placeholder('id')), visible))));
  const bySlug = preparedByViewer(articles, (visible) => d.prepare(db.select(READ_COLUMNS).from(articles).where(and(eq(articles.slug, sql.placeholder('slug')), visible))));
  const tagsOf = preparedOnce(() => d.prepare(db.select().from(articleTags).where(d.inJsonArray(articleTags.articleId)).orderBy(asc(articleTags.position))));
  const authorsOf = preparedOnce(() => d.prepare(db.select().from(articleAuthors).where(d.inJsonArray(articleAuthors.articleId)).orderBy(asc(articleAuthors.position))));
  const listQuery = preparedByShape(listKey, (s: ListShape) => {
    const key = sortKey(t, s.sort.column);
    const descending = s.sort.direction === 'desc';
    // Live articles always have publishedAt: anonymous lists never need the NULL branch.
    const nullable = s.sort.column === 'publishedAt' && !s.anonymous;
    const keyset = s.cursor === 'none' ? undefined : after(t, key, s.cursor === 'null', descending, nullable);
    const direction = descending ? desc : asc;
    // Only a key that can be NULL needs SQLite's NULL placement stated (on PostgreSQL it costs the index order).
    const order = [nullable ? d.orderNullable(key, s.sort.direction) : direction(key), direction(articles.id)];
    return d.prepare(db.select(READ_COLUMNS).from(articles).where(and(...filterConditions(d, s), keyset)).orderBy(...order).limit(p('limit')));
  });
  // The placeholders' values: the filter's fields, the search terms in the dialect's syntax.
  const filterValues = (f: ArticleFilter) => ({ ...f, match: f.match && d.matchValue(f.match) });
  const countQuery = preparedByShape(filterKey, (s: FilterShape) => d.prepare(db.select({ n: count() }).from(articles).where(and(...filterConditions(d, s)))));
  // The counter of a filter (counterOf), undefined for the filters whose rows are counted.
  const counterQuery = preparedByShape(filterKey, (s: FilterShape) => {
    const counter = counterOf(d, s);
    if (!counter) return undefined;
    const { articleCounts } = t;
    const q = d.prepare(db.select({ n: sql<number>`coalesce(sum(${articleCounts.n}), 0)`.mapWith(Number) }).from(articleCounts)
      .where(and(eq(articleCounts.scope, counter.scope), counter.buckets ? inArray(articleCounts.bucket, counter.buckets) : undefined)));
    return { q, live: counter.live };
  });
  return {
    /** When the next scheduled article goes live (it becomes visible by comparison, with no write). */
    async nextPublicationAfter(now: string): Promise<string | undefined> {
      const row = await d.get(db.select({ at: sql<string | null>`min(${articles.publishedAt})` }).from(articles)
        .where(and(eq(articles.status, 'published'), gt(articles.publishedAt, now), isNull(articles.deletedAt))));
      return row?.at ?? undefined;
    },
    async get(id: string, viewer: Viewer): Promise<ArticleRow | undefined> {
      return byId(viewer).get({ id, now: viewer.now });
    },
    async getBySlug(slug: string, viewer: Viewer): Promise<ArticleReadRow | undefined> {
      const q = bySlug(viewer);
      const values = { slug, now: viewer.now };
      // SQLite: raw rows mapped by hand; PostgreSQL: the selected object is already an ArticleReadRow.
      const [row] = q.raw ? (await q.raw(values)).map(readRow) : await q.all(values);
      return row;
    },
    /** The article that used to have this slug, if it is visible to the viewer. */
    async getByOldSlug(slug: string, viewer: Viewer): Promise<ArticleRow | undefined> {
      const row = await d.get(db
        .select({ a: ROW })
        .from(articleSlugs)
        .innerJoin(articles, eq(articles.id, articleSlugs.articleId))
        .where(and(eq(articleSlugs.slug, slug), articleVisibleTo(articles, viewer))));
      return row?.a;
    },
    async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
      const values = { slug, exceptId: exceptId ?? '' };
      return (await writes.slugInUse().get(values)) !== undefined || (await writes.oldSlugInUse().get(values)) !== undefined;
    },
    /** Which of `slugs` an article has, or had (old slugs keep redirecting, so they stay taken). */
    async slugsTaken(slugs: readonly string[]): Promise<Set<string>> {
      const values = { slugs: JSON.stringify(slugs) };
      const rows = [...(await writes.slugsInUse().all(values)), ...(await writes.oldSlugsInUse().all(values))] as { slug: string }[];
      return new Set(rows.map((r) => r.slug));
    },
    async addOldSlug(slug: string, articleId: string, at: string): Promise<void> {
      await d.run(db.insert(articleSlugs).values({ slug, articleId, createdAt: at }).onConflictDoNothing());
    },
    async removeOldSlug(slug: string): Promise<void> {
      await d.run(db.delete(articleSlugs).where(eq(articleSlugs.slug, slug)));
    },
    async insert(row: ArticleInsert): Promise<ArticleRow> {
      return (await writes.insert().get(insertValues(articles, row)))!;
    },
    async update(id: string, patch: Partial<ArticleInsert>): Promise<ArticleRow> {
      return (await d.get(db.update(articles).set(patch).where(eq(articles.id, id)).returning(ROW)))!;
    },
    async hardDelete(id: string): Promise<boolean> {
      return (await d.run(db.delete(articles).where(eq(articles.id, id)))) > 0;
    },
    /** Replaces the article's tags; `created`: the article was inserted in this transaction and has none to delete. */
    async setTags(articleId: string, tagIds: readonly string[], created = false): Promise<void> {
      if (!created) await writes.deleteTags().run({ articleId });
      if (tagIds.length) await writes.insertTags().run({ articleId, tagIds: JSON.stringify(tagIds) });
    },
    /** Replaces the article's authors; `created` as for setTags. */
    async setAuthors(articleId: string, refs: readonly AuthorRef[], created = false): Promise<void> {
      if (!created) await writes.deleteAuthors().run({ articleId });
      if (refs.length) await writes.insertAuthors().run({ articleId, authors: JSON.stringify(refs.map((r) => ({ authorId: r.authorId, role: r.role }))) });
    },
    async tagIdsFor(articleIds: readonly string[]): Promise<Map<string, string[]>> {
      const out = new Map<string, string[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = await tagsOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push(r.tagId);
      return out;
    },
    async authorsFor(articleIds: readonly string[]): Promise<Map<string, AuthorRef[]>> {
      const out = new Map<string, AuthorRef[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = await authorsOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push({ authorId: r.authorId, role: r.role });
      return out;
    },
    async list(filter: ArticleFilter, viewer: Viewer, sort: SortSpec, cursor: { key: string | number | null; id: string } | undefined, limit: number): Promise<ArticleReadRow[]> {
      const shape: ListShape = { anonymous: viewer.anonymous, filter, sort, cursor: !cursor ? 'none' : cursor.key === null ? 'null' : 'key' };
      const q = listQuery(shape);
      const values = { ...filterValues(filter), now: viewer.now, cursorKey: cursor?.key, cursorId: cursor?.id, limit };
      return q.raw ? (await q.raw(values)).map(readRow) : q.all(values);
    },
    /**
     * How many articles the filter holds for the viewer. From the filter's counter where it has one (constant
     * time), less its scheduled articles for live totals (counted: few, from the live index); else counted.
     */
    async count(filter: ArticleFilter, viewer: Viewer): Promise<number> {
      const values = { ...filterValues(filter), now: viewer.now };
      const counted = async (shape: FilterShape) => (await countQuery(shape).get(values))?.n ?? 0;
      const counter = counterQuery({ anonymous: viewer.anonymous, filter });
      if (!counter) return counted({ anonymous: viewer.anonymous, filter });
      const n = (await counter.q.get(values))?.n ?? 0;
      return counter.live ? n - (await counted({ anonymous: false, filter: { ...filter, status: 'scheduled' } })) : n;
    },
    async insertRevision(row: typeof articleRevisions.$inferInsert): Promise<void> {
      await writes.insertRevision().run(insertValues(articleRevisions, row));
    },
    async listRevisions(articleId: string, limit: number, before?: number) {
      return d.all(db
        .select({ revision: articleRevisions.revision, createdAt: articleRevisions.createdAt, actorKeyId: articleRevisions.actorKeyId, actorName: articleRevisions.actorName, actorRole: articleRevisions.actorRole, note: articleRevisions.note })
        .from(articleRevisions)
        .where(and(eq(articleRevisions.articleId, articleId), before !== undefined ? lt(articleRevisions.revision, before) : undefined))
        .orderBy(desc(articleRevisions.revision))
        .limit(limit));
    },
    async countRevisions(articleId: string): Promise<number> {
      return d.count(articleRevisions, eq(articleRevisions.articleId, articleId));
    },
    async getRevision(articleId: string, revision: number) {
      return d.get(db.select().from(articleRevisions).where(and(eq(articleRevisions.articleId, articleId), eq(articleRevisions.revision, revision))));
    },
    async insertCorrection(row: typeof corrections.$inferInsert) {
      return (await d.get(db.insert(corrections).values(row).returning()))!;
    },
    async listCorrections(articleId: string) {
      return d.all(db.select().from(corrections).where(eq(corrections.articleId, articleId)).orderBy(asc(corrections.publishedAt), asc(corrections.id)));
    },
    authorInUse: async (authorId: string) => (await d.count(articleAuthors, eq(articleAuthors.authorId, authorId))) > 0,
    tagInUse: async (tagId: string) => (await d.count(articleTags, eq(articleTags.tagId, tagId))) > 0,
    sectionInUse: async (sectionId: string) => (await d.count(articles, eq(articles.sectionId, sectionId))) > 0,
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type ArticleRepository = Async<ReturnType<typeof createArticleRepository>>;
