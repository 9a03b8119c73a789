import type { Article } from '../modules/articles/schemas.js';

type AuthorLike = { name: string; url: string | null };
export type JsonLdImage = { url: string; caption: string | null; creditText: string | null; copyrightNotice: string | null; width: number | null; height: number | null };

/** Article → schema.org NewsArticle / OpinionNewsArticle. Pure. */
export function articleJsonLd(a: Article, authors: AuthorLike[], sectionName: string | null, tagNames: string[], images: JsonLdImage[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {
    '@context': 'https://schema.org',
    '@type': a.type === 'opinion' ? 'OpinionNewsArticle' : a.type === 'analysis' ? 'AnalysisNewsArticle' : 'NewsArticle',
    '@id': a.url,
    url: a.url,
    mainEntityOfPage: { '@type': 'WebPage', '@id': a.canonicalUrl ?? a.url },
    headline: a.headline.slice(0, 110),
    inLanguage: a.language,
    wordCount: a.wordCount,
  };
  const description = a.seo?.description ?? a.standfirst ?? a.excerpt;
  if (description) out.description = description;
  if (a.firstPublishedAt ?? a.publishedAt) out.datePublished = a.firstPublishedAt ?? a.publishedAt;
  out.dateModified = a.contentUpdatedAt ?? a.firstPublishedAt ?? a.publishedAt ?? a.updatedAt;
  if (authors.length) out.author = authors.map((p) => ({ '@type': 'Person', name: p.name, ...(p.url ? { url: p.url } : {}) }));
  else if (a.bylineOverride) out.author = { '@type': 'Person', name: a.bylineOverride };
  if (images.length) {
    out.image = images.map((img) => ({
      '@type': 'ImageObject',
      url: img.url,
      contentUrl: img.url,
      ...(img.width && img.height ? { width: img.width, height: img.height } : {}),
      ...(img.caption ? { caption: img.caption } : {}),
      ...(img.creditText ? { creditText: img.creditText } : {}),
      ...(img.copyrightNotice ? { copyrightNotice: img.copyrightNotice } : {}),
    }));
  }
  if (sectionName) out.articleSection = sectionName;
  if (tagNames.length) out.keywords = tagNames;
  if (a.source) out.sourceOrganization = { '@type': 'Organization', name: a.source.name, ...(a.source.url ? { url: a.source.url } : {}) };
  return out;
}
