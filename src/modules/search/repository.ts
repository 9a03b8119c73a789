import { and, count, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { SearchTerms } from '../../content/search.js';
import type { Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import { articleVisibleTo, type Viewer } from '../../db/visibility.js';
import { articleColumns, type ArticleFilter, type ArticleRow } from '../articles/repository.js';

export { MARK_CLOSE, MARK_OPEN } from '../../content/search.js';

/** The words to match (src/content/search.ts: plain words, never raw user input), plus the list's filters. */
export type SearchFilter = Pick<ArticleFilter, 'type' | 'sectionSlug' | 'tagSlug'> & { match: SearchTerms };

export type Ranked = { id: string; score: number };
export type Snippets = { id: string; body: string; captions: string; standfirst: string };

export function createSearchRepository(d: Dialect) {
  const { db, search } = d;
  const { articles, articleTags, sections, tags } = d.tables;
  const rowColumns = articleColumns(articles);

  /**
   * Text match, the visibility predicate and the filters in ONE statement: nobody matches on text they cannot
   * read, and nothing counts it. The filters mean what they mean on the article list; the trash is never searched.
   */
  function where(f: SearchFilter, viewer: Viewer): SQL {
    const visible = articleVisibleTo(articles, viewer);
    return and(
      search.matches(f.match),
      visible ? search.only(visible) : undefined,
      isNull(articles.deletedAt),
      f.type ? eq(articles.type, f.type) : undefined,
      f.sectionSlug ? search.only(eq(articles.sectionId, sql`(SELECT ${sections.id} FROM ${sections} WHERE ${sections.slug} = ${f.sectionSlug})`)) : undefined,
      f.tagSlug
        ? sql`EXISTS (SELECT 1 FROM ${articleTags} JOIN ${tags} ON ${tags.id} = ${articleTags.tagId} WHERE ${articleTags.articleId} = ${articles.id} AND ${tags.slug} = ${f.tagSlug})`
        : undefined,
    )!;
  }

  // From `search.from` (not a table), drizzle selects expressions only; `id` names no column of the FTS5 index.
  const id = sql<string>`${articles.id}`;

  return {
    /** One page of the ranked matches: best first (lowest score), ties by id, so the order is total and repeatable. */
    async rank(f: SearchFilter, viewer: Viewer, offset: number, limit: number): Promise<Ranked[]> {
      return d.all(db.select({ id, score: search.score(f.match).as('score') }).from(search.from).where(where(f, viewer))
        .orderBy(sql`score`, articles.id).limit(limit).offset(offset));
    },
    async count(f: SearchFilter, viewer: Viewer): Promise<number> {
      return (await d.get(db.select({ n: count() }).from(search.from).where(where(f, viewer))))?.n ?? 0;
    },
    async rows(ids: readonly string[], viewer: Viewer): Promise<ArticleRow[]> {
      if (!ids.length) return [];
      return d.all(db.select(rowColumns).from(articles).where(and(inArray(articles.id, [...ids]), articleVisibleTo(articles, viewer))));
    },
    /**
     * Highlighted excerpts of body, captions and standfirst, only for the rows of one page (snippet() and
     * ts_headline read and tokenize the whole text, so they never run over every match). The ids come from
     * rank(), which applied the visibility predicate.
     */
    async snippets(match: SearchTerms, ids: readonly string[]): Promise<Snippets[]> {
      if (!ids.length) return [];
      return d.all(db.select({ id, body: search.snippet('body', match), captions: search.snippet('captions', match), standfirst: search.snippet('standfirst', match) })
        .from(search.from).where(and(search.matches(match), search.only(inArray(articles.id, [...ids])))));
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type SearchRepository = Async<ReturnType<typeof createSearchRepository>>;
