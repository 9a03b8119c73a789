import { count, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Db } from './client.js';
import { MARK_CLOSE, MARK_OPEN, SNIPPET_WORDS, type SearchTerms } from '../content/search.js';
import type { Dialect, Statement, Tables, TextSearch, Values } from './dialect.js';
import * as pgTables from './schema.pg.js';

/** What a drizzle node-postgres query or prepared statement gives: mapped rows, or the driver's result for a write. */
type PgResult = unknown[] | { rowCount: number | null; rows: unknown[] };
type PgQuery = PromiseLike<PgResult> & { prepare(name: string): { execute(values?: Values): Promise<PgResult> } };

const rowsOf = (result: PgResult): unknown[] => (Array.isArray(result) ? result : result.rows);
const changedBy = (result: PgResult): number => (Array.isArray(result) ? result.length : result.rowCount ?? 0);

let statements = 0;

type PgArticles = typeof pgTables.articles;
const { SEARCH_CONFIG, SEARCH_WEIGHTS } = pgTables;

/** The terms as a tsquery: quoted words, AND-ed, the last with `:*` when it is a prefix (`'w1' & 'w2':*`). */
export function tsQueryText({ words, prefix }: SearchTerms): string {
  // Words are letters and digits only; quoted and escaped all the same, so nothing in them is ever syntax.
  return words.map((w, i) => `'${w.replace(/['\\]/g, '\\$&')}'${prefix && i === words.length - 1 ? ':*' : ''}`).join(' & ');
}

/** The tsquery `value` renders to, normalized (lower case, accents folded) as the index is. */
const tsquery = (value: unknown) => sql`to_tsquery(${sql.raw(`'${SEARCH_CONFIG}'`)}, ${value})`;

/**
 * ts_headline options for snippets like FTS5's snippet(): one excerpt of at most SNIPPET_WORDS words, matches
 * between the same private-use markers. Without a match, the first MinWords words (snippet() gives the start).
 * Unlike snippet(), no '…' where the excerpt cuts the text.
 */
const HEADLINE_OPTIONS = `StartSel="${MARK_OPEN}", StopSel="${MARK_CLOSE}", MaxWords=${SNIPPET_WORDS}, MinWords=${SNIPPET_WORDS - 1}, `
  + 'ShortWord=0, HighlightAll=false, MaxFragments=1, FragmentDelimiter="…"';

const pgSearch: TextSearch = (() => {
  const { articles } = pgTables;
  const texts = { standfirst: sql`coalesce(${articles.standfirst}, '')`, body: sql`${articles.plainText}`, captions: sql`${articles.captions}` };
  return {
    from: sql`${articles}`,
    matches: (terms) => sql`${articles.search} @@ ${tsquery(tsQueryText(terms))}`,
    // Negated: higher is better for ts_rank_cd. Weights per label: SEARCH_WEIGHTS (the bm25 weights' ratios).
    score: (terms) => sql<number>`-ts_rank_cd(${sql.raw(`'${SEARCH_WEIGHTS}'`)}, ${articles.search}, ${tsquery(tsQueryText(terms))})`,
    // The GIN index answers the match; the conditions are tested on the row as they are.
    only: (condition) => condition,
    // ts_headline leaves out what its parser takes for an HTML tag ("<script>"): the text goes in with '&' and
    // '<' escaped, so it holds no tags, and the excerpt comes out unescaped ('&lt;' first: '&amp;lt;' was '&lt;').
    snippet: (column, terms) => sql<string>`replace(replace(ts_headline(${sql.raw(`'${SEARCH_CONFIG}'`)}, replace(replace(${texts[column]}, '&', '&amp;'), '<', '&lt;'), ${tsquery(tsQueryText(terms))}, ${sql.raw(`'${HEADLINE_OPTIONS}'`)}), '&lt;', '<'), '&amp;', '&')`,
  };
})();

/**
 * The PostgreSQL dialect over drizzle's node-postgres database. Statements run on the connection of the
 * caller's transaction or on the pool (src/db/postgres.ts routes each query); prepared statements are named,
 * and node-postgres prepares each on a connection the first time that connection runs it.
 */
export function pgDialect(db: NodePgDatabase<typeof pgTables>): Dialect {
  const q = (query: unknown) => query as PgQuery;
  return {
    kind: 'postgres',
    db: db as unknown as Db,
    tables: pgTables as unknown as Tables,
    prepare(query) {
      const statement = q(query).prepare(`bs_${++statements}`);
      const run: Statement<never> = {
        all: async (values) => rowsOf(await statement.execute(values)) as never,
        get: async (values) => rowsOf(await statement.execute(values))[0] as never,
        run: async (values) => changedBy(await statement.execute(values)),
      };
      return run;
    },
    all: async (query) => rowsOf(await q(query)) as never,
    get: async (query) => rowsOf(await q(query))[0] as never,
    run: async (query) => changedBy(await q(query)),
    count: async (table, where) => {
      const rows: { n: number }[] = await db.select({ n: count() }).from(table as never).where(where);
      return rows[0]?.n ?? 0;
    },
    inJsonArray: (column, name = 'ids') => sql`${column} in (select jsonb_array_elements_text(${sql.placeholder(name)}::jsonb))`,
    // The same columns as SQLite's json_each: value (text for a string element) and key (0-based), plus the element.
    jsonArray: (name) => sql`(select e.value #>> '{}' as value, (e.ordinality - 1)::integer as key, e.value as element
      from jsonb_array_elements(${sql.placeholder(name)}::jsonb) with ordinality as e(value, ordinality)) as elements`,
    jsonField: (field) => sql.raw(`(element ->> '${field}')`),
    skipLocked: sql`for update skip locked`,
    textMatch: (articles, name) => sql`${(articles as unknown as PgArticles).search} @@ ${tsquery(sql.placeholder(name))}`,
    matchValue: tsQueryText,
    search: pgSearch,
    // PostgreSQL puts NULL last ascending and first descending: state SQLite's placement instead.
    orderNullable: (key, direction) => (direction === 'desc' ? sql`${key} desc nulls last` : sql`${key} asc nulls first`),
    // ILIKE under the columns' "C" collation folds ASCII letters only, as SQLite's LIKE does.
    like: (column, pattern) => sql`${column} ilike ${pattern} escape '\\'`,
    filterOnly: (condition) => condition,
    jsonArrayLength: (column) => sql`(case when jsonb_typeof(${column}) = 'array' then jsonb_array_length(${column}) when ${column} is not null then 0 end)`,
  };
}
