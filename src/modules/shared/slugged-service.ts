import { ulid } from 'ulid';
import { slugify, uniqueSlug } from '../../content/slug.js';
import { conflict, notFound, type AppError } from '../../errors.js';
import { precondition, versionTag } from '../../http/concurrency.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { Journal, Resource } from '../audit/journal.js';
import type { SluggedRepository } from './slugged-repository.js';

type Keyed = { id: string; slug: string; name: string; createdAt: string; updatedAt: string };

export type SluggedRules<Row> = {
  label: string;
  /** Journal resource name (audit trail). */
  resource: Resource;
  /** Why the row cannot be deleted, if it cannot (still referenced). */
  blockDelete?: (id: string) => string | undefined;
  /** Cross-row rules on a write (e.g. a section's parent must exist and not be a descendant). */
  check?: (next: Row, id: string | undefined) => AppError | undefined;
};

const slugConflict = () =>
  conflict('slug-taken', 'This slug is already in use', [{ pointer: '/body/slug', message: 'slug is taken', code: 'slug-taken' }]);

/** Create/read/update/delete with unique slugs (derived from the name when omitted) and keyset paging by name. */
export function createSluggedService<Row extends Keyed>(repo: SluggedRepository<Row>, rules: SluggedRules<Row>, now: () => Date, ctx: { journal: Journal; tx: <T>(fn: () => T) => T }) {
  const record = (id: string, action: string) => ctx.journal.record({ resource: rules.resource, id, action });
  const mustGet = (id: string) => repo.get(id) ?? (() => { throw notFound(rules.label); })();

  return {
    get: mustGet,
    getBySlug: (slug: string) => repo.getBySlug(slug) ?? (() => { throw notFound(rules.label); })(),
    getMany: repo.getMany,
    list(limit: number, cursor: string | undefined) {
      const after = decodeCursor(cursor, 'name');
      const rows = repo.list(limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { rows: page, total: repo.count(), nextCursor: rows.length > limit && last ? encodeCursor('name', last.name, last.id) : null };
    },
    create(input: Omit<Partial<Row>, 'id' | 'createdAt' | 'updatedAt'> & { name: string }): Row {
      let slug = input.slug;
      if (slug === undefined) slug = uniqueSlug(slugify(input.name), (s) => repo.slugTaken(s));
      else if (repo.slugTaken(slug)) throw slugConflict();
      const at = now().toISOString();
      const row = { ...input, id: ulid(), slug, createdAt: at, updatedAt: at } as Row;
      const err = rules.check?.(row, undefined);
      if (err) throw err;
      return ctx.tx(() => {
        const created = repo.insert(row);
        record(created.id, 'created');
        return created;
      });
    },
    update(id: string, patch: Partial<Row>): Row {
      const current = mustGet(id);
      precondition(versionTag(current));
      if (patch.slug !== undefined && repo.slugTaken(patch.slug, id)) throw slugConflict();
      const next = { ...current, ...patch, updatedAt: now().toISOString() };
      const err = rules.check?.(next, id);
      if (err) throw err;
      return ctx.tx(() => {
        const updated = repo.update(id, { ...patch, updatedAt: next.updatedAt }) ?? mustGet(id);
        record(id, 'updated');
        return updated;
      });
    },
    delete(id: string): void {
      precondition(versionTag(mustGet(id)));
      const reason = rules.blockDelete?.(id);
      if (reason) throw conflict(`${rules.label.toLowerCase()}-in-use`, reason);
      ctx.tx(() => {
        repo.delete(id);
        record(id, 'deleted');
      });
    },
  };
}

export type SluggedService<Row extends Keyed> = ReturnType<typeof createSluggedService<Row>>;
