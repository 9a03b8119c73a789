import type { Body } from '../../content/blocks.js';
import { renderHtml } from '../../content/render-html.js';
import { renderText } from '../../content/render-text.js';
import type { Viewer } from '../../db/visibility.js';
import type { Article, Include } from './schemas.js';
import type { ArticleReadRow, ArticleRepository, ArticleRow, AuthorRef } from './repository.js';
import type { AuthorRow, SectionRow, TagRow } from '../../db/rows.js';

/**
 * An expansion adds one `include` to a whole page of articles at once, with a fixed number of
 * queries whatever the page holds (batch by id; never per article or per block).
 */
export type Expander = (articles: Article[], viewer: Viewer) => Promise<Article[]>;
export type Expanders = Partial<Record<'media' | 'disclaimers' | 'related', Expander>>;

/** Batch readers of the taxonomy the article service needs. */
export type Taxonomy = {
  tags: { getMany(ids: readonly string[]): Promise<TagRow[]> };
  authors: { getMany(ids: readonly string[]): Promise<AuthorRow[]> };
  sections: { getMany(ids: readonly string[]): Promise<SectionRow[]>; get(id: string): Promise<SectionRow> };
};

export function articleStatus(row: Pick<ArticleRow, 'status' | 'publishedAt'>, now: string): Article['status'] {
  if (row.status === 'draft') return 'draft';
  return row.publishedAt !== null && row.publishedAt > now ? 'scheduled' : 'published';
}

export const articleUrl = (siteUrl: string, slug: string) => `${siteUrl}/articles/${slug}`;

/** Row + relations → the API shape (without expansions). Also the revision snapshot. */
export function toArticle(row: ArticleReadRow, tagIds: string[], authors: AuthorRef[], siteUrl: string, now: string): Article {
  return {
    id: row.id,
    slug: row.slug,
    url: articleUrl(siteUrl, row.slug),
    headline: row.headline,
    standfirst: row.standfirst,
    kicker: row.kicker,
    type: row.type,
    status: articleStatus(row, now),
    body: row.body as Body,
    hero: (row.hero as Article['hero']) ?? null,
    sectionId: row.sectionId,
    tagIds,
    authors: authors.map((a) => ({ authorId: a.authorId, role: a.role })),
    bylineOverride: row.bylineOverride,
    language: row.language,
    canonicalUrl: row.canonicalUrl,
    seo: (row.seo as Article['seo']) ?? null,
    commentsMode: row.commentsMode,
    source: (row.source as Article['source']) ?? null,
    revision: row.revision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    firstPublishedAt: row.firstPublishedAt,
    publishedAt: row.publishedAt,
    contentUpdatedAt: row.contentUpdatedAt,
    deletedAt: row.deletedAt,
    wordCount: row.wordCount,
    readingTimeMinutes: row.readingTimeMinutes,
    excerpt: row.excerpt,
  };
}

/**
 * Builds the responses for a set of rows with a fixed number of queries, whatever their count:
 * one per relation table, one per expansion.
 */
export async function presentArticles(rows: ArticleReadRow[], include: readonly Include[], viewer: Viewer, deps: { repo: ArticleRepository; taxonomy: Taxonomy; siteUrl: string; expanders: Expanders }): Promise<Article[]> {
  const ids = rows.map((r) => r.id);
  const tagIds = await deps.repo.tagIdsFor(ids);
  const authorRefs = await deps.repo.authorsFor(ids);
  const articles = rows.map((r) => toArticle(r, tagIds.get(r.id) ?? [], authorRefs.get(r.id) ?? [], deps.siteUrl, viewer.now));
  if (include.length === 0) return articles;

  const byId = <T extends { id: string }>(list: T[]) => new Map(list.map((x) => [x.id, x]));
  const sections = include.includes('section') ? byId(await deps.taxonomy.sections.getMany([...new Set(articles.flatMap((a) => (a.sectionId ? [a.sectionId] : [])))])) : undefined;
  const tags = include.includes('tags') ? byId(await deps.taxonomy.tags.getMany([...new Set(articles.flatMap((a) => a.tagIds))])) : undefined;
  const authors = include.includes('authors') ? byId(await deps.taxonomy.authors.getMany([...new Set(articles.flatMap((a) => a.authors.map((x) => x.authorId)))])) : undefined;

  // Copies only when a taxonomy expansion adds to each article (the expanders copy what they change).
  let out = !sections && !tags && !authors ? articles : articles.map((a) => ({
    ...a,
    ...(sections ? { section: (a.sectionId && sections.get(a.sectionId)) || null } : {}),
    ...(tags ? { tags: a.tagIds.flatMap((id) => tags.get(id) ?? []) } : {}),
    ...(authors ? { authors: a.authors.map((x) => ({ ...x, author: authors.get(x.authorId) })) } : {}),
  }));
  for (const name of ['media', 'disclaimers', 'related'] as const) {
    const expand = deps.expanders[name];
    if (include.includes(name) && expand) out = await expand(out, viewer);
  }
  return renderBodies(out, include, viewer, deps);
}

/**
 * `include=html` and `include=text`, after the other expansions. Figures (and the text's caption lines)
 * need the resolved caption and credit, so both render from media-expanded bodies: the response's own
 * when `media` was asked for, else an internal copy (one more batched lookup for the whole page) whose
 * expansion is not returned.
 */
async function renderBodies(articles: Article[], include: readonly Include[], viewer: Viewer, deps: { siteUrl: string; expanders: Expanders }): Promise<Article[]> {
  const html = include.includes('html');
  const text = include.includes('text');
  if (!html && !text) return articles;
  const expand = deps.expanders.media;
  const rendered = include.includes('media') || !expand ? articles : await expand(articles, viewer);
  return articles.map((a, i) => {
    const body = rendered[i]!.body as Body;
    return {
      ...a,
      ...(html ? { bodyHtml: renderHtml(body, { siteUrl: deps.siteUrl }) } : {}),
      ...(text ? { bodyText: renderText(body) } : {}),
    };
  });
}
