import { and, asc, count, desc, eq, gt, gte, isNotNull, isNull, lt, lte, ne, sql, type SQL } from 'drizzle-orm';
import { countRows, inJsonArray, preparedOnce, type Db } from '../../db/client.js';
import { articleAuthors, articleRevisions, articles, articleSlugs, articleTags, authors, corrections, sections, tags } from '../../db/schema.js';
import { articleVisibleTo, preparedByViewer, type Viewer } from '../../db/visibility.js';

export type ArticleRow = typeof articles.$inferSelect;
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

/**
 * Rows after the cursor (key, id) in the list order. Drafts have no publishedAt: SQLite orders NULL
 * before every value, so NULL keys come first ascending and last descending.
 */
function after(key: SQL, k: string | number | null, id: string, desc: boolean, nullable: boolean): SQL {
  const cmp = sql.raw(desc ? '<' : '>');
  if (k === null) {
    const sameNull = sql`(${key} is null and ${articles.id} ${cmp} ${id})`;
    return desc ? sameNull : sql`(${sameNull} or ${key} is not null)`;
  }
  // A row-value comparison walks the index from the cursor on: deep pages cost what the first one does.
  const beyond = sql`((${key}, ${articles.id}) ${cmp} (${k}, ${id}))`;
  return desc && nullable ? sql`(${beyond} or ${key} is null)` : beyond;
}

function filterConditions(f: ArticleFilter, viewer: Viewer): (SQL | undefined)[] {
  const now = viewer.now;
  return [
    articleVisibleTo(viewer),
    f.status === 'deleted' ? isNotNull(articles.deletedAt) : isNull(articles.deletedAt),
    f.status === 'draft' ? eq(articles.status, 'draft') : undefined,
    f.status === 'scheduled' ? and(eq(articles.status, 'published'), gt(articles.publishedAt, now)) : undefined,
    f.status === 'published' ? and(eq(articles.status, 'published'), lte(articles.publishedAt, now)) : undefined,
    f.type ? eq(articles.type, f.type) : undefined,
    f.sectionSlug ? eq(articles.sectionId, sql`(select ${sections.id} from ${sections} where ${sections.slug} = ${f.sectionSlug})`) : undefined,
    f.tagSlug
      ? sql`exists (select 1 from ${articleTags} join ${tags} on ${tags.id} = ${articleTags.tagId} where ${articleTags.articleId} = ${articles.id} and ${tags.slug} = ${f.tagSlug})`
      : undefined,
    f.authorSlug
      ? sql`exists (select 1 from ${articleAuthors} join ${authors} on ${authors.id} = ${articleAuthors.authorId} where ${articleAuthors.articleId} = ${articles.id} and ${authors.slug} = ${f.authorSlug})`
      : undefined,
    f.publishedAfter ? gte(articles.publishedAt, f.publishedAfter) : undefined,
    f.publishedBefore ? lt(articles.publishedAt, f.publishedBefore) : undefined,
    f.match ? sql`${articles}.rowid in (select rowid from articles_fts where articles_fts match ${f.match})` : undefined,
  ];
}

export function createArticleRepository(db: Db) {
  // The read path's queries, prepared once (see preparedOnce).
  const byId = preparedByViewer((visible) => db.select().from(articles).where(and(eq(articles.id, sql.placeholder('id')), visible)).prepare());
  const bySlug = preparedByViewer((visible) => db.select().from(articles).where(and(eq(articles.slug, sql.placeholder('slug')), visible)).prepare());
  const tagsOf = preparedOnce(() => db.select().from(articleTags).where(inJsonArray(articleTags.articleId)).orderBy(asc(articleTags.position)).prepare());
  const authorsOf = preparedOnce(() => db.select().from(articleAuthors).where(inJsonArray(articleAuthors.articleId)).orderBy(asc(articleAuthors.position)).prepare());
  return {
    /** When the next scheduled article goes live (it becomes visible by comparison, with no write). */
    nextPublicationAfter(now: string): string | undefined {
      return db.select({ at: sql<string | null>`min(${articles.publishedAt})` }).from(articles)
        .where(and(eq(articles.status, 'published'), gt(articles.publishedAt, now), isNull(articles.deletedAt))).get()?.at ?? undefined;
    },
    get(id: string, viewer: Viewer): ArticleRow | undefined {
      return byId(viewer).get({ id, now: viewer.now });
    },
    getBySlug(slug: string, viewer: Viewer): ArticleRow | undefined {
      return bySlug(viewer).get({ slug, now: viewer.now });
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
      const current = db.select({ id: articles.id }).from(articles).where(and(eq(articles.slug, slug), exceptId ? ne(articles.id, exceptId) : undefined)).get();
      const old = db.select({ id: articleSlugs.articleId }).from(articleSlugs).where(and(eq(articleSlugs.slug, slug), exceptId ? ne(articleSlugs.articleId, exceptId) : undefined)).get();
      return current !== undefined || old !== undefined;
    },
    addOldSlug(slug: string, articleId: string, at: string): void {
      db.insert(articleSlugs).values({ slug, articleId, createdAt: at }).onConflictDoNothing().run();
    },
    removeOldSlug(slug: string): void {
      db.delete(articleSlugs).where(eq(articleSlugs.slug, slug)).run();
    },
    insert(row: ArticleInsert): ArticleRow {
      return db.insert(articles).values(row).returning().get();
    },
    update(id: string, patch: Partial<ArticleInsert>): ArticleRow {
      return db.update(articles).set(patch).where(eq(articles.id, id)).returning().get()!;
    },
    hardDelete(id: string): boolean {
      return db.delete(articles).where(eq(articles.id, id)).run().changes > 0;
    },
    setTags(articleId: string, tagIds: readonly string[]): void {
      db.delete(articleTags).where(eq(articleTags.articleId, articleId)).run();
      if (tagIds.length) db.insert(articleTags).values(tagIds.map((tagId, position) => ({ articleId, tagId, position }))).run();
    },
    setAuthors(articleId: string, refs: readonly AuthorRef[]): void {
      db.delete(articleAuthors).where(eq(articleAuthors.articleId, articleId)).run();
      if (refs.length) db.insert(articleAuthors).values(refs.map((r, position) => ({ articleId, authorId: r.authorId, role: r.role, position }))).run();
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
    list(filter: ArticleFilter, viewer: Viewer, sort: SortSpec, cursor: { key: string | number | null; id: string } | undefined, limit: number): ArticleRow[] {
      const key = sortKey(sort.column);
      // Live articles always have publishedAt: anonymous lists never need the NULL branch.
      const nullable = sort.column === 'publishedAt' && !viewer.anonymous;
      const keyset = cursor ? after(key, cursor.key, cursor.id, sort.direction === 'desc', nullable) : undefined;
      const order = sort.direction === 'desc' ? [desc(key), desc(articles.id)] : [asc(key), asc(articles.id)];
      return db.select().from(articles).where(and(...filterConditions(filter, viewer), keyset)).orderBy(...order).limit(limit).all();
    },
    count(filter: ArticleFilter, viewer: Viewer): number {
      return db.select({ n: count() }).from(articles).where(and(...filterConditions(filter, viewer))).get()?.n ?? 0;
    },
    insertRevision(row: typeof articleRevisions.$inferInsert): void {
      db.insert(articleRevisions).values(row).run();
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

export type ArticleRepository = ReturnType<typeof createArticleRepository>;
