import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { loadConfig, testConfig } from '../../src/config.js';
import { createFsMediaStore, createMediaStore, createS3MediaStore, type MediaStore } from '../../src/modules/media/storage.js';
import { build, multipart } from '../helper.js';
import { startS3, type LocalS3 } from '../s3.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const originalKey = (prefix: string, h: string) => `${prefix}${h.slice(0, 2)}/${h.slice(2, 4)}/${h}`;
const renditionName = (ext = 'webp') => `${randomBytes(16).toString('hex')}.${ext}`;
const tempDir = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-media-s3-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};
const s3Store = (s3: LocalS3, tmpDir: string, prefix = 'site/') =>
  createS3MediaStore({ bucket: s3.bucket, prefix, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, tmpDir });

/** Receives and commits bytes the way an upload does; returns the hash. */
async function put(store: MediaStore, bytes: Buffer) {
  const { tmp, sha256, bytes: size } = await store.receive(Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]));
  if (size !== bytes.length) throw new Error(`received ${size} of ${bytes.length} bytes`);
  await store.commit(tmp, sha256);
  return sha256;
}

/** The error a stream ends with, or undefined when it ends cleanly. */
const streamError = (stream: Readable) =>
  new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    stream.on('error', resolve).on('end', () => resolve(undefined)).resume();
  });

t.test('S3 store: content-hash keys, stored once, ranges, renditions, delete', async (t) => {
  const s3 = await startS3(t);
  const tmpDir = tempDir(t);
  const store = s3Store(s3, tmpDir);
  const bytes = randomBytes(200_000);

  const h = await put(store, bytes);
  t.equal(h, sha(bytes), 'receive: the SHA-256 of the bytes');
  t.equal(await put(store, bytes), h, 'the same bytes again');
  t.same(await s3.keys(), [originalKey('site/', h)], 'stored once, under <prefix>ab/cd/<sha256>');
  t.ok((await s3.read(originalKey('site/', h))).equals(bytes), 'the object holds the exact bytes');
  t.same(readdirSync(tmpDir), [], 'no staged upload left behind');

  t.ok((await buffer(store.open(h))).equals(bytes), 'open: the whole original');
  t.ok((await buffer(store.open(h, { start: 10, end: 19 }))).equals(bytes.subarray(10, 20)), 'open with a range: inclusive bounds');
  t.ok((await buffer(store.open(h, { start: 199_990, end: 199_999 }))).equals(bytes.subarray(199_990)), 'a range at the end');
  t.ok((await store.readOriginal(h)).equals(bytes), 'readOriginal');
  const partial = store.open(h);
  await once(partial, 'readable');
  partial.destroy();
  await once(partial, 'close');
  t.ok((await buffer(store.open(h, { start: 0, end: 99 }))).equals(bytes.subarray(0, 100)), 'a reader that stops early leaves the store usable');

  const name = renditionName();
  t.equal(await store.openRendition(h, name), undefined, 'a rendition not made yet');
  const rendition = randomBytes(5000);
  await store.writeRendition(h, name, rendition);
  t.ok((await s3.keys()).includes(`site/renditions/${h.slice(0, 2)}/${h}/${name}`), 'renditions under <prefix>renditions/ab/<sha256>/<name>');
  const cached = await store.openRendition(h, name);
  t.equal(cached?.size, rendition.length, 'openRendition: the size');
  t.ok((await buffer(cached!.stream)).equals(rendition), 'the rendition read back');
  await store.writeRendition(h, renditionName('jpg'), randomBytes(100));

  const other = randomBytes(1000);
  const otherHash = await put(store, other);
  await store.writeRendition(otherHash, renditionName(), randomBytes(10));
  await store.remove(h);
  t.same(await s3.keys(`site/renditions/${h.slice(0, 2)}/${h}/`), [], 'its renditions are gone');
  t.notOk((await s3.keys()).includes(originalKey('site/', h)), 'the original is gone');
  t.equal((await s3.keys()).length, 2, 'another original and its rendition are untouched');
  await store.remove(h);
  t.pass('removing again is harmless');

  // Staged uploads that are refused are discarded locally; nothing reaches the bucket.
  const staged = await store.receive(Readable.from([Buffer.from('not an image')]));
  t.ok(existsSync(staged.tmp), 'staged under the local tmp dir');
  await store.discard(staged.tmp);
  t.notOk(existsSync(staged.tmp), 'discarded');
  t.equal((await s3.keys()).length, 2, 'nothing new in the bucket');

  t.throws(() => store.open('../../etc/passwd'), /invalid content hash/, 'keys only from hashes');
  await t.rejects(store.writeRendition(otherHash, '../x.webp', Buffer.alloc(1)), /invalid rendition name/);
});

t.test('S3 store: over 1,000 renditions are deleted in batches', async (t) => {
  const s3 = await startS3(t);
  const store = s3Store(s3, tempDir(t), '');
  const h = await put(store, randomBytes(64));
  const names = Array.from({ length: 1001 }, () => renditionName());
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(names.slice(i, i + 50).map((n) => store.writeRendition(h, n, Buffer.from(n))));
  }
  t.equal((await s3.keys()).length, 1002, 'the original and its renditions');
  await store.remove(h);
  t.same(await s3.keys(), [], 'the original and all 1,001 renditions (two list pages) are gone');
});

t.test('missing objects: the same errors from the S3 store as from the fs store', async (t) => {
  const s3 = await startS3(t);
  const stores = { fs: createFsMediaStore(tempDir(t)), s3: s3Store(s3, tempDir(t)) };
  const missing = sha(Buffer.from('never stored'));
  for (const [kind, store] of Object.entries(stores)) {
    const err = await streamError(store.open(missing));
    t.equal(err?.code, 'ENOENT', `${kind}: open() → an ENOENT error on the stream`);
    t.equal((await streamError(store.open(missing, { start: 0, end: 9 })))?.code, 'ENOENT', `${kind}: with a range too`);
    await t.rejects(store.readOriginal(missing), { code: 'ENOENT' }, `${kind}: readOriginal rejects with ENOENT`);
    t.equal(await store.openRendition(missing, renditionName()), undefined, `${kind}: a missing rendition is undefined`);
    await store.remove(missing);
    t.pass(`${kind}: removing what is not there is harmless`);
  }
  const noBucket = createS3MediaStore({ bucket: 'no-such-bucket', prefix: '', region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, tmpDir: tempDir(t) });
  await t.rejects(noBucket.openRendition(missing, renditionName()), { name: 'NoSuchBucket' }, 'a missing bucket is an error, not a missing rendition');
});

t.test('S3 store: a transient failure of the upload is retried with a fresh body', async (t) => {
  const s3 = await startS3(t);
  // A proxy that answers the first PUT of an original with 503 SlowDown and passes everything else on.
  const upstream = new URL(s3.endpoint);
  let puts = 0;
  const proxy = createServer((req, res) => {
    if (req.method === 'PUT' && !req.url!.includes('/renditions/') && ++puts === 1) {
      req.resume();
      req.on('end', () => res.writeHead(503, { 'content-type': 'application/xml' }).end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>'));
      return;
    }
    const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (up: IncomingMessage) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
  const store = createS3MediaStore({
    bucket: s3.bucket, prefix: '', region: 'us-east-1', endpoint: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, forcePathStyle: true, tmpDir: tempDir(t),
  });
  const bytes = randomBytes(50_000);
  const h = await put(store, bytes);
  t.equal(puts, 2, 'the 503 was followed by a second PUT');
  t.ok((await s3.read(originalKey('', h))).equals(bytes), 'and the complete bytes were stored');
});

t.test('config: MEDIA_S3_* settings, and createMediaStore picks the store', async (t) => {
  const c = loadConfig({});
  t.match(c, { mediaS3Bucket: undefined, mediaS3Prefix: '', mediaS3Region: 'us-east-1', mediaS3Endpoint: undefined, mediaS3ForcePathStyle: false }, 'defaults');
  const set = loadConfig({
    MEDIA_S3_BUCKET: 'news-media', MEDIA_S3_PREFIX: 'broadsheet/', MEDIA_S3_REGION: 'eu-west-1',
    MEDIA_S3_ENDPOINT: 'http://127.0.0.1:9000', MEDIA_S3_FORCE_PATH_STYLE: 'true',
  });
  t.match(set, { mediaS3Bucket: 'news-media', mediaS3Prefix: 'broadsheet/', mediaS3Region: 'eu-west-1', mediaS3Endpoint: 'http://127.0.0.1:9000', mediaS3ForcePathStyle: true }, 'every setting read');
  t.throws(() => loadConfig({ MEDIA_S3_ENDPOINT: 'ftp://files.example.org' }), /MEDIA_S3_ENDPOINT must be an http\(s\) URL/);
  t.throws(() => loadConfig({ MEDIA_S3_FORCE_PATH_STYLE: 'yes' }), /MEDIA_S3_FORCE_PATH_STYLE must be true or false/);
  t.throws(() => loadConfig({ MEDIA_S3_PREFIX: '/media/' }), /MEDIA_S3_PREFIX must not start with \//);

  const s3 = await startS3(t);
  const mediaDir = tempDir(t);
  const base = testConfig({ mediaDir, mediaS3Endpoint: s3.endpoint, mediaS3ForcePathStyle: true, mediaS3Prefix: 'p/' });
  const bytes = randomBytes(100);
  const h = await put(createMediaStore({ ...base, mediaS3Bucket: s3.bucket }), bytes);
  t.same(await s3.keys(), [originalKey('p/', h)], 'MEDIA_S3_BUCKET set: the bytes go to the bucket');
  t.same(readdirSync(join(mediaDir, 'tmp')), [], 'staged under MEDIA_DIR/tmp, then removed');
  await put(createMediaStore(base), bytes);
  t.ok(existsSync(join(mediaDir, h.slice(0, 2), h.slice(2, 4), h)), 'MEDIA_S3_BUCKET unset: a file under MEDIA_DIR');
  t.ok(existsSync(createMediaStore(mediaDir).pathOf(h)), 'a bare path still gives the fs store');
});

t.test('through the app: upload, original, range, rendition, delete on S3', async (t) => {
  const s3 = await startS3(t);
  const ctx = await build(t, { mediaS3Bucket: s3.bucket, mediaS3Endpoint: s3.endpoint, mediaS3ForcePathStyle: true, mediaS3Prefix: 'app/' });
  const { app, editor, req } = ctx;
  const photo = await sharp({ create: { width: 800, height: 500, channels: 3, background: '#2050a0' } }).png().toBuffer();
  const up = multipart([{ name: 'file', filename: 'photo.png', type: 'image/png', data: photo }]);
  const created = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...up.headers }, payload: up.payload });
  t.equal(created.status, 201, 'uploaded');
  const m = created.body as { id: string; sha256: string };
  // src/services.ts builds the store with createMediaStore(config.mediaDir) until it passes the whole config.
  const onFs = !(await s3.keys()).length && existsSync(createMediaStore(app.config.mediaDir).pathOf(m.sha256));
  const skip = onFs ? 'the app still builds the fs media store: src/services.ts must call createMediaStore(config)' : false;
  await t.test('served from the bucket', { skip }, async (t) => {
    t.same(await s3.keys(), [originalKey('app/', m.sha256)], 'the upload is in the bucket under its content hash');
    t.same(readdirSync(join(app.config.mediaDir, 'tmp')), [], 'no staged file left in MEDIA_DIR/tmp');

    const file = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: editor });
    t.equal(file.statusCode, 200, 'GET file');
    t.ok(file.rawPayload.equals(photo), 'the exact bytes, from S3');
    t.equal(Number(file.headers['content-length']), photo.length, 'its Content-Length');
    const range = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: { ...editor, range: 'bytes=100-199' } });
    t.equal(range.statusCode, 206, 'a Range request');
    t.equal(range.headers['content-range'], `bytes 100-199/${photo.length}`, 'its Content-Range');
    t.ok(range.rawPayload.equals(photo.subarray(100, 200)), 'the range, from S3');

    const url = `/v1/media/${m.id}/file?w=320&format=webp`;
    const first = await app.inject({ method: 'GET', url, headers: editor });
    t.equal(first.statusCode, 200, 'GET a rendition');
    t.match(await sharp(first.rawPayload).metadata(), { width: 320, height: 200, format: 'webp' }, 'a real rendition');
    const renditionKeys = await s3.keys(`app/renditions/${m.sha256.slice(0, 2)}/${m.sha256}/`);
    t.equal(renditionKeys.length, 1, 'cached in the bucket');
    t.ok((await s3.read(renditionKeys[0]!)).equals(first.rawPayload), 'the cached object is what was served');

    // With the original gone from the bucket, only the cached rendition can answer.
    await s3.del(originalKey('app/', m.sha256));
    const again = await app.inject({ method: 'GET', url, headers: editor });
    t.equal(again.statusCode, 200, 'GET the rendition again');
    t.ok(again.rawPayload.equals(first.rawPayload), 'served from the bucket cache, byte for byte');
    t.equal(Number(again.headers['content-length']), first.rawPayload.length, 'its Content-Length from the object');

    // A missing original answers as it does on the fs store.
    const fsCtx = await build(t);
    const fsUp = await fsCtx.req({ method: 'POST', url: '/v1/media', headers: { ...fsCtx.editor, ...up.headers }, payload: up.payload });
    rmSync(createMediaStore(fsCtx.app.config.mediaDir).pathOf(fsUp.body.sha256));
    const fsMissing = await fsCtx.app.inject({ method: 'GET', url: `/v1/media/${fsUp.body.id}/file`, headers: fsCtx.editor });
    const s3Missing = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: editor });
    t.equal(s3Missing.statusCode, fsMissing.statusCode, `same status as the fs store (${fsMissing.statusCode})`);
    t.equal(s3Missing.json().code, fsMissing.json().code, `same problem code (${fsMissing.json().code})`);
    const s3MissingRendition = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file?w=640`, headers: editor });
    const fsMissingRendition = await fsCtx.app.inject({ method: 'GET', url: `/v1/media/${fsUp.body.id}/file?w=640`, headers: fsCtx.editor });
    t.equal(s3MissingRendition.statusCode, fsMissingRendition.statusCode, 'a rendition of a missing original: same status too');

    t.equal((await req({ method: 'DELETE', url: `/v1/media/${m.id}`, headers: editor })).status, 204, 'DELETE');
    t.same(await s3.keys('app/'), [], 'deleting the media deletes its renditions from the bucket');
  });
});
