import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { seedDemoIfEmpty } from '../../src/cli/seed.js';
import { parseDemoColumn } from '../../src/cli/demo-column.js';
import { build } from '../helper.js';

const EXAMPLE = fileURLToPath(new URL('../../docs/examples/demo-column-include-all.json', import.meta.url));
const SLUG = 'as-north-and-south-meet-putin-likely-to-lead-mediation-efforts-to-resolve-korean-crisis';

/** Ids are random ULIDs: number them in order of appearance so the example is stable. */
function normalize(text: string): string {
  const ids = new Map<string, string>();
  return text.replace(/\b[0-9A-HJKMNP-TV-Z]{26}\b/g, (id) => {
    if (!ids.has(id)) ids.set(id, `<id-${ids.size + 1}>`);
    return ids.get(id)!;
  });
}

t.test('the demo column: the reference content, complete, in one anonymous request', async (t) => {
  const { app, req, clock } = await build(t);
  clock.set('2026-01-15T12:00:00.000Z');
  t.equal(await seedDemoIfEmpty(app), true);
  t.equal(await seedDemoIfEmpty(app), false, 'a second start does not seed again');

  const res = await req({ method: 'GET', url: `/v1/articles/by-slug/${SLUG}?include=all` });
  t.equal(res.status, 200);
  const a = res.body;
  const column = parseDemoColumn();
  t.match(a, {
    type: 'opinion', status: 'published', commentsMode: 'open', source: { name: 'TASS' },
    headline: 'As North and South meet, Putin likely to lead mediation efforts to resolve Korean crisis',
    standfirst: 'Talks signify new hopes for the de-escalation of tensions in East Asia; Russia’s role as a leading state continues to grow',
  });
  t.same(a.body.slice(0, 3).map((b: any) => b.type), ['paragraph', 'paragraph', 'image'], 'the photo stands after the second paragraph');
  const photo = a.body[2];
  t.equal(photo.display.credit, 'Korea Pool / Reuters');
  t.equal(photo.media.copyrightNotice, '© Korea Pool / Reuters');
  t.match(photo.display.caption[0].text, /^Head of North Korean delegation, Ri Son Gwon,.*January 9, 2018\.$/);
  const quote = a.body.find((b: any) => b.type === 'blockquote');
  t.equal(quote.attribution.name, 'Kazakhstan’s Permanent Representative to the UN');
  t.match(quote.children[0].children[0].text, /^Members of the Security Council welcomed/);
  t.equal(a.body.filter((b: any) => b.type === 'paragraph').length, column.paragraphs.length);
  t.equal(a.disclaimers.top.length, 1);
  t.equal(a.disclaimers.top[0].id, a.disclaimers.bottom[0].id, 'one notice in two slots');
  t.equal(a.disclaimers.top[0].body[0].text, column.disclaimer);
  t.same(a.related.map((r: any) => r.target.headline), column.related, 'the two related articles, in order');
  t.same(a.authors.map((x: any) => x.author.name), ['Guest Columnist']);
  for (const chrome of ['What do you think?', 'Notify of', 'Inline Feedbacks', 'View all comments']) {
    t.notOk(res.raw.includes(chrome), `the comment widget line "${chrome}" is not content`);
  }
  t.notOk(JSON.stringify(a.body).includes('expressed in this column'), 'the disclaimer is not body text');

  const ld = await req({ method: 'GET', url: `/v1/articles/${a.id}/jsonld` });
  t.match(ld.body, { '@type': 'OpinionNewsArticle', image: [{ creditText: 'Korea Pool / Reuters', copyrightNotice: '© Korea Pool / Reuters' }], author: [{ name: 'Guest Columnist' }] });

  const file = await app.inject({ method: 'GET', url: new URL(photo.media.url).pathname });
  t.equal(file.statusCode, 200, 'the photo is served anonymously');
  t.equal(file.headers['content-type'], 'image/jpeg');

  const text = `${normalize(JSON.stringify(a, null, 2))}\n`;
  if (process.env.UPDATE_EXAMPLES === '1') writeFileSync(EXAMPLE, text);
  t.ok(text === readFileSync(EXAMPLE, 'utf8'), 'docs/examples/demo-column-include-all.json is current (UPDATE_EXAMPLES=1 npm test -- test/app/demo.test.ts rewrites it)');
});
