import type { FastifyInstance } from 'fastify';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Block } from '../content/blocks.js';
import { parseDemoColumn } from './demo-column.js';

/** An illustrative stand-in for the agency photo (the fixture names it; its bytes are not ours to ship). */
export const demoPhotoPath = fileURLToPath(new URL('../../fixtures/demo/panmunjom.jpg', import.meta.url));

export const DEMO_PUBLISHED_AT = '2018-01-10T09:00:00.000Z';
const QUOTE_SPEAKER = 'Kazakhstan’s Permanent Representative to the UN';

/**
 * Loads the reference column as a published opinion article, through the same services the API uses.
 * Runs only on an empty database, so restarts never duplicate it.
 */
export async function seedDemoIfEmpty(app: FastifyInstance): Promise<boolean> {
  const s = app.services;
  const system = null;
  if ((await s.articles.list({ limit: 1, sort: '-publishedAt' }, { anonymous: false, now: app.clock().toISOString() })).total > 0) return false;

  const column = parseDemoColumn();
  const section = await s.sections.create({ name: 'Opinion', slug: 'opinion' });
  const author = await s.authors.create({ name: 'Guest Columnist', slug: 'guest-columnist', bio: 'Columns by guest contributors.' });
  const tagIds: string[] = [];
  for (const name of ['Korean Peninsula', 'Russia', 'United Nations']) tagIds.push((await s.tags.create({ name })).id);

  await s.disclaimers.create({
    key: 'opinion-views', kind: 'disclaimer', body: [{ type: 'text', text: column.disclaimer }],
    placements: ['top', 'bottom'], appliesTo: { types: ['opinion'] }, active: true,
  });

  const staged = await s.media.stage(createReadStream(demoPhotoPath), app.config.mediaMaxBytes);
  const photo = await s.media.finishUpload(staged, 'panmunjom.jpg', {
    altText: 'A North Korean delegate is greeted by a South Korean official at the border in Panmunjom',
    caption: [{ type: 'text', text: column.caption }],
    creditText: column.credit.replace(/^©\s*/, ''),
    copyrightNotice: `© ${column.credit.replace(/^©\s*/, '')}`,
    source: { name: 'Reuters', category: 'wires' },
    focalPoint: { x: 0.5, y: 0.6 },
  });

  // The two related articles the column ends with, as short published articles of their own.
  const related = [];
  for (const [i, headline] of column.related.entries()) {
    const a = await s.articles.create({
      headline, type: 'news', body: [{ type: 'paragraph', id: 'p1', children: [{ type: 'text', text: 'A short demo article that the reference column links to as related reading.' }] }],
      tagIds: [], authors: [], language: 'en', commentsMode: 'open',
    }, system);
    await s.articles.publish(a.id, new Date(Date.parse(DEMO_PUBLISHED_AT) - (i + 1) * 86_400_000).toISOString(), system);
    related.push(a);
  }

  const body: Block[] = [];
  column.paragraphs.forEach((text, i) => {
    body.push({ type: 'paragraph', id: `p${i + 1}`, children: [{ type: 'text', text }] });
    if (i === column.imageAfter) {
      body.push({ type: 'image', id: 'photo-panmunjom', mediaId: photo.id, layout: 'wide' });
    }
    if (i === column.quote.after) {
      body.push({
        type: 'blockquote', id: 'quote-unsc',
        children: [{ type: 'paragraph', id: 'quote-unsc-p1', children: [{ type: 'text', text: column.quote.text }] }],
        attribution: { name: QUOTE_SPEAKER },
      });
    }
  });

  const article = await s.articles.create({
    headline: column.headline,
    standfirst: column.standfirst,
    type: 'opinion',
    body,
    sectionId: section.id,
    tagIds,
    authors: [{ authorId: author.id, role: 'author' }],
    language: 'en',
    commentsMode: 'open',
    source: { name: 'TASS' },
  }, system);
  await s.relatedLinks.replaceAll(article.id, related.map((r) => ({ targetArticleId: r.id })), system);
  await s.articles.publish(article.id, DEMO_PUBLISHED_AT, system);
  app.log.info({ slug: article.slug }, 'loaded the demo column');
  return true;
}
