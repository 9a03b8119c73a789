import { asc, count, desc, sql, type AnyColumn, type SQL, type Table } from 'drizzle-orm';
import type Database from 'better-sqlite3';
import type { Db } from './client.js';
import { fts5Match, MARK_CLOSE, MARK_OPEN, SNIPPET_WORDS, type SearchTerms } from '../content/search.js';
import * as sqliteTables from './schema.js';

/**
 * The seam between the repositories and the database they run on (issue 8). Repositories are written once,
 * with drizzle's query builder over `d.db` and `d.tables`, and run statements only through `d.prepare`,
 * `d.all`, `d.get` and `d.run`, which answer promises on both databases. Only SQL that genuinely differs
 * comes from the dialect (JSON arrays, NULL order, LIKE, row locks, full-text search).
 *
 * Types: `d.db` and `d.tables` are typed as the SQLite ones. On PostgreSQL they are drizzle's node-postgres
 * database and the tables of src/db/schema.pg.ts, which have the same keys, column names and row types
 * (test/db/pg-schema.test.ts holds them side by side, and fails the type check when they drift); the query
 * builder's surface the repositories use is the same on both.
 */
export type Tables = typeof sqliteTables;

type AnyTable = Table;

/** Named values of a prepared statement (`sql.placeholder(name)`). */
export type Values = Record<string, unknown>;

/** A statement prepared once and run with values; every answer is a promise. */
export type Statement<Row> = {
  all(values?: Values): Promise<Row[]>;
  get(values?: Values): Promise<Row | undefined>;
  /** Runs a write; answers how many rows it changed. */
  run(values?: Values): Promise<number>;
  /**
   * SQLite only: the rows as arrays of column values in select order, for hand-written row mapping on the
   * hottest reads (drizzle's generic mapping was a good part of an uncached list's CPU).
   */
  raw?: (values?: Values) => Promise<unknown[][]>;
};

/** What a drizzle query (builder) gives once run: its rows. */
type RowsOf<Q> = Q extends PromiseLike<infer R> ? (R extends readonly (infer Row)[] ? Row : never) : never;

export type Dialect = {
  kind: 'sqlite' | 'postgres';
  db: Db;
  tables: Tables;
  /** Prepares a query once (on PostgreSQL: a named statement, prepared by each connection on first use). */
  prepare<Q extends PromiseLike<unknown>>(query: Q): Statement<RowsOf<Q>>;
  /** Runs a query built for this call. */
  all<Q extends PromiseLike<unknown>>(query: Q): Promise<RowsOf<Q>[]>;
  get<Q extends PromiseLike<unknown>>(query: Q): Promise<RowsOf<Q> | undefined>;
  /** Runs a write built for this call; answers how many rows it changed. */
  run(query: PromiseLike<unknown>): Promise<number>;
  /** `column IN` the JSON array (of strings) bound to placeholder `name`: one statement for any list length. */
  inJsonArray(column: AnyColumn, name?: string): SQL;
  /** Rows of `table` (optionally only `where`). */
  count(table: AnyTable, where?: SQL): Promise<number>;
  /**
   * The elements of the JSON array bound to placeholder `name`, as rows of `value` (the element; text for
   * strings) and `key` (its 0-based position), for INSERT … SELECT.
   */
  jsonArray(name: string): SQL;
  /** The text of `field` of a JSON object element of `jsonArray` (`value`). */
  jsonField(field: string): SQL;
  /** Ends a SELECT of rows to claim: PostgreSQL locks them and skips rows others hold; nothing on SQLite (one writer). */
  skipLocked: SQL;
  /** Articles whose text matches the search terms bound to placeholder `name` (bind `matchValue(terms)`). */
  textMatch(articles: Tables['articles'], name: string): SQL;
  /** The value of `textMatch`'s placeholder for `terms` (SQLite: an FTS5 MATCH expression; PostgreSQL: a tsquery). */
  matchValue(terms: SearchTerms): string;
  /** The pieces of ranked full-text search (src/modules/search/repository.ts). */
  search: TextSearch;
  /** An ORDER BY term for a nullable `key` with SQLite's NULL placement on both: first ascending, last descending. */
  orderNullable(key: SQL | AnyColumn, direction: 'asc' | 'desc'): SQL;
  /** `column LIKE pattern ESCAPE '\'`, case-insensitive for ASCII letters only (SQLite's LIKE; ILIKE on PostgreSQL). */
  like(column: AnyColumn, pattern: string): SQL;
  /** The length of the JSON array in `column`: NULL when it is NULL, 0 for any other JSON value (SQLite's json_array_length). */
  jsonArrayLength(column: AnyColumn): SQL;
  /**
   * `condition` as a filter only, never as a way in: for rows fetched by key (`inJsonArray` on the primary key)
   * whose other conditions match an index too. SQLite's planner, without per-value statistics, rates the
   * visibility predicate's `published_at <= now` range as narrow and walked the whole live-articles index
   * (with a Bloom filter of the keys) instead of looking the few keys up: linear in the archive. The unary `+`
   * takes the condition out of its choices. PostgreSQL: the condition as it is.
   */
  filterOnly(condition: SQL | undefined): SQL | undefined;
};

/**
 * Ranked full-text search, as SQL pieces the search repository puts together with the conditions both databases
 * share (filters, visibility). Scores order like SQLite's bm25: lower is better.
 */
export type TextSearch = {
  /** What a search selects from: the articles (SQLite: walked from the FTS5 index, joined by rowid). */
  from: SQL;
  /** The articles whose text matches `terms`. */
  matches(terms: SearchTerms): SQL;
  /** How well an article matches `terms` (headline, standfirst, captions, body weighted 10/4/2/1); lower is better. */
  score(terms: SearchTerms): SQL<number>;
  /** A condition on the article row alone, in the form the search plan reads best (SQLite: a set of rowids). */
  only(condition: SQL): SQL;
  /** An excerpt of `column` around the words of `terms`, each match between MARK_OPEN and MARK_CLOSE. */
  snippet(column: 'standfirst' | 'body' | 'captions', terms: SearchTerms): SQL<string>;
};

type SqliteQuery = {
  prepare(): { all(v?: Values): unknown[]; get(v?: Values): unknown; run(v?: Values): { changes: number }; values(v?: Values): unknown[][] };
  all(): unknown[];
  get(): unknown;
  run(): { changes: number };
};

/** FTS5 columns in index order (migrations/0005_search_captions.sql), for snippet(). */
const FTS_COLUMNS = { headline: 0, standfirst: 1, body: 2, captions: 3 } as const;

const sqliteSearch: TextSearch = {
  // CROSS JOIN fixes the plan: walk the FTS matches and look each article up by rowid, never the reverse.
  from: sql`articles_fts CROSS JOIN ${sqliteTables.articles} ON ${sqliteTables.articles}.rowid = articles_fts.rowid`,
  matches: (terms) => sql`articles_fts MATCH ${fts5Match(terms)}`,
  // bm25 weights in index column order: headline, standfirst, plain_text (body), captions.
  score: () => sql<number>`bm25(articles_fts, 10.0, 4.0, 1.0, 2.0)`,
  /**
   * The set of article rowids a condition admits, built once per statement from an index. Testing the joined
   * row instead would read columns that sit after the large body in the record: an overflow-page read per
   * match (3x slower at 10,000 articles). The unary `+` keeps SQLite from handing the IN list to FTS5 as
   * rowid lookups (one MATCH per rowid).
   */
  only: (condition) => sql`+articles_fts.rowid IN (SELECT ${sqliteTables.articles}.rowid FROM ${sqliteTables.articles} WHERE ${condition})`,
  snippet: (column) => sql<string>`${sql.raw(`snippet(articles_fts, ${FTS_COLUMNS[column]}, '${MARK_OPEN}', '${MARK_CLOSE}', '…', ${SNIPPET_WORDS})`)}`,
};

/**
 * Indexes the articles inserted in the open transaction (recorded in `articles_fts_pending` by the insert
 * trigger, migrations/0007_search_deferred.sql) in one statement, so that FTS5 writes one index segment for the
 * whole transaction. Runs inside every write transaction just before its COMMIT (`createTransactions`'
 * `beforeCommit`); costs one index probe when nothing is pending.
 */
export function searchIndexFlusher(sqlite: Database.Database): () => void {
  const pending = sqlite.prepare('SELECT 1 FROM articles_fts_pending LIMIT 1');
  // CROSS JOIN fixes the order (SQLite): pending rows first, each article by rowid. With a plain JOIN the
  // planner, which has no statistics for the (usually empty) pending table, walked all of `articles` and
  // probed the pending rows: 95 ms per flush at 100,000 articles (test/db/plans.test.ts).
  const index = sqlite.prepare(`INSERT INTO articles_fts(rowid, headline, standfirst, plain_text, captions)
    SELECT a.rowid, a.headline, coalesce(a.standfirst, ''), a.plain_text, a.captions
    FROM articles_fts_pending p CROSS JOIN articles a ON a.rowid = p.rowid ORDER BY p.rowid`);
  const done = sqlite.prepare('DELETE FROM articles_fts_pending');
  return () => {
    if (pending.get() === undefined) return;
    index.run();
    done.run();
  };
}

/** The SQLite dialect: better-sqlite3 answers at once; the answers are wrapped in resolved promises. */
export function sqliteDialect(db: Db): Dialect {
  const q = (query: unknown) => query as SqliteQuery;
  return {
    kind: 'sqlite',
    db,
    tables: sqliteTables,
    prepare(query) {
      const statement = q(query).prepare();
      return {
        all: async (values) => statement.all(values) as never,
        get: async (values) => statement.get(values) as never,
        run: async (values) => statement.run(values).changes,
        raw: async (values) => statement.values(values),
      };
    },
    all: async (query) => q(query).all() as never,
    get: async (query) => q(query).get() as never,
    run: async (query) => q(query).run().changes,
    count: async (table, where) => (q(db.select({ n: count() }).from(table as never).where(where)).get() as { n: number } | undefined)?.n ?? 0,
    inJsonArray: (column, name = 'ids') => sql`${column} in (select value from json_each(${sql.placeholder(name)}))`,
    jsonArray: (name) => sql`json_each(${sql.placeholder(name)})`,
    jsonField: (field) => sql.raw(`value ->> '$.${field}'`),
    skipLocked: sql``,
    textMatch: (articles, name) => sql`${articles}.rowid in (select rowid from articles_fts where articles_fts match ${sql.placeholder(name)})`,
    matchValue: fts5Match,
    search: sqliteSearch,
    // Plain asc/desc: SQLite's own placement, and the same SQL (and plans) as before the dialect.
    orderNullable: (key, direction) => (direction === 'desc' ? desc(key) : asc(key)),
    like: (column, pattern) => sql`${column} like ${pattern} escape '\\'`,
    jsonArrayLength: (column) => sql`json_array_length(${column})`,
    filterOnly: (condition) => condition && sql`+(${condition})`,
  };
}
