import { and, asc, count, eq, gt, inArray, or, sql, type AnyColumn } from 'drizzle-orm';
import { inJsonArray, preparedOnce, type Db, type Async } from '../../db/client.js';
import { articleDisclaimers, disclaimers } from '../../db/schema.js';

export type DisclaimerRow = typeof disclaimers.$inferSelect;
export type DisclaimerInsert = typeof disclaimers.$inferInsert;
export type Placement = 'top' | 'bottom';
/** One stored attachment; `placements` is empty when the article uses the notice's own placements. */
export type AttachmentRow = { disclaimerId: string; placements: Placement[]; suppress: boolean };
/** An attachment with its notice, for resolution. */
export type AttachedDisclaimer = AttachmentRow & { articleId: string; position: number; disclaimer: DisclaimerRow };

const hasItems = (column: AnyColumn) => sql`coalesce(json_array_length(${column}), 0) > 0`;

/** SQL for notices and their attachments to articles. */
export function createDisclaimerRepository(db: Db) {
  const attached = preparedOnce(() => db
    .select({ a: articleDisclaimers, d: disclaimers })
    .from(articleDisclaimers)
    .innerJoin(disclaimers, eq(disclaimers.id, articleDisclaimers.disclaimerId))
    .where(inJsonArray(articleDisclaimers.articleId))
    .orderBy(asc(articleDisclaimers.articleId), asc(articleDisclaimers.position))
    .prepare());
  const withRules = preparedOnce(() => db
    .select()
    .from(disclaimers)
    .where(and(eq(disclaimers.active, true), or(hasItems(disclaimers.appliesToTypes), hasItems(disclaimers.appliesToSectionIds))))
    .orderBy(asc(disclaimers.key), asc(disclaimers.id))
    .prepare());
  return {
    get(id: string): DisclaimerRow | undefined {
      return db.select().from(disclaimers).where(eq(disclaimers.id, id)).get();
    },
    getMany(ids: readonly string[]): DisclaimerRow[] {
      if (ids.length === 0) return [];
      return db.select().from(disclaimers).where(inArray(disclaimers.id, [...ids])).all();
    },
    keyTaken(key: string, exceptId?: string): boolean {
      const row = db.select({ id: disclaimers.id }).from(disclaimers).where(eq(disclaimers.key, key)).get();
      return row !== undefined && row.id !== exceptId;
    },
    insert(row: DisclaimerInsert): DisclaimerRow {
      return db.insert(disclaimers).values(row).returning().get();
    },
    update(id: string, patch: Partial<DisclaimerInsert>): DisclaimerRow | undefined {
      return db.update(disclaimers).set(patch).where(eq(disclaimers.id, id)).returning().get();
    },
    /** Deletes the notice; its attachments go with it (ON DELETE CASCADE). */
    delete(id: string): boolean {
      return db.delete(disclaimers).where(eq(disclaimers.id, id)).run().changes > 0;
    },
    /** Keyset page ordered by key (unique), then id. */
    list(limit: number, after?: { key: string; id: string }): DisclaimerRow[] {
      const cond = after ? or(gt(disclaimers.key, after.key), and(eq(disclaimers.key, after.key), gt(disclaimers.id, after.id))) : undefined;
      return db.select().from(disclaimers).where(cond).orderBy(asc(disclaimers.key), asc(disclaimers.id)).limit(limit).all();
    },
    count(): number {
      return db.select({ n: count() }).from(disclaimers).get()?.n ?? 0;
    },
    /** Articles that show this notice through an attachment (suppressions do not count). */
    countAttachments(disclaimerId: string): number {
      return db
        .select({ n: count() })
        .from(articleDisclaimers)
        .where(and(eq(articleDisclaimers.disclaimerId, disclaimerId), eq(articleDisclaimers.suppress, false)))
        .get()?.n ?? 0;
    },
    /** The article's own attachments, in position order. */
    attachments(articleId: string): AttachmentRow[] {
      return db
        .select({ disclaimerId: articleDisclaimers.disclaimerId, placements: articleDisclaimers.placements, suppress: articleDisclaimers.suppress })
        .from(articleDisclaimers)
        .where(eq(articleDisclaimers.articleId, articleId))
        .orderBy(asc(articleDisclaimers.position))
        .all() as AttachmentRow[];
    },
    replaceAttachments(articleId: string, list: readonly AttachmentRow[]): void {
      db.delete(articleDisclaimers).where(eq(articleDisclaimers.articleId, articleId)).run();
      if (list.length) {
        db.insert(articleDisclaimers).values(list.map((a, position) => ({ articleId, disclaimerId: a.disclaimerId, placements: a.placements, suppress: a.suppress, position }))).run();
      }
    },
    /** Every attachment of a page of articles with its notice, in one query, by article then position. */
    attachedTo(articleIds: readonly string[]): AttachedDisclaimer[] {
      if (articleIds.length === 0) return [];
      return attached()
        .all({ ids: JSON.stringify(articleIds) })
        .map(({ a, d }) => ({ articleId: a.articleId, position: a.position, disclaimerId: a.disclaimerId, placements: a.placements as Placement[], suppress: a.suppress, disclaimer: d }));
    },
    /**
     * The active notices that carry a rule, ordered by key: one query, whatever the page. There are few of
     * them (a newsroom has a handful of standing notices), so matching against each article happens in JS.
     */
    activeWithRules(): DisclaimerRow[] {
      return withRules().all();
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type DisclaimerRepository = Async<ReturnType<typeof createDisclaimerRepository>>;
