import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { createMediaStore } from '../../src/modules/media/storage.js';
import { build, multipart, para, type TestApp } from '../helper.js';


const BACKGROUND = { r: 40, g: 80, b: 160 };
const RED = { r: 255, g: 0, b: 0 };

/** 1600x1000 PNG, blue, with a red 120x120 block centred on (1000, 500): the focal point (0.625, 0.5). */
const photo = () =>
  sharp({ create: { width: 1600, height: 1000, channels: 3, background: BACKGROUND } })
    .composite([{ input: { create: { width: 120, height: 120, channels: 3, background: RED } }, left: 940, top: 440 }])
    .png()
    .toBuffer();

async function upload({ req, editor }: TestApp, data: Buffer, focalPoint?: { x: number; y: number }) {
  const up = multipart([
    { name: 'file', filename: 'photo.png', type: 'image/png', data },
    { name: 'creditText', value: 'Staff' },
    ...(focalPoint ? [{ name: 'focalPoint', value: JSON.stringify(focalPoint) }] : []),
  ]);
  const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload });
  if (res.status !== 201) throw new Error(res.raw);
  return res.body as { id: string; sha256: string; url: string; renditions: { width: number; height: number; url: string }[] };
}

const pixel = async (img: Buffer, x: number, y: number) => {
  const [r, g, b] = await sharp(img).extract({ left: x, top: y, width: 1, height: 1 }).removeAlpha().raw().toBuffer();
  return { r, g, b };
};
const filesIn = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => join(d.parentPath, d.name)) : []);

t.test('renditions: real images of the asked width and format, cropped around the focal point', async (t) => {
  const ctx = await build(t);
  const { app, editor } = ctx;
  const original = await photo();
  const m = await upload(ctx, original, { x: 0.625, y: 0.5 });
  const file = (qs: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: `/v1/media/${m.id}/file${qs}`, headers: { ...editor, ...headers } });

  const plain = await file('');
  t.ok(plain.rawPayload.equals(original), 'no parameters: the original bytes, as before');
  t.equal(plain.headers.etag, `"${m.sha256}"`);
  t.equal(plain.headers['accept-ranges'], 'bytes');

  const webp = await file('?w=640&format=webp');
  t.equal(webp.statusCode, 200, webp.body.slice(0, 300));
  t.equal(webp.headers['content-type'], 'image/webp');
  t.equal(Number(webp.headers['content-length']), webp.rawPayload.length);
  t.equal(webp.headers['x-content-type-options'], 'nosniff');
  t.equal(webp.headers['cache-control'], 'private, no-store', 'cached like the original');
  t.match(webp.headers.etag, /^"[0-9a-f]{32}"$/, 'a strong ETag of its own');
  t.not(webp.headers.etag, plain.headers.etag);
  t.notOk(webp.headers['accept-ranges'], 'no Range for renditions');
  t.match(await sharp(webp.rawPayload).metadata(), { format: 'webp', width: 640, height: 400 }, 'a real WebP 640 wide');

  const square = await file('?w=320&h=320&fit=cover');
  t.equal(square.headers['content-type'], 'image/png', 'the original\'s format by default');
  t.match(await sharp(square.rawPayload).metadata(), { format: 'png', width: 320, height: 320 });
  t.same(await pixel(square.rawPayload, 160, 160), RED, 'the focal block is at the centre of the crop');
  t.same(await pixel(square.rawPayload, 5, 5), BACKGROUND);

  const jpeg = await file('?w=320&h=180&format=jpeg&q=60');
  t.match(await sharp(jpeg.rawPayload).metadata(), { format: 'jpeg', width: 320, height: 180 });
  const contain = await file('?w=640&h=640&fit=contain');
  t.match(await sharp(contain.rawPayload).metadata(), { width: 640, height: 400 }, 'contain fits inside the box, no padding');
  const wide = await file('?w=1920');
  t.match(await sharp(wide.rawPayload).metadata(), { width: 1600, height: 1000 }, 'never upscaled');

  const avif = await file('?w=640&format=auto', { accept: 'image/avif,image/webp,*/*;q=0.8' });
  t.equal(avif.headers['content-type'], 'image/avif');
  t.match(await sharp(avif.rawPayload).metadata(), { format: 'heif', compression: 'av1', width: 640 }, 'a real AVIF');
  t.match(String(avif.headers.vary), /(^|, )Accept($|,)/, 'Vary: Accept');
  t.match(String(avif.headers.vary), /Authorization/, 'the app-wide Vary is kept');
  const webpAuto = await file('?w=640&format=auto', { accept: 'image/webp,*/*' });
  t.equal(webpAuto.headers['content-type'], 'image/webp');
  const fallback = await file('?w=640&format=auto', { accept: '*/*' });
  t.equal(fallback.headers['content-type'], 'image/png', 'no AVIF or WebP in Accept: the original format');
  t.not(fallback.headers.etag, webpAuto.headers.etag, 'the ETag follows the negotiated format');
  t.notMatch(String(webp.headers.vary ?? ''), /Accept(,|$)/, 'an explicit format does not vary on Accept');

  const cached = await file('?w=640&format=webp', { 'if-none-match': String(webp.headers.etag) });
  t.equal(cached.statusCode, 304);
  t.equal(cached.rawPayload.length, 0);
  t.equal((await file('?w=640&format=webp', { 'if-none-match': `W/${String(webp.headers.etag)}` })).statusCode, 304, 'weak comparison');
  t.equal((await file('?w=320&format=webp', { 'if-none-match': String(webp.headers.etag) })).statusCode, 200, 'another rendition, another ETag');
});

t.test('renditions: parameters are validated against the allow-list', async (t) => {
  const ctx = await build(t);
  const m = await upload(ctx, await photo());
  const get = (qs: string) => ctx.req({ method: 'GET', url: `/v1/media/${m.id}/file${qs}`, headers: ctx.editor });
  for (const [qs, pointer] of [
    ['?w=500', '/query/w'],
    ['?w=5000', '/query/w'],
    ['?w=abc', '/query/w'],
    ['?h=320', '/query/w'],
    ['?format=webp', '/query/w'],
    ['?w=320&h=700', '/query/h'],
    ['?w=1920&h=200', '/query/h'],
    ['?w=320&h=8', '/query/h'],
    ['?w=320&q=10', '/query/q'],
    ['?w=320&format=gif', '/query/format'],
    ['?w=320&fit=fill', '/query/fit'],
    ['?w=320&width=100', '/query/width'],
  ] as const) {
    const res = await get(qs);
    t.equal(res.status, 400, `${qs} → 400`);
    t.equal(res.body?.errors?.[0]?.pointer, pointer, `${qs} → ${pointer}`);
  }
  t.equal((await get('?w=1280&h=2560')).status, 200, 'h = 2w is allowed');
  t.equal((await get('?w=320&h=64')).status, 200, 'h = w/5 is allowed');

  const allowed = await build(t, { renditionWidths: [100, 200] });
  const m2 = await upload(allowed, await photo());
  t.equal((await allowed.req({ method: 'GET', url: `/v1/media/${m2.id}/file?w=640`, headers: allowed.editor })).status, 400, 'the allow-list comes from configuration');
  t.equal((await allowed.req({ method: 'GET', url: `/v1/media/${m2.id}/file?w=200`, headers: allowed.editor })).status, 200);

  const ext = await ctx.req({ method: 'POST', url: '/v1/media', headers: ctx.editor, payload: { url: 'https://images.example.org/a.jpg' } });
  t.equal((await ctx.req({ method: 'GET', url: `/v1/media/${ext.body.id}/file?w=320`, headers: ctx.editor })).status, 404, 'external media: 404 as before');
  t.equal((await ctx.req({ method: 'GET', url: `/v1/media/${m.id}/file?w=320` })).status, 404, 'unpublished media stay private');
});

t.test('renditions: cached on disk, safe under concurrency, removed with the media', async (t) => {
  const ctx = await build(t);
  const { app, editor } = ctx;
  const m = await upload(ctx, await photo(), { x: 0.625, y: 0.5 });
  const dir = join(app.config.mediaDir, 'renditions');
  const url = `/v1/media/${m.id}/file?w=960&h=540&fit=cover&format=webp&q=70`;

  const burst = await Promise.all(Array.from({ length: 6 }, () => app.inject({ method: 'GET', url, headers: editor })));
  t.ok(burst.every((r) => r.statusCode === 200 && r.rawPayload.equals(burst[0]!.rawPayload)), 'concurrent requests get the same bytes');
  const files = filesIn(dir);
  t.equal(files.length, 1, 'one cached file, no temp files left');
  t.match(files[0], new RegExp(`renditions/${m.sha256.slice(0, 2)}/${m.sha256}/[0-9a-f]{32}\\.webp$`), 'a generated name under MEDIA_DIR/renditions');
  t.ok(readFileSync(files[0]!).equals(burst[0]!.rawPayload), 'the cached file is what was served');

  // With the original gone, only the cache can answer.
  const originalPath = createMediaStore(app.config.mediaDir).pathOf(m.sha256);
  const originalBytes = readFileSync(originalPath);
  rmSync(originalPath);
  const again = await app.inject({ method: 'GET', url, headers: editor });
  t.equal(again.statusCode, 200);
  t.ok(again.rawPayload.equals(burst[0]!.rawPayload), 'the second request is served from the disk cache, byte for byte');
  t.equal(again.headers.etag, burst[0]!.headers.etag);
  t.equal(Number(again.headers['content-length']), again.rawPayload.length);

  writeFileSync(originalPath, originalBytes);

  const moved = await ctx.req({ method: 'PATCH', url: `/v1/media/${m.id}`, headers: editor, payload: { focalPoint: { x: 0.1, y: 0.1 } } });
  t.equal(moved.status, 200);
  const refocused = await app.inject({ method: 'HEAD', url, headers: { ...editor, 'if-none-match': String(burst[0]!.headers.etag) } });
  t.equal(refocused.statusCode, 200, 'moving the focal point changes the crop, so the old ETag no longer matches');
  t.not(refocused.headers.etag, burst[0]!.headers.etag);

  t.equal((await ctx.req({ method: 'DELETE', url: `/v1/media/${m.id}`, headers: editor })).status, 204);
  t.same(filesIn(dir), [], 'deleting the media deletes its renditions');
});

t.test('renditions in delivery: srcset on expanded media, aspect-ratio crops in JSON-LD', async (t) => {
  const ctx = await build(t);
  const { req, editor, app } = ctx;
  const m = await upload(ctx, await photo(), { x: 0.625, y: 0.5 });
  const base = `http://localhost:3000/v1/media/${m.id}/file`;
  t.same(m.renditions, [
    { width: 320, height: 200, url: `${base}?w=320` },
    { width: 640, height: 400, url: `${base}?w=640` },
    { width: 960, height: 600, url: `${base}?w=960` },
    { width: 1280, height: 800, url: `${base}?w=1280` },
  ], 'one per allowed width up to the original (1600)');
  const ext = await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://images.example.org/a.jpg' } });
  t.same(ext.body.renditions, [], 'external media have no renditions');

  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Photo story', hero: { mediaId: m.id }, body: [para('p', 'Text.'), { type: 'image', id: 'ext', mediaId: ext.body.id }] } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  const read = await req({ method: 'GET', url: `/v1/articles/${a.id}?include=media` });
  t.equal(read.status, 200);
  t.same(read.body.hero.media.renditions.map((r: any) => r.width), [320, 640, 960, 1280]);
  t.match(read.body.hero.media.renditions[1], { width: 640, height: 400, url: `${base}?w=640` });
  t.same(read.body.body[1].media.renditions, []);

  const anon = await app.inject({ method: 'GET', url: new URL(read.body.hero.media.renditions[0].url).pathname + new URL(read.body.hero.media.renditions[0].url).search });
  t.equal(anon.statusCode, 200, 'srcset URLs work anonymously once the media is public');
  t.equal(anon.headers['cache-control'], 'public, max-age=300');
  t.match(await sharp(anon.rawPayload).metadata(), { width: 320, height: 200 });

  const ld = await req({ method: 'GET', url: `/v1/articles/${a.id}/jsonld` });
  t.equal(ld.status, 200);
  const images = ld.body.image as { url: string; width?: number; height?: number; creditText?: string }[];
  t.equal(images.length, 5, 'the upload, its three crops and the external image');
  t.equal(images[0]!.url, base);
  const crops = images.slice(1, 4);
  t.same(crops.map((c) => c.url), [`${base}?w=1280&h=720&fit=cover`, `${base}?w=1280&h=960&fit=cover`, `${base}?w=960&h=960&fit=cover`]);
  t.same(crops.map((c) => c.width! / c.height!), [16 / 9, 4 / 3, 1], '16x9, 4x3 and 1x1');
  t.ok(crops.every((c) => c.creditText === 'Staff'), 'each crop carries the credit');
  for (const c of crops) {
    const res = await app.inject({ method: 'GET', url: new URL(c.url).pathname + new URL(c.url).search });
    t.equal(res.statusCode, 200, `${c.url} is valid`);
    t.match(await sharp(res.rawPayload).metadata(), { width: c.width, height: c.height }, 'and has the advertised size');
  }
  t.equal(images[4]!.url, 'https://images.example.org/a.jpg', 'no crops for external media');
});
