import type { Inline } from '../../content/blocks.js';
import { inlineText } from '../../content/derive.js';
import { mediaIdsOf, type MediaUse } from './display.js';

export type CaptionSource = { hero: unknown; body: unknown };

const usesOf = (article: CaptionSource): MediaUse[] => {
  const hero = article.hero as MediaUse | null;
  const blocks = (article.body ?? []) as ({ type: string } & Partial<MediaUse>)[];
  const images = blocks.filter((b): b is { type: 'image' } & MediaUse => b.type === 'image' && typeof b.mediaId === 'string');
  return hero ? [hero, ...images] : images;
};

/** The media ids whose own caption an article may inherit. */
export const captionMediaIds = (article: CaptionSource): string[] =>
  mediaIdsOf({ hero: article.hero as MediaUse | null, body: (article.body ?? []) as { type: string; mediaId?: string }[] });

/**
 * The caption text the search index holds for an article: each image use (hero first, then image blocks)
 * resolved as delivery shows it (a use's own caption when present, none when null, else the media item's),
 * one per line. Pure; the SQL backfill in migrations/0005_search_captions.sql applies the same rule.
 */
export function articleCaptions(article: CaptionSource, mediaCaption: ReadonlyMap<string, string | null>): string {
  return usesOf(article)
    .map((use) => (use.caption === undefined ? (mediaCaption.get(use.mediaId) ?? '') : inlineText(use.caption as Inline[] | null)))
    .filter(Boolean)
    .join('\n');
}
