import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { InjectOptions } from 'fastify';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { buildApp, type AppOptions } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { forbiddenRange, vetTarget } from '../../src/modules/webhooks/url-guard.js';
import { build, para } from '../helper.js';

type Hit = { headers: IncomingHttpHeaders; raw: string; body: any; path: string };

/** A real HTTP receiver on 127.0.0.1; `respond` decides each answer (default 204). */
async function receiver(t: Test) {
  const hits: Hit[] = [];
  const state = { respond: (_hit: Hit, res: ServerResponse, _n: number) => void res.writeHead(204).end() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try { body = JSON.parse(raw); } catch { body = undefined; }
      const hit = { headers: req.headers, raw, body, path: req.url ?? '/' };
      hits.push(hit);
      state.respond(hit, res, hits.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const { port } = server.address() as AddressInfo;
  return { hits, state, port, url: `http://127.0.0.1:${port}/hook` };
}

/** Polls until `check` is truthy; fails the test after the deadline instead of hanging. */
async function until<T>(check: () => T | Promise<T>, what: string, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An app on the real clock with dispatcher options (the shared helper runs a fixed clock and the defaults). */
async function realtimeApp(t: Test, config: Partial<Config>, options: AppOptions = {}) {
  const mediaDir = mkdtempSync(join(tmpdir(), 'bs-hooks-'));
  const app = await buildApp(testConfig({ mediaDir, webhookAllowedHosts: ['127.0.0.1'], ...config }), options);
  t.teardown(async () => {
    await app.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });
  const admin = { authorization: `Bearer ${(await app.services.apiKeys.create('admin', 'admin')).secret}` };
  const req = async (o: InjectOptions) => {
    const res = await app.inject(o);
    return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers };
  };
  return { app, admin, req };
}

const verify = (secret: string, hit: Hit) => {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(hit.headers['broadsheet-signature']));
  if (!m) return false;
  return createHmac('sha256', secret).update(`${m[1]}.${hit.raw}`).digest('hex') === m[2];
};

const PRIVATE_KEYS = /secret|hash|password|plain_?text|actor|apikey|api_key|\bbody\b|snapshot/i;
const keysDeep = (v: unknown): string[] =>
  v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keysDeep(x)]) : [];

t.test('every event arrives once, in order per resource, signed, with public fields only', async (t) => {
  const { req, admin, editor, clock } = await build(t, { webhookAllowedHosts: ['127.0.0.1'] });
  const r = await receiver(t);
  const created = await req({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: r.url, events: ['*'], description: 'all' } });
  t.equal(created.status, 201);
  t.match(created.body, { url: r.url, events: ['*'], description: 'all', active: true });
  t.match(created.body.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  t.equal(created.headers.location, `/v1/webhooks/${created.body.id}`);
  const { secret, id: hookId } = created.body;

  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Talks resume', body: [para('p1', 'Private draft text')] } })).body;
  t.equal((await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { headline: 'Talks resume at the border' } })).status, 200);
  t.equal((await req({ method: 'POST', url: `/v1/articles/${a.id}/publish`, headers: editor })).status, 200);
  t.equal((await req({ method: 'POST', url: `/v1/articles/${a.id}/unpublish`, headers: editor })).status, 200);
  t.equal((await req({ method: 'DELETE', url: `/v1/articles/${a.id}`, headers: editor })).status, 204);
  const m = await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url: 'https://images.example.org/a.jpg', altText: 'A' } });
  t.equal(m.status, 201);
  const d = await req({ method: 'POST', url: '/v1/disclaimers', headers: editor, payload: { key: 'opinion-views', body: [{ type: 'text', text: 'Views are the author\'s own.' }] } });
  t.equal(d.status, 201);

  // Writes that roll back send nothing: a 422 reference error and a 400 body, then a sentinel write.
  t.equal((await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Ghost', tagIds: ['missing'] } })).status, 422);
  t.equal((await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: '' } })).status, 400);
  const sentinel = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Sentinel' } })).body;

  await until(() => r.hits.some((h) => h.body?.data?.id === sentinel.id), 'the sentinel event');
  const deliveries = await until(async () => {
    const res = await req({ method: 'GET', url: `/v1/webhooks/${hookId}/deliveries?limit=100`, headers: admin });
    return res.body.data.every((x: any) => x.status === 'succeeded') && res.body;
  }, 'every delivery to finish');
  await new Promise((resolve) => setTimeout(resolve, 300)); // one more poll: nothing else may arrive

  t.equal(r.hits.length, 8, 'seven events and the sentinel, nothing for the rolled-back writes');
  t.equal(new Set(r.hits.map((h) => h.body.id)).size, 8, 'each event exactly once');
  t.notOk(r.hits.some((h) => h.body.data?.headline === 'Ghost'), 'no event for a write that rolled back');
  const types = (id: string) => r.hits.filter((h) => h.body.data.id === id).map((h) => h.body.type);
  t.same(types(a.id), ['article.created', 'article.updated', 'article.published', 'article.unpublished', 'article.deleted'], 'in write order per resource');
  t.same(types(m.body.id), ['media.created']);
  t.same(types(d.body.id), ['disclaimer.created']);

  for (const hit of r.hits) {
    t.ok(verify(secret, hit), `${hit.body.type}: the signature verifies`);
    t.equal(String(hit.headers['broadsheet-signature']).split(',')[0], `t=${Math.floor(clock.now.getTime() / 1000)}`, 'signed at the app clock');
    t.match(hit.headers, { 'content-type': 'application/json', 'user-agent': 'Broadsheet-Webhooks/1', 'broadsheet-event': hit.body.type, 'broadsheet-attempt': '1' });
    t.match(hit.headers['broadsheet-delivery'], /^[0-9A-Z]{26}$/);
    t.same(Object.keys(hit.body).sort(), ['data', 'id', 'occurredAt', 'type']);
    t.notOk(keysDeep(hit.body.data).some((k) => PRIVATE_KEYS.test(k)), `${hit.body.type}: no private field`);
    t.notOk(hit.raw.includes('whsec_') || hit.raw.includes('bsk_') || hit.raw.includes('Private draft text'), 'no secret, no body text');
  }

  t.equal(deliveries.page.total, 8);
  const ids = deliveries.data.map((x: any) => x.id);
  t.same(ids, [...ids].sort().reverse(), 'newest first');
  for (const x of deliveries.data) {
    t.match(x, { status: 'succeeded', attempts: 1, lastStatusCode: 204, lastError: null, nextAttemptAt: null, deliveredAt: String });
    t.ok(Number.isInteger(x.lastLatencyMs) && x.lastLatencyMs >= 0, 'latency recorded');
  }
  t.equal(deliveries.data.find((x: any) => x.eventType === 'media.created').eventId, r.hits.find((h) => h.body.type === 'media.created')!.body.id);
  const firstPage = await req({ method: 'GET', url: `/v1/webhooks/${hookId}/deliveries?limit=3`, headers: admin });
  const second = await req({ method: 'GET', url: `/v1/webhooks/${hookId}/deliveries?limit=3&cursor=${firstPage.body.page.nextCursor}`, headers: admin });
  t.same(second.body.data.map((x: any) => x.id), ids.slice(3, 6), 'keyset paging');
  t.equal((await req({ method: 'GET', url: `/v1/webhooks/${hookId}/deliveries?status=dead`, headers: admin })).body.page.total, 0);

  // The secret is shown once: never in reads, lists or the audit trail.
  for (const url of [`/v1/webhooks/${hookId}`, '/v1/webhooks', `/v1/webhooks/${hookId}/deliveries`, '/v1/audit?limit=100']) {
    const res = await req({ method: 'GET', url, headers: admin });
    t.equal(res.status, 200);
    t.notOk(res.raw.includes(secret) || res.raw.includes('whsec_'), `${url}: no secret`);
  }
  const audit = await req({ method: 'GET', url: '/v1/audit?resource=webhook', headers: admin });
  t.same(audit.body.data.map((e: any) => e.action), ['created']);
});

t.test('admin routes: validation, SSRF refusals, patch, delete, roles', async (t) => {
  const { req, admin, editor } = await build(t);
  const post = (payload: object, headers = admin) => req({ method: 'POST', url: '/v1/webhooks', headers, payload });

  const loop = await post({ url: 'http://127.0.0.1:9/hook', events: ['*'] });
  t.equal(loop.status, 422, '127.0.0.1 is refused when not allow-listed');
  t.match(loop.body, { code: 'webhook-target-forbidden', errors: [{ pointer: '/body/url', code: 'webhook-target-forbidden' }] });
  for (const url of ['http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://2130706433/', 'http://0x7f000001/', 'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/', 'http://192.168.1.20/', 'http://100.64.0.1/', 'http://0.0.0.0/', 'http://localhost:3000/']) {
    const res = await post({ url, events: ['*'] });
    t.equal(res.status, 422, `${url} refused`);
  }
  for (const url of ['ftp://example.org/hook', 'file:///etc/passwd', 'gopher://example.org/', 'not a url', 'https://user:pw@example.org/']) {
    const res = await post({ url, events: ['*'] });
    t.equal(res.status, 400, `${url} → 400`);
    t.equal(res.body.errors?.[0]?.pointer, '/body/url');
  }
  t.equal((await post({ url: 'http://127.0.0.1/', events: ['article.exploded'] })).status, 400, 'unknown event type');
  t.equal((await post({ url: 'http://127.0.0.1/', events: [] })).status, 400, 'at least one event');
  t.equal((await post({ url: 'http://127.0.0.1/', events: ['*'], secret: 'mine' })).status, 400, 'unknown field');
  t.equal((await post({ url: 'https://example.org/', events: ['*'] }, editor)).status, 403, 'admins only');
  t.equal((await req({ method: 'GET', url: '/v1/webhooks' })).status, 401);
  t.equal(forbiddenRange('203.0.113.9'), undefined, 'a public address passes the guard');
});

t.test('patch and delete, with the allow-list', async (t) => {
  const { req, admin } = await build(t, { webhookAllowedHosts: ['127.0.0.1'] });
  const hook = (await req({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: 'http://127.0.0.1:9/a', events: ['article.*'] } })).body;
  const patched = await req({ method: 'PATCH', url: `/v1/webhooks/${hook.id}`, headers: admin, payload: { events: ['media.created', 'media.created'], active: false, description: 'x' } });
  t.equal(patched.status, 200);
  t.match(patched.body, { events: ['media.created'], active: false, description: 'x', url: 'http://127.0.0.1:9/a' });
  t.notOk('secret' in patched.body);
  const refused = await req({ method: 'PATCH', url: `/v1/webhooks/${hook.id}`, headers: admin, payload: { url: 'http://10.1.1.1/' } });
  t.equal(refused.status, 422);
  t.equal(refused.body.errors[0].pointer, '/body/url');
  t.equal((await req({ method: 'PATCH', url: `/v1/webhooks/${hook.id}`, headers: admin, payload: { description: null } })).body.description, null);
  const list = await req({ method: 'GET', url: '/v1/webhooks?limit=1', headers: admin });
  t.match(list.body, { data: [{ id: hook.id }], page: { total: 1, nextCursor: null } });
  t.equal((await req({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: admin })).status, 204);
  t.equal((await req({ method: 'GET', url: `/v1/webhooks/${hook.id}`, headers: admin })).status, 404);
  t.equal((await req({ method: 'DELETE', url: `/v1/webhooks/${hook.id}`, headers: admin })).status, 404);
  const audit = await req({ method: 'GET', url: '/v1/audit?resource=webhook', headers: admin });
  t.same(audit.body.data.map((e: any) => e.action), ['deleted', 'updated', 'updated', 'created']);
});

t.test('a wake-up from a transaction still open sends nothing when it rolls back', async (t) => {
  // No idle polls: only the journal's wake-ups start one.
  const { req, admin, app } = await realtimeApp(t, {}, { dispatcher: { pollIntervalMs: 60_000 } });
  const r = await receiver(t);
  const hook = (await req({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: r.url, events: ['article.created'] } })).body;
  const draft = (headline: string) => ({ headline, type: 'news' as const, body: [], tagIds: [], authors: [], language: 'en', commentsMode: 'open' as const });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the poll at start (first request) is over

  // The journal wakes the dispatcher inside the write's transaction; this one stays open across event-loop turns
  // (as on a database whose statements are network round trips), long enough for a poll, then rolls back.
  const failed = await app.services.tx(async () => {
    await app.services.articles.create(draft('Rolled back'), null);
    await new Promise((resolve) => setTimeout(resolve, 300));
    throw new Error('roll back');
  }).then(() => undefined, (e: unknown) => e);
  t.match(failed, { message: 'roll back' });
  const sentinel = await app.services.articles.create(draft('Sentinel'), null);

  await until(() => r.hits.some((h) => h.body?.data?.id === sentinel.id), 'the sentinel event');
  t.same(r.hits.map((h) => h.body.data.headline), ['Sentinel'], 'no event for the rolled-back write');
  const listed = await until(async () => {
    const d = (await req({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries`, headers: admin })).body;
    return d.data.every((x: any) => x.status === 'succeeded') && d;
  }, 'the delivery recorded');
  t.match(listed, { data: [{ status: 'succeeded', attempts: 1 }], page: { total: 1 } });
});

t.test('the guard judges resolved addresses, and the allow-list by name or address', async (t) => {
  const fake = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: (address.includes(':') ? 6 : 4) as 4 | 6 }));
  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);
  t.match(await refusal(vetTarget(new URL('http://intranet.example/'), [], fake('10.0.0.5'))), { kind: 'forbidden', message: /resolves to 10\.0\.0\.5, which is a private address/ });
  t.match(await refusal(vetTarget(new URL('http://mixed.example/'), [], fake('93.184.216.34', '127.0.0.1'))), { kind: 'forbidden' }, 'any private answer refuses');
  t.match(await refusal(vetTarget(new URL('http://v6.example/'), [], fake('::ffff:a9fe:a9fe'))), { message: /IPv4-mapped link-local/ });
  t.same(await vetTarget(new URL('https://public.example/'), [], fake('93.184.216.34')), { address: '93.184.216.34', family: 4 });
  t.same(await vetTarget(new URL('http://receiver.test/'), ['Receiver.test'], fake('127.0.0.1')), { address: '127.0.0.1', family: 4 }, 'allow-listed name');
  t.same(await vetTarget(new URL('http://[::1]:8080/'), ['[::1]'], fake()), { address: '::1', family: 6 }, 'allow-listed literal');
  t.match(await refusal(vetTarget(new URL('http://nowhere.example/'), [], async () => { throw Object.assign(new Error('x'), { code: 'ENOTFOUND' }); })), { kind: 'unresolvable' });
  t.match(await refusal(vetTarget(new URL('gopher://example.org/'), [], fake('93.184.216.34'))), { kind: 'scheme' });
});

t.test('retries with backoff: a receiver failing three times gets attempt 4; then dead; redeliver; order held', async (t) => {
  const { req, admin, app } = await realtimeApp(t, {}, { dispatcher: { baseDelayMs: 20, maxAttempts: 4, timeoutMs: 400 } });
  const flaky = await receiver(t);
  flaky.state.respond = (_h, res, n) => void res.writeHead(n <= 3 ? 500 : 200).end('ok');
  const broken = await receiver(t);
  broken.state.respond = (_h, res) => void res.writeHead(503).end();
  const hanging = await receiver(t);
  hanging.state.respond = () => undefined; // never answers
  const mk = async (url: string) => (await req({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url, events: ['article.*'] } })).body;
  const flakyHook = await mk(flaky.url);
  const brokenHook = await mk(broken.url);
  const hangingHook = await mk(hanging.url);

  const editor = admin;
  const a = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Retry me' } })).body;
  await req({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: editor, payload: { headline: 'Retry me again' } });

  await until(() => flaky.hits.length >= 5, 'the flaky receiver to recover');
  t.same(flaky.hits.map((h) => h.headers['broadsheet-attempt']), ['1', '2', '3', '4', '1']);
  t.same(flaky.hits.map((h) => h.body.type), ['article.created', 'article.created', 'article.created', 'article.created', 'article.updated'],
    'the update waits until the create is delivered');
  t.equal(new Set(flaky.hits.slice(0, 4).map((h) => h.headers['broadsheet-delivery'])).size, 1, 'one delivery, four attempts');
  const list = async (hook: string) => (await req({ method: 'GET', url: `/v1/webhooks/${hook}/deliveries`, headers: admin })).body.data;
  const flakyDeliveries = await until(async () => { const l = await list(flakyHook.id); return l.every((x: any) => x.status === 'succeeded') && l; }, 'flaky deliveries recorded');
  t.match(flakyDeliveries.find((x: any) => x.eventType === 'article.created'), { status: 'succeeded', attempts: 4, lastStatusCode: 200, lastError: null });

  const dead = await until(async () => { const l = await list(brokenHook.id); return l.length === 2 && l.every((x: any) => x.status === 'dead') && l; }, 'broken deliveries to die', 10_000);
  for (const x of dead) t.match(x, { status: 'dead', attempts: 4, lastStatusCode: 503, lastError: 'HTTP 503', deliveredAt: null, nextAttemptAt: null });
  t.equal(broken.hits.length, 8, 'four attempts per event, then dead');
  const timedOut = await until(async () => { const l = await list(hangingHook.id); return l.length === 2 && l.every((x: any) => x.status === 'dead') && l; }, 'hanging deliveries to time out', 12_000);
  t.match(timedOut[0], { lastStatusCode: null, lastError: 'timed out after 400 ms' });

  // Redeliver: back to pending with a fresh budget; the receiver is fixed meanwhile.
  broken.state.respond = (_h, res) => void res.writeHead(200).end();
  const oldest = dead.at(-1);
  const again = await req({ method: 'POST', url: `/v1/webhooks/${brokenHook.id}/deliveries/${oldest.id}/redeliver`, headers: admin });
  t.equal(again.status, 202);
  t.match(again.body, { id: oldest.id, status: 'pending', attempts: 0 });
  await until(async () => (await list(brokenHook.id)).find((x: any) => x.id === oldest.id).status === 'succeeded', 'the redelivery');
  t.equal(broken.hits.at(-1)!.body.id, oldest.eventId, 'the same event id, so receivers can de-duplicate');
  t.match((await list(brokenHook.id)).find((x: any) => x.id === oldest.id), { attempts: 1, lastStatusCode: 200 });
  t.equal((await req({ method: 'POST', url: `/v1/webhooks/${brokenHook.id}/deliveries/${flakyDeliveries[0].id}/redeliver`, headers: admin })).status, 404, 'a delivery of another webhook');
  t.equal((await req({ method: 'POST', url: `/v1/webhooks/${flakyHook.id}/deliveries/nope/redeliver`, headers: admin })).status, 404);
  t.equal(app.webhookDispatcher.running, true);
});

t.test('redirects are followed at most 3 times and every hop is vetted', async (t) => {
  const { req, admin } = await realtimeApp(t, {}, { dispatcher: { baseDelayMs: 10, maxAttempts: 2 } });
  const r = await receiver(t);
  r.state.respond = (hit, res) => {
    if (hit.path === '/hook') return void res.writeHead(307, { location: '/moved' }).end();
    if (hit.path === '/moved') return void res.writeHead(200).end();
    if (hit.path === '/to-metadata') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    return void res.writeHead(302, { location: '/loop' }).end();
  };
  const mk = async (path: string, events: string[]) => (await req({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: `http://127.0.0.1:${r.port}${path}`, events } })).body;
  const good = await mk('/hook', ['disclaimer.created']);
  const evil = await mk('/to-metadata', ['disclaimer.created']);
  const loop = await mk('/loop', ['disclaimer.created']);
  await req({ method: 'POST', url: '/v1/disclaimers', headers: admin, payload: { key: 'k', body: [{ type: 'text', text: 'x' }] } });
  const status = async (hook: string) => (await req({ method: 'GET', url: `/v1/webhooks/${hook}/deliveries`, headers: admin })).body.data[0];
  await until(async () => (await status(good.id))?.status === 'succeeded', 'the redirected delivery');
  t.ok(r.hits.some((h) => h.path === '/moved' && h.headers['broadsheet-signature']), 'the redirect target got the signed POST');
  const refused = await until(async () => { const d = await status(evil.id); return d?.status === 'dead' && d; }, 'the refused delivery');
  t.match(refused, { attempts: 1, lastStatusCode: null, lastError: /^target refused: 169\.254\.169\.254 is a link-local address$/ }, 'refused at the hop, not retried');
  const looped = await until(async () => { const d = await status(loop.id); return d?.status === 'dead' && d; }, 'the redirect loop');
  t.match(looped, { attempts: 2, lastStatusCode: 302, lastError: 'more than 3 redirects' });
  t.equal(r.hits.filter((h) => h.path === '/loop').length, 2 * 4, 'first request and 3 redirects per attempt');
});

t.test('events survive a restart: written with the dispatcher stopped, delivered by the next process', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-crash-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = testConfig({ databaseFile: join(dir, 'broadsheet.db'), mediaDir: dir, webhookAllowedHosts: ['127.0.0.1'] });
  const r = await receiver(t);

  const first = await buildApp(config, { startDispatcher: false });
  const admin = { authorization: `Bearer ${(await first.services.apiKeys.create('admin', 'admin')).secret}` };
  const hook = (await first.inject({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: r.url, events: ['article.created'] } })).json();
  const a = (await first.inject({ method: 'POST', url: '/v1/articles', headers: admin, payload: { headline: 'Before the crash' } })).json();
  const b = (await first.inject({ method: 'POST', url: '/v1/articles', headers: admin, payload: { headline: 'Mid-delivery' } })).json();
  // b's delivery was claimed by a process that then died: its lease has run out.
  first.db.sqlite!.prepare(`update webhook_deliveries set status = 'delivering', attempts = 1, locked_until = '2000-01-01T00:00:00.000Z'
    where event_id = (select id from events where resource_id = ?)`).run(b.id);
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(r.hits.length, 0, 'nothing is sent while the dispatcher is stopped');
  await first.close();

  const second = await buildApp(config);
  t.teardown(() => second.close());
  await second.ready();
  await until(() => r.hits.length >= 2, 'delivery after the restart');
  t.same(r.hits.map((h) => h.body.data.id).sort(), [a.id, b.id].sort(), 'both events, once each');
  const rows = await until(async () => {
    const d = (await second.inject({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries`, headers: admin })).json().data;
    return d.every((x: any) => x.status === 'succeeded') && d;
  }, 'deliveries recorded');
  t.same(rows.map((x: any) => x.attempts).sort(), [1, 2], 'the reclaimed delivery counts the attempt its dead process made');
  t.equal(r.hits.find((h) => h.body.data.id === b.id)!.headers['broadsheet-attempt'], '2');
});

t.test('two dispatchers on one database never deliver the same event twice', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-two-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = testConfig({ databaseFile: join(dir, 'broadsheet.db'), mediaDir: dir, webhookAllowedHosts: ['127.0.0.1'] });
  const r = await receiver(t);
  r.state.respond = (_h, res) => void setTimeout(() => res.writeHead(200).end(), 5);
  const one = await buildApp(config, { dispatcher: { pollIntervalMs: 10 } });
  const two = await buildApp(config, { dispatcher: { pollIntervalMs: 10 } });
  t.teardown(async () => { await one.close(); await two.close(); });
  const claimed = new Map<string, number>();
  for (const [name, app] of [['one', one], ['two', two]] as const) {
    const outbox = app.services.webhooks.outbox;
    const claim = outbox.claim;
    outbox.claim = async (...args) => {
      const jobs = await claim(...args);
      claimed.set(name, (claimed.get(name) ?? 0) + jobs.length);
      return jobs;
    };
  }
  await Promise.all([one.ready(), two.ready()]);
  const admin = { authorization: `Bearer ${(await one.services.apiKeys.create('admin', 'admin')).secret}` };
  const hook = (await one.inject({ method: 'POST', url: '/v1/webhooks', headers: admin, payload: { url: r.url, events: ['*'] } })).json();
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const via = i % 2 ? two : one;
    const a = (await via.inject({ method: 'POST', url: '/v1/articles', headers: admin, payload: { headline: `Story ${i}` } })).json();
    await via.inject({ method: 'PATCH', url: `/v1/articles/${a.id}`, headers: admin, payload: { headline: `Story ${i}, updated` } });
    ids.push(a.id);
  }
  const rows = await until(async () => {
    const d = (await two.inject({ method: 'GET', url: `/v1/webhooks/${hook.id}/deliveries?limit=100`, headers: admin })).json().data;
    return d.length === 24 && d.every((x: any) => x.status === 'succeeded') && d;
  }, 'every delivery to finish', 10_000);
  t.equal(r.hits.length, 24, 'each event once');
  t.equal(new Set(r.hits.map((h) => h.body.id)).size, 24);
  t.ok(rows.every((x: any) => x.attempts === 1), 'one attempt each');
  t.ok(claimed.get('one')! > 0 && claimed.get('two')! > 0, `both processes claimed deliveries (${[...claimed].join(', ')})`);
  t.equal(claimed.get('one')! + claimed.get('two')!, 24, 'and no delivery was claimed twice');
  for (const id of ids) {
    t.same(r.hits.filter((h) => h.body.data.id === id).map((h) => h.body.type), ['article.created', 'article.updated'], 'in order per resource across processes');
  }
});
