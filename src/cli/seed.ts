import type { FastifyInstance } from 'fastify';
import type { Block } from '../content/blocks.js';
import { parseDemoColumn } from './demo-column.js';

export const DEMO_PUBLISHED_AT = '2018-01-10T09:00:00.000Z';
const QUOTE_SPEAKER = 'Kazakhstan’s Permanent Representative to the UN';

/**
 * Loads the reference column as a published opinion article, through the same services the API uses.
 * Runs only on an empty database, so restarts never duplicate it.
 */
export async function seedDemoIfEmpty(app: FastifyInstance): Promise<boolean> {
  const s = app.services;
  const system = null;
  if (s.articles.list({ limit: 1, sort: '-publishedAt' }, { anonymous: false, now: app.clock().toISOString() }).total > 0) return false;

  const column = parseDemoColumn();
  const section = s.sections.create({ name: 'Opinion', slug: 'opinion' });
  const author = s.authors.create({ name: 'Guest Columnist', slug: 'guest-columnist', bio: 'Columns by guest contributors.' });
  const tagIds = ['Korean Peninsula', 'Russia', 'United Nations'].map((name) => s.tags.create({ name }).id);

  const body: Block[] = [];
  column.paragraphs.forEach((text, i) => {
    body.push({ type: 'paragraph', id: `p${i + 1}`, children: [{ type: 'text', text }] });
    if (i === column.quote.after) {
      body.push({
        type: 'blockquote', id: 'quote-unsc',
        children: [{ type: 'paragraph', id: 'quote-unsc-p1', children: [{ type: 'text', text: column.quote.text }] }],
        attribution: { name: QUOTE_SPEAKER },
      });
    }
  });

  const article = s.articles.create({
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
  s.articles.publish(article.id, DEMO_PUBLISHED_AT, system);
  app.log.info({ slug: article.slug }, 'loaded the demo column');
  return true;
}
