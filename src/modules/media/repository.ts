import { and, count, desc, eq, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { media } from '../../db/schema.js';
import { liveArticle } from '../../db/visibility.js';

export type MediaRow = typeof media.$inferSelect;
export type MediaInsert = typeof media.$inferInsert;
export type MediaFilter = { q?: string | undefined; credit?: string | undefined; mimeType?: string | undefined };

const likeEscape = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function createMediaRepository(d: Dialect) {
  const { db } = d;
  const { articles, authors, media, mediaUses } = d.tables;

  function filterConditions(f: MediaFilter): (SQL | undefined)[] {
    const q = f.q?.trim();
    const pattern = q ? likeEscape(q) : undefined;
    return [
      pattern ? or(...[media.captionText, media.altText, media.creditText, media.creator].map((c) => d.like(c, pattern))) : undefined,
      f.credit ? eq(media.creditText, f.credit) : undefined,
      f.mimeType ? eq(media.mimeType, f.mimeType) : undefined,
    ];
  }

  const many = preparedOnce(() => d.prepare(db.select().from(media).where(d.inJsonArray(media.id))));
  // The article write path's statements (reference check, use index, caption text), prepared once.
  const existingIds = preparedOnce(() => d.prepare(db.select({ id: media.id }).from(media).where(d.inJsonArray(media.id))));
  const captionTextsOf = preparedOnce(() => d.prepare(db.select({ id: media.id, text: media.captionText }).from(media).where(d.inJsonArray(media.id))));
  const deleteUses = preparedOnce(() => d.prepare(db.delete(mediaUses).where(eq(mediaUses.articleId, sql.placeholder('articleId')))));
  // `where true`: without it SQLite would read "on conflict" as a join constraint of the select.
  const insertUses = preparedOnce(() => d.prepare(db.insert(mediaUses)
    .select(sql`select ${sql.placeholder('articleId')}, ${d.jsonField('blockId')}, ${d.jsonField('mediaId')} from ${d.jsonArray('uses')} where true`)
    .onConflictDoNothing()));
  return {
    async get(id: string): Promise<MediaRow | undefined> {
      return d.get(db.select().from(media).where(eq(media.id, id)));
    },
    async getMany(ids: readonly string[]): Promise<MediaRow[]> {
      if (!ids.length) return [];
      return many().all({ ids: JSON.stringify([...new Set(ids)]) });
    },
    /** Anonymous readers may see media that a live article uses, or an author portrait. */
    async isPublic(id: string, now: string): Promise<boolean> {
      const used = await d.get(db
        .select({ one: sql`1` })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(and(eq(mediaUses.mediaId, id), liveArticle(articles, now)))
        .limit(1));
      return used !== undefined || (await d.get(db.select({ id: authors.id }).from(authors).where(eq(authors.imageMediaId, id)).limit(1))) !== undefined;
    },
    async insert(row: MediaInsert): Promise<MediaRow> {
      return (await d.get(db.insert(media).values(row).returning()))!;
    },
    async update(id: string, patch: Partial<MediaInsert>): Promise<MediaRow | undefined> {
      return d.get(db.update(media).set(patch).where(eq(media.id, id)).returning());
    },
    async delete(id: string): Promise<void> {
      await d.run(db.delete(mediaUses).where(eq(mediaUses.mediaId, id)));
      await d.run(db.delete(media).where(eq(media.id, id)));
    },
    async countWithHash(sha256: string): Promise<number> {
      return d.count(media, eq(media.sha256, sha256));
    },
    async list(filter: MediaFilter, limit: number, after?: { key: string; id: string }): Promise<MediaRow[]> {
      const keyset = after ? or(lt(media.createdAt, after.key), and(eq(media.createdAt, after.key), lt(media.id, after.id))) : undefined;
      return d.all(db.select().from(media).where(and(...filterConditions(filter), keyset)).orderBy(desc(media.createdAt), desc(media.id)).limit(limit));
    },
    async count(filter: MediaFilter): Promise<number> {
      return d.count(media, and(...filterConditions(filter)));
    },
    async existing(ids: readonly string[]): Promise<Set<string>> {
      if (!ids.length) return new Set();
      return new Set((await existingIds().all({ ids: JSON.stringify([...new Set(ids)]) })).map((r) => r.id));
    },
    /** Rebuilds the use index of one article (`created`: inserted in this transaction, so it has no uses yet). */
    async setUses(articleId: string, uses: { blockId: string; mediaId: string }[], created = false): Promise<void> {
      if (!created) await deleteUses().run({ articleId });
      if (uses.length) await insertUses().run({ articleId, uses: JSON.stringify(uses.map((u) => ({ blockId: u.blockId, mediaId: u.mediaId }))) });
    },
    async usage(mediaId: string) {
      return d.all(db
        .select({ articleId: mediaUses.articleId, blockId: mediaUses.blockId, headline: articles.headline, status: articles.status, publishedAt: articles.publishedAt, deletedAt: articles.deletedAt })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(eq(mediaUses.mediaId, mediaId))
        .orderBy(mediaUses.articleId, mediaUses.blockId));
    },
    /** Uses by articles that are not in the trash (live, scheduled or draft). */
    async activeUseCount(mediaId: string): Promise<number> {
      // count() (not `count(*)` as raw SQL): a number on both databases (PostgreSQL's is a bigint).
      const row = await d.get(db
        .select({ n: count() })
        .from(mediaUses)
        .innerJoin(articles, eq(articles.id, mediaUses.articleId))
        .where(and(eq(mediaUses.mediaId, mediaId), isNull(articles.deletedAt))));
      return row?.n ?? 0;
    },
    /** Ids of the articles (any state) whose hero or image blocks use this media item. */
    async articleIdsUsing(mediaId: string): Promise<string[]> {
      return (await d.all(db.selectDistinct({ id: mediaUses.articleId }).from(mediaUses).where(eq(mediaUses.mediaId, mediaId)))).map((r) => r.id);
    },
    /** What the caption index of these articles is derived from. */
    async captionSources(articleIds: readonly string[]) {
      if (!articleIds.length) return [];
      return d.all(db.select({ id: articles.id, hero: articles.hero, body: articles.body, captions: articles.captions }).from(articles).where(inArray(articles.id, [...articleIds])));
    },
    /** Media id → its plain caption text, for the ids that exist. */
    async captionTexts(ids: readonly string[]): Promise<Map<string, string | null>> {
      if (!ids.length) return new Map();
      return new Map((await captionTextsOf().all({ ids: JSON.stringify([...new Set(ids)]) })).map((r) => [r.id, r.text]));
    },
    /** Stores an article's derived caption text (the FTS update trigger reindexes it). */
    async setArticleCaptions(articleId: string, captions: string): Promise<void> {
      await d.run(db.update(articles).set({ captions }).where(eq(articles.id, articleId)));
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type MediaRepository = Async<ReturnType<typeof createMediaRepository>>;
