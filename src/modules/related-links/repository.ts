import { and, asc, eq, isNull } from 'drizzle-orm';
import { preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { articles, relatedLinks } from '../../db/schema.js';
import { preparedByViewer, type Viewer } from '../../db/visibility.js';

export type RelatedLinkRow = typeof relatedLinks.$inferSelect;
export type RelatedLinkInsert = typeof relatedLinks.$inferInsert;

/** What a link shows of the article it points to. */
export type TargetRow = Pick<typeof articles.$inferSelect, 'id' | 'slug' | 'headline' | 'type' | 'publishedAt' | 'hero'>;

export function createRelatedLinkRepository(d: Dialect) {
  const { db } = d;
  const { articles, relatedLinks } = d.tables;
  const byPosition = [asc(relatedLinks.position), asc(relatedLinks.id)];

  const linksOf = preparedOnce(() => d.prepare(db.select().from(relatedLinks).where(d.inJsonArray(relatedLinks.articleId)).orderBy(...byPosition)));
  const visibleTargets = preparedByViewer(articles, (visible) => d.prepare(db
    .select({ id: articles.id, slug: articles.slug, headline: articles.headline, type: articles.type, publishedAt: articles.publishedAt, hero: articles.hero })
    .from(articles)
    .where(and(d.inJsonArray(articles.id), d.filterOnly(and(visible, isNull(articles.deletedAt)))))));
  /** Every stored link of one article (including links whose target is hidden), in order. */
  const listFor = async (articleId: string): Promise<RelatedLinkRow[]> =>
    d.all(db.select().from(relatedLinks).where(eq(relatedLinks.articleId, articleId)).orderBy(...byPosition));

  return {
    listFor,

    /** The articles that link to this one (whether or not the link is shown): they change when it does. */
    async sourcesOf(targetId: string): Promise<string[]> {
      return (await d.all(db.selectDistinct({ id: relatedLinks.articleId }).from(relatedLinks).where(eq(relatedLinks.targetArticleId, targetId)))).map((r) => r.id);
    },

    /** The links of many articles in one query, each list in order. */
    async listForMany(articleIds: readonly string[]): Promise<Map<string, RelatedLinkRow[]>> {
      const out = new Map<string, RelatedLinkRow[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = await linksOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push(r);
      return out;
    },

    /**
     * The targets this viewer may see among `ids`, in one query. The visibility predicate decides for
     * anonymous readers; on top of it a target in the trash is hidden from everyone (its links are kept
     * and come back when it is restored).
     */
    async targets(ids: readonly string[], viewer: Viewer): Promise<Map<string, TargetRow>> {
      if (!ids.length) return new Map();
      const rows = await visibleTargets(viewer).all({ ids: JSON.stringify([...new Set(ids)]), now: viewer.now });
      return new Map(rows.map((r) => [r.id, r]));
    },

    async get(articleId: string, linkId: string): Promise<RelatedLinkRow | undefined> {
      return d.get(db.select().from(relatedLinks).where(and(eq(relatedLinks.id, linkId), eq(relatedLinks.articleId, articleId))));
    },

    async insert(row: RelatedLinkInsert): Promise<RelatedLinkRow> {
      return (await d.get(db.insert(relatedLinks).values(row).returning()))!;
    },

    async update(linkId: string, patch: Partial<Pick<RelatedLinkInsert, 'label' | 'url' | 'position' | 'updatedAt'>>): Promise<RelatedLinkRow> {
      return (await d.get(db.update(relatedLinks).set(patch).where(eq(relatedLinks.id, linkId)).returning()))!;
    },

    async delete(linkId: string): Promise<boolean> {
      return (await d.run(db.delete(relatedLinks).where(eq(relatedLinks.id, linkId)))) > 0;
    },

    /** Replaces all links of an article with `rows` (positions as given). */
    async replaceAll(articleId: string, rows: readonly RelatedLinkInsert[]): Promise<void> {
      await d.run(db.delete(relatedLinks).where(eq(relatedLinks.articleId, articleId)));
      if (rows.length) await d.run(db.insert(relatedLinks).values([...rows]));
    },

    /** Stores positions 0..n-1 in the order of `linkIds`, touching only the rows whose position moves. */
    async renumber(articleId: string, linkIds: readonly string[], at: string): Promise<void> {
      const current = new Map((await listFor(articleId)).map((r) => [r.id, r.position]));
      for (const [position, id] of linkIds.entries()) {
        if (current.get(id) !== position) {
          await d.run(db.update(relatedLinks).set({ position, updatedAt: at }).where(and(eq(relatedLinks.id, id), eq(relatedLinks.articleId, articleId))));
        }
      }
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type RelatedLinkRepository = Async<ReturnType<typeof createRelatedLinkRepository>>;
