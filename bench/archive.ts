/**
 * The archive generator, run in a worker thread by bench/seed.ts: it builds the rows of a batch of
 * articles (text, derived fields, revision snapshot, as SQL parameters) while the main thread inserts
 * the previous batch. Everything derived comes from the write path's own pure functions.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Block } from '../src/content/blocks.js';
import { derive } from '../src/content/derive.js';
import { slugify } from '../src/content/slug.js';
import { toArticle } from '../src/modules/articles/present.js';
import type { ArticleRow, AuthorRef } from '../src/modules/articles/repository.js';
import { articleCaptions } from '../src/modules/media/captions.js';
import { headline, paragraph, personName, pick, rng, sentence, titleCase } from './words.js';

export type GeneratorInput = {
  articles: number;
  seed: number;
  siteUrl: string;
  nowMs: number;
  opinionSectionId: string;
  newsSectionIds: string[];
  authorIds: string[];
  tagIds: string[];
};

type Params = (string | number | null)[];
/** The SQL parameters of one batch, per table, in the column order of the statements in seed.ts. */
export type Batch = {
  start: number;
  articles: Params[];
  media: Params[];
  uses: Params[];
  tags: Params[];
  authors: Params[];
  revisions: Params[];
  ids: string[];
  publishedAts: string[];
};

/** One article every 30 minutes, the newest an hour ago: 10,000 articles span 7 months, 100,000 almost 6 years. */
export const SPACING_MS = 30 * 60_000;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A ULID from a time and the seeded PRNG (deterministic, unlike the ulid package's crypto randomness). */
export function ulidAt(ms: number, random: () => number): string {
  let time = '';
  for (let i = 0, t = ms; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[Math.floor(random() * 32)];
  return time + rand;
}

export function createGenerator(input: GeneratorInput) {
  const random = rng(input.seed);
  const n = input.articles;

  function article(i: number, out: Batch) {
    const publishedMs = input.nowMs - 3_600_000 - (n - 1 - i) * SPACING_MS;
    const publishedAt = new Date(publishedMs).toISOString();
    const createdAt = new Date(publishedMs - 2 * 3_600_000).toISOString();
    const id = ulidAt(publishedMs, random);
    // A third are opinion pieces (the opinion disclaimer attaches by type), in the Opinion section.
    const type: ArticleRow['type'] = i % 3 === 0 ? 'opinion' : pick(random, ['news', 'news', 'analysis', 'feature'] as const);
    const section = type === 'opinion' ? input.opinionSectionId : pick(random, input.newsSectionIds);
    const title = headline(random);
    const slug = `${slugify(title, 90)}-${i + 1}`;

    // Two external images: the hero and one image block, each with caption, credit and alt text.
    const media = [0, 1].map((k) => {
      const mid = ulidAt(publishedMs - 3_600_000 + k, random);
      const caption = sentence(random, 8, 16);
      const credit = `${personName(random)}/Agency`;
      const [w, h] = k === 0 ? [1600, 900] : [1200, 800];
      out.media.push([mid, `https://images.example.com/archive/${mid}.jpg`, w!, h!, sentence(random, 6, 10).slice(0, -1), JSON.stringify([{ type: 'text', text: caption }]), caption, credit, credit.split('/')[0]!, `© ${credit}`, createdAt, createdAt]);
      return { id: mid, caption };
    });

    // About 600 words: paragraphs of 45-75 words, the image after the third, a sub-heading after the fifth.
    const body: Block[] = [];
    const target = 540 + Math.floor(random() * 120);
    let words = 0;
    let p = 0;
    while (words < target) {
      const text = paragraph(random, Math.min(45 + Math.floor(random() * 31), Math.max(20, target - words)));
      words += text.split(' ').length;
      body.push({ type: 'paragraph', id: `p${++p}`, children: [{ type: 'text', text }] });
      if (p === 3) body.push({ type: 'image', id: 'img-1', mediaId: media[1]!.id, layout: 'wide' });
      if (p === 5) body.push({ type: 'heading', id: 'h-1', level: 2, children: [{ type: 'text', text: titleCase(headline(random).split(' ').slice(0, 4).join(' ').toLowerCase()) }] });
    }
    const hero = { mediaId: media[0]!.id };
    const derived = derive(body, null);
    const captions = articleCaptions({ hero, body }, new Map(media.map((m) => [m.id, m.caption])));

    const row: ArticleRow = {
      id, slug, headline: title, standfirst: sentence(random, 18, 30),
      kicker: random() < 0.2 ? titleCase(pick(random, ['analysis', 'exclusive', 'explainer', 'live', 'interview'])) : null,
      type, status: 'published', body, hero, sectionId: section, bylineOverride: null, language: 'en', canonicalUrl: null, seo: null,
      commentsMode: 'open', source: null, revision: 1, createdAt, updatedAt: publishedAt, firstPublishedAt: publishedAt, publishedAt,
      contentUpdatedAt: null, deletedAt: null, plainText: derived.plainText, captions, wordCount: derived.wordCount,
      readingTimeMinutes: derived.readingTimeMinutes, excerpt: derived.excerpt,
    };
    out.articles.push([
      id, slug, row.headline, row.standfirst, row.kicker, type, JSON.stringify(body), JSON.stringify(hero), section,
      createdAt, publishedAt, publishedAt, publishedAt, row.plainText, captions, row.wordCount, row.readingTimeMinutes, row.excerpt,
    ]);
    out.uses.push([id, 'hero', media[0]!.id], [id, 'img-1', media[1]!.id]);

    // 2-4 tags, popular ones more often (the product of two draws skews toward the start of the list).
    const tagCount = 2 + Math.floor(random() * 3);
    const chosen = new Set<string>();
    while (chosen.size < tagCount) chosen.add(input.tagIds[Math.floor(random() * random() * input.tagIds.length)]!);
    [...chosen].forEach((tag, pos) => out.tags.push([id, tag, pos]));
    const authors: AuthorRef[] = [{ authorId: pick(random, input.authorIds), role: 'author' }];
    if (random() < 0.2) {
      const second = pick(random, input.authorIds);
      if (second !== authors[0]!.authorId) authors.push({ authorId: second, role: 'author' });
    }
    authors.forEach((a, pos) => out.authors.push([id, a.authorId, pos]));
    out.revisions.push([id, publishedAt, JSON.stringify(toArticle(row, [...chosen], authors, input.siteUrl, publishedAt))]);
    out.ids.push(id);
    out.publishedAts.push(publishedAt);
  }

  return (start: number, size: number): Batch => {
    const out: Batch = { start, articles: [], media: [], uses: [], tags: [], authors: [], revisions: [], ids: [], publishedAts: [] };
    for (let i = start; i < Math.min(n, start + size); i++) article(i, out);
    return out;
  };
}

// Worker entry: answers each { start, size } with the batch's rows.
if (parentPort && workerData?.generator) {
  const generate = createGenerator(workerData.generator as GeneratorInput);
  const port = parentPort;
  port.on('message', (msg: { start: number; size: number }) => port.postMessage(generate(msg.start, msg.size)));
}
