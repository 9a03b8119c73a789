import t from 'tap';
import { build } from '../helper.js';

t.test('Idempotency-Key: replay, reuse, in-flight, expiry', async (t) => {
  const { app, req, editor, clock } = await build(t);
  const post = (key: string, payload: object, url = '/v1/articles') => req({ method: 'POST', url, headers: { ...editor, 'idempotency-key': key }, payload });

  const first = await post('key-1', { headline: 'Once only' });
  t.equal(first.status, 201);
  const replay = await post('key-1', { headline: 'Once only' });
  t.equal(replay.status, 201, 'the first status');
  t.equal(replay.headers['idempotent-replayed'], 'true');
  t.equal(replay.body.id, first.body.id, 'the original id');
  t.equal(replay.headers.location, first.headers.location);
  t.equal(replay.headers.etag, first.headers.etag);
  t.equal((await req({ method: 'GET', url: '/v1/articles', headers: editor })).body.page.total, 1, 'nothing created twice');

  const reused = await post('key-1', { headline: 'Something else' });
  t.equal(reused.status, 422);
  t.equal(reused.body.errors[0].pointer, '/headers/idempotency-key');

  t.equal((await post('key-2', { headline: 'Other key' })).status, 201, 'another key is another request');
  const pub1 = await post('pub-1', {}, `/v1/articles/${first.body.id}/publish`);
  const pub2 = await post('pub-1', {}, `/v1/articles/${first.body.id}/publish`);
  t.equal(pub2.status, 200);
  t.equal(pub2.body.revision, pub1.body.revision, 'publish is replayed, not repeated');

  const invalid = await post('bad key with spaces', { headline: 'x' });
  t.equal(invalid.status, 400);

  // In flight: the first request with this key has not answered yet (its record says so).
  const keyId = (await req({ method: 'GET', url: '/v1/api-keys', headers: editor })).status === 403
    ? (await app.services.apiKeys.authenticate(editor.authorization!.slice(7)))!.keyId : '';
  const at = clock.now.toISOString();
  await app.db.query(`insert into idempotency_keys (principal, key, method, path, request_hash, state, created_at, expires_at) values (?, 'race', 'POST', '/v1/articles', 'x', 'in-flight', ?, ?)`,
    [keyId, at, new Date(clock.now.getTime() + 3_600_000).toISOString()]);
  const inFlight = await req({ method: 'POST', url: '/v1/articles', headers: { ...editor, 'idempotency-key': 'race' }, payload: { headline: 'Race' } });
  t.equal(inFlight.status, 422, 'a different request under the key is refused first');
  await app.db.query(`update idempotency_keys set request_hash = ? where key = 'race'`, [
    (await import('node:crypto')).createHash('sha256').update(`POST /v1/articles\n${JSON.stringify({ headline: 'Race', type: 'news', body: [], tagIds: [], authors: [], language: 'en', commentsMode: 'open' })}`).digest('hex'),
  ]);
  const busy = await req({ method: 'POST', url: '/v1/articles', headers: { ...editor, 'idempotency-key': 'race' }, payload: { headline: 'Race' } });
  t.equal(busy.status, 409, 'the same request while the first is in flight → 409');
  t.equal(busy.body.code, 'idempotency-in-flight');

  clock.advance(25 * 3_600_000);
  const expired = await post('key-1', { headline: 'Once only' });
  t.equal(expired.status, 201, 'after 24 h the key is free again');
  t.not(expired.body.id, first.body.id);
});

t.test('a replayed key creation never stores or returns the secret again', async (t) => {
  const { app, req, admin } = await build(t);
  const first = await req({ method: 'POST', url: '/v1/api-keys', headers: { ...admin, 'idempotency-key': 'k' }, payload: { name: 'once', role: 'editor' } });
  t.ok(first.body.secret);
  const replay = await req({ method: 'POST', url: '/v1/api-keys', headers: { ...admin, 'idempotency-key': 'k' }, payload: { name: 'once', role: 'editor' } });
  t.equal(replay.status, 201);
  t.equal(replay.body.id, first.body.id, 'the same key, not a second one');
  t.notOk('secret' in replay.body, 'the secret was shown once');
  const stored = await app.db.query('select body from idempotency_keys') as { body: string }[];
  t.ok(stored.length > 0, 'the response is stored');
  t.notOk(stored.some((r) => r.body.includes(first.body.secret)), 'no secret at rest');
});
