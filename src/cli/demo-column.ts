import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The reference column (fixtures/opinion-column.txt, a copy of shared/fixtures) parsed into its parts. */
export type DemoColumn = {
  headline: string;
  standfirst: string;
  disclaimer: string;
  paragraphs: string[];
  /** Index in `paragraphs` after which the photo stands. */
  imageAfter: number;
  caption: string;
  credit: string;
  /** The quoted statement and the index in `paragraphs` after which it stands. */
  quote: { text: string; after: number };
  related: string[];
};

export const demoColumnPath = fileURLToPath(new URL('../../fixtures/opinion-column.txt', import.meta.url));

// The comment widget's chrome is not content (content-model.md): it maps to commentsMode only.
const WIDGET = [/^What do you think\?$/, /^Notify of/];

export function parseDemoColumn(text = readFileSync(demoColumnPath, 'utf8')): DemoColumn {
  const blocks = text.split(/\n\s*\n/).map((b) => b.replace(/\s+/g, ' ').trim()).filter(Boolean);
  const [headline, standfirst, disclaimer, ...rest] = blocks;
  if (!headline || !standfirst || !disclaimer) throw new Error('the demo column lacks a headline, standfirst or disclaimer');
  const end = rest.indexOf(disclaimer);
  const bodyParts = rest.slice(0, end);
  const related = rest.slice(end + 1).filter((b) => !WIDGET.some((w) => w.test(b)));

  const paragraphs: string[] = [];
  let imageAfter = -1;
  let caption = '';
  let credit = '';
  let quote = { text: '', after: -1 };
  for (const part of bodyParts) {
    const credited = /^(.*?)\s*©\s*(.+)$/.exec(part);
    if (credited?.[1] && credited[2]) {
      caption = credited[1];
      credit = credited[2];
      imageAfter = paragraphs.length - 1;
    } else if (paragraphs.at(-1)?.endsWith(':') && quote.after === -1) {
      quote = { text: part, after: paragraphs.length - 1 };
    } else {
      paragraphs.push(part);
    }
  }
  return { headline, standfirst, disclaimer, paragraphs, imageAfter, caption, credit, quote, related };
}
