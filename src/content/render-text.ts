import type { Block, Inline } from './blocks.js';
import { inlineText } from './derive.js';
import type { RenderableImage } from './render-html.js';

/**
 * Blocks → plain text, for newsletters, push notifications, text-to-speech and the like. Pure.
 * Blocks are separated by a blank line; list items start with "- " or "1. " (nested lists indented two
 * spaces a level); a quotation is followed by its attribution line ("— Name, Role, Source"); an image is
 * its resolved caption with the credit in parentheses (nothing when it was not expanded); an embed is
 * its title and URL; a divider is "* * *". Pull quotes repeat the text for display and are left out,
 * as they are from the word count.
 */

type ListLike = { style: 'bullet' | 'ordered'; items: { children: Inline[]; list?: ListLike | undefined }[] };

function list(l: ListLike, depth: number): string[] {
  const indent = '  '.repeat(depth);
  return l.items.flatMap((item, i) => [
    `${indent}${l.style === 'ordered' ? `${i + 1}.` : '-'} ${inlineText(item.children)}`,
    ...(item.list ? list(item.list, depth + 1) : []),
  ]);
}

const attribution = (a: { name: string; role?: string | undefined; source?: string | undefined }) =>
  `— ${[a.name, a.role, a.source].filter(Boolean).join(', ')}`;

function block(b: Block): string {
  switch (b.type) {
    case 'paragraph':
    case 'heading':
      return inlineText(b.children);
    case 'list':
      return list(b, 0).join('\n');
    case 'blockquote':
      return [...b.children.map((p) => inlineText(p.children)), ...(b.attribution ? [attribution(b.attribution)] : [])].join('\n');
    case 'pullquote':
      return '';
    case 'image': {
      const { media, display } = b as RenderableImage;
      if (!media || !display) return '';
      const caption = inlineText(display.caption).trim();
      const credit = display.credit ? `(${display.credit})` : '';
      return [caption, credit].filter(Boolean).join(' ');
    }
    case 'embed':
      return [b.title, b.url].filter(Boolean).join(': ');
    case 'divider':
      return '* * *';
  }
}

/** The body as plain text. */
export function renderText(blocks: readonly Block[]): string {
  return blocks.map(block).filter((s) => s.trim() !== '').join('\n\n');
}
