import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { build, para } from '../helper.js';

t.test('ETag, 304, Cache-Control, Vary, Surrogate-Key, Last-Modified', async (t) => {
  const { app, req, editor } = await build(t);
  const target = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Target story' } })).body;
  await req({ method: 'POST', url: `/v1/articles/${target.id}/publish`, headers: editor });
  const notice = (await req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: { key: 'views', body: [{ type: 'text', text: 'Views are the author’s own.' }], appliesTo: { types: ['opinion'] } } })).body;
  const media = (await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://img.example.org/a.jpg', creditText: 'Pool' } })).body;
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Parent story', type: 'opinion', hero: { mediaId: media.id }, body: [para('p', 'Words.')] } })).body;
  await req({ method: 'PUT', url: `/v1/articles/${a.id}/related-links`, headers: editor, payload: [{ targetArticleId: target.id }] });
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });

  const url = `/v1/articles/${a.id}?include=all`;
  const first = await app.inject({ method: 'GET', url });
  t.equal(first.statusCode, 200);
  const etag = first.headers.etag as string;
  t.match(etag, /^"[A-Za-z0-9_-]+"$/, 'a strong ETag');
  t.equal(first.headers['cache-control'], 'public, max-age=60, stale-while-revalidate=300');
  t.match(first.headers.vary, /Authorization/);
  t.match(first.headers.vary, /Accept-Encoding/i);
  const keys = String(first.headers['surrogate-key']).split(' ');
  for (const k of [`article:${a.id}`, `article:${target.id}`, `media:${media.id}`, `disclaimer:${notice.id}`]) t.ok(keys.includes(k), `Surrogate-Key has ${k}`);

  const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
  t.equal(again.statusCode, 304);
  t.equal(again.body, '');
  t.equal(again.headers.etag, etag);
  t.equal(again.headers['cache-control'], first.headers['cache-control'], 'a 304 carries the fields a cache updates');
  t.equal(again.headers.vary, first.headers.vary);
  for (const h of ['content-type', 'content-length', 'content-security-policy', 'x-frame-options', 'last-modified', 'surrogate-key']) t.notOk(again.headers[h], `and not ${h}`);
  t.equal((await app.inject({ method: 'GET', url, headers: { 'if-none-match': '"other"' } })).statusCode, 200);

  await req({ method: 'PATCH', url: `/v1/articles/${target.id}`, headers: editor, payload: { headline: 'Target story, updated' } });
  const changed = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } });
  t.equal(changed.statusCode, 200, 'a related article\'s new headline changes the parent\'s representation');
  t.not(changed.headers.etag, etag);
  const etag2 = changed.headers.etag as string;
  await req({ method: 'PATCH', url: `/v1/disclaimers/${notice.id}`, headers: editor, payload: { body: [{ type: 'text', text: 'New notice text.' }] } });
  t.not((await app.inject({ method: 'GET', url })).headers.etag, etag2, 'a disclaimer\'s text changes it too');

  const plain = await app.inject({ method: 'GET', url: `/v1/articles/${a.id}` });
  t.ok(plain.headers['last-modified'], 'Last-Modified on an unexpanded article');
  const ims = await app.inject({ method: 'GET', url: `/v1/articles/${a.id}`, headers: { 'if-modified-since': String(plain.headers['last-modified']) } });
  t.equal(ims.statusCode, 304);
  const older = await app.inject({ method: 'GET', url: `/v1/articles/${a.id}`, headers: { 'if-modified-since': 'Thu, 01 Jan 2015 00:00:00 GMT' } });
  t.equal(older.statusCode, 200);

  const authed = await app.inject({ method: 'GET', url, headers: editor });
  t.equal(authed.headers['cache-control'], 'private, no-store', 'authenticated reads are never shared');
  const missing = await app.inject({ method: 'GET', url: '/v1/articles/nope' });
  t.equal(missing.headers['cache-control'], 'no-store');
  const list = await app.inject({ method: 'GET', url: '/v1/articles' });
  t.ok(list.headers.etag);
  t.equal((await app.inject({ method: 'GET', url: '/v1/articles', headers: { 'if-none-match': list.headers.etag as string } })).statusCode, 304, 'lists too');
});

t.test('compression and CORS', async (t) => {
  const { app, req, editor } = await build(t, { corsOrigins: ['https://front.example'] });
  for (let i = 0; i < 5; i++) {
    const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Story ${i}`, body: [para('p', 'word '.repeat(200))] } })).body;
    await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  }
  const gz = await app.inject({ method: 'GET', url: '/v1/articles', headers: { 'accept-encoding': 'gzip' } });
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gz.headers.vary, 'Origin, Authorization, accept-encoding', 'each Vary token once, CORS\'s Origin kept');
  t.equal(JSON.parse(gunzipSync(gz.rawPayload).toString()).page.total, 5);
  const plain = await app.inject({ method: 'GET', url: '/v1/articles' });
  t.equal(gz.headers.etag, plain.headers.etag, 'the ETag names the representation, whatever the transfer encoding');

  const pre = await app.inject({ method: 'OPTIONS', url: '/v1/articles', headers: { origin: 'https://front.example', 'access-control-request-method': 'GET' } });
  t.equal(pre.headers['access-control-allow-origin'], 'https://front.example');
  t.notOk(pre.headers['access-control-allow-credentials'], 'no credentials');
  const get = await app.inject({ method: 'GET', url: '/v1/articles', headers: { origin: 'https://front.example' } });
  t.match(get.headers['access-control-expose-headers'], /ETag/);
  t.match(get.headers['access-control-expose-headers'], /Link/);
  t.match(get.headers['access-control-expose-headers'], /Location/);
  const evil = await app.inject({ method: 'GET', url: '/v1/articles', headers: { origin: 'https://evil.example' } });
  t.notOk(evil.headers['access-control-allow-origin'], 'other origins get no CORS grant');
});
