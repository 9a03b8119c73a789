import type { Block, Inline } from './blocks.js';

/** Derived fields stored on save: plain text, word count, reading time, excerpt. Pure functions. */

export const WORDS_PER_MINUTE = 230;
export const EXCERPT_MAX = 300;

export function inlineText(nodes: readonly Inline[] | null | undefined): string {
  if (!nodes) return '';
  return nodes
    .map((n) => (n.type === 'text' ? n.text : n.type === 'link' ? n.children.map((c) => c.text).join('') : '\n'))
    .join('');
}

type ListLike = { items: { children: Inline[]; list?: ListLike | undefined }[] };
const listText = (list: ListLike): string[] =>
  list.items.flatMap((item) => [inlineText(item.children), ...(item.list ? listText(item.list) : [])]);

/** Body text: paragraphs, headings, lists and quotations. Pull quotes repeat the text and captions are not prose. */
export function blockTexts(blocks: readonly Block[]): string[] {
  return blocks.flatMap((b): string[] => {
    switch (b.type) {
      case 'paragraph':
      case 'heading':
        return [inlineText(b.children)];
      case 'list':
        return listText(b);
      case 'blockquote':
        return b.children.map((p) => inlineText(p.children));
      default:
        return [];
    }
  });
}

const WORD = /[\p{L}\p{N}]+(?:['’\-.][\p{L}\p{N}]+)*/gu;

export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

export function truncate(text: string, max: number): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max - 1);
  const atSpace = cut.lastIndexOf(' ');
  return `${(atSpace > max / 2 ? cut.slice(0, atSpace) : cut).replace(/[\s,;:.–—-]+$/u, '')}…`;
}

export type Derived = { plainText: string; wordCount: number; readingTimeMinutes: number; excerpt: string | null };

export function derive(blocks: readonly Block[], seoDescription?: string | null): Derived {
  const texts = blockTexts(blocks).map((t) => t.trim()).filter(Boolean);
  const plainText = texts.join('\n\n');
  const wordCount = countWords(plainText);
  const firstParagraph = blocks.find((b) => b.type === 'paragraph' && inlineText(b.children).trim() !== '');
  const excerptSource = seoDescription ?? (firstParagraph?.type === 'paragraph' ? inlineText(firstParagraph.children) : null);
  return {
    plainText,
    wordCount,
    readingTimeMinutes: wordCount === 0 ? 0 : Math.max(1, Math.round(wordCount / WORDS_PER_MINUTE)),
    excerpt: excerptSource ? truncate(excerptSource, EXCERPT_MAX) : null,
  };
}
