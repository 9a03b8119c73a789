import { and, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { articles } from '../../db/schema.js';
import { articleVisibleTo, type Viewer } from '../../db/visibility.js';
import { filterConditions, type ArticleFilter, type ArticleRow } from '../articles/repository.js';

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

/** Text match, the visibility predicate and the filters in ONE query: nobody matches on text they cannot read. */
function where(f: SearchFilter, viewer: Viewer): SQL {
  return and(sql`articles_fts MATCH ${f.match}`, ...filterConditions({ type: f.type, sectionSlug: f.sectionSlug, tagSlug: f.tagSlug }, viewer))!;
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
        FROM articles_fts WHERE articles_fts MATCH ${match} AND rowid IN (${sql.join(rowids.map((r) => sql`${r}`), sql`, `)})`);
    },
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
