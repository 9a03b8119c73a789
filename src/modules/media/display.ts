import type { Inline } from '../../content/blocks.js';
import { inlineText } from '../../content/derive.js';
import type { JsonLdImage } from '../../content/jsonld.js';
import type { z } from 'zod';
import { aspectCrops } from './renditions.js';
import type { ExpandedMediaUseSchema, MediaSchema } from './schemas.js';

export type Media = z.output<typeof MediaSchema>;
export type MediaUse = { mediaId: string; caption?: Inline[] | null | undefined; credit?: string | null | undefined; alt?: string | undefined };
export type ExpandedMediaUse = z.output<typeof ExpandedMediaUseSchema>;

/**
 * Per-use overrides: absent inherits from the media item, null hides, a value replaces.
 * Pure, so every response that expands a media use resolves it the same way.
 */
export function expandMediaUse<U extends MediaUse>(use: U, item: Media | undefined): U & ExpandedMediaUse {
  const caption = use.caption === undefined ? (item?.caption ?? null) : use.caption;
  const credit = use.credit === undefined ? (item?.creditText ?? null) : use.credit;
  const alt = use.alt ?? item?.altText ?? '';
  return { ...use, media: item ?? null, display: { caption: caption && caption.length ? caption : null, credit: credit || null, alt } };
}

/** Every media id an article refers to: its hero and its image blocks. */
export function mediaIdsOf(article: { hero: MediaUse | null; body: readonly { type: string; mediaId?: string }[] }): string[] {
  const ids = article.body.flatMap((b) => (b.type === 'image' && b.mediaId ? [b.mediaId] : []));
  return article.hero ? [article.hero.mediaId, ...ids] : ids;
}

type ArticleLike = { hero: MediaUse | null; body: readonly ({ type: string } & Partial<MediaUse>)[] };

/** `include=media` for a page of articles: one lookup for every hero and image block of the page. */
export async function expandArticlesMedia<A extends ArticleLike>(articles: A[], lookup: (ids: readonly string[]) => Promise<Media[]>): Promise<A[]> {
  const ids = [...new Set(articles.flatMap(mediaIdsOf))];
  const byId = new Map((await lookup(ids)).map((m) => [m.id, m]));
  return articles.map((a) => ({
    ...a,
    hero: a.hero ? expandMediaUse(a.hero, byId.get(a.hero.mediaId)) : null,
    body: a.body.map((b) => (b.type === 'image' && b.mediaId ? expandMediaUse(b as MediaUse, byId.get(b.mediaId)) : b)),
  }));
}

/**
 * The images of an expanded article for JSON-LD: the hero first, then image blocks, each once. An upload
 * is followed by its 16x9, 4x3 and 1x1 crops (Google asks for those three ratios), at the widest allowed
 * width its crop region fills without upscaling.
 */
export function jsonLdImages(article: { hero: unknown; body: readonly unknown[] }): JsonLdImage[] {
  const uses = [article.hero, ...article.body].filter((u): u is ExpandedMediaUse => !!u && typeof u === 'object' && 'display' in u && !!(u as ExpandedMediaUse).media);
  const seen = new Set<string>();
  return uses.flatMap((u) => {
    const m = u.media!;
    if (seen.has(m.id)) return [];
    seen.add(m.id);
    const about = { caption: u.display.caption ? inlineText(u.display.caption) : null, creditText: u.display.credit, copyrightNotice: m.copyrightNotice };
    // The allowed widths up to the original's are exactly the widths of its srcset list.
    const crops = m.kind === 'upload' && m.width && m.height ? aspectCrops(m.url, m.width, m.height, m.renditions.map((r) => r.width)) : [];
    return [{ url: m.url, ...about, width: m.width, height: m.height }, ...crops.map((c) => ({ ...about, ...c }))];
  });
}
