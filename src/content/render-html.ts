import type { Block, Inline } from './blocks.js';

/**
 * Blocks → semantic HTML. Pure, and the only HTML renderer: `include=html`, the feeds and anything else
 * that needs markup call it. Every text and attribute value goes through `escapeHtml`; nothing stored is
 * ever passed through as markup (the body holds no HTML, only nodes).
 *
 * Image blocks render only when expanded (they carry `media` and `display`, see media/display.ts) and
 * their media item still exists: a figure without a picture is no use to a reader, so an unexpanded or
 * dangling image block renders nothing.
 */

type Mark = NonNullable<Extract<Inline, { type: 'text' }>['marks']>[number];
type Attribution = { name: string; role?: string | undefined; source?: string | undefined; url?: string | undefined };
type ListLike = { style: 'bullet' | 'ordered'; items: { children: Inline[]; list?: ListLike | undefined }[] };
/** The parts of an expanded media use the renderer reads (media/display.ts `ExpandedMediaUse`). */
export type RenderableImage = {
  media?: { url: string; width: number | null; height: number | null; renditions?: readonly { url: string; width: number }[] } | null;
  display?: { caption: Inline[] | null; credit: string | null; alt: string };
  layout?: 'inline' | 'wide' | 'full' | undefined;
};

export type HtmlOptions = {
  /** The site's own origin: absolute links to it are not external (no `rel`). */
  siteUrl?: string | undefined;
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
// C0 controls other than tab, newline and carriage return are never valid text in HTML or XML.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/** Escapes text or an attribute value for HTML (and XML): & < > " ' and drops control characters. */
export function escapeHtml(value: string): string {
  return value.replace(CONTROL, '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const MARK_TAGS: Record<Mark, string> = { bold: 'strong', italic: 'em', underline: 'u', strike: 's', code: 'code', sup: 'sup', sub: 'sub' };

const attrs = (pairs: Record<string, string | number | null | undefined>) =>
  Object.entries(pairs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => ` ${k}="${escapeHtml(String(v))}"`)
    .join('');

function isExternal(href: string, options: HtmlOptions): boolean {
  if (!/^https?:/i.test(href)) return false;
  if (!options.siteUrl || !URL.canParse(href) || !URL.canParse(options.siteUrl)) return true;
  return new URL(href).origin !== new URL(options.siteUrl).origin;
}

function link(href: string, inner: string, options: HtmlOptions, extra: Record<string, string | undefined> = {}): string {
  return `<a${attrs({ href, ...extra, rel: isExternal(href, options) ? 'noopener' : undefined })}>${inner}</a>`;
}

function text(node: Extract<Inline, { type: 'text' }>): string {
  // The first mark is the outermost element.
  return (node.marks ?? []).reduceRight((inner, mark) => `<${MARK_TAGS[mark]}>${inner}</${MARK_TAGS[mark]}>`, escapeHtml(node.text));
}

export function renderInlineHtml(nodes: readonly Inline[] | null | undefined, options: HtmlOptions = {}): string {
  if (!nodes) return '';
  return nodes
    .map((n) => {
      if (n.type === 'text') return text(n);
      if (n.type === 'break') return '<br>';
      return link(n.href, n.children.map(text).join(''), options, { 'data-article-id': n.articleId });
    })
    .join('');
}

function list(l: ListLike, options: HtmlOptions): string {
  const tag = l.style === 'ordered' ? 'ol' : 'ul';
  const items = l.items.map((item) => `<li>${renderInlineHtml(item.children, options)}${item.list ? list(item.list, options) : ''}</li>`);
  return `<${tag}>${items.join('')}</${tag}>`;
}

function cite(a: Attribution, options: HtmlOptions): string {
  const source = a.source ? (a.url ? link(a.url, escapeHtml(a.source), options) : escapeHtml(a.source)) : undefined;
  const name = a.url && !a.source ? link(a.url, escapeHtml(a.name), options) : escapeHtml(a.name);
  return `<footer><cite>${[name, a.role ? escapeHtml(a.role) : undefined, source].filter(Boolean).join(', ')}</cite></footer>`;
}

/** A figure for an expanded media use (an image block or an article hero); empty when there is no picture. */
export function renderFigureHtml(image: RenderableImage, options: HtmlOptions = {}): string {
  const { media, display } = image;
  if (!media || !display) return '';
  const srcset = media.renditions?.length ? media.renditions.map((r) => `${r.url} ${r.width}w`).join(', ') : undefined;
  const img = `<img${attrs({ src: media.url, srcset, alt: display.alt, width: media.width, height: media.height, loading: 'lazy' })}>`;
  const caption = renderInlineHtml(display.caption, options);
  const credit = display.credit ? `<span class="credit">${escapeHtml(display.credit)}</span>` : '';
  const figcaption = caption || credit ? `<figcaption>${[caption, credit].filter(Boolean).join(' ')}</figcaption>` : '';
  return `<figure${attrs({ class: 'image', 'data-layout': image.layout })}>${img}${figcaption}</figure>`;
}

function block(b: Block, options: HtmlOptions): string {
  switch (b.type) {
    case 'paragraph':
      return `<p>${renderInlineHtml(b.children, options)}</p>`;
    case 'heading':
      return `<h${b.level}>${renderInlineHtml(b.children, options)}</h${b.level}>`;
    case 'list':
      return list(b, options);
    case 'blockquote': {
      const paragraphs = b.children.map((p) => `<p>${renderInlineHtml(p.children, options)}</p>`).join('');
      return `<blockquote${attrs({ cite: b.attribution?.url })}>${paragraphs}${b.attribution ? cite(b.attribution, options) : ''}</blockquote>`;
    }
    case 'pullquote':
      return `<aside class="pullquote"><p>${escapeHtml(b.text)}</p>${b.attribution ? cite(b.attribution, options) : ''}</aside>`;
    case 'image':
      return renderFigureHtml(b as RenderableImage, options);
    case 'embed': {
      const caption = b.caption?.length ? `<figcaption>${renderInlineHtml(b.caption, options)}</figcaption>` : '';
      return `<figure${attrs({ class: 'embed', 'data-provider': b.provider })}>${link(b.url, escapeHtml(b.title ?? b.url), options)}${caption}</figure>`;
    }
    case 'divider':
      return '<hr>';
  }
}

/** The body as HTML: one element per block, separated by newlines. */
export function renderHtml(blocks: readonly Block[], options: HtmlOptions = {}): string {
  return blocks.map((b) => block(b, options)).filter(Boolean).join('\n');
}
