import { and, asc, count, eq, gt, ne, or } from 'drizzle-orm';
import { countRows, inJsonArray, preparedOnce, type Db, type Async } from '../../db/client.js';
import { authors, sections, tags } from '../../db/schema.js';

/** SQL for the taxonomy tables that share the id/slug/name/createdAt/updatedAt shape. */
export type SluggedTable = typeof tags | typeof authors | typeof sections;
type Keyed = { id: string; slug: string; name: string; createdAt: string; updatedAt: string };

export function createSluggedRepository<Row extends Keyed>(db: Db, table: SluggedTable) {
  // The three tables share these columns; drizzle cannot type a union of tables, so one is named.
  const t = table as typeof tags;
  const many = preparedOnce(() => db.select().from(t).where(inJsonArray(t.id)).prepare());
  return {
    get(id: string): Row | undefined {
      return db.select().from(t).where(eq(t.id, id)).get() as Row | undefined;
    },
    getBySlug(slug: string): Row | undefined {
      return db.select().from(t).where(eq(t.slug, slug)).get() as Row | undefined;
    },
    insert(row: Row): Row {
      return db.insert(t).values(row).returning().get() as Row;
    },
    update(id: string, patch: Partial<Row>): Row | undefined {
      return db.update(t).set(patch).where(eq(t.id, id)).returning().get() as Row | undefined;
    },
    delete(id: string): boolean {
      return db.delete(t).where(eq(t.id, id)).run().changes > 0;
    },
    list(limit: number, after?: { key: string; id: string }): Row[] {
      const cond = after ? or(gt(t.name, after.key), and(eq(t.name, after.key), gt(t.id, after.id))) : undefined;
      return db.select().from(t).where(cond).orderBy(asc(t.name), asc(t.id)).limit(limit).all() as Row[];
    },
    count(): number {
      return db.select({ n: count() }).from(t).get()?.n ?? 0;
    },
    slugTaken(slug: string, exceptId?: string): boolean {
      return db.select({ id: t.id }).from(t).where(and(eq(t.slug, slug), exceptId ? ne(t.id, exceptId) : undefined)).get() !== undefined;
    },
    hasChildren(id: string): boolean {
      return 'parentId' in table && countRows(db, sections, eq(sections.parentId, id)) > 0;
    },
    getMany(ids: readonly string[]): Row[] {
      if (ids.length === 0) return [];
      return many().all({ ids: JSON.stringify(ids) }) as Row[];
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type SluggedRepository<Row extends Keyed> = Async<ReturnType<typeof createSluggedRepository<Row>>>;
