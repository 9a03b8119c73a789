import type { Transactions } from '../../db/client.js';
import { ulid } from 'ulid';
import type { Viewer } from '../../db/visibility.js';
import { conflict, type FieldError, notFound, unprocessable } from '../../errors.js';
import type { Principal } from '../api-keys/service.js';
import { articleUrl } from '../articles/present.js';
import type { ArticleService } from '../articles/service.js';
import { expandMediaUse, type Media, type MediaUse } from '../media/display.js';
import type { RelatedLinkRepository, RelatedLinkRow, TargetRow } from './repository.js';
import { MAX_RELATED_LINKS, type NewRelatedLink, type RelatedLink, type RelatedLinkInput, type RelatedLinkPatch } from './schemas.js';

export type RelatedLinkDeps = {
  repo: RelatedLinkRepository;
  articles: Pick<ArticleService, 'getRow' | 'touch'>;
  tx: Transactions['tx'];
  now: () => Date;
  siteUrl: string;
  /** Batch media reader for the targets' heroes (one call per response). */
  lookupMedia: (ids: readonly string[]) => Promise<Media[]>;
};

const NOTE = 'related links changed';
const EDITOR = (now: string): Viewer => ({ anonymous: false, now });
const clamp = (n: number, max: number) => Math.max(0, Math.min(n, max));

const selfLink = (pointer: string) =>
  unprocessable('self-link', 'An article cannot link to itself', [{ pointer, message: 'the article itself', code: 'self-link' }]);
const unknownTarget = (errors: FieldError[]) => unprocessable('unknown-reference', 'The link target does not exist or is in the trash', errors);
const duplicate = (pointer: string, what: string) =>
  conflict('duplicate-link', `The article already links to this ${what}`, [{ pointer, message: `duplicate ${what}`, code: 'duplicate-link' }]);
const tooMany = (count: number) =>
  unprocessable('too-many-links', `An article has at most ${MAX_RELATED_LINKS} related links (this change would make ${count}; links to articles in the trash count until they are removed)`);

export function createRelatedLinkService(deps: RelatedLinkDeps) {
  const { repo, articles, tx, now, siteUrl } = deps;
  const iso = () => now().toISOString();

  /**
   * Rows → the API shape for one viewer, for any number of articles at once, in a fixed number of
   * queries: the targets in one, their hero media in one call. A link whose target the viewer may not
   * see (not live for anonymous readers, in the trash for everyone) is left out; positions stay as stored.
   */
  async function present(lists: RelatedLinkRow[][], viewer: Viewer): Promise<RelatedLink[][]> {
    const targetIds = lists.flat().flatMap((l) => (l.targetArticleId ? [l.targetArticleId] : []));
    const targets = await repo.targets(targetIds, viewer);
    const heroIds = [...new Set([...targets.values()].flatMap((t) => (t.hero ? [(t.hero as MediaUse).mediaId] : [])))];
    const media = new Map(heroIds.length ? (await deps.lookupMedia(heroIds)).map((m) => [m.id, m]) : []);
    const summary = (t: TargetRow) => ({
      id: t.id, slug: t.slug, url: articleUrl(siteUrl, t.slug), headline: t.headline, type: t.type, publishedAt: t.publishedAt,
      hero: t.hero ? expandMediaUse(t.hero as MediaUse, media.get((t.hero as MediaUse).mediaId)) : null,
    });
    return lists.map((links) =>
      links.flatMap((l): RelatedLink[] => {
        if (l.targetArticleId === null) return [{ id: l.id, position: l.position, label: l.label, url: l.url ?? '', target: null }];
        const target = targets.get(l.targetArticleId);
        return target ? [{ id: l.id, position: l.position, label: l.label, url: articleUrl(siteUrl, target.slug), target: summary(target) }] : [];
      }),
    );
  }

  async function presentOne(row: RelatedLinkRow, viewer: Viewer): Promise<RelatedLink> {
    const link = (await present([[row]], viewer))[0]![0];
    if (!link) throw notFound('Related link');
    return link;
  }

  /** The link as an editor sees it; a link to an article in the trash is hidden from editors too. */
  async function mustGetLink(articleId: string, linkId: string, viewer: Viewer): Promise<RelatedLinkRow> {
    const row = await repo.get(articleId, linkId);
    if (!row || (row.targetArticleId !== null && !(await repo.targets([row.targetArticleId], viewer)).has(row.targetArticleId))) throw notFound('Related link');
    return row;
  }

  type Target = { targetArticleId: string } | { url: string };
  const targetOf = (x: Target | RelatedLinkRow): Target =>
    'targetArticleId' in x && x.targetArticleId ? { targetArticleId: x.targetArticleId } : { url: (x as { url: string }).url };
  const keyOf = (x: Target) => ('targetArticleId' in x ? `article:${x.targetArticleId}` : `url:${x.url}`);

  /**
   * Checks new links against the rules, after the article's `kept` links; `at(i)` is the pointer prefix
   * of item i. The first broken rule wins (self, unknown target, duplicate), naming every item that breaks it.
   */
  async function checkNew(articleId: string, items: readonly Target[], at: (i: number) => string, viewer: Viewer, kept: readonly RelatedLinkRow[]): Promise<void> {
    const internal = items.flatMap((x, i) => ('targetArticleId' in x ? [{ i, id: x.targetArticleId }] : []));
    const self = internal.find((x) => x.id === articleId);
    if (self) throw selfLink(`${at(self.i)}/targetArticleId`);
    // Editors may link to drafts and scheduled articles; never to one in the trash.
    const found = await repo.targets(internal.map((x) => x.id), viewer);
    const missing = internal.filter((x) => !found.has(x.id));
    if (missing.length) {
      throw unknownTarget(missing.map((x) => ({ pointer: `${at(x.i)}/targetArticleId`, message: 'no such article (or it is in the trash)', code: 'unknown-reference' })));
    }
    const seen = new Set(kept.map((l) => keyOf(targetOf(l))));
    items.forEach((x, i) => {
      if (seen.has(keyOf(x))) throw 'targetArticleId' in x ? duplicate(`${at(i)}/targetArticleId`, 'article') : duplicate(`${at(i)}/url`, 'URL');
      seen.add(keyOf(x));
    });
  }

  /**
   * Runs a change of an article's links in one transaction that also bumps the article's revision: its
   * reads (count, positions, duplicates) and its writes see the same state.
   */
  function change<T>(articleId: string, actor: Principal | null, fn: (viewer: Viewer, at: string) => Promise<T>): Promise<T> {
    return tx(async () => {
      const at = iso();
      const viewer = EDITOR(at);
      await articles.getRow(articleId, viewer);
      const out = await fn(viewer, at);
      // Refuses (and so rolls back) a change to an article in the trash.
      await articles.touch(articleId, NOTE, actor);
      return out;
    });
  }

  /** Stores the order of `ids` as positions 0..n-1, with `id` moved to `index` (clamped). */
  async function moveTo(articleId: string, ids: string[], id: string, index: number, at: string): Promise<void> {
    const rest = ids.filter((x) => x !== id);
    rest.splice(clamp(index, rest.length), 0, id);
    await repo.renumber(articleId, rest, at);
  }

  return {
    /** The ordered links of an article the viewer may see (404 otherwise). */
    async list(articleId: string, viewer: Viewer): Promise<RelatedLink[]> {
      await articles.getRow(articleId, viewer);
      return (await present([await repo.listFor(articleId)], viewer))[0]!;
    },

    /** Articles whose representation includes a link to this one (shown or hidden). */
    sourcesOf(targetId: string): Promise<string[]> {
      return repo.sourcesOf(targetId);
    },

    /** For `include=related`: the links of a whole page of articles, in a fixed number of queries. */
    async forArticles(articleIds: readonly string[], viewer: Viewer): Promise<Map<string, RelatedLink[]>> {
      const lists = await repo.listForMany(articleIds);
      const presented = await present([...lists.values()], viewer);
      return new Map([...lists.keys()].map((id, i) => [id, presented[i]!]));
    },

    async add(articleId: string, input: NewRelatedLink, actor: Principal | null): Promise<RelatedLink> {
      return change(articleId, actor, async (viewer, at) => {
        const current = await repo.listFor(articleId);
        const target = targetOf(input as Target);
        await checkNew(articleId, [target], () => '/body', viewer, current);
        if (current.length >= MAX_RELATED_LINKS) throw tooMany(current.length + 1);
        const row = await repo.insert({
          id: ulid(), articleId,
          targetArticleId: 'targetArticleId' in target ? target.targetArticleId : null,
          url: 'url' in target ? target.url : null,
          label: input.label ?? null, position: current.length, createdAt: at, updatedAt: at,
        });
        await moveTo(articleId, [...current.map((l) => l.id), row.id], row.id, input.position ?? current.length, at);
        return presentOne((await repo.get(articleId, row.id))!, viewer);
      });
    },

    /**
     * Replaces the list (order = position), all or nothing. A link that stays (same target or URL)
     * keeps its id. Links to articles in the trash are invisible to the editor sending the list, so
     * they cannot be in it: they are kept after it, to come back when their target is restored.
     */
    async replaceAll(articleId: string, items: readonly RelatedLinkInput[], actor: Principal | null): Promise<RelatedLink[]> {
      return change(articleId, actor, async (viewer, at) => {
        const current = await repo.listFor(articleId);
        const targets = items.map((x) => targetOf(x as Target));
        await checkNew(articleId, targets, (i) => `/body/${i}`, viewer, []);
        const visible = await repo.targets(current.flatMap((l) => (l.targetArticleId ? [l.targetArticleId] : [])), viewer);
        const hidden = current.filter((l) => l.targetArticleId !== null && !visible.has(l.targetArticleId));
        const total = items.length + hidden.length;
        if (total > MAX_RELATED_LINKS) throw tooMany(total);
        const previous = new Map(current.map((l) => [keyOf(targetOf(l)), l]));
        const rows: RelatedLinkRow[] = targets.map((target, position) => {
          const prev = previous.get(keyOf(target));
          return {
            id: prev?.id ?? ulid(), articleId,
            targetArticleId: 'targetArticleId' in target ? target.targetArticleId : null,
            url: 'url' in target ? target.url : null,
            label: items[position]!.label ?? null, position, createdAt: prev?.createdAt ?? at, updatedAt: at,
          };
        });
        rows.push(...hidden.map((l, i) => ({ ...l, position: items.length + i })));
        await repo.replaceAll(articleId, rows);
        return (await present([rows], viewer))[0]!;
      });
    },

    async patch(articleId: string, linkId: string, patch: RelatedLinkPatch, actor: Principal | null): Promise<RelatedLink> {
      if (patch.label === undefined && patch.position === undefined && patch.url === undefined) {
        // Nothing to change: no write, no new revision.
        const viewer = EDITOR(iso());
        await articles.getRow(articleId, viewer);
        return presentOne(await mustGetLink(articleId, linkId, viewer), viewer);
      }
      return change(articleId, actor, async (viewer, at) => {
        const link = await mustGetLink(articleId, linkId, viewer);
        const external = link.targetArticleId === null;
        if (patch.url !== undefined && !external) {
          throw unprocessable('not-external-link', 'Only an external link has a URL of its own', [{ pointer: '/body/url', message: 'this link points to an article', code: 'not-external-link' }]);
        }
        if (patch.label === null && external) {
          throw unprocessable('label-required', 'An external link needs a label', [{ pointer: '/body/label', message: 'an external link needs a label', code: 'label-required' }]);
        }
        const current = await repo.listFor(articleId);
        if (patch.url !== undefined && current.some((l) => l.id !== linkId && l.url === patch.url)) throw duplicate('/body/url', 'URL');
        if (patch.label !== undefined || patch.url !== undefined) {
          await repo.update(linkId, { ...(patch.label !== undefined ? { label: patch.label } : {}), ...(patch.url !== undefined ? { url: patch.url } : {}), updatedAt: at });
        }
        if (patch.position !== undefined) await moveTo(articleId, current.map((l) => l.id), linkId, patch.position, at);
        return presentOne((await repo.get(articleId, linkId))!, viewer);
      });
    },

    async remove(articleId: string, linkId: string, actor: Principal | null): Promise<void> {
      await change(articleId, actor, async (viewer, at) => {
        await mustGetLink(articleId, linkId, viewer);
        await repo.delete(linkId);
        await repo.renumber(articleId, (await repo.listFor(articleId)).map((l) => l.id), at);
      });
    },
  };
}

export type RelatedLinkService = ReturnType<typeof createRelatedLinkService>;
