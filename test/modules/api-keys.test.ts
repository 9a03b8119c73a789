import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { hashSecret } from '../../src/modules/api-keys/service.js';
import { build } from '../helper.js';

const run = promisify(execFile);
const PROBLEM = 'application/problem+json; charset=utf-8';
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

t.test('admin creates, lists and revokes keys', async (t) => {
  const { req, admin, clock } = await build(t);

  const created = await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: 'Newsroom app', role: 'editor' } });
  t.equal(created.status, 201);
  const key = created.body;
  t.equal(created.headers.location, `/v1/api-keys/${key.id}`);
  t.equal(created.headers['cache-control'], 'no-store', 'the secret is not cached');
  t.match(key, { name: 'Newsroom app', role: 'editor', createdAt: clock.now.toISOString(), lastUsedAt: null });
  t.same(Object.keys(key).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'role', 'secret'], 'exactly the documented fields');
  t.type(key.secret, 'string');
  t.ok(key.secret.length >= 32, 'the secret is long');
  t.ok(key.secret.startsWith(key.prefix), 'prefix is the start of the secret');
  t.ok(key.prefix.length < key.secret.length, 'prefix is shorter than the secret');

  // the new key authenticates, as an editor
  clock.advance(5 * 60_000);
  const asNew = await req({ method: 'POST', url: '/v1/tags', headers: bearer(key.secret), payload: { name: 'From new key' } });
  t.equal(asNew.status, 201, 'the new editor key can write');
  const forbidden = await req({ method: 'GET', url: '/v1/api-keys', headers: bearer(key.secret) });
  t.equal(forbidden.status, 403, 'an editor key cannot manage keys');

  // list: no secret and no hash anywhere
  const list = await req({ method: 'GET', url: '/v1/api-keys', headers: admin });
  t.equal(list.status, 200);
  t.equal(list.body.page.total, 3, 'admin + editor from the helper + the new one');
  const listed = list.body.data.find((k: any) => k.id === key.id);
  t.ok(listed, 'the new key is listed');
  t.match(listed, { name: 'Newsroom app', role: 'editor', prefix: key.prefix, createdAt: key.createdAt });
  t.equal(listed.lastUsedAt, clock.now.toISOString(), 'lastUsedAt records the use');
  t.notOk('secret' in listed, 'no secret field');
  t.notOk('hash' in listed, 'no hash field');
  t.notOk(list.raw.includes(key.secret), 'the secret is nowhere in the raw body');
  t.notOk(list.raw.includes(hashSecret(key.secret)), 'the hash is nowhere in the raw body');
  t.notOk(/"hash"|"secret"/.test(list.raw), 'no hash or secret property at all');
  for (const k of list.body.data) t.same(Object.keys(k).sort(), ['createdAt', 'id', 'lastUsedAt', 'name', 'prefix', 'role']);

  // paging
  const page1 = await req({ method: 'GET', url: '/v1/api-keys?limit=2', headers: admin });
  t.equal(page1.body.data.length, 2);
  t.type(page1.body.page.nextCursor, 'string');
  t.match(page1.headers.link, /rel="next"/);
  const page2 = await req({ method: 'GET', url: `/v1/api-keys?limit=2&cursor=${page1.body.page.nextCursor}`, headers: admin });
  t.equal(page2.body.data.length, 1);
  t.equal(page2.body.page.nextCursor, null);
  t.same([...page1.body.data, ...page2.body.data].map((k: any) => k.id).sort(), list.body.data.map((k: any) => k.id).sort());

  // revoke
  const revoked = await req({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: admin });
  t.equal(revoked.status, 204);
  t.equal(revoked.raw, '');
  const after = await req({ method: 'GET', url: '/v1/tags', headers: bearer(key.secret) });
  t.equal(after.status, 401, 'a revoked key stops working at once');
  t.equal(after.headers['content-type'], PROBLEM);
  const listAfter = await req({ method: 'GET', url: '/v1/api-keys', headers: admin });
  t.notOk(listAfter.body.data.some((k: any) => k.id === key.id), 'a revoked key is not listed');
  t.equal(listAfter.body.page.total, 2);
  t.equal((await req({ method: 'DELETE', url: `/v1/api-keys/${key.id}`, headers: admin })).status, 404, 'revoking twice → 404');
  const unknown = await req({ method: 'DELETE', url: '/v1/api-keys/01JD3Q8Z6V0R8Y5M2K1N4P7S9T', headers: admin });
  t.equal(unknown.status, 404, 'revoking an unknown key → 404');
  t.equal(unknown.headers['content-type'], PROBLEM);
  t.equal(unknown.body.code, 'not-found');

  // an admin key created through the API can manage keys
  const newAdmin = await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: 'Second admin', role: 'admin' } });
  t.equal(newAdmin.status, 201);
  t.equal((await req({ method: 'GET', url: '/v1/api-keys', headers: bearer(newAdmin.body.secret) })).status, 200, 'the new admin key authenticates as admin');
});

t.test('key management needs an admin key', async (t) => {
  const { req, editor } = await build(t);
  for (const [method, url, payload] of [
    ['GET', '/v1/api-keys', undefined],
    ['POST', '/v1/api-keys', { name: 'x', role: 'admin' }],
    ['DELETE', '/v1/api-keys/01JD3Q8Z6V0R8Y5M2K1N4P7S9T', undefined],
  ] as const) {
    const asEditor = await req({ method, url, payload, headers: editor });
    t.equal(asEditor.status, 403, `editor ${method} → 403`);
    t.equal(asEditor.headers['content-type'], PROBLEM);
    t.match(asEditor.body, { status: 403, code: 'forbidden', title: 'Forbidden' });

    const anon = await req({ method, url, payload });
    t.equal(anon.status, 401, `no key ${method} → 401`);
    t.equal(anon.headers['content-type'], PROBLEM);
    t.match(anon.body, { status: 401, code: 'unauthorized', title: 'Unauthorized' });
    t.equal(anon.headers['www-authenticate'], 'Bearer realm="broadsheet"');

    const wrong = await req({ method, url, payload, headers: bearer('bsk_this-is-not-a-real-key-at-all-000000') });
    t.equal(wrong.status, 401, `wrong key ${method} → 401`);
    t.equal(wrong.headers['content-type'], PROBLEM);
    t.match(wrong.body, { type: 'https://broadsheet.dev/problems/unauthorized', status: 401, code: 'unauthorized' });
    t.type(wrong.body.detail, 'string');
    t.type(wrong.body.instance, 'string');
  }
  for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', 'bsk_x']) {
    const res = await req({ method: 'GET', url: '/v1/tags', headers: { authorization } });
    t.equal(res.status, 401, `malformed Authorization "${authorization}" → 401`);
  }
  const foreign = await req({ method: 'POST', url: '/v1/api-keys', headers: { authorization: `Bearer ${(await (await build(t)).app.services.apiKeys.create('x', 'admin')).secret}` }, payload: {} });
  t.equal(foreign.status, 401, 'a key from another app (database) is not valid here');
});

t.test('key creation input is validated', async (t) => {
  const { req, admin } = await build(t);
  const badRole = await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: 'x', role: 'root' } });
  t.equal(badRole.status, 400);
  t.equal(badRole.body.errors[0].pointer, '/body/role');
  const extra = await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: 'x', role: 'editor', secret: 'mine' } });
  t.equal(extra.status, 400, 'a caller cannot choose the secret');
  t.same(extra.body.errors.map((e: any) => e.pointer), ['/body/secret']);
  const noName = await req({ method: 'POST', url: '/v1/api-keys', headers: admin, payload: { name: '   ', role: 'editor' } });
  t.equal(noName.status, 400);
  t.equal(noName.body.errors[0].pointer, '/body/name');
});

t.test('ADMIN_API_KEY bootstraps an admin key', async (t) => {
  const secret = 'bootstrap-secret-0123456789abcde';
  t.equal(secret.length, 32);
  const { req, app } = await build(t, { adminApiKey: secret });
  const list = await req({ method: 'GET', url: '/v1/api-keys', headers: bearer(secret) });
  t.equal(list.status, 200, 'the ADMIN_API_KEY secret works as admin');
  const boot = list.body.data.find((k: any) => k.role === 'admin' && secret.startsWith(k.prefix));
  t.ok(boot, 'the bootstrap key is listed with its prefix');
  t.notOk(list.raw.includes(secret), 'the bootstrap secret is not echoed');
  t.equal(await app.services.apiKeys.ensureBootstrapAdmin(secret), false, 'a second start does not create it again');

  // once revoked it stays revoked, even across a restart with the same variable
  t.equal((await req({ method: 'DELETE', url: `/v1/api-keys/${boot.id}`, headers: bearer(secret) })).status, 204);
  t.equal((await req({ method: 'GET', url: '/v1/api-keys', headers: bearer(secret) })).status, 401, 'revoked bootstrap key is refused');
  t.equal(await app.services.apiKeys.ensureBootstrapAdmin(secret), false, 'a revoked bootstrap key is not recreated');

  const { req: plainReq } = await build(t);
  t.equal((await plainReq({ method: 'GET', url: '/v1/api-keys', headers: bearer(secret) })).status, 401, 'without ADMIN_API_KEY the secret means nothing');
});

t.test('npm run key:create -- --role admin prints a working admin secret', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bs-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'keys.db');
  const { stdout } = await run('npx', ['tsx', 'src/cli/key-create.ts', '--role', 'admin'], {
    env: { ...process.env, DATABASE_URL: `file:${file}`, LOG_LEVEL: 'silent' },
    timeout: 30_000,
  });
  const secret = /^(bsk_\S+)$/m.exec(stdout)?.[1];
  t.ok(secret, `stdout carries the secret: ${stdout}`);
  t.match(stdout, /Created admin key/);

  const app = await buildApp(testConfig({ databaseFile: file }));
  t.teardown(() => app.close());
  const ok = await app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(secret!) });
  t.equal(ok.statusCode, 200, 'the printed secret authenticates as admin');
  const body = JSON.parse(ok.body);
  t.equal(body.page.total, 1);
  t.equal(body.data[0].role, 'admin');
  t.notOk(ok.body.includes(secret!), 'the list does not show the secret');

  const bad = await run('npx', ['tsx', 'src/cli/key-create.ts', '--role', 'root'], { env: { ...process.env, DATABASE_URL: `file:${file}` }, timeout: 30_000 })
    .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  t.equal(bad.code, 2, 'an unknown role exits 2');
  t.match(bad.stderr, /--role/);
});
