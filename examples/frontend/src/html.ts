/**
 * HTML helpers of the example front end: one escaping function for every interpolated text or attribute,
 * renderers for the API's structured inline nodes (captions, disclaimers) and for expanded media, and the
 * page layout with its inline stylesheet.
 *
 * The only markup passed through unescaped is the API's own `bodyHtml` (from `include=html`), which the API
 * builds from typed blocks with every text escaped, and the JSON-LD, serialized by `jsonLdScript`.
 */
import type { Article } from '../../../clients/typescript/src/index.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// C0 controls other than tab, newline and carriage return are never valid in HTML text.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Escapes a text or attribute value for HTML: & < > " ' (and drops control characters). */
export function escapeHtml(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(CONTROL, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** ` name="value"` pairs, escaped; null/undefined/false values are left out, `true` writes a bare attribute. */
export function attrs(pairs: Record<string, string | number | boolean | null | undefined>): string {
  return Object.entries(pairs)
    .flatMap(([k, v]) => (v === undefined || v === null || v === false ? [] : [v === true ? ` ${k}` : ` ${k}="${escapeHtml(v)}"`]))
    .join('');
}

/** A URL a link or image may carry: http(s), mailto or a same-site path. Anything else becomes undefined. */
export function safeUrl(url: string | null | undefined): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('/') && !url.startsWith('//')) return url;
  return /^(https?:|mailto:)/i.test(url) && URL.canParse(url) ? url : undefined;
}

/**
 * JSON for a `<script type="application/ld+json">`: `<`, `>` and `&` are written as \u escapes, so no string
 * in the data can close the script element or open a comment; the JSON value is unchanged.
 */
export function jsonLdScript(data: unknown): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/ld+json">${json}</script>`;
}

// ---- types derived from the client's Article (the client exports the top-level shapes only) ----

type Slots = NonNullable<Article['disclaimers']>;
export type ResolvedDisclaimer = Slots['top'][number];
export type Inline = ResolvedDisclaimer['body'][number];
type TextNode = Extract<Inline, { type: 'text' }>;
type HeroUse = NonNullable<Article['hero']>;
/** A media use expanded with `include=media`: the media item and the resolved caption, credit and alt. */
export type ExpandedUse = Extract<HeroUse, { display: unknown }>;
export type Media = NonNullable<ExpandedUse['media']>;

const MARK_TAGS: Record<string, string> = { bold: 'strong', italic: 'em', underline: 'u', strike: 's', code: 'code', sup: 'sup', sub: 'sub' };

function textNode(node: TextNode): string {
  return (node.marks ?? []).reduceRight((inner: string, mark: string) => {
    const tag = MARK_TAGS[mark];
    return tag ? `<${tag}>${inner}</${tag}>` : inner;
  }, escapeHtml(node.text));
}

/** Inline nodes (text with marks, links, breaks) as HTML. Internal article links are rewritten by `linkHref`. */
export function renderInline(nodes: readonly Inline[] | null | undefined, linkHref: (href: string) => string = (h) => h): string {
  if (!nodes) return '';
  return nodes
    .map((n) => {
      if (n.type === 'text') return textNode(n);
      if (n.type === 'break') return '<br>';
      const inner = n.children.map(textNode).join('');
      const href = safeUrl(linkHref(n.href));
      return href ? `<a${attrs({ href })}>${inner}</a>` : inner;
    })
    .join('');
}

/** Plain text of inline nodes (for meta tags and alt fallbacks). */
export function inlineText(nodes: readonly Inline[] | null | undefined): string {
  if (!nodes) return '';
  return nodes.map((n) => (n.type === 'text' ? n.text : n.type === 'break' ? ' ' : n.children.map((c) => c.text).join(''))).join('');
}

/** True for a media use that `include=media` expanded and whose media item still exists. */
export function isExpanded(use: unknown): use is ExpandedUse & { media: Media } {
  return typeof use === 'object' && use !== null && 'display' in use && 'media' in use && (use as { media: unknown }).media !== null;
}

/** `<img>` for a media item: `src` from the API's file URL (or the rendition nearest `preferWidth`), `srcset` from its renditions. */
export function img(media: Media, alt: string, sizes: string, preferWidth: number, extra: Record<string, string | number | boolean | undefined> = {}): string {
  const renditions = (media.renditions ?? []).filter((r) => safeUrl(r.url));
  const src = safeUrl(renditions.find((r) => r.width >= preferWidth)?.url ?? media.url);
  if (!src) return '';
  const srcset = renditions.length ? renditions.map((r) => `${r.url} ${r.width}w`).join(', ') : undefined;
  return `<img${attrs({
    src, srcset, sizes: srcset ? sizes : undefined, alt,
    width: media.width ?? undefined, height: media.height ?? undefined, decoding: 'async', ...extra,
  })}>`;
}

/** A `<figure>` with the picture and, directly under it, a `<figcaption>` with the resolved caption and credit. */
export function figure(use: ExpandedUse & { media: Media }, opts: { className: string; sizes: string; preferWidth: number; eager?: boolean }): string {
  const picture = img(use.media, use.display.alt, opts.sizes, opts.preferWidth, opts.eager ? { fetchpriority: 'high' } : { loading: 'lazy' });
  if (!picture) return '';
  const caption = renderInline(use.display.caption);
  const credit = use.display.credit ? `<span class="credit">${escapeHtml(use.display.credit)}</span>` : '';
  const figcaption = caption || credit ? `<figcaption>${[caption, credit].filter(Boolean).join(' ')}</figcaption>` : '';
  return `<figure${attrs({ class: opts.className })}>${picture}${figcaption}</figure>`;
}

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/** `<time>` with the ISO value and a readable UTC date; empty for null. */
export function time(iso: string | null | undefined, prefix = ''): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  return `<time${attrs({ datetime: iso })}>${escapeHtml(prefix)}${escapeHtml(DATE.format(new Date(iso)))}</time>`;
}

export type Layout = {
  siteName: string;
  title: string;
  description?: string | undefined;
  canonical?: string | undefined;
  lang?: string | undefined;
  /** Extra trusted markup for the head (meta tags built with `attrs`, the JSON-LD script). */
  head?: string | undefined;
  nav: { name: string; href: string }[];
  main: string;
};

/** The whole document: head (title, description, canonical, extras), masthead with section links, main, footer. */
export function layout(p: Layout): string {
  const nav = p.nav.map((n) => `<li><a${attrs({ href: n.href })}>${escapeHtml(n.name)}</a></li>`).join('');
  return `<!doctype html>
<html${attrs({ lang: p.lang ?? 'en' })}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(p.title)}</title>
${p.description ? `<meta${attrs({ name: 'description', content: p.description })}>\n` : ''}${p.canonical ? `<link${attrs({ rel: 'canonical', href: p.canonical })}>\n` : ''}${p.head ?? ''}
<style>${CSS}</style>
</head>
<body>
<header class="masthead">
<div class="wrap">
<a class="brand" href="/">${escapeHtml(p.siteName)}</a>
${nav ? `<nav aria-label="Sections"><ul>${nav}</ul></nav>` : ''}
</div>
</header>
<main class="wrap">
${p.main}
</main>
<footer class="site-footer"><div class="wrap">An example front end for the Broadsheet API: every page is rendered on the server from the API's JSON.</div></footer>
</body>
</html>
`;
}

const CSS = `
:root{--ink:#1b1b1b;--muted:#5c5c5c;--rule:#dcdcdc;--accent:#a4161a;--paper:#fff;--tint:#f6f3ee;
--serif:Georgia,"DejaVu Serif","Liberation Serif","Times New Roman",serif;--sans:system-ui,-apple-system,"Segoe UI","Liberation Sans","DejaVu Sans",Arial,sans-serif}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--paper);color:var(--ink);font:17px/1.6 var(--serif)}
a{color:inherit}
a:hover{color:var(--accent)}
img{max-width:100%;height:auto;display:block;background:var(--tint)}
.wrap{max-width:1080px;margin:0 auto;padding:0 20px}
.masthead{border-bottom:3px double var(--ink);margin-bottom:28px;font-family:var(--sans)}
.masthead .wrap{display:flex;align-items:baseline;justify-content:space-between;gap:20px;flex-wrap:wrap;padding-top:18px;padding-bottom:12px}
.brand{font:700 30px/1 var(--serif);text-decoration:none;letter-spacing:-.01em}
.masthead ul{list-style:none;display:flex;gap:18px;margin:0;padding:0;font-size:14px;text-transform:uppercase;letter-spacing:.06em}
.masthead nav a{text-decoration:none}
.site-footer{margin-top:56px;border-top:1px solid var(--rule);padding:18px 0 40px;color:var(--muted);font:13px/1.5 var(--sans)}
.page-title{font:700 34px/1.15 var(--serif);margin:0 0 6px}
.page-intro{color:var(--muted);font:15px/1.5 var(--sans);margin:0 0 24px}
.label{font:700 12px/1.2 var(--sans);text-transform:uppercase;letter-spacing:.08em;color:var(--accent);text-decoration:none}
.meta{color:var(--muted);font:13px/1.5 var(--sans)}
.cards{list-style:none;margin:0;padding:0}
.card{display:grid;grid-template-columns:240px 1fr;gap:22px;padding:22px 0;border-top:1px solid var(--rule)}
.card.no-image{grid-template-columns:1fr}
.card h2{font:700 24px/1.2 var(--serif);margin:4px 0 8px}
.card h2 a{text-decoration:none}
.card p{margin:0 0 8px}
.card .thumb img{width:240px;aspect-ratio:3/2;object-fit:cover}
.pager{display:flex;justify-content:space-between;gap:12px;border-top:1px solid var(--rule);padding-top:16px;font:15px/1.4 var(--sans)}
.pager a{text-decoration:none;font-weight:600}
article.story{max-width:720px;margin:0 auto}
.story h1{font:700 40px/1.12 var(--serif);margin:8px 0 12px;letter-spacing:-.01em}
.story .standfirst{font-size:21px;line-height:1.45;color:#333;margin:0 0 16px}
.story .byline{border-top:1px solid var(--rule);border-bottom:1px solid var(--rule);padding:10px 0;margin:0 0 22px}
.story .byline strong{color:var(--ink)}
.disclaimer{background:var(--tint);border-left:4px solid var(--accent);padding:12px 16px;margin:22px 0;font:14px/1.55 var(--sans);color:#333}
.disclaimer p{margin:0}
.disclaimer .title{display:block;font-weight:700;margin-bottom:2px}
figure{margin:26px 0}
figure img{width:100%}
figcaption{font:13px/1.5 var(--sans);color:var(--muted);padding:8px 0 0;border-bottom:1px solid var(--rule);padding-bottom:10px}
figcaption .credit{display:inline-block;text-transform:uppercase;font-size:11px;letter-spacing:.06em;color:#777}
figure.hero{margin-top:0}
.body{font-size:18px;line-height:1.7}
.body p{margin:0 0 1.1em}
.body h2,.body h3,.body h4{font-family:var(--serif);line-height:1.25;margin:1.6em 0 .5em}
.body blockquote{margin:1.6em 0;padding:2px 0 2px 22px;border-left:3px solid var(--ink);font-style:italic}
.body blockquote footer{font:normal 14px/1.4 var(--sans);color:var(--muted);margin-top:-.4em}
.body blockquote cite{font-style:normal}
.body blockquote cite::before{content:"— "}
.body .pullquote{font:700 24px/1.3 var(--serif);border-top:3px solid var(--accent);border-bottom:1px solid var(--rule);padding:14px 0;margin:1.6em 0}
.body figure.embed{border:1px solid var(--rule);padding:12px 16px}
@media (min-width:1000px){.body figure[data-layout=wide]{margin-left:-80px;margin-right:-80px}.body figure[data-layout=full]{margin-left:-140px;margin-right:-140px}}
.tags{list-style:none;padding:0;margin:24px 0 0;display:flex;gap:8px;flex-wrap:wrap;font:13px/1 var(--sans)}
.tags li{border:1px solid var(--rule);border-radius:999px;padding:6px 12px;color:var(--muted)}
.related{margin-top:36px;border-top:3px solid var(--ink);padding-top:12px}
.related h2{font:700 13px/1.2 var(--sans);text-transform:uppercase;letter-spacing:.08em;margin:0 0 8px}
.related ul{list-style:none;margin:0;padding:0}
.related li{padding:12px 0;border-bottom:1px solid var(--rule)}
.related a{font:700 19px/1.3 var(--serif);text-decoration:none}
.related .meta{display:block;margin-top:2px}
.error{max-width:640px;margin:40px auto;text-align:center}
.error .code{font:700 64px/1 var(--serif);color:var(--accent);margin:0}
.error h1{font:700 28px/1.2 var(--serif)}
@media (max-width:700px){
body{font-size:16px}
.card{grid-template-columns:1fr}
.card .thumb img{width:100%}
.story h1{font-size:30px}
.story .standfirst{font-size:18px}
}
`;
