import { and, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { countRows, inJsonArray, preparedOnce, type Db, type Async } from '../../db/client.js';
import { articles, authors, media, mediaUses } from '../../db/schema.js';
import { liveArticle } from '../../db/visibility.js';

export type MediaRow = typeof media.$inferSelect;
export type MediaInsert = typeof media.$inferInsert;
export type MediaFilter = { q?: string | undefined; credit?: string | undefined; mimeType?: string | undefined };

const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function filterConditions(f: MediaFilter): (SQL | undefined)[] {
  const q = f.q?.trim();
  const pattern = q ? likeEscape(q) : undefined;
  return [
    pattern
      ? or(...[media.captionText, media.altText, media.creditText, media.creator].map((c) => sql`${c} like ${pattern} escape '\\'`))
      : undefined,
    f.credit ? eq(media.creditText, f.credit) : undefined,
    f.mimeType ? eq(media.mimeType, f.mimeType) : undefined,
  ];
}

export function createMediaRepository(db: Db) {
  const many = preparedOnce(() => db.select().from(media).where(inJsonArray(media.id)).prepare());
  // The article write path's statements (reference check, use index, caption text), prepared once.
  const existingIds = preparedOnce(() => db.select({ id: media.id }).from(media).where(inJsonArray(media.id)).prepare());
  const captionTextsOf = preparedOnce(() => db.select({ id: media.id, text: media.captionText }).from(media).where(inJsonArray(media.id)).prepare());
  const deleteUses = preparedOnce(() => db.delete(mediaUses).where(eq(mediaUses.articleId, sql.placeholder('articleId'))).prepare());
  // `where true`: without it SQLite would read "on conflict" as a join constraint of the select.
  const insertUses = preparedOnce(() => db.insert(mediaUses)
    .select(sql`select ${sql.placeholder('articleId')}, value ->> '$.blockId', value ->> '$.mediaId' from json_each(${sql.placeholder('uses')}) where true`)
    .onConflictDoNothing().prepare());
  return {
    get(id: string): MediaRow | undefined {
      return db.select().from(media).where(eq(media.id, id)).get();
    },
    getMany(ids: readonly string[]): MediaRow[] {
      if (!ids.length) return [];
      return many().all({ ids: JSON.stringify([...new Set(ids)]) });
    },
    /** Anonymous readers may see media that a live article uses, or an author portrait. */
    isPublic(id: string, now: string): boolean {
      const used = db
        .select({ one: sql`1` })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(and(eq(mediaUses.mediaId, id), liveArticle(now)))
        .limit(1)
        .get();
      return used !== undefined || db.select({ id: authors.id }).from(authors).where(eq(authors.imageMediaId, id)).limit(1).get() !== undefined;
    },
    insert(row: MediaInsert): MediaRow {
      return db.insert(media).values(row).returning().get();
    },
    update(id: string, patch: Partial<MediaInsert>): MediaRow | undefined {
      return db.update(media).set(patch).where(eq(media.id, id)).returning().get();
    },
    delete(id: string): void {
      db.delete(mediaUses).where(eq(mediaUses.mediaId, id)).run();
      db.delete(media).where(eq(media.id, id)).run();
    },
    countWithHash(sha256: string): number {
      return countRows(db, media, eq(media.sha256, sha256));
    },
    list(filter: MediaFilter, limit: number, after?: { key: string; id: string }): MediaRow[] {
      const keyset = after ? or(lt(media.createdAt, after.key), and(eq(media.createdAt, after.key), lt(media.id, after.id))) : undefined;
      return db.select().from(media).where(and(...filterConditions(filter), keyset)).orderBy(desc(media.createdAt), desc(media.id)).limit(limit).all();
    },
    count(filter: MediaFilter): number {
      return countRows(db, media, and(...filterConditions(filter)));
    },
    existing(ids: readonly string[]): Set<string> {
      if (!ids.length) return new Set();
      return new Set(existingIds().all({ ids: JSON.stringify([...new Set(ids)]) }).map((r) => r.id));
    },
    /** Rebuilds the use index of one article. */
    setUses(articleId: string, uses: { blockId: string; mediaId: string }[]): void {
      deleteUses().run({ articleId });
      if (uses.length) insertUses().run({ articleId, uses: JSON.stringify(uses.map((u) => ({ blockId: u.blockId, mediaId: u.mediaId }))) });
    },
    usage(mediaId: string) {
      return db
        .select({ articleId: mediaUses.articleId, blockId: mediaUses.blockId, headline: articles.headline, status: articles.status, publishedAt: articles.publishedAt, deletedAt: articles.deletedAt })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(eq(mediaUses.mediaId, mediaId))
        .orderBy(mediaUses.articleId, mediaUses.blockId)
        .all();
    },
    /** Uses by articles that are not in the trash (live, scheduled or draft). */
    activeUseCount(mediaId: string): number {
      return db
        .select({ n: sql<number>`count(*)` })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(and(eq(mediaUses.mediaId, mediaId), isNull(articles.deletedAt)))
        .get()?.n ?? 0;
    },
    /** Ids of the articles (any state) whose hero or image blocks use this media item. */
    articleIdsUsing(mediaId: string): string[] {
      return db.selectDistinct({ id: mediaUses.articleId }).from(mediaUses).where(eq(mediaUses.mediaId, mediaId)).all().map((r) => r.id);
    },
    /** What the caption index of these articles is derived from. */
    captionSources(articleIds: readonly string[]) {
      if (!articleIds.length) return [];
      return db.select({ id: articles.id, hero: articles.hero, body: articles.body, captions: articles.captions }).from(articles).where(inArray(articles.id, [...articleIds])).all();
    },
    /** Media id → its plain caption text, for the ids that exist. */
    captionTexts(ids: readonly string[]): Map<string, string | null> {
      if (!ids.length) return new Map();
      return new Map(captionTextsOf().all({ ids: JSON.stringify([...new Set(ids)]) }).map((r) => [r.id, r.text]));
    },
    /** Stores an article's derived caption text (the FTS update trigger reindexes it). */
    setArticleCaptions(articleId: string, captions: string): void {
      db.update(articles).set({ captions }).where(eq(articles.id, articleId)).run();
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type MediaRepository = Async<ReturnType<typeof createMediaRepository>>;
