import { and, asc, count, desc, eq, gte, sql } from 'drizzle-orm';
import type { Async, Db } from '../../db/client.js';
import { articles, articleTags, sections, tags } from '../../db/schema.js';
import { liveArticle } from '../../db/visibility.js';

export type FeedFilter = { sectionId?: string | undefined; tagId?: string | undefined };
export type SitemapRow = { slug: string; updatedAt: string; publishedAt: string | null };
export type NewsRow = { slug: string; headline: string; language: string; publishedAt: string | null; firstPublishedAt: string | null };

/**
 * Feeds and sitemaps are public: every query here reads live articles only, through the one
 * visibility predicate (`liveArticle`), whoever is asking.
 */
export function createFeedRepository(db: Db) {
  return {
    section(slug: string): { id: string; name: string } | undefined {
      return db.select({ id: sections.id, name: sections.name }).from(sections).where(eq(sections.slug, slug)).get();
    },
    tag(slug: string): { id: string; name: string } | undefined {
      return db.select({ id: tags.id, name: tags.name }).from(tags).where(eq(tags.slug, slug)).get();
    },
    /** The newest live articles, by publication time (the live index serves the order). */
    latest(now: string, filter: FeedFilter, limit: number) {
      return db
        .select()
        .from(articles)
        .where(and(
          liveArticle(now),
          filter.sectionId ? eq(articles.sectionId, filter.sectionId) : undefined,
          filter.tagId ? sql`exists (select 1 from ${articleTags} where ${articleTags.articleId} = ${articles.id} and ${articleTags.tagId} = ${filter.tagId})` : undefined,
        ))
        .orderBy(desc(articles.publishedAt), desc(articles.id))
        .limit(limit)
        .all();
    },
    countLive(now: string): number {
      return db.select({ n: count() }).from(articles).where(liveArticle(now)).get()?.n ?? 0;
    },
    /**
     * One sitemap page. Oldest publication first, so new articles land on the last page and the earlier
     * pages stay stable for crawlers; OFFSET is fine at one query per 50,000 URLs over the live index.
     */
    sitemapPage(now: string, offset: number, limit: number): SitemapRow[] {
      return db
        .select({ slug: articles.slug, updatedAt: articles.updatedAt, publishedAt: articles.publishedAt })
        .from(articles)
        .where(liveArticle(now))
        .orderBy(asc(articles.publishedAt), asc(articles.id))
        .limit(limit)
        .offset(offset)
        .all();
    },
    /** Live articles first published at or after `since` (a republished old story does not count as news). */
    publishedSince(now: string, since: string, limit: number): NewsRow[] {
      return db
        .select({ slug: articles.slug, headline: articles.headline, language: articles.language, publishedAt: articles.publishedAt, firstPublishedAt: articles.firstPublishedAt })
        .from(articles)
        .where(and(
          liveArticle(now),
          gte(articles.publishedAt, since),
          sql`coalesce(${articles.firstPublishedAt}, ${articles.publishedAt}) >= ${since}`,
        ))
        .orderBy(desc(articles.publishedAt), desc(articles.id))
        .limit(limit)
        .all();
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type FeedRepository = Async<ReturnType<typeof createFeedRepository>>;
