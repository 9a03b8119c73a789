import { and, eq, isNull, lte, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { preparedOnce } from './client.js';
import type { Tables } from './dialect.js';

type Articles = Tables['articles'];

/**
 * Who is reading. Anonymous readers see live content only; editors and admins see everything.
 * `now` is an RFC 3339 string so scheduled articles go live by comparison, with no job running.
 */
export type Viewer = { anonymous: boolean; now: string };

/**
 * THE visibility predicate: every query that can reach an article for a reader goes through it. `articles` is
 * the dialect's table (`d.tables.articles`).
 */
export function liveArticle(articles: Articles, now: string | Placeholder): SQL {
  return and(eq(articles.status, 'published'), lte(articles.publishedAt, now), isNull(articles.deletedAt)) as SQL;
}

export function articleVisibleTo(articles: Articles, viewer: Viewer): SQL | undefined {
  return viewer.anonymous ? liveArticle(articles, viewer.now) : undefined;
}

/** THE predicate inside a prepared query: for anonymous readers with `now` bound at run time; none for editors. */
export function visibleWhen(articles: Articles, anonymous: boolean): SQL | undefined {
  return anonymous ? liveArticle(articles, sql.placeholder('now')) : undefined;
}

/**
 * The two prepared forms of a query that reaches articles: for anonymous readers with THE predicate (run
 * it with `now` among the values), for editors without. Built on first use.
 */
export function preparedByViewer<Q>(articles: Articles, build: (visible: SQL | undefined) => Q): (viewer: Viewer) => Q {
  const anonymous = preparedOnce(() => build(visibleWhen(articles, true)));
  const editor = preparedOnce(() => build(visibleWhen(articles, false)));
  return (viewer) => (viewer.anonymous ? anonymous() : editor());
}
