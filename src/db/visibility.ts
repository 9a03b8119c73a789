import { and, eq, isNull, lte, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { preparedOnce } from './client.js';
import { articles } from './schema.js';

/**
 * Who is reading. Anonymous readers see live content only; editors and admins see everything.
 * `now` is an RFC 3339 string so scheduled articles go live by comparison, with no job running.
 */
export type Viewer = { anonymous: boolean; now: string };

/** THE visibility predicate: every query that can reach an article for a reader goes through it. */
export function liveArticle(now: string | Placeholder): SQL {
  return and(eq(articles.status, 'published'), lte(articles.publishedAt, now), isNull(articles.deletedAt)) as SQL;
}

export function articleVisibleTo(viewer: Viewer): SQL | undefined {
  return viewer.anonymous ? liveArticle(viewer.now) : undefined;
}

/** THE predicate inside a prepared query: for anonymous readers with `now` bound at run time; none for editors. */
export function visibleWhen(anonymous: boolean): SQL | undefined {
  return anonymous ? liveArticle(sql.placeholder('now')) : undefined;
}

/**
 * The two prepared forms of a query that reaches articles: for anonymous readers with THE predicate (run
 * it with `now` among the values), for editors without. Built on first use.
 */
export function preparedByViewer<Q>(build: (visible: SQL | undefined) => Q): (viewer: Viewer) => Q {
  const anonymous = preparedOnce(() => build(visibleWhen(true)));
  const editor = preparedOnce(() => build(visibleWhen(false)));
  return (viewer) => (viewer.anonymous ? anonymous() : editor());
}
