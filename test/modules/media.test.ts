import { readdirSync } from 'node:fs';
import sharp from 'sharp';
import t from 'tap';
import { build, multipart, para } from '../helper.js';


const png = (w: number, h: number) => sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
const filesIn = (dir: string): string[] => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);

t.test('upload: the type comes from the bytes; metadata parts are validated', async (t) => {
  const { req, editor, app } = await build(t);
  const bytes = await png(64, 48);
  const up = multipart([
    { name: 'file', filename: 'photo.jpg', type: 'image/jpeg', data: bytes },
    { name: 'caption', value: 'Delegates at Panmunjom' },
    { name: 'creditText', value: 'Korea Pool / Reuters' },
    { name: 'copyrightNotice', value: '© Korea Pool / Reuters' },
    { name: 'source', value: '{"name":"Reuters","category":"wires"}' },
    { name: 'focalPoint', value: '{"x":0.25,"y":0.75}' },
  ]);
  const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload });
  t.equal(res.status, 201, res.raw);
  t.equal(res.headers.location, `/v1/media/${res.body.id}`);
  t.match(res.body, {
    kind: 'upload', mimeType: 'image/png', width: 64, height: 48, bytes: bytes.length, creditText: 'Korea Pool / Reuters',
    copyrightNotice: '© Korea Pool / Reuters', caption: [{ type: 'text', text: 'Delegates at Panmunjom' }],
    source: { name: 'Reuters', category: 'wires' }, focalPoint: { x: 0.25, y: 0.75 },
  });
  t.match(res.body.sha256, /^[0-9a-f]{64}$/);
  t.equal(res.body.url, `http://localhost:3000/v1/media/${res.body.id}/file`);

  const again = multipart([{ name: 'file', filename: 'copy.png', type: 'image/png', data: bytes }]);
  const second = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...again.headers }, payload: again.payload });
  t.equal(second.body.sha256, res.body.sha256);
  t.same(filesIn(app.config.mediaDir), [res.body.sha256], 'identical bytes are stored once, under a generated name, with no temp file left');

  const html = multipart([{ name: 'file', filename: 'cat.png', type: 'image/png', data: Buffer.from('<!doctype html><script>alert(1)</script>') }]);
  const rejected = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...html.headers }, payload: html.payload });
  t.equal(rejected.status, 415, 'HTML named .png is refused');
  t.equal(rejected.body.errors[0].pointer, '/body/file');
  const svg = multipart([{ name: 'file', filename: 'logo.png', type: 'image/svg+xml', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>') }]);
  t.equal((await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...svg.headers }, payload: svg.payload })).status, 415, 'SVG is refused');

  const badMeta = multipart([{ name: 'file', filename: 'a.png', type: 'image/png', data: bytes }, { name: 'focalPoint', value: '{"x":2,"y":0}' }, { name: 'colour', value: 'red' }]);
  const bad = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...badMeta.headers }, payload: badMeta.payload });
  t.equal(bad.status, 400);
  t.same(bad.body.errors.map((e: any) => e.pointer).sort(), ['/body/colour', '/body/focalPoint/x']);
  const noFile = multipart([{ name: 'caption', value: 'x' }]);
  t.equal((await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...noFile.headers }, payload: noFile.payload })).status, 400);
  t.same(filesIn(app.config.mediaDir), [res.body.sha256], 'refused uploads leave nothing behind');
  t.equal((await req({ method: 'GET', url: '/v1/media', headers: editor })).body.page.total, 2, 'no row for refused uploads');
  t.equal((await req({ method: 'POST', url: '/v1/media', headers: up.headers, payload: up.payload })).status, 401);
});

t.test('upload: the size limit answers 413', async (t) => {
  const { req, editor, app } = await build(t, { mediaMaxBytes: 2048 });
  const big = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#123456' } }).png({ compressionLevel: 0 }).toBuffer();
  const up = multipart([{ name: 'file', filename: 'big.png', type: 'image/png', data: big }]);
  const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload });
  t.equal(res.status, 413);
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.same(filesIn(app.config.mediaDir), [], 'no partial file is kept');
});

t.test('file: exact bytes, ETag, Range, visibility', async (t) => {
  const { req, editor, app } = await build(t);
  const bytes = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#00ff00' } }).jpeg().toBuffer();
  const up = multipart([{ name: 'file', filename: 'x.bin', type: 'application/octet-stream', data: bytes }]);
  const m = (await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload })).body;
  t.equal(m.mimeType, 'image/jpeg', 'sniffed, whatever the client claimed');

  t.equal((await req({ method: 'GET', url: `/v1/media/${m.id}` })).status, 404, 'unused media is not public');
  t.equal((await req({ method: 'GET', url: `/v1/media/${m.id}/file` })).status, 404);
  const file = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: editor });
  t.equal(file.statusCode, 200);
  t.ok(file.rawPayload.equals(bytes), 'the exact uploaded bytes');
  t.equal(file.headers['content-type'], 'image/jpeg');
  t.equal(Number(file.headers['content-length']), bytes.length);
  t.equal(file.headers.etag, `"${m.sha256}"`);
  t.equal(file.headers['x-content-type-options'], 'nosniff');
  t.equal(file.headers['cache-control'], 'private, no-store');

  const range = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: { ...editor, range: 'bytes=0-9' } });
  t.equal(range.statusCode, 206);
  t.equal(range.headers['content-range'], `bytes 0-9/${bytes.length}`);
  t.ok(range.rawPayload.equals(bytes.subarray(0, 10)));
  const suffix = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: { ...editor, range: 'bytes=-5' } });
  t.ok(suffix.rawPayload.equals(bytes.subarray(bytes.length - 5)), 'suffix range');
  const outside = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: { ...editor, range: `bytes=${bytes.length}-` } });
  t.equal(outside.statusCode, 416);
  t.equal(outside.headers['content-range'], `bytes */${bytes.length}`);
  const cached = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: { ...editor, 'if-none-match': `"${m.sha256}"` } });
  t.equal(cached.statusCode, 304);
  t.equal(cached.rawPayload.length, 0);
  t.equal(cached.headers.etag, `"${m.sha256}"`, 'a route\'s own 304 keeps its ETag');
  for (const h of ['content-type', 'content-security-policy', 'cross-origin-resource-policy']) t.notOk(cached.headers[h], `and, like every 304, leaves out ${h}`);

  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'With photo', hero: { mediaId: m.id } } })).body;
  t.equal((await req({ method: 'GET', url: `/v1/media/${m.id}` })).status, 404, 'a draft use does not make it public');
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  t.equal((await req({ method: 'GET', url: `/v1/media/${m.id}` })).status, 200, 'public once a live article uses it');
  const anonFile = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file` });
  t.equal(anonFile.statusCode, 200);
  t.equal(anonFile.headers['cache-control'], 'public, max-age=300');
  for (const bad of ['..%2F..%2Fetc%2Fpasswd', '%2e%2e', 'x'.repeat(65)]) {
    const res = await req({ method: 'GET', url: `/v1/media/${bad}/file` });
    t.ok(res.status === 404 || res.status === 400, `traversal attempt ${bad.slice(0, 20)} → ${res.status}`);
  }
});

t.test('uses: overrides resolve into display; usage; delete protection', async (t) => {
  const { req, editor } = await build(t);
  const ext = await req({ method: 'POST', url: '/v1/media', headers: editor, payload: {
    url: 'https://images.example.org/panmunjom.jpg', altText: 'Delegates shake hands', creditText: 'Korea Pool / Reuters',
    copyrightNotice: '© Korea Pool / Reuters', caption: [{ type: 'text', text: 'Default caption' }],
  } });
  t.equal(ext.status, 201);
  t.match(ext.body, { kind: 'external', url: 'https://images.example.org/panmunjom.jpg', mimeType: null, width: null });
  t.equal((await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'javascript:alert(1)' } })).body.errors[0].pointer, '/body/url');
  const id = ext.body.id;

  const unknown = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'x', hero: { mediaId: 'missing' }, body: [para('p', 'a'), { type: 'image', id: 'i', mediaId: 'gone' }] } });
  t.equal(unknown.status, 422);
  t.same(unknown.body.errors.map((e: any) => e.pointer), ['/body/hero/mediaId', '/body/body/1/mediaId']);

  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: {
    headline: 'Photo story',
    hero: { mediaId: id, caption: [{ type: 'text', text: 'Hero caption' }] },
    body: [
      para('p1', 'Text.'),
      { type: 'image', id: 'img-inherit', mediaId: id },
      { type: 'image', id: 'img-hidden', mediaId: id, caption: null, credit: null, alt: 'Own alt' },
    ],
  } })).body;
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  const read = await req({ method: 'GET', url: `/v1/articles/${a.id}?include=media` });
  t.equal(read.status, 200, read.raw.slice(0, 500));
  t.same(read.body.hero.display, { caption: [{ type: 'text', text: 'Hero caption' }], credit: 'Korea Pool / Reuters', alt: 'Delegates shake hands' }, 'a value replaces, absent inherits');
  t.equal(read.body.hero.media.id, id);
  t.same(read.body.body[1].display, { caption: [{ type: 'text', text: 'Default caption' }], credit: 'Korea Pool / Reuters', alt: 'Delegates shake hands' }, 'absent inherits everything');
  t.same(read.body.body[2].display, { caption: null, credit: null, alt: 'Own alt' }, 'null hides');
  t.equal(read.body.wordCount, 1, 'captions are not body text');
  const plain = await req({ method: 'GET', url: `/v1/articles/${a.id}` });
  t.notOk('display' in plain.body.hero, 'no expansion without include');

  const usage = await req({ method: 'GET', url: `/v1/media/${id}/usage`, headers: editor });
  t.same(usage.body.data.map((u: any) => u.blockId).sort(), ['hero', 'img-hidden', 'img-inherit']);
  t.equal(usage.body.data[0].status, 'published');
  const blocked = await req({ method: 'DELETE', url: `/v1/media/${id}`, headers: editor });
  t.equal(blocked.status, 409, 'in use');
  await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { hero: null, body: [para('p1', 'Text.')] } });
  t.same((await req({ method: 'GET', url: `/v1/media/${id}/usage`, headers: editor })).body.data, [], 'the use index follows every write');

  const b = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Draft use', hero: { mediaId: id } } })).body;
  t.equal((await req({ method: 'DELETE', url: `/v1/media/${id}`, headers: editor })).status, 409, 'a draft use protects it too');
  t.equal((await req({ method: 'DELETE', url: `/v1/media/${id}?force=true`, headers: editor })).status, 204);
  const orphan = await req({ method: 'GET', url: `/v1/articles/${b.id}?include=media`, headers: editor });
  t.same(orphan.body.hero.media, null, 'a forced delete leaves the use with media: null');

  const patched = await req({ method: 'PATCH', url: `/v1/media/${(await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://x.example.org/a.png', creditText: 'A' } })).body.id}`, headers: editor, payload: { creditText: null, altText: 'Alt' } });
  t.match(patched.body, { creditText: null, altText: 'Alt' });
  const list = await req({ method: 'GET', url: '/v1/media?credit=A', headers: editor });
  t.equal(list.body.page.total, 0);
  t.equal((await req({ method: 'GET', url: '/v1/media?q=Alt', headers: editor })).body.page.total, 1);
  t.equal((await req({ method: 'GET', url: '/v1/media?q=%25', headers: editor })).body.page.total, 0, 'LIKE wildcards are text');
  t.equal((await req({ method: 'GET', url: '/v1/media' })).status, 401);
});

t.test('concurrent writes: in-use check, delete and bytes are atomic with the write', async (t) => {
  const { req, editor, app } = await build(t);
  const bytes = await png(32, 32);
  const upload = async () => {
    const up = multipart([{ name: 'file', filename: 'a.png', type: 'image/png', data: bytes }]);
    const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload });
    t.equal(res.status, 201, res.raw);
    return res.body as { id: string; sha256: string };
  };

  // A delete without force and an article write that starts using the item: never both.
  for (let i = 0; i < 5; i++) {
    const m = await upload();
    const [del, art] = await Promise.all([
      req({ method: 'DELETE', url: `/v1/media/${m.id}`, headers: editor }),
      req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Uses ${i}`, hero: { mediaId: m.id } } }),
    ]);
    t.ok((del.status === 204 && art.status === 422) || (del.status === 409 && art.status === 201), `round ${i}: delete ${del.status}, article ${art.status}`);
    const usage = await req({ method: 'GET', url: `/v1/media/${m.id}/usage`, headers: editor });
    t.equal(usage.status, del.status === 204 ? 404 : 200, 'the row is gone exactly when the delete answered 204');
  }

  // Two rows share one stored file; deleting them at once (each twice) removes the file once both rows are gone.
  const fresh = await png(16, 16);
  const rows = [];
  for (let i = 0; i < 2; i++) {
    const up = multipart([{ name: 'file', filename: 'b.png', type: 'image/png', data: fresh }]);
    rows.push((await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload })).body as { id: string; sha256: string });
  }
  t.ok(filesIn(app.config.mediaDir).includes(rows[0]!.sha256));
  const deletes = await Promise.all(rows.flatMap((r) => [r, r]).map((r) => req({ method: 'DELETE', url: `/v1/media/${r.id}`, headers: editor })));
  t.same(deletes.map((d) => d.status).sort(), [204, 204, 404, 404], 'each row is deleted once; the second delete finds nothing');
  t.notOk(filesIn(app.config.mediaDir).includes(rows[0]!.sha256), 'the bytes went with the last row');
});
