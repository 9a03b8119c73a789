import { assignBlockIds, type Body } from '../../content/blocks.js';
import { derive } from '../../content/derive.js';
import { slugify, uniqueSlug } from '../../content/slug.js';
import type { Transactions } from '../../db/client.js';
import type { Viewer } from '../../db/visibility.js';
import { conflict, type FieldError, forbidden, notFound, unprocessable } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { Principal } from '../api-keys/service.js';
import type { Journal } from '../audit/journal.js';
import { precondition, versionTag } from '../../http/concurrency.js';
import { articleStatus, presentArticles, toArticle, type Expanders, type Taxonomy } from './present.js';
import type { ArticleFilter, ArticleInsert, ArticleReadRow, ArticleRepository, ArticleRow, AuthorRef, SortSpec } from './repository.js';
import type { Article, ArticleListQuery, ArticlePatch, ArticleSort, Include, NewArticle } from './schemas.js';
import { ftsQuery } from '../../content/search.js';
import { newId } from '../../ids.js';

export type ArticleDeps = {
  repo: ArticleRepository;
  taxonomy: Taxonomy;
  tx: Transactions['tx'];
  now: () => Date;
  siteUrl: string;
  /** Filled in by the modules that own each expansion (media, disclaimers, related links). */
  expanders: Expanders;
  /**
   * Called inside the transaction of every article write, with the row as written (derived indexes); `created`:
   * the write is the article's create, so it has no derived rows to replace yet.
   */
  afterWrite: ((row: ArticleRow, created: boolean) => Promise<void>)[];
  /**
   * Columns other modules derive from hero and body (the caption text search indexes), computed inside the
   * write's transaction before the row is stored whenever hero or body is written: the row, and so its
   * full-text index, is written once.
   */
  derivedColumns: ((content: { hero: unknown; body: unknown }) => Promise<Partial<ArticleInsert>>)[];
  /** Reference checks owned by other modules (e.g. media ids exist); each returns the bad pointers. */
  journal: Journal;
  referenceChecks: ((input: { hero?: { mediaId: string } | null | undefined; body?: readonly { type: string; mediaId?: string }[] | undefined }) => Promise<FieldError[]>)[];
};

const SORTS: Record<ArticleSort, SortSpec> = {
  '-publishedAt': { column: 'publishedAt', direction: 'desc' },
  publishedAt: { column: 'publishedAt', direction: 'asc' },
  '-updatedAt': { column: 'updatedAt', direction: 'desc' },
  headline: { column: 'headline', direction: 'asc' },
};

const EDITOR = (now: string): Viewer => ({ anonymous: false, now });

const merge = <T extends object>(current: T | null, patch: Partial<Record<keyof T, unknown>> | null | undefined): T | null => {
  if (patch === undefined) return current;
  if (patch === null) return null;
  const out: Record<string, unknown> = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return Object.keys(out).length ? (out as T) : null;
};

/** The journal action of a write, from its revision note. */
function actionOf(note: string): 'created' | 'updated' | 'published' | 'unpublished' | 'deleted' | 'restored' {
  if (note === 'created') return 'created';
  if (note === 'published' || note.startsWith('scheduled for')) return 'published';
  if (note === 'unpublished') return 'unpublished';
  if (note === 'moved to trash') return 'deleted';
  if (note === 'restored from trash') return 'restored';
  return 'updated';
}

/** What webhook receivers get: identity and state, enough to refetch; no private fields. */
const eventData = (a: Article) => ({ id: a.id, slug: a.slug, url: a.url, headline: a.headline, type: a.type, status: a.status, revision: a.revision, publishedAt: a.publishedAt, deletedAt: a.deletedAt });

export function createArticleService(deps: ArticleDeps) {
  const { repo, taxonomy, tx, now } = deps;
  const iso = () => now().toISOString();
  const slugConflict = () => conflict('slug-taken', 'This slug is already in use', [{ pointer: '/body/slug', message: 'slug is taken', code: 'slug-taken' }]);

  async function mustGet(id: string, viewer: Viewer): Promise<ArticleRow> {
    const row = await repo.get(id, viewer);
    if (!row) throw notFound('Article');
    return row;
  }

  /** References that do not exist answer 422 naming each bad pointer. */
  async function checkReferences(input: Parameters<ArticleDeps['referenceChecks'][number]>[0] & { sectionId?: string | null | undefined; tagIds?: string[] | undefined; authors?: AuthorRef[] | undefined }): Promise<void> {
    const errors: FieldError[] = [];
    for (const check of deps.referenceChecks) errors.push(...(await check(input)));
    if (input.sectionId && (await taxonomy.sections.getMany([input.sectionId])).length === 0) {
      errors.push({ pointer: '/body/sectionId', message: 'no such section', code: 'unknown-reference' });
    }
    if (input.tagIds?.length) {
      const found = new Set((await taxonomy.tags.getMany(input.tagIds)).map((t) => t.id));
      input.tagIds.forEach((id, i) => found.has(id) || errors.push({ pointer: `/body/tagIds/${i}`, message: 'no such tag', code: 'unknown-reference' }));
    }
    if (input.authors?.length) {
      const found = new Set((await taxonomy.authors.getMany(input.authors.map((a) => a.authorId))).map((a) => a.id));
      input.authors.forEach((a, i) => found.has(a.authorId) || errors.push({ pointer: `/body/authors/${i}/authorId`, message: 'no such author', code: 'unknown-reference' }));
    }
    if (errors.length) throw unprocessable('unknown-reference', 'The article refers to resources that do not exist', errors);
  }

  async function derivedColumns(content: { hero: unknown; body: unknown }): Promise<Partial<ArticleInsert>> {
    const out: Partial<ArticleInsert> = {};
    for (const hook of deps.derivedColumns) Object.assign(out, await hook(content));
    return out;
  }

  type Relations = { tagIds?: readonly string[] | undefined; authors?: readonly AuthorRef[] | undefined };

  /**
   * The after-write hooks, the journal and the revision of a row just written. Returns the snapshot, which
   * is the write's response: `toArticle` at the time of the write, what `presentArticles` gives an editor
   * without `include`. Relations the write has just stored are passed in, not read back.
   */
  async function snapshot(row: ArticleRow, note: string, actor: Principal | null, written: Relations = {}): Promise<Article> {
    for (const hook of deps.afterWrite) await hook(row, note === 'created');
    const ids = [row.id];
    const tagIds = written.tagIds ? [...written.tagIds] : ((await repo.tagIdsFor(ids)).get(row.id) ?? []);
    const authors = written.authors ? [...written.authors] : ((await repo.authorsFor(ids)).get(row.id) ?? []);
    const article = toArticle(row, tagIds, authors, deps.siteUrl, row.updatedAt);
    const action = actionOf(note);
    await deps.journal.record({
      resource: 'article', id: row.id, action, revision: row.revision,
      event: { type: `article.${action === 'restored' ? 'updated' : action}`, data: eventData(article) },
    });
    await repo.insertRevision({
      articleId: row.id, revision: row.revision, createdAt: row.updatedAt,
      actorKeyId: actor?.keyId ?? null, actorName: actor?.name ?? null, actorRole: actor?.role ?? null,
      note, snapshot: article,
    });
    return article;
  }

  async function read(row: ArticleReadRow, include: readonly Include[], viewer: Viewer): Promise<Article> {
    return (await presentArticles([row], include, viewer, deps))[0]!;
  }

  /** One write: bump revision and updatedAt, store the row, snapshot it, in one transaction. */
  function write(current: ArticleRow, patch: Partial<ArticleInsert>, note: string, actor: Principal | null, relations: Relations = {}): Promise<Article> {
    return tx(async () => {
      const next: Partial<ArticleInsert> = { ...patch, revision: current.revision + 1, updatedAt: iso() };
      if (patch.body !== undefined || patch.hero !== undefined) {
        const derived = await derivedColumns({ hero: patch.hero !== undefined ? patch.hero : current.hero, body: patch.body ?? current.body });
        // Only what changed: an unchanged caption text must not reindex the article.
        for (const [k, v] of Object.entries(derived)) if (v !== current[k as keyof ArticleRow]) Object.assign(next, { [k]: v });
      }
      const row = await repo.update(current.id, next);
      if (relations.tagIds) await repo.setTags(row.id, relations.tagIds);
      if (relations.authors) await repo.setAuthors(row.id, relations.authors);
      return snapshot(row, note, actor, relations);
    });
  }

  /**
   * The current row for a write, after the If-Match precondition. Call it inside the write's transaction:
   * the read, the comparison and the write must not be split by another request.
   */
  async function forWrite(id: string, options: { required?: boolean } = {}): Promise<ArticleRow> {
    const row = await mustGet(id, EDITOR(iso()));
    precondition(versionTag({ revision: row.revision, status: articleStatus(row, iso()) }), { article: options.required ?? true });
    return row;
  }

  async function liveOrEditable(id: string, action: string): Promise<ArticleRow> {
    const row = await forWrite(id, { required: action !== 'correct' });
    if (row.deletedAt) throw conflict('article-in-trash', `The article is in the trash; restore it before you ${action} it`);
    return row;
  }

  return {
    /** When the next scheduled article goes live (visibility changes then without any write). */
    async nextPublicationAfter(now: Date): Promise<Date | undefined> {
      const at = await repo.nextPublicationAfter(now.toISOString());
      return at === undefined ? undefined : new Date(at);
    },

    async get(id: string, include: readonly Include[], viewer: Viewer): Promise<Article> {
      return read(await mustGet(id, viewer), include, viewer);
    },

    /** The article by slug, or `{ redirect }` to its current slug when this one is old. */
    async getBySlug(slug: string, include: readonly Include[], viewer: Viewer): Promise<Article | { redirect: string }> {
      const row = await repo.getBySlug(slug, viewer);
      if (row) return read(row, include, viewer);
      const moved = await repo.getByOldSlug(slug, viewer);
      if (moved) return { redirect: moved.slug };
      throw notFound('Article');
    },

    async list(q: ArticleListQuery, viewer: Viewer) {
      if (q.status && viewer.anonymous) throw forbidden('The status filter needs an editor key');
      const filter: ArticleFilter = {
        type: q.type, sectionSlug: q.section, tagSlug: q.tag, authorSlug: q.author, status: q.status,
        publishedAfter: q.publishedAfter, publishedBefore: q.publishedBefore,
        match: q.q === undefined ? undefined : ftsQuery(q.q, '/query/q'),
      };
      const sort = SORTS[q.sort];
      const after = decodeCursor(q.cursor, q.sort);
      const rows = await repo.list(filter, viewer, sort, after, q.limit + 1);
      const page = rows.slice(0, q.limit);
      const last = page.at(-1);
      const keyOf = (r: ArticleReadRow) => (sort.column === 'publishedAt' ? r.publishedAt : sort.column === 'updatedAt' ? r.updatedAt : r.headline);
      return {
        data: await presentArticles(page, q.include ?? [], viewer, deps),
        total: await repo.count(filter, viewer),
        nextCursor: rows.length > q.limit && last ? encodeCursor(q.sort, keyOf(last), last.id) : null,
      };
    },

    create(input: NewArticle, actor: Principal | null): Promise<Article> {
      return tx(async () => {
        await checkReferences(input);
        input = { ...input, body: assignBlockIds(input.body) };
        if (input.slug !== undefined && (await repo.slugTaken(input.slug))) throw slugConflict();
        const at = iso();
        const slug = input.slug ?? (await uniqueSlug(slugify(input.headline), (s) => repo.slugsTaken(s)));
        const row = await repo.insert({
          id: newId(), slug, headline: input.headline, standfirst: input.standfirst ?? null, kicker: input.kicker ?? null,
          type: input.type, status: 'draft', body: input.body, hero: input.hero ?? null, sectionId: input.sectionId ?? null,
          bylineOverride: input.bylineOverride ?? null, language: input.language, canonicalUrl: input.canonicalUrl ?? null,
          seo: input.seo ?? null, commentsMode: input.commentsMode, source: input.source ?? null,
          revision: 1, createdAt: at, updatedAt: at, ...derive(input.body as Body, input.seo?.description),
          ...(await derivedColumns({ hero: input.hero ?? null, body: input.body })),
        });
        await repo.setTags(row.id, input.tagIds, true);
        await repo.setAuthors(row.id, input.authors, true);
        return snapshot(row, 'created', actor, { tagIds: input.tagIds, authors: input.authors });
      });
    },

    update(id: string, patch: ArticlePatch, actor: Principal | null, note = 'updated'): Promise<Article> {
      return tx(async () => {
        const current = await liveOrEditable(id, 'edit');
        await checkReferences(patch);
        const { tagIds, authors, seo, slug, body: sentBody, ...scalars } = patch;
        const body = sentBody && assignBlockIds(sentBody);
        const next: Partial<ArticleInsert> = { ...scalars };
        const nextSeo = merge(current.seo as Record<string, string> | null, seo);
        if (seo !== undefined) next.seo = nextSeo;
        if (body !== undefined || seo !== undefined) Object.assign(next, derive((body ?? current.body) as Body, nextSeo?.description));
        if (body !== undefined) next.body = body;
        if (slug !== undefined && slug !== current.slug) {
          if (await repo.slugTaken(slug, id)) throw slugConflict();
          await repo.removeOldSlug(slug);
          await repo.addOldSlug(current.slug, id, iso());
          next.slug = slug;
        }
        return write(current, next, note, actor, { tagIds, authors });
      });
    },

    publish(id: string, publishAt: string | undefined, actor: Principal | null): Promise<Article> {
      return tx(async () => {
        const current = await liveOrEditable(id, 'publish');
        const nowIso = iso();
        const alreadyLive = current.status === 'published' && current.publishedAt !== null && current.publishedAt <= nowIso;
        // A past publishAt is live at once and keeps its date (backdating, imports); absent keeps a live date.
        const publishedAt = publishAt ?? (alreadyLive ? current.publishedAt! : nowIso);
        const note = publishedAt > nowIso ? `scheduled for ${publishedAt}` : 'published';
        return write(current, { status: 'published', publishedAt, firstPublishedAt: current.firstPublishedAt ?? publishedAt }, note, actor);
      });
    },

    unpublish(id: string, actor: Principal | null): Promise<Article> {
      return tx(async () => {
        const current = await liveOrEditable(id, 'unpublish');
        const nowIso = iso();
        // A schedule that never came due was never a first publication.
        const first = current.firstPublishedAt !== null && current.firstPublishedAt <= nowIso ? current.firstPublishedAt : null;
        return write(current, { status: 'draft', publishedAt: null, firstPublishedAt: first }, 'unpublished', actor);
      });
    },

    remove(id: string, permanent: boolean, actor: Principal | null): Promise<void> {
      return tx(async () => {
        const current = await forWrite(id);
        if (permanent) {
          if (actor?.role !== 'admin') throw forbidden('Permanent deletion needs the admin role');
          await repo.hardDelete(id);
          await deps.journal.record({ resource: 'article', id, action: 'purged', revision: current.revision, event: { type: 'article.deleted', data: { id, slug: current.slug, permanent: true } } });
          return;
        }
        if (!current.deletedAt) await write(current, { deletedAt: iso() }, 'moved to trash', actor);
      });
    },

    restore(id: string, actor: Principal | null): Promise<Article> {
      return tx(async () => {
        const current = await forWrite(id);
        if (!current.deletedAt) return read(current, [], EDITOR(iso()));
        return write(current, { deletedAt: null }, 'restored from trash', actor);
      });
    },

    async revisions(id: string, limit: number, cursor: string | undefined) {
      await mustGet(id, EDITOR(iso()));
      const after = decodeCursor(cursor, 'revision', true);
      const rows = await repo.listRevisions(id, limit + 1, after ? Number(after.key) : undefined);
      const page = rows.slice(0, limit).map((r) => ({
        revision: r.revision, createdAt: r.createdAt, note: r.note,
        actor: { keyId: r.actorKeyId, name: r.actorName, role: r.actorRole },
      }));
      const last = page.at(-1);
      return { data: page, total: await repo.countRevisions(id), nextCursor: rows.length > limit && last ? encodeCursor('revision', last.revision, id) : null };
    },

    async revision(id: string, revision: number) {
      await mustGet(id, EDITOR(iso()));
      const r = await repo.getRevision(id, revision);
      if (!r) throw notFound('Revision');
      return { revision: r.revision, createdAt: r.createdAt, note: r.note, actor: { keyId: r.actorKeyId, name: r.actorName, role: r.actorRole }, article: r.snapshot as Article };
    },

    /** Makes a snapshot's content current again, as a new revision. Slug and publication state stay. */
    restoreRevision(id: string, revision: number, actor: Principal | null): Promise<Article> {
      // One transaction: the snapshot, the references it keeps and the update (whose own tx joins this one).
      return tx(async () => {
        const snap = (await this.revision(id, revision)).article;
        const exists = <T extends { id: string }>(found: T[]) => new Set(found.map((x) => x.id));
        const tagSet = exists(await taxonomy.tags.getMany(snap.tagIds));
        const authorSet = exists(await taxonomy.authors.getMany(snap.authors.map((a) => a.authorId)));
        const sectionOk = snap.sectionId !== null && (await taxonomy.sections.getMany([snap.sectionId])).length > 0;
        return this.update(id, {
          headline: snap.headline, standfirst: snap.standfirst, kicker: snap.kicker, type: snap.type, body: snap.body,
          hero: snap.hero, sectionId: sectionOk ? snap.sectionId : null, bylineOverride: snap.bylineOverride,
          language: snap.language, canonicalUrl: snap.canonicalUrl, seo: snap.seo ? { title: snap.seo.title ?? null, description: snap.seo.description ?? null } : null,
          commentsMode: snap.commentsMode, source: snap.source,
          tagIds: snap.tagIds.filter((t) => tagSet.has(t)),
          authors: snap.authors.filter((a) => authorSet.has(a.authorId)).map((a) => ({ authorId: a.authorId, role: a.role })),
        }, actor, `restored revision ${revision}`);
      });
    },

    /**
     * Records a change made through another resource of the article (disclaimer attachments, related
     * links): bumps revision and updatedAt and snapshots, inside the caller's transaction (joined).
     */
    touch(id: string, note: string, actor: Principal | null): Promise<Article> {
      return tx(async () => write(await liveOrEditable(id, 'change'), {}, note, actor));
    },

    /** The article as an editor sees it (404 if missing); for modules that act on an article. */
    getRow(id: string, viewer: Viewer): Promise<ArticleRow> {
      return mustGet(id, viewer);
    },

    async corrections(id: string, viewer: Viewer) {
      await mustGet(id, viewer);
      return (await repo.listCorrections(id)).map(({ articleId: _, ...c }) => c);
    },

    addCorrection(id: string, input: { kind: 'correction' | 'clarification' | 'update' | 'retraction'; text: string }, actor: Principal | null) {
      return tx(async () => {
        const current = await liveOrEditable(id, 'correct');
        const at = iso();
        const c = await repo.insertCorrection({ id: newId(), articleId: id, kind: input.kind, text: input.text, publishedAt: at });
        await write(current, { contentUpdatedAt: at }, `${input.kind} added`, actor);
        const { articleId: _, ...out } = c;
        return out;
      });
    },
  };
}

export type ArticleService = ReturnType<typeof createArticleService>;
