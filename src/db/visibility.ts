import { and, eq, isNull, lte, type SQL } from 'drizzle-orm';
import { articles } from './schema.js';

/**
 * Who is reading. Anonymous readers see live content only; editors and admins see everything.
 * `now` is an RFC 3339 string so scheduled articles go live by comparison, with no job running.
 */
export type Viewer = { anonymous: boolean; now: string };

/** THE visibility predicate: every query that can reach an article for a reader goes through it. */
export function liveArticle(now: string): SQL {
  return and(eq(articles.status, 'published'), lte(articles.publishedAt, now), isNull(articles.deletedAt)) as SQL;
}

export function articleVisibleTo(viewer: Viewer): SQL | undefined {
  return viewer.anonymous ? liveArticle(viewer.now) : undefined;
}
