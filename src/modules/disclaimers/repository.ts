import { and, asc, eq, gt, inArray, or, sql, type AnyColumn } from 'drizzle-orm';
import { preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { disclaimers } from '../../db/schema.js';

export type DisclaimerRow = typeof disclaimers.$inferSelect;
export type DisclaimerInsert = typeof disclaimers.$inferInsert;
export type Placement = 'top' | 'bottom';
/** One stored attachment; `placements` is empty when the article uses the notice's own placements. */
export type AttachmentRow = { disclaimerId: string; placements: Placement[]; suppress: boolean };
/** An attachment with its notice, for resolution. */
export type AttachedDisclaimer = AttachmentRow & { articleId: string; position: number; disclaimer: DisclaimerRow };

/** SQL for notices and their attachments to articles. */
export function createDisclaimerRepository(d: Dialect) {
  const { db } = d;
  const { articleDisclaimers, disclaimers } = d.tables;
  const hasItems = (column: AnyColumn) => sql`coalesce(${d.jsonArrayLength(column)}, 0) > 0`;
  const attached = preparedOnce(() => d.prepare(db
    .select({ a: articleDisclaimers, d: disclaimers })
    .from(articleDisclaimers)
    .innerJoin(disclaimers, eq(disclaimers.id, articleDisclaimers.disclaimerId))
    .where(d.inJsonArray(articleDisclaimers.articleId))
    .orderBy(asc(articleDisclaimers.articleId), asc(articleDisclaimers.position))));
  const withRules = preparedOnce(() => d.prepare(db
    .select()
    .from(disclaimers)
    .where(and(eq(disclaimers.active, true), or(hasItems(disclaimers.appliesToTypes), hasItems(disclaimers.appliesToSectionIds))))
    .orderBy(asc(disclaimers.key), asc(disclaimers.id))));
  return {
    async get(id: string): Promise<DisclaimerRow | undefined> {
      return d.get(db.select().from(disclaimers).where(eq(disclaimers.id, id)));
    },
    async getMany(ids: readonly string[]): Promise<DisclaimerRow[]> {
      if (ids.length === 0) return [];
      return d.all(db.select().from(disclaimers).where(inArray(disclaimers.id, [...ids])));
    },
    async keyTaken(key: string, exceptId?: string): Promise<boolean> {
      const row = await d.get(db.select({ id: disclaimers.id }).from(disclaimers).where(eq(disclaimers.key, key)));
      return row !== undefined && row.id !== exceptId;
    },
    async insert(row: DisclaimerInsert): Promise<DisclaimerRow> {
      return (await d.get(db.insert(disclaimers).values(row).returning()))!;
    },
    async update(id: string, patch: Partial<DisclaimerInsert>): Promise<DisclaimerRow | undefined> {
      return d.get(db.update(disclaimers).set(patch).where(eq(disclaimers.id, id)).returning());
    },
    /** Deletes the notice; its attachments go with it (ON DELETE CASCADE). */
    async delete(id: string): Promise<boolean> {
      return (await d.run(db.delete(disclaimers).where(eq(disclaimers.id, id)))) > 0;
    },
    /** Keyset page ordered by key (unique), then id. */
    async list(limit: number, after?: { key: string; id: string }): Promise<DisclaimerRow[]> {
      const cond = after ? or(gt(disclaimers.key, after.key), and(eq(disclaimers.key, after.key), gt(disclaimers.id, after.id))) : undefined;
      return d.all(db.select().from(disclaimers).where(cond).orderBy(asc(disclaimers.key), asc(disclaimers.id)).limit(limit));
    },
    async count(): Promise<number> {
      return d.count(disclaimers);
    },
    /** Articles that show this notice through an attachment (suppressions do not count). */
    async countAttachments(disclaimerId: string): Promise<number> {
      return d.count(articleDisclaimers, and(eq(articleDisclaimers.disclaimerId, disclaimerId), eq(articleDisclaimers.suppress, false)));
    },
    /** The article's own attachments, in position order. */
    async attachments(articleId: string): Promise<AttachmentRow[]> {
      return (await d.all(db
        .select({ disclaimerId: articleDisclaimers.disclaimerId, placements: articleDisclaimers.placements, suppress: articleDisclaimers.suppress })
        .from(articleDisclaimers)
        .where(eq(articleDisclaimers.articleId, articleId))
        .orderBy(asc(articleDisclaimers.position)))) as AttachmentRow[];
    },
    async replaceAttachments(articleId: string, list: readonly AttachmentRow[]): Promise<void> {
      await d.run(db.delete(articleDisclaimers).where(eq(articleDisclaimers.articleId, articleId)));
      if (list.length) {
        await d.run(db.insert(articleDisclaimers).values(list.map((a, position) => ({ articleId, disclaimerId: a.disclaimerId, placements: a.placements, suppress: a.suppress, position }))));
      }
    },
    /** Every attachment of a page of articles with its notice, in one query, by article then position. */
    async attachedTo(articleIds: readonly string[]): Promise<AttachedDisclaimer[]> {
      if (articleIds.length === 0) return [];
      return (await attached().all({ ids: JSON.stringify(articleIds) }))
        .map(({ a, d: notice }) => ({ articleId: a.articleId, position: a.position, disclaimerId: a.disclaimerId, placements: a.placements as Placement[], suppress: a.suppress, disclaimer: notice }));
    },
    /**
     * The active notices that carry a rule, ordered by key: one query, whatever the page. There are few of
     * them (a newsroom has a handful of standing notices), so matching against each article happens in JS.
     */
    async activeWithRules(): Promise<DisclaimerRow[]> {
      return withRules().all();
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type DisclaimerRepository = Async<ReturnType<typeof createDisclaimerRepository>>;
