import { and, asc, eq, isNull } from 'drizzle-orm';
import { inJsonArray, preparedOnce, type Db, type Async } from '../../db/client.js';
import { articles, relatedLinks } from '../../db/schema.js';
import { preparedByViewer, type Viewer } from '../../db/visibility.js';

export type RelatedLinkRow = typeof relatedLinks.$inferSelect;
export type RelatedLinkInsert = typeof relatedLinks.$inferInsert;

/** What a link shows of the article it points to. */
export type TargetRow = Pick<typeof articles.$inferSelect, 'id' | 'slug' | 'headline' | 'type' | 'publishedAt' | 'hero'>;

const byPosition = [asc(relatedLinks.position), asc(relatedLinks.id)];

export function createRelatedLinkRepository(db: Db) {
  const linksOf = preparedOnce(() => db.select().from(relatedLinks).where(inJsonArray(relatedLinks.articleId)).orderBy(...byPosition).prepare());
  const visibleTargets = preparedByViewer((visible) => db
    .select({ id: articles.id, slug: articles.slug, headline: articles.headline, type: articles.type, publishedAt: articles.publishedAt, hero: articles.hero })
    .from(articles)
    .where(and(inJsonArray(articles.id), visible, isNull(articles.deletedAt)))
    .prepare());
  /** Every stored link of one article (including links whose target is hidden), in order. */
  const listFor = (articleId: string): RelatedLinkRow[] =>
    db.select().from(relatedLinks).where(eq(relatedLinks.articleId, articleId)).orderBy(...byPosition).all();

  return {
    listFor,

    /** The articles that link to this one (whether or not the link is shown): they change when it does. */
    sourcesOf(targetId: string): string[] {
      return db.selectDistinct({ id: relatedLinks.articleId }).from(relatedLinks).where(eq(relatedLinks.targetArticleId, targetId)).all().map((r) => r.id);
    },

    /** The links of many articles in one query, each list in order. */
    listForMany(articleIds: readonly string[]): Map<string, RelatedLinkRow[]> {
      const out = new Map<string, RelatedLinkRow[]>(articleIds.map((id) => [id, []]));
      if (!articleIds.length) return out;
      const rows = linksOf().all({ ids: JSON.stringify(articleIds) });
      for (const r of rows) out.get(r.articleId)?.push(r);
      return out;
    },

    /**
     * The targets this viewer may see among `ids`, in one query. The visibility predicate decides for
     * anonymous readers; on top of it a target in the trash is hidden from everyone (its links are kept
     * and come back when it is restored).
     */
    targets(ids: readonly string[], viewer: Viewer): Map<string, TargetRow> {
      if (!ids.length) return new Map();
      const rows = visibleTargets(viewer).all({ ids: JSON.stringify([...new Set(ids)]), now: viewer.now });
      return new Map(rows.map((r) => [r.id, r]));
    },

    get(articleId: string, linkId: string): RelatedLinkRow | undefined {
      return db.select().from(relatedLinks).where(and(eq(relatedLinks.id, linkId), eq(relatedLinks.articleId, articleId))).get();
    },

    insert(row: RelatedLinkInsert): RelatedLinkRow {
      return db.insert(relatedLinks).values(row).returning().get();
    },

    update(linkId: string, patch: Partial<Pick<RelatedLinkInsert, 'label' | 'url' | 'position' | 'updatedAt'>>): RelatedLinkRow {
      return db.update(relatedLinks).set(patch).where(eq(relatedLinks.id, linkId)).returning().get()!;
    },

    delete(linkId: string): boolean {
      return db.delete(relatedLinks).where(eq(relatedLinks.id, linkId)).run().changes > 0;
    },

    /** Replaces all links of an article with `rows` (positions as given). */
    replaceAll(articleId: string, rows: readonly RelatedLinkInsert[]): void {
      db.delete(relatedLinks).where(eq(relatedLinks.articleId, articleId)).run();
      if (rows.length) db.insert(relatedLinks).values([...rows]).run();
    },

    /** Stores positions 0..n-1 in the order of `linkIds`, touching only the rows whose position moves. */
    renumber(articleId: string, linkIds: readonly string[], at: string): void {
      const current = new Map(listFor(articleId).map((r) => [r.id, r.position]));
      linkIds.forEach((id, position) => {
        if (current.get(id) !== position) {
          db.update(relatedLinks).set({ position, updatedAt: at }).where(and(eq(relatedLinks.id, id), eq(relatedLinks.articleId, articleId))).run();
        }
      });
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type RelatedLinkRepository = Async<ReturnType<typeof createRelatedLinkRepository>>;
