/**
 * Browser test of the example front end (examples/frontend) and of the API's own Swagger UI, in a real Chromium
 * driven by playwright-core. `npm run test:browser` runs it; `npm test` does not (its tap include is
 * test/**\/*.test.ts).
 *
 * Broadsheet listens on 127.0.0.1 in this process, on a temporary database and media directory, with the demo
 * column loaded the way `npm start` loads it on an empty database (`seedDemoIfEmpty`); `API_URL` is the
 * listening address (media URLs) and `SITE_URL` the front end's (canonical URLs). The front end is started
 * against it with `startFrontend`. Expected texts (disclaimer, caption, credit, related headlines) are read from
 * the API, not written here. Screenshots go to docs/screenshots/.
 */
import type { FastifyInstance } from 'fastify';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import t from 'tap';
import { createBroadsheetClient, type Article } from '../../clients/typescript/src/index.js';
import { escapeHtml, jsonLdScript, safeUrl } from '../../examples/frontend/src/html.js';
import { startFrontend, type Frontend } from '../../examples/frontend/src/server.js';
import { buildApp } from '../../src/app.js';
import { seedDemoIfEmpty } from '../../src/cli/seed.js';
import { loadConfig } from '../../src/config.js';
import { freePort, NO_PROTECTIONS, within } from '../hardening/server-process.js';

t.setTimeout(170_000);

const SCREENSHOTS = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const STEP_MS = 20_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

const dir = mkdtempSync(join(tmpdir(), 'bs-browser-'));
const mediaDir = join(dir, 'media');
mkdirSync(mediaDir);
mkdirSync(SCREENSHOTS, { recursive: true });

const frontendLog: string[] = [];
let app: FastifyInstance | undefined;
let frontend: Frontend;
let apiUrl: string;
let browser: Browser | undefined;
const closers: (() => Promise<unknown>)[] = [];

t.teardown(async () => {
  // Each closer bounded, so a stuck browser cannot hold the run past tap's timeout.
  const all = [...closers, () => browser?.close(), () => frontend?.close(), () => app?.close()];
  for (const close of all) {
    await within(Promise.resolve(close()), 15_000, 'teardown').catch((e: unknown) => t.comment(`teardown: ${String(e)}`));
  }
  rmSync(dir, { recursive: true, force: true });
  if (frontendLog.some((l) => /failure|unexpected/.test(l))) t.comment(frontendLog.join('\n'));
});

/** What the pages must show, read from the API (through the typed client). */
type Expected = {
  column: Article;
  disclaimerText: string;
  caption: string;
  credit: string;
  alt: string;
  related: NonNullable<NonNullable<Article['related']>[number]['target']>[];
};
let expected: Expected;

t.before(async () => {
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  // Two articles a page, so the three demo articles make the home page paginate.
  frontend = await startFrontend({ apiUrl, pageSize: 2, log: (line) => frontendLog.push(line) });

  app = await buildApp(loadConfig({
    DATABASE_URL: `file:${join(dir, 'broadsheet.db')}`, MEDIA_DIR: mediaDir, API_URL: apiUrl, SITE_URL: frontend.url,
    SEED_DEMO: 'true', LOG_LEVEL: 'error', ...NO_PROTECTIONS,
  }));
  if (!await seedDemoIfEmpty(app)) throw new Error('the demo column was not loaded');
  await app.listen({ port: apiPort, host: '127.0.0.1' });

  const bs = createBroadsheetClient({ baseUrl: apiUrl });
  const opinion = await bs.articles.list({ type: 'opinion', limit: 2 });
  if (opinion.data.length !== 1) throw new Error(`expected the demo column as the one opinion article, got ${opinion.data.length}`);
  const column = await bs.articles.getBySlug(opinion.data[0]!.slug, { include: ['all'] });
  const imageBlock = column.body.find((b) => b.type === 'image');
  if (!imageBlock || !('display' in imageBlock)) throw new Error('the demo column has no expanded image block');
  expected = {
    column,
    disclaimerText: inlineText(column.disclaimers?.top[0]?.body),
    caption: inlineText(imageBlock.display.caption),
    credit: imageBlock.display.credit ?? '',
    alt: imageBlock.display.alt,
    related: (column.related ?? []).flatMap((r) => (r.target ? [r.target] : [])),
  };

  browser = await within(chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  }), 70_000, 'chromium to launch');
});

t.test('the demo column as the API answers it', async (t) => {
  const { column, disclaimerText, caption, credit, alt, related } = expected;
  t.equal(column.type, 'opinion');
  t.ok(disclaimerText.length > 40, 'the column has a top disclaimer');
  t.same(column.disclaimers?.bottom.map((d) => d.id), column.disclaimers?.top.map((d) => d.id), 'the same disclaimer is placed at the bottom');
  t.ok(caption && credit && alt, 'its image has a caption, a credit and alt text');
  t.equal(related.length, 2, 'it has two related articles');
});

/** A fresh page (own context) that records every request URL it makes. */
async function openPage(): Promise<{ page: Page; requests: string[] }> {
  const context = await browser!.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'en-GB' });
  closers.push(() => context.close());
  // Tests run under tsx (esbuild keepNames): functions handed to page.evaluate carry calls to its `__name`
  // helper, which the page does not have.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.setDefaultNavigationTimeout(STEP_MS);
  const requests: string[] = [];
  page.on('request', (r) => { requests.push(r.url()); });
  return { page, requests };
}

function outsideRequests(urls: string[]): string[] {
  return urls.filter((u) => {
    const url = new URL(u);
    if (url.protocol === 'data:' || url.protocol === 'blob:' || url.protocol === 'about:') return false;
    return !LOCAL_HOSTS.has(url.hostname);
  });
}

/** Scrolls every image into view and waits until each has loaded (they are lazy), so screenshots show them. */
async function loadImages(page: Page) {
  const images = page.locator('main img');
  for (let i = 0; i < await images.count(); i++) {
    const image = images.nth(i);
    await image.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await image.elementHandle(), { timeout: STEP_MS });
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

t.test('the demo column page', async (t) => {
  const { column, disclaimerText, caption, credit, alt, related } = expected;
  const { page, requests } = await openPage();
  const res = await page.goto(`${frontend.url}/articles/${column.slug}`);
  t.equal(res?.status(), 200, 'the article page answers 200');
  t.equal(await page.locator('h1').textContent(), column.headline, 'h1 is the headline');
  t.match(await page.title(), column.headline, '<title> carries the headline');
  t.equal(await page.locator('head link[rel=canonical]').getAttribute('href'), column.url, 'canonical is the article URL (SITE_URL = the front end)');
  t.equal(column.url, `${frontend.url}/articles/${column.slug}`);
  t.ok(await page.locator('head meta[name=description]').getAttribute('content'), 'meta description');
  t.match(await page.locator('.standfirst').textContent(), column.standfirst ?? '', 'standfirst');
  t.match(await page.locator('.byline').textContent(), /By Guest Columnist/, 'byline from the authors');

  // The disclaimer: exactly twice in the page, one before the body and one after it.
  const text = await page.locator('body').innerText();
  t.equal(text.split(disclaimerText).length - 1, 2, 'the disclaimer text appears exactly twice');
  const order = await page.evaluate(() => {
    const top = document.querySelector('.disclaimer[data-slot=top]');
    const body = document.querySelector('.body');
    const bottom = document.querySelector('.disclaimer[data-slot=bottom]');
    if (!top || !body || !bottom) return 'missing';
    const before = (a: Node, b: Node) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    return before(top, body) && before(body, bottom) ? 'top, body, bottom' : 'wrong order';
  });
  t.equal(order, 'top, body, bottom', 'the top slot precedes the body, the bottom slot follows it');

  // The image: caption and credit in the figcaption directly under it.
  const fig = page.locator('figure', { has: page.locator(`img[alt="${alt.replace(/"/g, '\\"')}"]`) });
  t.equal(await fig.count(), 1, 'one figure holds the image (found by its alt text)');
  const img = fig.locator('img');
  await img.scrollIntoViewIfNeeded();
  await page.waitForFunction((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0, await img.elementHandle());
  t.ok(await img.getAttribute('srcset'), 'the image has a srcset from the renditions');
  t.equal(await img.evaluate((el) => el.nextElementSibling?.tagName), 'FIGCAPTION', 'the figcaption directly follows the image');
  const figcaption = fig.locator('figcaption');
  const captionText = (await figcaption.innerText()).replace(/\s+/g, ' ');
  t.ok(captionText.includes(caption), 'the figcaption has the caption');
  t.ok(captionText.toLowerCase().includes(credit.toLowerCase()), 'the figcaption has the credit');
  t.equal(await figcaption.locator('.credit').textContent(), credit, 'the credit is marked up as such');
  const [imgBox, capBox] = [await img.boundingBox(), await figcaption.boundingBox()];
  t.ok(imgBox && capBox && capBox.y >= imgBox.y + imgBox.height - 1 && capBox.y - (imgBox.y + imgBox.height) < 40, 'the caption is rendered right under the image');

  // JSON-LD in the head.
  const ld = page.locator('head script[type="application/ld+json"]');
  t.equal(await ld.count(), 1, 'one JSON-LD script in the head');
  const jsonLd = JSON.parse((await ld.textContent()) ?? 'null') as Record<string, unknown>;
  t.equal(jsonLd.headline, column.headline, 'the JSON-LD parses and carries the headline');
  t.match(String(jsonLd['@type']), /NewsArticle/, 'a schema.org (Opinion)NewsArticle');

  await loadImages(page);
  await page.screenshot({ path: join(SCREENSHOTS, 'frontend-article.png'), fullPage: true });

  // The related links navigate to the related articles, and back.
  for (const target of related) {
    const link = page.locator('.related a', { hasText: target.headline });
    t.equal(await link.getAttribute('href'), `/articles/${target.slug}`, `related link to ${target.slug} stays on this site`);
    await Promise.all([page.waitForURL(`${frontend.url}/articles/${target.slug}`), link.click()]);
    t.equal(await page.locator('h1').textContent(), target.headline, `the related page's h1 is "${target.headline}"`);
    await page.goBack();
    await page.waitForURL(`${frontend.url}/articles/${column.slug}`);
    t.equal(await page.locator('h1').textContent(), column.headline, 'back on the column');
  }
  t.same(outsideRequests(requests), [], 'no request left 127.0.0.1');
  t.ok(requests.some((u) => u.startsWith(`${apiUrl}/v1/media/`)), 'the pictures come from the API');
});

t.test('home, section and error pages', async (t) => {
  const { column, alt, related } = expected;
  const { page, requests } = await openPage();
  const res = await page.goto(frontend.url);
  t.equal(res?.status(), 200);
  const headlines = await page.locator('.cards h2 a').allTextContents();
  t.same(headlines, [column.headline, related[0]!.headline], 'the latest two articles, newest first');
  t.equal(await page.locator('.cards h2 a').first().getAttribute('href'), `/articles/${column.slug}`, 'headlines link to the article pages');
  t.equal(await page.locator('.cards img').first().getAttribute('alt'), alt, 'the thumbnail has its alt text');
  t.match(await page.locator('.cards .label').first().textContent(), 'Opinion', 'the section is shown');
  t.match(await page.locator('.cards time').first().textContent(), /10 January 2018/, 'the date is shown');
  await loadImages(page);
  await page.screenshot({ path: join(SCREENSHOTS, 'frontend-home.png'), fullPage: true });

  // Cursor pagination: the third article is on the next page.
  await Promise.all([page.waitForURL(/\?cursor=/), page.locator('a[rel=next]').click()]);
  t.same(await page.locator('.cards h2 a').allTextContents(), [related[1]!.headline], 'the older page has the third article');
  t.equal(await page.locator('a[rel=next]').count(), 0, 'and no further page');

  const section = await page.goto(`${frontend.url}/sections/opinion`);
  t.equal(section?.status(), 200);
  t.equal(await page.locator('h1').textContent(), 'Opinion', 'the section page is titled with its name');
  t.same(await page.locator('.cards h2 a').allTextContents(), [column.headline], 'the section lists its article');

  for (const path of ['/articles/no-such-article', '/sections/no-such-section', '/nowhere', '/articles/NOT%20A%20SLUG']) {
    const missing = await page.goto(`${frontend.url}${path}`);
    t.equal(missing?.status(), 404, `${path} is a 404`);
    t.equal(await page.locator('h1').textContent(), 'Page not found', `${path} shows the 404 page`);
  }
  const bad = await page.goto(`${frontend.url}/?cursor=not-a-cursor`);
  t.equal(bad?.status(), 400, 'a malformed cursor is the 400 page, not a 502');
  t.same(outsideRequests(requests), [], 'no request left 127.0.0.1');
});

t.test('a failing API is a 502 page', async (t) => {
  const { column } = expected;
  const closedPort = await freePort();
  const broken = await startFrontend({ apiUrl: `http://127.0.0.1:${closedPort}`, apiTimeoutMs: 2_000 });
  t.teardown(() => broken.close());
  for (const path of ['/', `/articles/${column.slug}`, '/sections/opinion']) {
    const res = await fetch(`${broken.url}${path}`, { signal: AbortSignal.timeout(STEP_MS) });
    t.equal(res.status, 502, `${path} answers 502 when the API is down`);
    t.match(await res.text(), /The news service is unavailable/);
  }
});

t.test("the API's Swagger UI at /docs", async (t) => {
  const { page, requests } = await openPage();
  const res = await page.goto(`${apiUrl}/docs`);
  t.equal(res?.status(), 200, '/docs answers 200');
  const op = page.locator('#operations-articles-listArticles');
  // Swagger UI renders the whole document (70 operations) in the page: slow on a busy machine.
  await op.waitFor({ state: 'visible', timeout: 60_000 });
  t.match(await op.locator('.opblock-summary-path').textContent(), '/v1/articles', 'the GET /v1/articles operation is listed');
  t.ok(await page.locator('.opblock').count() > 50, 'the operations list is rendered');

  await op.locator('.opblock-summary').first().click();
  await op.getByRole('button', { name: 'Try it out' }).click();
  // "Try it out" pre-fills each filter with its example value from the spec (section=korea-crisis, ...), which
  // matches nothing in the demo data: clear them, so the live answer lists the demo articles.
  for (const name of ['section', 'tag', 'author', 'publishedAfter', 'publishedBefore', 'q', 'cursor', 'include']) {
    const input = op.locator(`tr[data-param-name="${name}"] input`);
    if (await input.count() === 1) await input.fill('');
  }
  await op.locator('tr[data-param-name="limit"] input').fill('3');
  await op.getByRole('button', { name: 'Execute' }).click();
  const status = op.locator('.live-responses-table .response .response-col_status').first();
  await status.waitFor({ state: 'visible', timeout: 60_000 });
  t.equal((await status.textContent())?.trim(), '200', 'the live response shown is 200');
  const listed = await page.waitForFunction(
    ([el, headline]) => (el as Element).textContent?.includes(headline as string) ?? false,
    [await op.locator('.live-responses-table').first().elementHandle(), expected.column.headline] as const,
  ).then(() => true, () => false);
  t.ok(listed, 'the live response body lists the demo column');
  t.ok(requests.some((u) => u.startsWith(`${apiUrl}/v1/articles`)), 'Execute called the API on this server');

  // The page top with the expanded operation, then the live answer (request URL, code 200, body).
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SCREENSHOTS, 'api-docs.png') });
  await op.locator('.request-url').evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(SCREENSHOTS, 'api-docs-response.png') });
  t.same(outsideRequests(requests), [], 'Swagger UI made no request outside 127.0.0.1');
});

t.test('the front end escapes what it interpolates', async (t) => {
  t.equal(escapeHtml(`<img src=x onerror="a('b')">&`), '&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;');
  const script = jsonLdScript({ headline: '</script><script>alert(1)</script><!--', n: 1 });
  t.equal(script.match(/<\/script>/gi)?.length, 1, 'a value cannot close the JSON-LD script');
  t.notMatch(script, /<!--/);
  t.same(JSON.parse(script.replace(/^<script[^>]*>|<\/script>$/g, '')), { headline: '</script><script>alert(1)</script><!--', n: 1 }, 'the JSON is unchanged');
  t.equal(safeUrl('javascript:alert(1)'), undefined);
  t.equal(safeUrl('//evil.example/x'), undefined);
  t.equal(safeUrl('https://example.com/a?b=1'), 'https://example.com/a?b=1');
});

function inlineText(nodes: readonly { type: string; text?: string; children?: { text: string }[] }[] | null | undefined): string {
  return (nodes ?? []).map((n) => n.text ?? n.children?.map((c) => c.text).join('') ?? ' ').join('');
}
