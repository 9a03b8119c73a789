import { and, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Async, Db } from '../../db/client.js';
import { articles, articleTags, sections, tags } from '../../db/schema.js';
import { articleVisibleTo, type Viewer } from '../../db/visibility.js';
import type { ArticleFilter, ArticleRow } from '../articles/repository.js';

/** An FTS5 MATCH expression built from plain words (src/content/search.ts), never raw user input, plus the list's filters. */
export type SearchFilter = Pick<ArticleFilter, 'type' | 'sectionSlug' | 'tagSlug'> & { match: string };

export type Ranked = { id: string; rowid: number; score: number };
export type Snippets = { rowid: number; body: string; captions: string; standfirst: string };

/** Private-use characters mark the matched words; the service escapes the text and turns them into <mark>. */
export const MARK_OPEN = '\uE000';
export const MARK_CLOSE = '\uE001';
const SNIPPET_TOKENS = 24;

// bm25 weights in index column order: headline, standfirst, plain_text (body), captions.
const SCORE = sql.raw('bm25(articles_fts, 10.0, 4.0, 1.0, 2.0)');
// CROSS JOIN fixes the plan: walk the FTS matches and look each article up by rowid, never the reverse.
const FROM = sql`articles_fts CROSS JOIN ${articles} ON ${articles}.rowid = articles_fts.rowid`;

/**
 * The set of article rowids a condition admits, built once per statement from an index. Testing the joined
 * row instead would read published_at and section_id, which sit after the large body in the record: an
 * overflow-page read per match (3x slower at 10,000 articles). The unary `+` keeps SQLite from handing the
 * IN list to FTS5 as rowid lookups (one MATCH per rowid).
 */
const rowidIn = (condition: SQL) => sql`+articles_fts.rowid IN (SELECT ${articles}.rowid FROM ${articles} WHERE ${condition})`;

/**
 * Text match, the visibility predicate and the filters in ONE statement: nobody matches on text they cannot
 * read, and nothing counts it. The filters mean what they mean on the article list; the trash is never searched.
 */
function where(f: SearchFilter, viewer: Viewer): SQL {
  const visible = articleVisibleTo(viewer);
  return and(
    sql`articles_fts MATCH ${f.match}`,
    visible ? rowidIn(visible) : undefined,
    isNull(articles.deletedAt),
    f.type ? eq(articles.type, f.type) : undefined,
    f.sectionSlug ? rowidIn(eq(articles.sectionId, sql`(SELECT ${sections.id} FROM ${sections} WHERE ${sections.slug} = ${f.sectionSlug})`)) : undefined,
    f.tagSlug
      ? sql`EXISTS (SELECT 1 FROM ${articleTags} JOIN ${tags} ON ${tags.id} = ${articleTags.tagId} WHERE ${articleTags.articleId} = ${articles.id} AND ${tags.slug} = ${f.tagSlug})`
      : undefined,
  )!;
}

const snippet = (column: number) => sql.raw(`snippet(articles_fts, ${column}, '${MARK_OPEN}', '${MARK_CLOSE}', '…', ${SNIPPET_TOKENS})`);

export function createSearchRepository(db: Db) {
  return {
    /** One page of the ranked matches: best first (lowest bm25), ties by id, so the order is total and repeatable. */
    rank(f: SearchFilter, viewer: Viewer, offset: number, limit: number): Ranked[] {
      return db.all<Ranked>(sql`
        SELECT ${articles.id} AS id, ${articles}.rowid AS rowid, ${SCORE} AS score
        FROM ${FROM} WHERE ${where(f, viewer)}
        ORDER BY score, ${articles.id} LIMIT ${limit} OFFSET ${offset}`);
    },
    count(f: SearchFilter, viewer: Viewer): number {
      return db.get<{ n: number }>(sql`SELECT count(*) AS n FROM ${FROM} WHERE ${where(f, viewer)}`)?.n ?? 0;
    },
    rows(ids: readonly string[], viewer: Viewer): ArticleRow[] {
      if (!ids.length) return [];
      return db.select().from(articles).where(and(inArray(articles.id, [...ids]), articleVisibleTo(viewer))).all();
    },
    /**
     * Highlighted excerpts of body, captions and standfirst, only for the rows of one page (snippet() reads
     * and tokenizes the whole text, so it never runs over every match). The rowids come from rank(), which
     * applied the visibility predicate.
     */
    snippets(match: string, rowids: readonly number[]): Snippets[] {
      if (!rowids.length) return [];
      return db.all<Snippets>(sql`
        SELECT rowid AS rowid, ${snippet(2)} AS body, ${snippet(3)} AS captions, ${snippet(1)} AS standfirst
        FROM articles_fts WHERE articles_fts MATCH ${match} AND +rowid IN (${sql.join(rowids.map((r) => sql`${r}`), sql`, `)})`);
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type SearchRepository = Async<ReturnType<typeof createSearchRepository>>;
