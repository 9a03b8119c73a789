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

/**
 * Words: runs of letters and digits (any script), joined by one apostrophe, hyphen or dot between two of them
 * ("don't", "co-op", "3.5" are one word): the matches of /[\p{L}\p{N}]+(?:['’\-.][\p{L}\p{N}]+)*\/gu, counted by a
 * scan that allocates nothing (the regex's match array was 8 % of a 4,000-word article write's CPU).
 * test/content/derive.test.ts compares the two on random text of every script.
 */
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = /[A-Za-z0-9]/.test(String.fromCharCode(c)) ? 1 : 0;
const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u;
const nonAscii = new Map<number, boolean>();

/** The length (1 or 2 UTF-16 units) of the letter or digit at `i`, or 0. */
function wordCharAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c < 128) return ASCII_WORD[c]!;
  const cp = text.codePointAt(i)!;
  let is = nonAscii.get(cp);
  if (is === undefined) {
    is = LETTER_OR_DIGIT.test(String.fromCodePoint(cp));
    if (nonAscii.size < 65_536) nonAscii.set(cp, is);
  }
  return is ? (cp > 0xffff ? 2 : 1) : 0;
}

const isJoiner = (c: number) => c === 39 /* ' */ || c === 0x2019 /* ’ */ || c === 45 /* - */ || c === 46 /* . */;

export function countWords(text: string): number {
  let words = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const len = wordCharAt(text, i);
    if (len === 0) {
      i++;
      continue;
    }
    words++;
    i += len;
    for (;;) {
      const more = i < n ? wordCharAt(text, i) : 0;
      if (more) {
        i += more;
        continue;
      }
      // A joiner continues the word only when a letter or digit follows it.
      if (i + 1 < n && isJoiner(text.charCodeAt(i)) && wordCharAt(text, i + 1)) {
        i += 1;
        continue;
      }
      break;
    }
  }
  return words;
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
