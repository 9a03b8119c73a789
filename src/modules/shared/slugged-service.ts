import { ulid } from 'ulid';
import { slugify, uniqueSlug } from '../../content/slug.js';
import { conflict, notFound, type AppError } from '../../errors.js';
import { precondition, versionTag } from '../../http/concurrency.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { Transactions } from '../../db/client.js';
import type { Journal, Resource } from '../audit/journal.js';
import type { SluggedRepository } from './slugged-repository.js';

type Keyed = { id: string; slug: string; name: string; createdAt: string; updatedAt: string };

export type SluggedRules<Row> = {
  label: string;
  /** Journal resource name (audit trail). */
  resource: Resource;
  /** Why the row cannot be deleted, if it cannot (still referenced). */
  blockDelete?: (id: string) => Promise<string | undefined>;
  /** Cross-row rules on a write (e.g. a section's parent must exist and not be a descendant). */
  check?: (next: Row, id: string | undefined) => Promise<AppError | undefined>;
};

const slugConflict = () =>
  conflict('slug-taken', 'This slug is already in use', [{ pointer: '/body/slug', message: 'slug is taken', code: 'slug-taken' }]);

/** Create/read/update/delete with unique slugs (derived from the name when omitted) and keyset paging by name. */
export function createSluggedService<Row extends Keyed>(repo: SluggedRepository<Row>, rules: SluggedRules<Row>, now: () => Date, ctx: { journal: Journal; tx: Transactions['tx'] }) {
  const record = (id: string, action: string) => ctx.journal.record({ resource: rules.resource, id, action });
  const mustGet = async (id: string) => (await repo.get(id)) ?? (() => { throw notFound(rules.label); })();

  return {
    get: mustGet,
    getBySlug: async (slug: string) => (await repo.getBySlug(slug)) ?? (() => { throw notFound(rules.label); })(),
    getMany: repo.getMany,
    async list(limit: number, cursor: string | undefined) {
      const after = decodeCursor(cursor, 'name');
      const rows = await repo.list(limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { rows: page, total: await repo.count(), nextCursor: rows.length > limit && last ? encodeCursor('name', last.name, last.id) : null };
    },
    // Each write runs whole in one transaction: its checks (slug, precondition, rules) hold for the write.
    create(input: Omit<Partial<Row>, 'id' | 'createdAt' | 'updatedAt'> & { name: string }): Promise<Row> {
      return ctx.tx(async () => {
        let slug = input.slug;
        if (slug === undefined) slug = await uniqueSlug(slugify(input.name), (s) => repo.slugsTaken(s));
        else if (await repo.slugTaken(slug)) throw slugConflict();
        const at = now().toISOString();
        const row = { ...input, id: ulid(), slug, createdAt: at, updatedAt: at } as Row;
        const err = await rules.check?.(row, undefined);
        if (err) throw err;
        const created = await repo.insert(row);
        await record(created.id, 'created');
        return created;
      });
    },
    update(id: string, patch: Partial<Row>): Promise<Row> {
      return ctx.tx(async () => {
        const current = await mustGet(id);
        precondition(versionTag(current));
        if (patch.slug !== undefined && (await repo.slugTaken(patch.slug, id))) throw slugConflict();
        const next = { ...current, ...patch, updatedAt: now().toISOString() };
        const err = await rules.check?.(next, id);
        if (err) throw err;
        const updated = (await repo.update(id, { ...patch, updatedAt: next.updatedAt })) ?? (await mustGet(id));
        await record(id, 'updated');
        return updated;
      });
    },
    delete(id: string): Promise<void> {
      return ctx.tx(async () => {
        precondition(versionTag(await mustGet(id)));
        const reason = await rules.blockDelete?.(id);
        if (reason) throw conflict(`${rules.label.toLowerCase()}-in-use`, reason);
        await repo.delete(id);
        await record(id, 'deleted');
      });
    },
  };
}

export type SluggedService<Row extends Keyed> = ReturnType<typeof createSluggedService<Row>>;
