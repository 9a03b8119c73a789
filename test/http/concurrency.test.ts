import t from 'tap';
import { build } from '../helper.js';

t.test('If-Match: stale → 412 with the current ETag, nothing written', async (t) => {
  const { app, req, editor } = await build(t);
  const created = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Original' } });
  const a = created.body;
  t.equal(created.headers.etag, '"r1-draft"', 'writes answer with the version ETag');
  const read = await req({ method: 'GET', url: `/v1/articles/${a.id}`, headers: editor });
  t.equal(read.headers.etag, '"r1-draft"', 'reads too');

  const ok = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: { ...editor, 'if-match': '"r1-draft"' }, payload: { headline: 'First edit' } });
  t.equal(ok.status, 200);
  t.equal(ok.headers.etag, '"r2-draft"');
  const stale = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: { ...editor, 'if-match': '"r1-draft"' }, payload: { headline: 'Lost update' } });
  t.equal(stale.status, 412);
  t.equal(stale.headers.etag, '"r2-draft"', 'the 412 names the current version');
  t.equal(stale.body.code, 'version-mismatch');
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}`, headers: editor })).body.headline, 'First edit', 'nothing written');
  t.equal((await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: { ...editor, 'if-match': '"r1-draft"' } })).status, 412, 'publish honours If-Match');
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: { ...editor, 'if-match': '"r9-draft"' } })).status, 412, 'delete too');

  // Two editors, same version, at the same time: exactly one wins.
  const [x, y] = await Promise.all(['Editor X', 'Editor Y'].map((headline) =>
    app.inject({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: { ...editor, 'if-match': '"r2-draft"' }, payload: { headline } })));
  t.same([x!.statusCode, y!.statusCode].sort(), [200, 412]);
  const winner = (x!.statusCode === 200 ? x! : y!).json().headline;
  t.equal((await req({ method: 'GET', url: `/v1/articles/${a.id}`, headers: editor })).body.headline, winner, 'the stored article is the winner\'s');

  const tag = await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Versioned' } });
  t.ok(tag.headers.etag);
  const tagStale = await req({ method: 'PATCH', url: `/v1/tags/${tag.body.id}`, headers: { ...editor, 'if-match': '"u0"' }, payload: { name: 'Nope' } });
  t.equal(tagStale.status, 412);
  t.equal(tagStale.headers.etag, tag.headers.etag);
  t.equal((await req({ method: 'PATCH', url: `/v1/tags/${tag.body.id}`, headers: { ...editor, 'if-match': tag.headers.etag as string }, payload: { name: 'Renamed' } })).status, 200);

  const target = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Target' } })).body;
  const linkStale = await req({ method: 'POST', url: `/v1/articles/${a.id}/related-links`, headers: { ...editor, 'if-match': '"r1-draft"' }, payload: { targetArticleId: target.id } });
  t.equal(linkStale.status, 412, 'links are part of the article version');
  t.same((await req({ method: 'GET', url: `/v1/articles/${a.id}/related-links`, headers: editor })).body.data, [], 'and the link was not written');
});

t.test('REQUIRE_IF_MATCH makes If-Match mandatory for articles', async (t) => {
  const { req, editor } = await build(t, { requireIfMatch: true });
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Strict' } })).body;
  const missing = await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { headline: 'x' } });
  t.equal(missing.status, 428);
  t.equal(missing.body.errors[0].pointer, '/headers/if-match');
  t.equal((await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: { ...editor, 'if-match': '"r1-draft"' }, payload: { headline: 'x' } })).status, 200);
  t.equal((await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'free' } })).status, 201, 'other resources stay optional');
});
