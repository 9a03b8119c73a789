import { and, asc, count, desc, eq, gte, sql } from 'drizzle-orm';
import type { Async } from '../../db/client.js';
import type { Dialect } from '../../db/dialect.js';
import { liveArticle } from '../../db/visibility.js';
import { articleColumns } from '../articles/repository.js';

export type FeedFilter = { sectionId?: string | undefined; tagId?: string | undefined };
export type SitemapRow = { slug: string; updatedAt: string; publishedAt: string | null };
export type NewsRow = { slug: string; headline: string; language: string; publishedAt: string | null; firstPublishedAt: string | null };

/**
 * Feeds and sitemaps are public: every query here reads live articles only, through the one
 * visibility predicate (`liveArticle`), whoever is asking. Live articles always have publishedAt, so the
 * orders below never meet a NULL key (plain asc/desc, the index order on both databases).
 */
export function createFeedRepository(d: Dialect) {
  const { db } = d;
  const { articles, articleTags, sections, tags } = d.tables;
  const ROW = articleColumns(articles);
  return {
    async section(slug: string): Promise<{ id: string; name: string } | undefined> {
      return d.get(db.select({ id: sections.id, name: sections.name }).from(sections).where(eq(sections.slug, slug)));
    },
    async tag(slug: string): Promise<{ id: string; name: string } | undefined> {
      return d.get(db.select({ id: tags.id, name: tags.name }).from(tags).where(eq(tags.slug, slug)));
    },
    /** The newest live articles, by publication time (the live index serves the order). */
    async latest(now: string, filter: FeedFilter, limit: number) {
      return d.all(db
        .select(ROW)
        .from(articles)
        .where(and(
          liveArticle(articles, now),
          filter.sectionId ? eq(articles.sectionId, filter.sectionId) : undefined,
          filter.tagId ? sql`exists (select 1 from ${articleTags} where ${articleTags.articleId} = ${articles.id} and ${articleTags.tagId} = ${filter.tagId})` : undefined,
        ))
        .orderBy(desc(articles.publishedAt), desc(articles.id))
        .limit(limit));
    },
    async countLive(now: string): Promise<number> {
      return (await d.get(db.select({ n: count() }).from(articles).where(liveArticle(articles, now))))?.n ?? 0;
    },
    /**
     * One sitemap page. Oldest publication first, so new articles land on the last page and the earlier
     * pages stay stable for crawlers; OFFSET is fine at one query per 50,000 URLs over the live index.
     */
    async sitemapPage(now: string, offset: number, limit: number): Promise<SitemapRow[]> {
      return d.all(db
        .select({ slug: articles.slug, updatedAt: articles.updatedAt, publishedAt: articles.publishedAt })
        .from(articles)
        .where(liveArticle(articles, now))
        .orderBy(asc(articles.publishedAt), asc(articles.id))
        .limit(limit)
        .offset(offset));
    },
    /** Live articles first published at or after `since` (a republished old story does not count as news). */
    async publishedSince(now: string, since: string, limit: number): Promise<NewsRow[]> {
      return d.all(db
        .select({ slug: articles.slug, headline: articles.headline, language: articles.language, publishedAt: articles.publishedAt, firstPublishedAt: articles.firstPublishedAt })
        .from(articles)
        .where(and(
          liveArticle(articles, now),
          gte(articles.publishedAt, since),
          sql`coalesce(${articles.firstPublishedAt}, ${articles.publishedAt}) >= ${since}`,
        ))
        .orderBy(desc(articles.publishedAt), desc(articles.id))
        .limit(limit));
    },
  };
}

/** What services see: every method answers a promise (src/db/client.ts `Transactions.repository`). */
export type FeedRepository = Async<ReturnType<typeof createFeedRepository>>;
