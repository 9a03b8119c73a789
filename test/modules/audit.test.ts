import t from 'tap';
import { build } from '../helper.js';

t.test('the audit trail records who did what, when, and never a secret', async (t) => {
  const { req, editor, admin, clock } = await build(t);
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Audited' } })).body;
  clock.advance(1000);
  await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor });
  clock.advance(1000);
  await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'Audit tag' } });
  const key = (await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: 'ci', role: 'editor' } })).body;
  const failed = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'x', tagIds: ['missing'] } });
  t.equal(failed.status, 422);

  const res = await req({ method: 'GET', url: '/v1/audit?limit=100', headers: admin });
  t.equal(res.status, 200);
  const rows = res.body.data.filter((r: any) => r.resource !== 'api-key' || r.resourceId === key.id);
  t.same(rows.map((r: any) => `${r.resource}:${r.action}`), ['api-key:created', 'tag:created', 'article:published', 'article:created']);
  t.match(rows[2], { resourceId: a.id, revision: 2, actor: { name: 'test editor', role: 'editor' } });
  t.ok(rows[2].requestId, 'the request id links the entry to the logs');
  t.notOk(res.raw.includes(key.secret) || res.raw.includes('bsk_'), 'no secret in the audit trail');
  const onlyArticles = await req({ method: 'GET', url: `/v1/audit?resource=article&resourceId=${a.id}`, headers: admin });
  t.equal(onlyArticles.body.page.total, 2);
  const paged = await req({ method: 'GET', url: '/v1/audit?limit=1', headers: admin });
  const next = await req({ method: 'GET', url: `/v1/audit?limit=1&cursor=${paged.body.page.nextCursor}`, headers: admin });
  t.not(next.body.data[0].id, paged.body.data[0].id);
  t.equal((await req({ method: 'GET', url: '/v1/audit', headers: editor })).status, 403);
  t.equal((await req({ method: 'GET', url: '/v1/audit' })).status, 401);
});
