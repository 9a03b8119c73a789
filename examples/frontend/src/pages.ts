/**
 * The pages of the example front end. Each one reads the API through the typed client only and returns the
 * HTML document (or a redirect); the server maps `BroadsheetError`s to the 404 / 400 / 502 pages.
 */
import type { Article, createBroadsheetClient } from '../../../clients/typescript/src/index.js';
import {
  attrs, escapeHtml, figure, img, inlineText, isExpanded, jsonLdScript, layout, renderInline, safeUrl, time,
  type ExpandedUse, type Media, type ResolvedDisclaimer,
} from './html.js';

export type Client = ReturnType<typeof createBroadsheetClient>;

export type Site = {
  bs: Client;
  siteName: string;
  pageSize: number;
  /** The section links of the masthead (cached by the server). */
  nav: () => Promise<{ name: string; href: string }[]>;
};

export type PageResult = { status: number; html: string } | { status: 301 | 302; location: string };

const articlePath = (slug: string) => `/articles/${encodeURIComponent(slug)}`;
const sectionPath = (slug: string) => `/sections/${encodeURIComponent(slug)}`;

/** The article's own hero, else its first expanded body image (list thumbnails). */
function thumbnailOf(a: Article): (ExpandedUse & { media: Media }) | undefined {
  if (isExpanded(a.hero)) return a.hero;
  for (const b of a.body) if (b.type === 'image' && isExpanded(b)) return b;
  return undefined;
}

function byline(a: Article): string {
  if (a.bylineOverride) return escapeHtml(a.bylineOverride);
  const names = a.authors.filter((x) => x.role === 'author' || x.role === 'contributor').map((x) => x.author?.name).filter((n): n is string => !!n);
  if (!names.length) return '';
  const last = names.pop()!;
  return `By <strong>${escapeHtml(names.length ? `${names.join(', ')} and ${last}` : last)}</strong>`;
}

/** One article in a list: thumbnail with alt, section, headline linking to the article page, standfirst, date. */
function card(a: Article): string {
  const thumb = thumbnailOf(a);
  const picture = thumb ? img(thumb.media, thumb.display.alt, '(max-width: 700px) 100vw, 240px', 480, { loading: 'lazy' }) : '';
  const section = a.section ? `<a class="label"${attrs({ href: sectionPath(a.section.slug) })}>${escapeHtml(a.section.name)}</a>` : `<span class="label">${escapeHtml(a.type)}</span>`;
  return `<li${attrs({ class: picture ? 'card' : 'card no-image' })}>
${picture ? `<a class="thumb" tabindex="-1" aria-hidden="true"${attrs({ href: articlePath(a.slug) })}>${picture}</a>` : ''}
<div>
${section}
<h2><a${attrs({ href: articlePath(a.slug) })}>${escapeHtml(a.headline)}</a></h2>
${a.standfirst ? `<p>${escapeHtml(a.standfirst)}</p>` : ''}
<p class="meta">${time(a.publishedAt)}</p>
</div>
</li>`;
}

function pager(basePath: string, cursor: string | undefined, nextCursor: string | null): string {
  if (!cursor && !nextCursor) return '';
  const newest = cursor ? `<a${attrs({ href: basePath })}>← Latest</a>` : '<span></span>';
  const older = nextCursor ? `<a rel="next"${attrs({ href: `${basePath}?cursor=${encodeURIComponent(nextCursor)}` })}>Older articles →</a>` : '<span></span>';
  return `<nav class="pager" aria-label="Pages">${newest}${older}</nav>`;
}

function list(articles: Article[], empty: string): string {
  return articles.length ? `<ul class="cards">${articles.map(card).join('\n')}</ul>` : `<p class="page-intro">${escapeHtml(empty)}</p>`;
}

/** `/`: the latest live articles, `?cursor=` for older ones. */
export async function homePage(site: Site, cursor: string | undefined): Promise<PageResult> {
  const [list_, nav] = await Promise.all([
    site.bs.articles.list({ limit: site.pageSize, cursor, include: ['section', 'media'] }),
    site.nav(),
  ]);
  const main = `<h1 class="page-title">Latest</h1>
<p class="page-intro">${escapeHtml(`${list_.page.total} ${list_.page.total === 1 ? 'article' : 'articles'}, newest first.`)}</p>
${list(list_.data, 'Nothing has been published yet.')}
${pager('/', cursor, list_.page.nextCursor)}`;
  return { status: 200, html: layout({ siteName: site.siteName, title: site.siteName, description: `The latest articles from ${site.siteName}.`, nav, main }) };
}

/** `/sections/:slug`: the section's live articles with cursor pagination. */
export async function sectionPage(site: Site, slug: string, cursor: string | undefined): Promise<PageResult> {
  const [section, list_, nav] = await Promise.all([
    site.bs.sections.getBySlug(slug),
    site.bs.articles.list({ section: slug, limit: site.pageSize, cursor, include: ['section', 'media'] }),
    site.nav(),
  ]);
  const main = `<h1 class="page-title">${escapeHtml(section.name)}</h1>
<p class="page-intro">${escapeHtml(`${list_.page.total} ${list_.page.total === 1 ? 'article' : 'articles'} in this section.`)}</p>
${list(list_.data, 'No articles in this section yet.')}
${pager(sectionPath(section.slug), cursor, list_.page.nextCursor)}`;
  return { status: 200, html: layout({ siteName: site.siteName, title: `${section.name} | ${site.siteName}`, nav, main }) };
}

const KIND_LABELS: Record<string, string> = {
  disclaimer: 'Disclaimer', 'editors-note': 'Editor’s note', sponsored: 'Sponsored content', advisory: 'Advisory', legal: 'Legal notice',
};

function disclaimers(items: ResolvedDisclaimer[], slot: 'top' | 'bottom'): string {
  return items
    .map((d) => `<aside class="disclaimer" role="note"${attrs({ 'aria-label': d.title ?? KIND_LABELS[d.kind] ?? 'Notice', 'data-slot': slot, 'data-key': d.key })}>
${d.title ? `<strong class="title">${escapeHtml(d.title)}</strong>` : ''}<p>${renderInline(d.body)}</p>
</aside>`)
    .join('\n');
}

function related(a: Article): string {
  const links = a.related ?? [];
  if (!links.length) return '';
  const items = links.map((r) => {
    if (r.target) {
      return `<li><a${attrs({ href: articlePath(r.target.slug) })}>${escapeHtml(r.label ?? r.target.headline)}</a><span class="meta">${time(r.target.publishedAt)}</span></li>`;
    }
    const href = safeUrl(r.url);
    const label = escapeHtml(r.label ?? r.url);
    if (!href) return `<li>${label}</li>`;
    const host = URL.canParse(href) ? new URL(href).host : '';
    return `<li><a rel="external noopener"${attrs({ href })}>${label}</a><span class="meta">${escapeHtml(host)}</span></li>`;
  });
  return `<section class="related" aria-labelledby="related-title"><h2 id="related-title">Related</h2><ul>${items.join('')}</ul></section>`;
}

/** `/articles/:slug`: the whole article from one `include=all` read, plus its JSON-LD. */
export async function articlePage(site: Site, slug: string): Promise<PageResult> {
  const [a, nav] = await Promise.all([site.bs.articles.getBySlug(slug, { include: ['all'] }), site.nav()]);
  // An old slug answers with the article under its current one (the API redirects): send the reader there.
  if (a.slug !== slug) return { status: 301, location: articlePath(a.slug) };
  const jsonLd = await site.bs.raw.GET('/v1/articles/{id}/jsonld', { params: { path: { id: a.id } } });
  if (jsonLd.error !== undefined || !jsonLd.data) throw new Error(`GET /v1/articles/${a.id}/jsonld answered ${jsonLd.response.status}`);

  const title = a.seo?.title ?? a.headline;
  const description = a.seo?.description ?? a.standfirst ?? a.excerpt ?? undefined;
  const canonical = a.canonicalUrl ?? a.url;
  const hero = isExpanded(a.hero) ? a.hero : undefined;
  const ogImage = hero ? safeUrl(hero.media.url) : undefined;
  const head = [
    `<meta property="og:type" content="article">`,
    `<meta${attrs({ property: 'og:title', content: title })}>`,
    description ? `<meta${attrs({ property: 'og:description', content: description })}>` : '',
    `<meta${attrs({ property: 'og:url', content: canonical })}>`,
    ogImage ? `<meta${attrs({ property: 'og:image', content: ogImage })}>` : '',
    jsonLdScript(jsonLd.data),
  ].filter(Boolean).join('\n');

  const label = a.section
    ? `<a class="label"${attrs({ href: sectionPath(a.section.slug) })}>${escapeHtml(a.kicker ?? a.section.name)}</a>`
    : a.kicker ? `<span class="label">${escapeHtml(a.kicker)}</span>` : '';
  const meta = [
    byline(a),
    time(a.publishedAt),
    a.contentUpdatedAt ? time(a.contentUpdatedAt, 'Updated ') : '',
    a.source ? `Source: ${escapeHtml(a.source.name)}` : '',
    a.readingTimeMinutes ? `${escapeHtml(a.readingTimeMinutes)} min read` : '',
  ].filter(Boolean).join(' · ');
  const tags = a.tags?.length ? `<ul class="tags" aria-label="Tags">${a.tags.map((t) => `<li>${escapeHtml(t.name)}</li>`).join('')}</ul>` : '';

  const main = `<article class="story"${attrs({ 'data-article-id': a.id, 'data-type': a.type })}>
<header>
${label}
<h1>${escapeHtml(a.headline)}</h1>
${a.standfirst ? `<p class="standfirst">${escapeHtml(a.standfirst)}</p>` : ''}
<p class="byline meta">${meta}</p>
</header>
${disclaimers(a.disclaimers?.top ?? [], 'top')}
${hero ? figure(hero, { className: 'hero', sizes: '(max-width: 760px) 100vw, 720px', preferWidth: 960, eager: true }) : ''}
<div class="body">
${a.bodyHtml ?? ''}
</div>
${disclaimers(a.disclaimers?.bottom ?? [], 'bottom')}
${tags}
${related(a)}
</article>`;
  return {
    status: 200,
    html: layout({
      siteName: site.siteName, title: `${title} | ${site.siteName}`, description: description ?? inlineText(hero?.display.caption),
      canonical, lang: a.language, head, nav, main,
    }),
  };
}

/** The 404, 400 and 502 pages. */
export async function errorPage(site: Site, status: 400 | 404 | 502, navOk = true): Promise<PageResult> {
  const text = {
    400: ['This link is not valid', 'The page address has a parameter this site cannot use (an old or edited page link?).'],
    404: ['Page not found', 'There is no article or section at this address. It may have been unpublished, or the link is mistyped.'],
    502: ['The news service is unavailable', 'The content service did not answer as expected. Please try again in a moment.'],
  }[status];
  const nav = navOk ? await site.nav().catch(() => []) : [];
  const main = `<div class="error"><p class="code">${status}</p><h1>${escapeHtml(text[0])}</h1><p>${escapeHtml(text[1])}</p><p><a href="/">Go to the latest articles</a></p></div>`;
  return { status, html: layout({ siteName: site.siteName, title: `${text[0]} | ${site.siteName}`, nav, main }) };
}
