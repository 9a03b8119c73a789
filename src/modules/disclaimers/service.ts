import { ulid } from 'ulid';
import type { Transactions } from '../../db/client.js';
import type { Viewer } from '../../db/visibility.js';
import { conflict, type FieldError, notFound, unprocessable } from '../../errors.js';
import { precondition, versionTag } from '../../http/concurrency.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { Principal } from '../api-keys/service.js';
import type { ArticleService } from '../articles/service.js';
import type { Journal } from '../audit/journal.js';
import type { AttachedDisclaimer, AttachmentRow, DisclaimerInsert, DisclaimerRepository, DisclaimerRow, Placement } from './repository.js';
import type { Attachment, Disclaimer, DisclaimerPatch, NewDisclaimer, ResolvedDisclaimer, ResolvedDisclaimers } from './schemas.js';

export type DisclaimerDeps = {
  repo: DisclaimerRepository;
  tx: Transactions['tx'];
  now: () => Date;
  articles: ArticleService;
  /** To check the section ids of a rule. */
  sections: { getMany(ids: readonly string[]): Promise<{ id: string }[]> };
  journal: Journal;
};

const eventOf = (d: Disclaimer, action: string) => ({ type: `disclaimer.${action}`, data: { id: d.id, key: d.key, kind: d.kind, active: d.active } });

/** What resolution needs to know of an article: it runs at read time, so a new type or section re-resolves. */
export type ArticleRef = { id: string; type: string; sectionId: string | null };

const SLOTS: readonly Placement[] = ['top', 'bottom'];
/** Placements in slot order, whatever order the client sent. */
const inSlotOrder = (p: readonly Placement[]) => SLOTS.filter((s) => p.includes(s));

const keyTaken = () => conflict('key-taken', 'This key is already in use', [{ pointer: '/body/key', message: 'key is taken', code: 'key-taken' }]);

function appliesTo(row: DisclaimerRow): Disclaimer['appliesTo'] {
  const types = row.appliesToTypes as Disclaimer['appliesTo']['types'] | null;
  const sectionIds = row.appliesToSectionIds as string[] | null;
  return { ...(types ? { types } : {}), ...(sectionIds ? { sectionIds } : {}) };
}

export function toDisclaimer(row: DisclaimerRow): Disclaimer {
  return {
    id: row.id, key: row.key, kind: row.kind, title: row.title, body: row.body as Disclaimer['body'],
    placements: row.placements as Placement[], appliesTo: appliesTo(row), active: row.active,
    createdAt: row.createdAt, updatedAt: row.updatedAt,
  };
}

const resolved = (row: DisclaimerRow, placements: readonly Placement[], source: ResolvedDisclaimer['source']): ResolvedDisclaimer => ({
  id: row.id, key: row.key, kind: row.kind, title: row.title, body: row.body as ResolvedDisclaimer['body'],
  placements: inSlotOrder(placements), source,
});

const matchesRule = (d: DisclaimerRow, a: ArticleRef) =>
  ((d.appliesToTypes as string[] | null) ?? []).includes(a.type) || (a.sectionId !== null && ((d.appliesToSectionIds as string[] | null) ?? []).includes(a.sectionId));

/** One notice object per disclaimer: a notice placed top and bottom is the same entry in both slots. */
export const toSlots = (list: readonly ResolvedDisclaimer[]): ResolvedDisclaimers => ({
  top: list.filter((d) => d.placements.includes('top')),
  bottom: list.filter((d) => d.placements.includes('bottom')),
});

export function createDisclaimerService({ repo, tx, now, articles, sections, journal }: DisclaimerDeps) {
  const iso = () => now().toISOString();
  const mustGet = async (id: string) => (await repo.get(id)) ?? (() => { throw notFound('Disclaimer'); })();

  async function checkSections(ids: readonly string[] | null | undefined) {
    if (!ids?.length) return;
    const found = new Set((await sections.getMany(ids)).map((s) => s.id));
    const errors: FieldError[] = [];
    ids.forEach((id, i) => found.has(id) || errors.push({ pointer: `/body/appliesTo/sectionIds/${i}`, message: 'no such section', code: 'unknown-reference' }));
    if (errors.length) throw unprocessable('unknown-reference', 'The rule names sections that do not exist', errors);
  }

  /**
   * The notices of each article, in order: its own attachments by position, then the rule-attached ones by
   * key. An attachment (shown or suppressed) takes the notice out of rule resolution; inactive notices never
   * render. Two queries for any number of articles.
   */
  async function resolve(list: readonly ArticleRef[]): Promise<Map<string, ResolvedDisclaimer[]>> {
    const out = new Map<string, ResolvedDisclaimer[]>(list.map((a) => [a.id, []]));
    if (list.length === 0) return out;
    const byArticle = new Map<string, AttachedDisclaimer[]>();
    for (const att of await repo.attachedTo(list.map((a) => a.id))) byArticle.set(att.articleId, [...(byArticle.get(att.articleId) ?? []), att]);
    const rules = await repo.activeWithRules();
    for (const article of list) {
      const notices = out.get(article.id)!;
      const decided = new Set<string>();
      for (const att of byArticle.get(article.id) ?? []) {
        if (decided.has(att.disclaimerId)) continue;
        decided.add(att.disclaimerId);
        if (att.suppress || !att.disclaimer.active) continue;
        notices.push(resolved(att.disclaimer, att.placements.length ? att.placements : (att.disclaimer.placements as Placement[]), 'article'));
      }
      for (const d of rules) {
        if (decided.has(d.id) || !matchesRule(d, article)) continue;
        decided.add(d.id);
        notices.push(resolved(d, d.placements as Placement[], 'rule'));
      }
    }
    return out;
  }

  return {
    resolve,

    /** The `disclaimers` expansion for a page of articles (fixed query count). */
    async expand<A extends ArticleRef>(page: A[]): Promise<(A & { disclaimers: ResolvedDisclaimers })[]> {
      const notices = await resolve(page);
      return page.map((a) => ({ ...a, disclaimers: toSlots(notices.get(a.id) ?? []) }));
    },

    get: async (id: string): Promise<Disclaimer> => toDisclaimer(await mustGet(id)),

    async list(limit: number, cursor: string | undefined) {
      const after = decodeCursor(cursor, 'key');
      const rows = await repo.list(limit + 1, after ? { key: String(after.key), id: after.id } : undefined);
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return { data: page.map(toDisclaimer), total: await repo.count(), nextCursor: rows.length > limit && last ? encodeCursor('key', last.key, last.id) : null };
    },

    // Writes: every check runs in the write's transaction, so nothing changes between check and write.
    create(input: NewDisclaimer): Promise<Disclaimer> {
      return tx(async () => {
        if (await repo.keyTaken(input.key)) throw keyTaken();
        await checkSections(input.appliesTo.sectionIds);
        const at = iso();
        const d = toDisclaimer(await repo.insert({
          id: ulid(), key: input.key, kind: input.kind, title: input.title ?? null, body: input.body,
          placements: inSlotOrder(input.placements), appliesToTypes: input.appliesTo.types ?? null,
          appliesToSectionIds: input.appliesTo.sectionIds ?? null, active: input.active, createdAt: at, updatedAt: at,
        }));
        await journal.record({ resource: 'disclaimer', id: d.id, action: 'created', event: eventOf(d, 'created') });
        return d;
      });
    },

    update(id: string, patch: DisclaimerPatch): Promise<Disclaimer> {
      return tx(async () => {
        precondition(versionTag(await mustGet(id)));
        if (patch.key !== undefined && (await repo.keyTaken(patch.key, id))) throw keyTaken();
        const { appliesTo: rule, placements, ...scalars } = patch;
        const next: Partial<DisclaimerInsert> = { ...scalars, updatedAt: iso() };
        if (placements) next.placements = inSlotOrder(placements);
        if (rule === null) Object.assign(next, { appliesToTypes: null, appliesToSectionIds: null });
        if (rule?.types !== undefined) next.appliesToTypes = rule.types;
        if (rule?.sectionIds !== undefined) {
          await checkSections(rule.sectionIds);
          next.appliesToSectionIds = rule.sectionIds;
        }
        const d = toDisclaimer((await repo.update(id, next)) ?? (await mustGet(id)));
        await journal.record({ resource: 'disclaimer', id, action: 'updated', event: eventOf(d, 'updated') });
        return d;
      });
    },

    /** Refused (409) while an article attaches the notice, unless forced; suppressions never block. */
    delete(id: string, force: boolean): Promise<void> {
      return tx(async () => {
        const current = toDisclaimer(await mustGet(id));
        precondition(versionTag(current));
        const n = await repo.countAttachments(id);
        if (n > 0 && !force) {
          throw conflict('disclaimer-in-use', `The notice is attached to ${n} article${n === 1 ? '' : 's'}; detach it first or delete with force=true`);
        }
        await repo.delete(id);
        await journal.record({ resource: 'disclaimer', id, action: 'deleted', event: eventOf(current, 'deleted') });
      });
    },

    /** The resolved notices of one article, if the viewer may see the article (404 otherwise). */
    async forArticle(articleId: string, viewer: Viewer): Promise<ResolvedDisclaimer[]> {
      const row = await articles.getRow(articleId, viewer);
      return (await resolve([row])).get(row.id) ?? [];
    },

    /**
     * Replaces the article's own attachments. A real change bumps the article's revision and updatedAt in
     * the same transaction; sending the list it already has changes nothing. The answer is resolved in it
     * too, so it shows this write and no later one.
     */
    putAttachments(articleId: string, list: readonly Attachment[], actor: Principal | null): Promise<ResolvedDisclaimer[]> {
      return tx(async () => {
        const row = await articles.getRow(articleId, { anonymous: false, now: iso() });
        if (row.deletedAt) throw conflict('article-in-trash', 'The article is in the trash; restore it before you change it');
        const found = new Set((await repo.getMany(list.map((a) => a.disclaimerId))).map((d) => d.id));
        const errors: FieldError[] = [];
        list.forEach((a, i) => found.has(a.disclaimerId) || errors.push({ pointer: `/body/${i}/disclaimerId`, message: 'no such disclaimer', code: 'unknown-reference' }));
        if (errors.length) throw unprocessable('unknown-reference', 'The list names disclaimers that do not exist', errors);
        // A suppression renders nothing, so its placements are not kept; [] means "the notice's own placements".
        const next: AttachmentRow[] = list.map((a) => ({ disclaimerId: a.disclaimerId, placements: a.suppress ? [] : inSlotOrder(a.placements ?? []), suppress: a.suppress }));
        if (JSON.stringify(await repo.attachments(articleId)) !== JSON.stringify(next)) {
          await repo.replaceAttachments(articleId, next);
          await articles.touch(articleId, 'disclaimers changed', actor);
        }
        return (await resolve([row])).get(row.id) ?? [];
      });
    },
  };
}

export type DisclaimerService = ReturnType<typeof createDisclaimerService>;
