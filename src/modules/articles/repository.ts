import { and, asc, count, desc, eq, gt, gte, isNotNull, isNull, lt, lte, ne, sql, type SQL } from 'drizzle-orm';
import { countRows, inJsonArray, insertPlaceholders, insertValues, preparedByShape, preparedOnce, type Db, type Async } from '../../db/client.js';
import { articleAuthors, articleRevisions, articles, articleSlugs, articleTags, authors, corrections, sections, tags } from '../../db/schema.js';
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
  /** An FTS5 MATCH expression built by the caller from plain words (never raw user input). */
  match?: string | undefined;
};

export type SortSpec = { column: 'publishedAt' | 'updatedAt' | 'headline'; direction: 'asc' | 'desc' };

// Drafts have no publishedAt; '' keeps them in one deterministic place of the order.
// The bare column, so the (status, deleted_at, published_at, id) index gives the order without a sort.
const sortKey = (column: SortSpec['column']): SQL =>
  column === 'publishedAt' ? sql`${articles.publishedAt}` : column === 'updatedAt' ? sql`${articles.updatedAt}` : sql`${articles.headline}`;

/** Named values of the prepared list and count queries: the filter's own fields, `now`, the cursor, the limit. */
const p = sql.placeholder;

/**
 * Rows after the cursor (cursorKey, cursorId) in the list order. Drafts have no publishedAt: SQLite orders
 * NULL before every value, so NULL keys come first ascending and last descending.
 */
function after(key: SQL, nullKey: boolean, desc: boolean, nullable: boolean): SQL {
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

/** The conditions of a filter shape; values come from placeholders named after the filter's fields. */
function filterConditions({ anonymous, filter: f }: FilterShape): (SQL | undefined)[] {
  return [
    visibleWhen(anonymous),
    f.status === 'deleted' ? isNotNull(articles.deletedAt) : isNull(articles.deletedAt),
    f.status === 'draft' ? eq(articles.status, 'draft') : undefined,
    f.status === 'scheduled' ? and(eq(articles.status, 'published'), gt(articles.publishedAt, p('now'))) : undefined,
    f.status === 'published' ? and(eq(articles.status, 'published'), lte(articles.publishedAt, p('now'))) : undefined,
    f.type ? eq(articles.type, p('type')) : undefined,
    f.sectionSlug ? eq(articles.sectionId, sql`(select ${sections.id} from ${sections} where ${sections.slug} = ${p('sectionSlug')})`) : undefined,
    f.tagSlug
      ? sql`exists (select 1 from ${articleTags} join ${tags} on ${tags.id} = ${articleTags.tagId} where ${articleTags.articleId} = ${articles.id} and ${tags.slug} = ${p('tagSlug')})`
      : undefined,
    f.authorSlug
      ? sql`exists (select 1 from ${articleAuthors} join ${authors} on ${authors.id} = ${articleAuthors.authorId} where ${articleAuthors.articleId} = ${articles.id} and ${authors.slug} = ${p('authorSlug')})`
      : undefined,
    f.publishedAfter ? gte(articles.publishedAt, p('publishedAfter')) : undefined,
    f.publishedBefore ? lt(articles.publishedAt, p('publishedBefore')) : undefined,
    f.match ? sql`${articles}.rowid in (select rowid from articles_fts where articles_fts match ${p('match')})` : undefined,
  ];
}

/** The columns of an ArticleReadRow: the list and the by-slug read select these and map the raw rows by hand (readRow). */
const READ_COLUMNS = {
  id: articles.id, slug: articles.slug, headline: articles.headline, standfirst: articles.standfirst, kicker: articles.kicker,
  type: articles.type, status: articles.status, body: articles.body, hero: articles.hero, sectionId: articles.sectionId,
  bylineOverride: articles.bylineOverride, language: articles.language, canonicalUrl: articles.canonicalUrl, seo: articles.seo,
  commentsMode: articles.commentsMode, source: articles.source, revision: articles.revision, createdAt: articles.createdAt,
  updatedAt: articles.updatedAt, firstPublishedAt: articles.firstPublishedAt, publishedAt: articles.publishedAt,
  contentUpdatedAt: articles.contentUpdatedAt, deletedAt: articles.deletedAt, wordCount: articles.wordCount,
  readingTimeMinutes: articles.readingTimeMinutes, excerpt: articles.excerpt,
};
/** Each column's position in a raw row (drizzle selects the fields in their key order). */
const ix = Object.fromEntries(Object.keys(READ_COLUMNS).map((k, i) => [k, i])) as Record<keyof typeof READ_COLUMNS, number>;
const json = (v: unknown): unknown => (v === null ? null : JSON.parse(v as string));
type Raw = unknown[];
type R = ArticleReadRow;
/**
 * A raw row (`.values()`) of READ_COLUMNS → ArticleReadRow, by hand: drizzle's generic row mapping was a
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
function articleWriteStatements(db: Db) {
  const at = sql.placeholder;
  return {
    insert: preparedOnce(() => db.insert(articles).values(insertPlaceholders(articles)).returning().prepare()),
    // '' as exceptId excludes nothing (ids are ULIDs).
    slugInUse: preparedOnce(() => db.select({ id: articles.id }).from(articles).where(and(eq(articles.slug, at('slug')), ne(articles.id, at('exceptId')))).prepare()),
    oldSlugInUse: preparedOnce(() => db.select({ id: articleSlugs.articleId }).from(articleSlugs).where(and(eq(articleSlugs.slug, at('slug')), ne(articleSlugs.articleId, at('exceptId')))).prepare()),
    deleteTags: preparedOnce(() => db.delete(articleTags).where(eq(articleTags.articleId, at('articleId'))).prepare()),
    // Position = index in the array (json_each's key).
    insertTags: preparedOnce(() => db.insert(articleTags).select(sql`select ${at('articleId')}, value, key from json_each(${at('tagIds')})`).prepare()),
    deleteAuthors: preparedOnce(() => db.delete(articleAuthors).where(eq(articleAuthors.articleId, at('articleId'))).prepare()),
    insertAuthors: preparedOnce(() => db.insert(articleAuthors)
      .select(sql`select ${at('articleId')}, value ->> '$.authorId', value ->> '$.role', key from json_each(${at('authors')})`).prepare()),
    insertRevision: preparedOnce(() => db.insert(articleRevisions).values(insertPlaceholders(articleRevisions)).prepare()),
  };
}

export function createArticleRepository(db: Db) {
  const writes = articleWriteStatements(db);
  // The read path's queries, prepared once (see preparedOnce).
  const byId = preparedByViewer((visible) => db.select().from(articles).where(and(eq(articles.id, sql.placeholder('id')), visible)).prepare());
  const bySlug = preparedByViewer((visible) => db.select(READ_COLUMNS).from(articles).where(and(eq(articles.slug, sql.placeholder('slug')), visible)).prepare());
  const tagsOf = preparedOnce(() => db.select().from(articleTags).where(inJsonArray(articleTags.articleId)).orderBy(asc(articleTags.position)).prepare());
  const authorsOf = preparedOnce(() => db.select().from(articleAuthors).where(inJsonArray(articleAuthors.articleId)).orderBy(asc(articleAuthors.position)).prepare());
  const listQuery = preparedByShape(listKey, (s: ListShape) => {
    const key = sortKey(s.sort.column);
    const descending = s.sort.direction === 'desc';
    // Live articles always have publishedAt: anonymous lists never need the NULL branch.
    const nullable = s.sort.column === 'publishedAt' && !s.anonymous;
    const keyset = s.cursor === 'none' ? undefined : after(key, s.cursor === 'null', descending, nullable);
    const order = descending ? [desc(key), desc(articles.id)] : [asc(key), asc(articles.id)];
    return db.select(READ_COLUMNS).from(articles).where(and(...filterConditions(s), keyset)).orderBy(...order).limit(p('limit')).prepare();
  });
  const countQuery = preparedByShape(filterKey, (s: FilterShape) => db.select({ n: count() }).from(articles).where(and(...filterConditions(s))).prepare());
  return {
    /** When the next scheduled article goes live (it becomes visible by comparison, with no write). */
    nextPublicationAfter(now: string): string | undefined {
      return db.select({ at: sql<string | null>`min(${articles.publishedAt})` }).from(articles)
        .where(and(eq(articles.status, 'published'), gt(articles.publishedAt, now), isNull(articles.deletedAt))).get()?.at ?? undefined;
    },
    get(id: string, viewer: Viewer): ArticleRow | undefined {
      return byId(viewer).get({ id, now: viewer.now });
    },
    getBySlug(slug: string, viewer: Viewer): ArticleReadRow | undefined {
      const [row] = bySlug(viewer).values({ slug, now: viewer.now }) as Raw[];
      return row && readRow(row);
    },
    /** The article that used to have this slug, if it is visible to the viewer. */
    getByOldSlug(slug: string, viewer: Viewer): ArticleRow | undefined {
      return db
        .select({ a: articles })
        .from(articleSlugs)
        .innerJoin(articles, eq(articles.id, articleSlugs.articleId))
        .where(and(eq(articleSlugs.slug, slug), articleVisibleTo(viewer)))
        .get()?.a;
    },
    slugTaken(slug: string, exceptId?: string): boolean {
      const values = { slug, exceptId: exceptId ?? '' };
      return writes.slugInUse().get(values) !== undefined || writes.oldSlugInUse().get(values) !== undefined;
    },
    addOldSlug(slug: string, articleId: string, at: string): void {
      db.insert(articleSlugs).values({ slug, articleId, createdAt: at }).onConflictDoNothing().run();
    },
    removeOldSlug(slug: string): void {
      db.delete(articleSlugs).where(eq(articleSlugs.slug, slug)).run();
    },
    insert(row: ArticleInsert): ArticleRow {
      return writes.insert().get(insertValues(articles, row))!;
    },
    update(id: string, patch: Partial<ArticleInsert>): ArticleRow {
      return db.update(articles).set(patch).where(eq(articles.id, id)).returning().get()!;
    },
    hardDelete(id: string): boolean {
      return db.delete(articles).where(eq(articles.id, id)).run().changes > 0;
    },
    setTags(articleId: string, tagIds: readonly string[]): void {
      writes.deleteTags().run({ articleId });
      if (tagIds.length) writes.insertTags().run({ articleId, tagIds: JSON.stringify(tagIds) });
    },
    setAuthors(articleId: string, refs: readonly AuthorRef[]): void {
      writes.deleteAuthors().run({ articleId });
      if (refs.length) writes.insertAuthors().run({ articleId, authors: JSON.stringify(refs.map((r) => ({ authorId: r.authorId, role: r.role }))) });
    },
    tagIdsFor(articleIds: readonly string[]): Map<string, string[]> {
      const out = new Map<string, string[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = tagsOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push(r.tagId);
      return out;
    },
    authorsFor(articleIds: readonly string[]): Map<string, AuthorRef[]> {
      const out = new Map<string, AuthorRef[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = authorsOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push({ authorId: r.authorId, role: r.role });
      return out;
    },
    list(filter: ArticleFilter, viewer: Viewer, sort: SortSpec, cursor: { key: string | number | null; id: string } | undefined, limit: number): ArticleReadRow[] {
      const shape: ListShape = { anonymous: viewer.anonymous, filter, sort, cursor: !cursor ? 'none' : cursor.key === null ? 'null' : 'key' };
      const rows = listQuery(shape).values({ ...filter, now: viewer.now, cursorKey: cursor?.key, cursorId: cursor?.id, limit }) as Raw[];
      return rows.map(readRow);
    },
    count(filter: ArticleFilter, viewer: Viewer): number {
      return countQuery({ anonymous: viewer.anonymous, filter }).get({ ...filter, now: viewer.now })?.n ?? 0;
    },
    insertRevision(row: typeof articleRevisions.$inferInsert): void {
      writes.insertRevision().run(insertValues(articleRevisions, row));
    },
    listRevisions(articleId: string, limit: number, before?: number) {
      return db
        .select({ revision: articleRevisions.revision, createdAt: articleRevisions.createdAt, actorKeyId: articleRevisions.actorKeyId, actorName: articleRevisions.actorName, actorRole: articleRevisions.actorRole, note: articleRevisions.note })
        .from(articleRevisions)
        .where(and(eq(articleRevisions.articleId, articleId), before !== undefined ? lt(articleRevisions.revision, before) : undefined))
        .orderBy(desc(articleRevisions.revision))
        .limit(limit)
        .all();
    },
    countRevisions(articleId: string): number {
      return countRows(db, articleRevisions, eq(articleRevisions.articleId, articleId));
    },
    getRevision(articleId: string, revision: number) {
      return db.select().from(articleRevisions).where(and(eq(articleRevisions.articleId, articleId), eq(articleRevisions.revision, revision))).get();
    },
    insertCorrection(row: typeof corrections.$inferInsert) {
      return db.insert(corrections).values(row).returning().get();
    },
    listCorrections(articleId: string) {
      return db.select().from(corrections).where(eq(corrections.articleId, articleId)).orderBy(asc(corrections.publishedAt), asc(corrections.id)).all();
    },
    authorInUse: (authorId: string) => countRows(db, articleAuthors, eq(articleAuthors.authorId, authorId)) > 0,
    tagInUse: (tagId: string) => countRows(db, articleTags, eq(articleTags.tagId, tagId)) > 0,
    sectionInUse: (sectionId: string) => countRows(db, articles, eq(articles.sectionId, sectionId)) > 0,
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type ArticleRepository = Async<ReturnType<typeof createArticleRepository>>;
