import { createHash } from 'node:crypto';
import { fts5Match, ftsQuery } from '../../content/search.js';
import type { Transactions } from '../../db/client.js';
import type { Viewer } from '../../db/visibility.js';
import { badRequest } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../http/pagination.js';
import type { ArticleRow } from '../articles/repository.js';
import type { Article, Include } from '../articles/schemas.js';
import { MARK_CLOSE, MARK_OPEN, type SearchFilter, type SearchRepository, type Snippets } from './repository.js';
import type { SearchQuery } from './schemas.js';

export type SearchDeps = {
  repo: SearchRepository;
  /** The article presenter (the list's summary fields and `include` expansions, batched per page). */
  present: (rows: ArticleRow[], include: readonly Include[], viewer: Viewer) => Promise<Article[]>;
  tx: Transactions['tx'];
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const MARKERS = new RegExp(`(${MARK_OPEN}|${MARK_CLOSE})`, 'u');

/**
 * FTS5 snippet text with private-use markers → an HTML fragment: every piece of text escaped, the markers
 * turned into balanced <mark> elements. A stray marker (the same character typed into an article) is dropped,
 * so the output is always well-formed and never carries markup of its own.
 */
export function markSnippet(raw: string): string {
  let out = '';
  let open = false;
  for (const part of raw.split(MARKERS)) {
    if (part === MARK_OPEN) {
      if (!open) out += '<mark>';
      open = true;
    } else if (part === MARK_CLOSE) {
      if (open) out += '</mark>';
      open = false;
    } else {
      out += escapeHtml(part);
    }
  }
  return open ? `${out}</mark>` : out;
}

/** The body excerpt when the words are in the body; else the captions' or standfirst's; else the start of the body. */
function pickSnippet(s: Snippets | undefined): string {
  if (!s) return '';
  const texts = [s.body, s.captions, s.standfirst];
  return markSnippet(texts.find((t) => t?.includes(MARK_OPEN)) ?? texts.find((t) => t) ?? '');
}

const CURSOR_KIND = 'relevance';

export function createSearchService(deps: SearchDeps) {
  const { repo } = deps;

  return {
    /**
     * Ranked full-text search. Paging is an offset into the ranked list (see the cursor's description: BM25
     * scores move whenever the corpus changes, so a (score, id) keyset would skip or repeat items after any
     * write; a position only shifts by the matches a write adds or removes). The cursor carries a fingerprint
     * of the query and filters, so it cannot be replayed against another search.
     */
    async search(q: SearchQuery, viewer: Viewer) {
      const filter: SearchFilter = { match: ftsQuery(q.q, '/query/q'), type: q.type, sectionSlug: q.section, tagSlug: q.tag };
      // The FTS5 text of the terms, as before they became neutral: cursors issued then stay valid.
      const fingerprint = createHash('sha256').update(JSON.stringify([fts5Match(filter.match), filter.type, filter.sectionSlug, filter.tagSlug])).digest('base64url').slice(0, 16);
      const after = decodeCursor(q.cursor, CURSOR_KIND);
      if (after && (after.id !== fingerprint || typeof after.key !== 'number' || !Number.isSafeInteger(after.key) || after.key < 0)) {
        throw badRequest('The cursor belongs to another search', [{ pointer: '/query/cursor', message: 'invalid cursor for this search', code: 'invalid-cursor' }]);
      }
      const offset = (after?.key as number | undefined) ?? 0;

      // One read transaction: ranking, rows, snippets and total all see the same snapshot.
      return deps.tx(async () => {
        const ranked = await repo.rank(filter, viewer, offset, q.limit + 1);
        const page = ranked.slice(0, q.limit);
        const hasNext = ranked.length > q.limit;
        const rows = new Map((await repo.rows(page.map((r) => r.id), viewer)).map((r) => [r.id, r]));
        const snippets = new Map((await repo.snippets(filter.match, page.map((r) => r.id))).map((s) => [s.id, s]));
        const hits = page.filter((r) => rows.has(r.id));
        const articles = await deps.present(hits.map((r) => rows.get(r.id)!), q.include ?? [], viewer);
        return {
          data: articles.map((a, i) => ({ ...a, snippet: pickSnippet(snippets.get(hits[i]!.id)), score: -hits[i]!.score })),
          // A last page that is not empty knows the total without counting again.
          total: !hasNext && (page.length > 0 || offset === 0) ? offset + page.length : await repo.count(filter, viewer),
          nextCursor: hasNext ? encodeCursor(CURSOR_KIND, offset + q.limit, fingerprint) : null,
        };
      });
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
