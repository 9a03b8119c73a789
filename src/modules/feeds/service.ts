import { Feed, type Item } from 'feed';
import { escapeHtml, renderFigureHtml, type RenderableImage } from '../../content/render-html.js';
import type { Viewer } from '../../db/visibility.js';
import { notFound } from '../../errors.js';
import { articleUrl as articleUrlOf } from '../articles/present.js';
import type { ArticleRow } from '../articles/repository.js';
import type { Article, Include } from '../articles/schemas.js';
import type { FeedRepository, NewsRow, SitemapRow } from './repository.js';

export const FEED_SIZE = 50;
export const SITEMAP_PAGE_SIZE = 50_000;
/** Google News takes articles of the last two days, at most 1,000 per sitemap. */
export const NEWS_WINDOW_MS = 48 * 3600 * 1000;
export const NEWS_MAX = 1000;

export type FeedFormat = 'rss' | 'atom' | 'json';
export type FeedQuery = { section?: string | undefined; tag?: string | undefined };

export type FeedDeps = {
  repo: FeedRepository;
  /** Rows → articles with expansions (the article module's presenter: fixed query count per page). */
  present: (rows: ArticleRow[], include: readonly Include[], viewer: Viewer) => Promise<Article[]>;
  now: () => Date;
  siteUrl: string;
  apiUrl: string;
  siteName: string;
};

const FEED_INCLUDES: Include[] = ['authors', 'section', 'tags', 'media', 'html'];

// Characters XML 1.0 forbids anywhere (C0 controls other than tab, newline, carriage return).
const XML_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;
const xmlSafe = (xml: string) => xml.replace(XML_FORBIDDEN, '');
const xmlText = (s: string) => escapeHtml(s);
// The feed library (xml-js) escapes only `"` in attributes and only the first `]]>` in CDATA sections.
const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const cdataSafe = (s: string) => s.replaceAll(']]>', ']]&gt;');

const latest = (...dates: (string | null | undefined)[]) => dates.filter((d): d is string => !!d).sort().at(-1)!;

/** Google News wants ISO 639 codes, except zh-cn and zh-tw. */
export function newsLanguage(tag: string): string {
  const lower = tag.toLowerCase();
  const primary = lower.split('-')[0]!;
  if (primary !== 'zh') return primary;
  return /-(tw|hk|mo|hant)\b/.test(lower) ? 'zh-tw' : 'zh-cn';
}

export function createFeedService(deps: FeedDeps) {
  const { repo, siteUrl, apiUrl, siteName } = deps;

  function byline(a: Article): string[] {
    if (a.bylineOverride) return [a.bylineOverride];
    return a.authors.flatMap((x) => (x.author && x.role === 'author' ? [x.author.name] : []));
  }

  /** The hero figure and the body. Never empty: RSS declares the dc namespace only for items with content. */
  function content(a: Article, summary: string | null | undefined): string {
    const hero = a.hero && 'display' in a.hero ? renderFigureHtml(a.hero as RenderableImage, { siteUrl }) : '';
    return [hero, a.bodyHtml ?? ''].filter(Boolean).join('\n') || `<p>${escapeHtml(summary ?? a.headline)}</p>`;
  }

  /** One `feed` item; titles and summaries are HTML (escaped) in RSS and Atom, plain text in JSON Feed. */
  function item(a: Article, format: FeedFormat): Item {
    const summary = a.seo?.description ?? a.standfirst ?? a.excerpt;
    const categories = [...(a.section ? [a.section] : []), ...(a.tags ?? [])];
    const hero = a.hero && 'media' in a.hero ? a.hero.media : null;
    const out: Item = {
      id: `urn:broadsheet:article:${a.id}`,
      title: format === 'atom' ? escapeHtml(a.headline) : format === 'rss' ? cdataSafe(a.headline) : a.headline,
      link: a.url,
      date: new Date(latest(a.publishedAt, a.contentUpdatedAt)),
      published: new Date(a.publishedAt!),
      content: content(a, summary),
      category: categories.map((c) => (format === 'atom' ? { name: xmlAttr(c.name), term: xmlAttr(c.slug) } : { name: c.name })),
    };
    if (summary) out.description = format === 'json' ? summary : escapeHtml(summary);
    const names = byline(a);
    // RSS <author> is an e-mail address; names go in dc:creator (the library declares the dc namespace).
    if (format === 'rss') {
      // xml-js writes an array as repeated elements: one dc:creator per author.
      if (names.length) out.extensions = [{ name: 'dc:creator', objects: names.map((n) => ({ _text: n })) as unknown as Record<string, unknown> }];
      if (hero?.kind === 'upload' && hero.mimeType && hero.bytes) out.enclosure = { url: xmlAttr(hero.url), type: hero.mimeType, length: hero.bytes };
    } else if (names.length) {
      out.author = names.map((name) => ({ name }));
    }
    return out;
  }

  function feedUrl(format: FeedFormat, query: FeedQuery): string {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => !!e[1])).toString();
    return `${apiUrl}/v1/feeds/${format}${qs ? `?${qs}` : ''}`;
  }

  /** JSON Feed 1.1 from the library's 1.0 output: version, `authors` arrays, item language and image. */
  function jsonFeed(feed: Feed, articles: Article[]): string {
    const doc = JSON.parse(feed.json1()) as Record<string, unknown> & { items: Record<string, unknown>[]; author?: unknown };
    const { author, ...rest } = doc;
    return JSON.stringify({
      ...rest,
      version: 'https://jsonfeed.org/version/1.1',
      ...(author ? { authors: [author] } : {}),
      items: doc.items.map(({ author: _a, ...entry }, i) => {
        const a = articles[i]!;
        const names = byline(a);
        const hero = a.hero && 'media' in a.hero ? a.hero.media : null;
        return { ...entry, ...(names.length ? { authors: names.map((name) => ({ name })) } : {}), ...(hero ? { image: hero.url } : {}), language: a.language };
      }),
    });
  }

  return {
    /**
     * The newest live articles as RSS 2.0, Atom 1.0 or JSON Feed 1.1, with full content as HTML; with
     * the ids of the articles in it, for the Surrogate-Key header.
     */
    async feed(format: FeedFormat, query: FeedQuery): Promise<{ document: string; articleIds: string[] }> {
      const now = deps.now().toISOString();
      const section = query.section === undefined ? undefined : ((await repo.section(query.section)) ?? (() => { throw notFound('Section'); })());
      const tag = query.tag === undefined ? undefined : ((await repo.tag(query.tag)) ?? (() => { throw notFound('Tag'); })());
      const rows = await repo.latest(now, { sectionId: section?.id, tagId: tag?.id }, FEED_SIZE);
      const articles = await deps.present(rows, FEED_INCLUDES, { anonymous: true, now });
      const scope = [section?.name, tag?.name].filter(Boolean).join(', ');
      const newest = articles.length ? latest(...articles.map((a) => latest(a.publishedAt, a.contentUpdatedAt))) : now;
      const feed = new Feed({
        id: feedUrl(format, query),
        title: scope ? `${siteName}: ${scope}` : siteName,
        description: scope ? `The latest ${scope} articles from ${siteName}` : `The latest articles from ${siteName}`,
        link: siteUrl,
        updated: new Date(newest),
        generator: 'Broadsheet',
        author: { name: siteName, link: siteUrl },
        feedLinks: { rss: feedUrl('rss', query), atom: feedUrl('atom', query), json: feedUrl('json', query) },
      });
      for (const a of articles) feed.addItem(item(a, format));
      const document = format === 'json' ? jsonFeed(feed, articles) : xmlSafe(format === 'rss' ? feed.rss2() : feed.atom1());
      return { document, articleIds: articles.map((a) => a.id) };
    },

    /**
     * sitemap.xml: every live article URL with its last modification. Over 50,000 URLs the bare URL is a
     * sitemap index of `?page=N` pages (50,000 each, oldest publication first).
     */
    async sitemap(page: number | undefined): Promise<string> {
      const now = deps.now().toISOString();
      const pages = Math.max(1, Math.ceil((await repo.countLive(now)) / SITEMAP_PAGE_SIZE));
      if (page === undefined && pages > 1) return sitemapIndex(pages);
      const p = page ?? 1;
      if (p > pages) throw notFound('Sitemap page');
      return urlset(await repo.sitemapPage(now, (p - 1) * SITEMAP_PAGE_SIZE, SITEMAP_PAGE_SIZE));
    },

    /** Google News sitemap: live articles first published in the last 48 hours. */
    async newsSitemap(): Promise<string> {
      const now = deps.now();
      const since = new Date(now.getTime() - NEWS_WINDOW_MS).toISOString();
      return newsUrlset(await repo.publishedSince(now.toISOString(), since, NEWS_MAX));
    },
  };

  function urlset(rows: SitemapRow[]): string {
    const urls = rows.map((r) => `<url><loc>${xmlText(articleUrl(r.slug))}</loc><lastmod>${latest(r.updatedAt, r.publishedAt)}</lastmod></url>`);
    return xmlSafe(`<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join('\n')}\n</urlset>\n`);
  }

  function sitemapIndex(pages: number): string {
    const entries = Array.from({ length: pages }, (_, i) => `<sitemap><loc>${xmlText(`${apiUrl}/v1/sitemap.xml?page=${i + 1}`)}</loc></sitemap>`);
    return `<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${entries.join('\n')}\n</sitemapindex>\n`;
  }

  function newsUrlset(rows: NewsRow[]): string {
    const publication = `<news:publication><news:name>${xmlText(siteName)}</news:name>`;
    const urls = rows.map((r) =>
      `<url><loc>${xmlText(articleUrl(r.slug))}</loc><news:news>${publication}<news:language>${xmlText(newsLanguage(r.language))}</news:language></news:publication>` +
      `<news:publication_date>${r.firstPublishedAt ?? r.publishedAt}</news:publication_date><news:title>${xmlText(r.headline)}</news:title></news:news></url>`);
    return xmlSafe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' +
      `${urls.join('\n')}\n</urlset>\n`,
    );
  }

  function articleUrl(slug: string): string {
    return articleUrlOf(siteUrl, slug);
  }
}

export type FeedService = ReturnType<typeof createFeedService>;
