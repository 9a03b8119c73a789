import t from 'tap';
import { build } from '../helper.js';
import { IF_MATCH_OPERATIONS } from '../../src/http/openapi.js';

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

t.test('every operation the document says honours If-Match answers a stale one with 412 (the document is true)', async (t) => {
  const { app, req, editor, admin } = await build(t);
  await app.ready();
  const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string; parameters?: { in: string; name: string }[]; responses: Record<string, unknown>; requestBody?: { content: Record<string, { examples?: { request?: { value: unknown } } }> } }>> };
  const post = async (url: string, payload: Record<string, unknown>) => (await req({ method: 'POST', url, headers: editor, payload })).body;
  const target = await post('/v1/articles', { headline: 'Target' });
  const a = await post('/v1/articles', { headline: 'Versioned article' });
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  const link = await post(`/v1/articles/${a.id}/related-links`, { targetArticleId: target.id });
  const ids: Record<string, string> = {
    articles: a.id, authors: (await post('/v1/authors', { name: 'Ann Writer' })).id, sections: (await post('/v1/sections', { name: 'World' })).id,
    tags: (await post('/v1/tags', { name: 'Peace' })).id, media: (await post('/v1/media', { url: 'https://img.example.org/a.jpg' })).id,
    disclaimers: (await post('/v1/disclaimers', { key: 'views', body: [{ type: 'text', text: 'Views.' }] })).id,
  };
  // Bodies that pass validation and reference checks, so only the precondition can refuse them.
  const bodies: Record<string, unknown> = {
    putArticleDisclaimers: [{ disclaimerId: ids.disclaimers }], addRelatedLink: { url: 'https://example.org/x', label: 'X' },
    replaceRelatedLinks: [{ targetArticleId: target.id }], updateRelatedLink: { label: 'Renamed' },
    updateAuthor: { name: 'Ann Renamed' }, updateSection: { name: 'World news' }, updateTag: { name: 'Peace talks' },
    updateMedia: { creditText: 'Pool' }, updateDisclaimer: { active: false },
  };
  const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })))
    .filter(({ op }) => op.parameters?.some((p) => p.in === 'header' && p.name === 'If-Match'));
  t.same(documented.map(({ op }) => op.operationId).sort(), Object.keys(IF_MATCH_OPERATIONS).sort(), 'every listed operation declares If-Match');
  for (const { path, method, op } of documented) {
    t.ok(op.responses['412'], `${op.operationId} documents 412`);
    const url = path.replace('{id}', ids[path.split('/')[2]!]!).replace('{linkId}', link.id).replace('{revision}', '1');
    const payload = bodies[op.operationId] ?? op.requestBody?.content['application/json']?.examples?.request?.value;
    const res = await req({ method: method.toUpperCase(), url, headers: { ...(op.operationId.startsWith('delete') && !url.includes('related') ? admin : editor), 'if-match': '"stale"' }, payload: payload as object });
    t.equal(res.status, 412, `${op.operationId} (${method.toUpperCase()} ${path}): ${res.body?.code ?? ''} ${res.body?.detail ?? ''}`);
  }
});
