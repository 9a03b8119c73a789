import { and, asc, eq, gt, ne, or } from 'drizzle-orm';
import { preparedOnce, type Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import type { authors, sections, tags } from '../../db/schema.js';

/** SQL for the taxonomy tables that share the id/slug/name/createdAt/updatedAt shape. */
export type SluggedTable = typeof tags | typeof authors | typeof sections;
type Keyed = { id: string; slug: string; name: string; createdAt: string; updatedAt: string };

/** `table` is one of the dialect's tables (`d.tables.sections`, `.tags`, `.authors`). */
export function createSluggedRepository<Row extends Keyed>(d: Dialect, table: SluggedTable) {
  const { db } = d;
  const { sections } = d.tables;
  // The three tables share these columns; drizzle cannot type a union of tables, so one is named.
  const t = table as typeof tags;
  const many = preparedOnce(() => d.prepare(db.select().from(t).where(d.inJsonArray(t.id))));
  const slugsInUse = preparedOnce(() => d.prepare(db.select({ slug: t.slug }).from(t).where(d.inJsonArray(t.slug, 'slugs'))));
  return {
    async get(id: string): Promise<Row | undefined> {
      return (await d.get(db.select().from(t).where(eq(t.id, id)))) as Row | undefined;
    },
    async getBySlug(slug: string): Promise<Row | undefined> {
      return (await d.get(db.select().from(t).where(eq(t.slug, slug)))) as Row | undefined;
    },
    async insert(row: Row): Promise<Row> {
      return (await d.get(db.insert(t).values(row).returning())) as Row;
    },
    async update(id: string, patch: Partial<Row>): Promise<Row | undefined> {
      return (await d.get(db.update(t).set(patch).where(eq(t.id, id)).returning())) as Row | undefined;
    },
    async delete(id: string): Promise<boolean> {
      return (await d.run(db.delete(t).where(eq(t.id, id)))) > 0;
    },
    async list(limit: number, after?: { key: string; id: string }): Promise<Row[]> {
      const cond = after ? or(gt(t.name, after.key), and(eq(t.name, after.key), gt(t.id, after.id))) : undefined;
      return (await d.all(db.select().from(t).where(cond).orderBy(asc(t.name), asc(t.id)).limit(limit))) as Row[];
    },
    async count(): Promise<number> {
      return d.count(t);
    },
    async slugTaken(slug: string, exceptId?: string): Promise<boolean> {
      return (await d.get(db.select({ id: t.id }).from(t).where(and(eq(t.slug, slug), exceptId ? ne(t.id, exceptId) : undefined)))) !== undefined;
    },
    /** Which of `slugs` are in use. */
    async slugsTaken(slugs: readonly string[]): Promise<Set<string>> {
      return new Set(((await slugsInUse().all({ slugs: JSON.stringify(slugs) })) as { slug: string }[]).map((r) => r.slug));
    },
    async hasChildren(id: string): Promise<boolean> {
      return 'parentId' in table && (await d.count(sections, eq(sections.parentId, id))) > 0;
    },
    async getMany(ids: readonly string[]): Promise<Row[]> {
      if (ids.length === 0) return [];
      return (await many().all({ ids: JSON.stringify(ids) })) as Row[];
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type SluggedRepository<Row extends Keyed> = Async<ReturnType<typeof createSluggedRepository<Row>>>;
