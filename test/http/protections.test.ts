import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { loadConfig, testConfig } from '../../src/config.js';
import { openDb } from '../../src/db/client.js';
import { checkDatabase, DatabaseSelfCheckError } from '../../src/db/self-check.js';
import { build, onPostgres } from '../helper.js';

const PROBLEM = 'application/problem+json; charset=utf-8';
const ROOT = resolve(import.meta.dirname, '../..');

type Res = { status: number; headers: Record<string, unknown>; body: any };

function assertRateLimited(t: Test, res: Res, limit: number) {
  t.equal(res.status, 429, '429');
  t.equal(res.headers['content-type'], PROBLEM, 'problem+json');
  t.equal(res.body?.code, 'rate-limited');
  t.equal(res.body?.type, 'https://broadsheet.dev/problems/rate-limited');
  const retryAfter = Number(res.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After is 1..60 s (${res.headers['retry-after']})`);
  t.equal(String(res.headers['ratelimit-limit']), String(limit), 'RateLimit-Limit');
  t.equal(String(res.headers['ratelimit-remaining']), '0', 'RateLimit-Remaining 0');
  t.ok(Number(res.headers['ratelimit-reset']) >= 1, 'RateLimit-Reset');
  t.equal(res.headers['x-content-type-options'], 'nosniff', 'security headers on the 429 too');
}

const INVALID = { message: /^Invalid configuration:\n {2}TRUST_PROXY: TRUST_PROXY must be/ };

t.test('configuration: TRUST_PROXY and the limits', async (t) => {
  const base = { DATABASE_URL: ':memory:' };
  const c = loadConfig(base);
  t.equal(c.trustProxy, false, 'proxies are not trusted by default');
  t.equal(c.rateLimitAnonPerMinute, 600);
  t.equal(c.rateLimitKeyPerMinute, 1200);
  t.equal(c.maxEventLoopDelayMs, 1000);
  t.equal(c.requestTimeoutMs, 30_000);
  t.equal(c.keepAliveTimeoutMs, 5000);
  t.equal(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy, true);
  t.equal(loadConfig({ ...base, TRUST_PROXY: 'false' }).trustProxy, false);
  t.equal(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy, 2, 'a hop count');
  t.same(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,::1,fd00::/8,loopback' }).trustProxy, ['10.0.0.0/8', '192.168.1.10', '::1', 'fd00::/8', 'loopback']);
  for (const bad of ['yes', '10.0.0.0/33', 'proxy.example.com', '1.2.3.4/8/9', ',']) {
    t.throws(() => loadConfig({ ...base, TRUST_PROXY: bad }), INVALID, `TRUST_PROXY=${bad} is refused`);
  }
  t.throws(() => loadConfig({ ...base, REQUEST_TIMEOUT_MS: '0' }), { message: /REQUEST_TIMEOUT_MS/ }, 'the request timeout cannot be switched off');
  t.throws(() => loadConfig({ ...base, RATE_LIMIT_ANON_PER_MINUTE: '-1' }), { message: /RATE_LIMIT_ANON_PER_MINUTE/ }, 'limits are not negative');
});

t.test('rate limit per address for anonymous callers; no fresh bucket from headers, query or path', async (t) => {
  const { req } = await build(t, { rateLimitAnonPerMinute: 5, rateLimitKeyPerMinute: 100 });
  for (let i = 1; i <= 5; i++) {
    const res = await req({ method: 'GET', url: '/v1/articles' });
    t.equal(res.status, 200, `request ${i} passes`);
    t.equal(res.headers['ratelimit-limit'], '5');
    t.equal(res.headers['ratelimit-remaining'], String(5 - i));
    t.ok(Number(res.headers['ratelimit-reset']) > 0, 'RateLimit-Reset in seconds');
  }
  const sixth = await req({ method: 'GET', url: '/v1/articles' });
  assertRateLimited(t, sixth, 5);
  t.equal(sixth.headers['cache-control'], 'no-store', 'a 429 is never cached');

  const variants: Array<{ url: string; headers?: Record<string, string> }> = [
    { url: '/v1/articles', headers: { 'x-forwarded-for': '203.0.113.7' } },
    { url: '/v1/articles', headers: { 'x-forwarded-for': '198.51.100.1, 203.0.113.8' } },
    { url: '/v1/articles', headers: { forwarded: 'for=192.0.2.60;proto=https' } },
    { url: '/v1/articles', headers: { 'x-real-ip': '192.0.2.61', 'x-client-ip': '192.0.2.62', 'cf-connecting-ip': '192.0.2.63', 'true-client-ip': '192.0.2.64' } },
    { url: '/v1/articles', headers: { 'user-agent': 'another browser', 'x-request-id': 'fresh-id-1', cookie: 'session=1', 'accept-language': 'fr' } },
    { url: '/v1/articles?limit=1' },
    { url: '/v1/articles?limit=2&sort=headline' },
    { url: '/V1/ARTICLES' },
    { url: '/v1/tags' },
    { url: '/v1/search?q=harbour' },
    { url: '/v1/no-such-route' },
    { url: '/openapi.json' },
  ];
  for (const v of variants) {
    const res = await req({ method: 'GET', ...v });
    t.equal(res.status, 429, `still limited: ${v.url} ${JSON.stringify(v.headers ?? {})}`);
  }

  t.equal((await req({ method: 'GET', url: '/health' })).status, 200, '/health is never limited');
  t.equal((await req({ method: 'GET', url: '/ready' })).status, 200, '/ready is never limited');
  t.notOk((await req({ method: 'GET', url: '/health' })).headers['ratelimit-limit'], 'and carries no rate-limit headers');

  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: '198.51.100.20' })).status, 200, 'another address has its own bucket');
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: '2001:db8:1:2::1' })).status, 200, 'an IPv6 client');
  for (let i = 0; i < 4; i++) await req({ method: 'GET', url: '/v1/articles', remoteAddress: `2001:db8:1:2::${i + 2}` });
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: '2001:db8:1:2:ffff::9' })).status, 429, 'rotating addresses within one IPv6 /64 shares the bucket');
});

t.test('unknown paths and failed authentication are counted too', async (t) => {
  const { req, editor } = await build(t, { rateLimitAnonPerMinute: 3, rateLimitKeyPerMinute: 100 });
  const notFound = { method: 'GET' as const, url: '/v1/nothing-here', remoteAddress: '192.0.2.1' };
  for (let i = 0; i < 3; i++) t.equal((await req(notFound)).status, 404);
  assertRateLimited(t, await req(notFound), 3);

  const from = '192.0.2.2';
  for (let i = 0; i < 3; i++) {
    const res = await req({ method: 'GET', url: '/v1/articles', remoteAddress: from, headers: { authorization: `Bearer bsk_guess${i}` } });
    t.equal(res.status, 401, `wrong key ${i + 1}: 401`);
  }
  const guessed = await req({ method: 'GET', url: '/v1/articles', remoteAddress: from, headers: { authorization: 'Bearer bsk_guess-again' } });
  assertRateLimited(t, guessed, 3);
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: from, headers: { authorization: 'Basic x' } })).status, 429, 'any credential that does not verify');
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: from, headers: editor })).status, 200, 'a valid key from that address still works');
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: from })).status, 200, 'anonymous reads keep their own bucket');
});

t.test('an API key has its own bucket, wherever it calls from', async (t) => {
  const { req, editor, admin } = await build(t, { rateLimitAnonPerMinute: 2, rateLimitKeyPerMinute: 3 });
  for (let i = 0; i < 2; i++) t.equal((await req({ method: 'GET', url: '/v1/articles' })).status, 200);
  t.equal((await req({ method: 'GET', url: '/v1/articles' })).status, 429, 'anonymous bucket used up');

  for (let i = 0; i < 3; i++) {
    const res = await req({ method: 'GET', url: '/v1/articles', headers: editor });
    t.equal(res.status, 200, `editor request ${i + 1} from the same address passes`);
    t.equal(res.headers['ratelimit-limit'], '3', 'the key limit applies');
  }
  const over = await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: { name: 'x' } });
  assertRateLimited(t, over, 3);
  t.match(over.body.detail, /API key/);
  for (const [i, body] of [{ name: 'y' }, { name: 'z', email: 'a@b.c' }, { name: 'w', apiKey: 'other' }].entries()) {
    t.equal((await req({ method: 'POST', url: '/v1/tags', headers: editor, payload: body })).status, 429, `body variant ${i} changes nothing`);
  }
  t.equal((await req({ method: 'GET', url: '/v1/articles', headers: editor, remoteAddress: '198.51.100.33' })).status, 429, 'a new address does not reset a key');
  t.equal((await req({ method: 'GET', url: '/v1/articles', headers: admin })).status, 200, 'another key is unaffected');
  t.equal((await req({ method: 'GET', url: '/v1/articles', remoteAddress: '198.51.100.34' })).status, 200, 'anonymous callers elsewhere are unaffected');
});

t.test('X-Forwarded-For picks the bucket only from a trusted proxy (TRUST_PROXY)', async (t) => {
  const { req } = await build(t, { rateLimitAnonPerMinute: 2, trustProxy: ['127.0.0.1'] });
  const via = (client: string, remoteAddress = '127.0.0.1') => req({ method: 'GET', url: '/v1/articles', remoteAddress, headers: { 'x-forwarded-for': client } });
  t.equal((await via('203.0.113.1')).status, 200);
  t.equal((await via('203.0.113.1')).status, 200);
  t.equal((await via('203.0.113.1')).status, 429, 'the client behind the proxy is limited');
  t.equal((await via('203.0.113.2')).status, 200, 'another client behind the proxy has its own bucket');
  t.equal((await via('203.0.113.3', '198.51.100.9')).status, 200);
  t.equal((await via('203.0.113.4', '198.51.100.9')).status, 200);
  t.equal((await via('203.0.113.5', '198.51.100.9')).status, 429, 'an untrusted peer cannot choose its address with the header');

  const hops = await build(t, { rateLimitAnonPerMinute: 1, trustProxy: 1 });
  const viaHop = (xff: string) => hops.req({ method: 'GET', url: '/v1/articles', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': xff } });
  t.equal((await viaHop('6.6.6.6, 203.0.113.10')).status, 200, 'TRUST_PROXY=1: the address the proxy saw');
  t.equal((await viaHop('7.7.7.7, 203.0.113.10')).status, 429, 'a spoofed entry further left changes nothing');
});

t.test('under pressure: 503 + Retry-After while the event loop lags; /health still answers', async (t) => {
  const { app } = await build(t, { maxEventLoopDelayMs: 30, rateLimitAnonPerMinute: 0 });
  await app.ready();
  const busy = (ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* block the event loop, as a long synchronous query would */ }
  };
  let lagged: Awaited<ReturnType<typeof app.inject>> | undefined;
  let health: Awaited<ReturnType<typeof app.inject>> | undefined;
  for (let attempt = 0; attempt < 5 && !lagged; attempt++) {
    busy(800);
    // The plugin samples every 100 ms here; wait until it has seen the lag.
    for (let waited = 0; app.memoryUsage().eventLoopDelay <= 30 && waited < 1000; waited += 2) await sleep(2);
    const [res, h] = await Promise.all([app.inject({ url: '/v1/articles' }), app.inject({ url: '/health' })]);
    if (res.statusCode === 503) [lagged, health] = [res, h];
  }
  t.ok(lagged, 'a request during the lag gets 503');
  t.equal(lagged?.headers['content-type'], PROBLEM);
  t.equal(lagged?.json().code, 'overloaded');
  t.equal(lagged?.headers['retry-after'], '5', 'Retry-After');
  t.equal(lagged?.headers['x-content-type-options'], 'nosniff');
  t.equal(health?.statusCode, 200, '/health (liveness) answers even then');

  let recovered = false;
  for (let waited = 0; !recovered && waited < 3000; waited += 20) {
    await sleep(20);
    recovered = (await app.inject({ url: '/v1/articles' })).statusCode === 200;
  }
  t.ok(recovered, 'answers 200 again once the loop is free');
});

t.test('security headers for a JSON API; Swagger UI still loads', async (t) => {
  const { req, editor } = await build(t);
  const json = await req({ method: 'GET', url: '/v1/articles' });
  const expectJsonHeaders = (res: Res, what: string) => {
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
    t.equal(res.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'", `${what}: nothing may load or frame it`);
    t.equal(res.headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
    t.equal(res.headers['cross-origin-resource-policy'], 'same-site', `${what}: CORP same-site`);
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: Referrer-Policy`);
    t.notOk(res.headers['strict-transport-security'], `${what}: no HSTS (the TLS terminator sets it)`);
    t.notOk(res.headers['x-powered-by'], `${what}: no X-Powered-By`);
  };
  expectJsonHeaders(json, 'JSON');
  expectJsonHeaders(await req({ method: 'GET', url: '/v1/nothing' }), '404');
  expectJsonHeaders(await req({ method: 'POST', url: '/v1/tags', payload: { name: 'x' } }), '401');
  expectJsonHeaders(await req({ method: 'GET', url: '/health' }), '/health');

  const docs = await req({ method: 'GET', url: '/docs/' });
  t.equal(docs.status, 200, '/docs/ is served');
  t.match(String(docs.headers['content-type']), /^text\/html/);
  const csp = String(docs.headers['content-security-policy']);
  t.match(csp, /script-src 'self'/, 'the docs page may run its own scripts');
  t.match(csp, /connect-src 'self'/, 'and fetch the OpenAPI document');
  t.notMatch(csp, /script-src[^;]*(unsafe-inline|unsafe-eval|\*)/, 'no inline or foreign script');
  t.equal(docs.headers['x-content-type-options'], 'nosniff');
  const html = (await req({ method: 'GET', url: '/docs/' })).raw;
  const assets = [...html.matchAll(/(?:src|href)="\.\/(static\/[^"]+)"/g)].map((m) => m[1]!);
  t.ok(assets.some((a) => a.endsWith('swagger-ui-bundle.js')), 'the page links its bundle');
  for (const asset of assets) {
    const res = await req({ method: 'GET', url: `/docs/${asset}` });
    t.equal(res.status, 200, `/docs/${asset} loads`);
  }
  t.equal((await req({ method: 'GET', url: '/docs/static/swagger-initializer.js' })).status, 200, 'the initializer loads');
  t.equal((await req({ method: 'GET', url: '/docs/json' })).status, 200, 'the document it renders loads');

  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#336699' } }).png().toBuffer();
  const boundary = 'bs-protections';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const up = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
  t.equal(up.status, 201, 'uploaded an image');
  const file = await req({ method: 'GET', url: `/v1/media/${up.body.id}/file`, headers: editor });
  t.equal(file.status, 200);
  t.equal(file.headers['cross-origin-resource-policy'], 'cross-origin', 'media bytes load in <img> on other sites');
  t.equal(file.headers['content-security-policy'], "default-src 'none'; sandbox", 'the file route keeps its own sandbox CSP');
  t.equal(file.headers['x-content-type-options'], 'nosniff');
  const feed = await req({ method: 'GET', url: '/v1/feeds/rss' });
  t.equal(feed.status, 200);
  t.equal(feed.headers['cross-origin-resource-policy'], 'cross-origin', 'feeds are readable cross-origin');
  t.equal((await req({ method: 'GET', url: '/v1/sitemap.xml' })).headers['cross-origin-resource-policy'], 'cross-origin', 'sitemaps too');
});

t.test('URL limits: router errors before any route are problem+json too', async (t) => {
  const { req } = await build(t);
  const cases = [
    ['/v1/articles/%zz', 'bad-url'],
    [`/v1/articles/${'a'.repeat(201)}`, 'param-too-long'],
  ] as const;
  for (const [url, code] of cases) {
    const res = await req({ method: 'GET', url });
    t.equal(res.status, 400, `${url.slice(0, 30)}…: 400`);
    t.equal(res.headers['content-type'], PROBLEM);
    t.equal(res.body?.code, code);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
  }
  t.equal((await req({ method: 'GET', url: `/v1/articles/${'a'.repeat(200)}` })).body?.code, 'validation-failed', '200 characters reach the route (and its schema)');
});

/** Raw socket exchange: writes `head`, then trickles `drip` every `everyMs`, resolves on close. */
async function trickle(port: number, head: string, drip: string, everyMs: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  const started = Date.now();
  let data = '';
  socket.on('data', (d) => (data += d));
  socket.on('error', () => { /* reset by the server: reported through close */ });
  socket.write(head);
  const timer = setInterval(() => socket.writable && socket.write(drip), everyMs);
  const guard = setTimeout(() => socket.destroy(), 5000);
  await once(socket, 'close');
  clearInterval(timer);
  clearTimeout(guard);
  return { ms: Date.now() - started, data };
}

t.test('a slow client is cut off at the request timeout; others are served meanwhile', async (t) => {
  const { app, editor } = await build(t, { requestTimeoutMs: 500 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;

  const bodyHead = `POST /v1/tags HTTP/1.1\r\nHost: x\r\nAuthorization: ${editor.authorization}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n`;
  const [slowBody, slowHeaders, other] = await Promise.all([
    trickle(port, bodyHead, ' ', 50),
    trickle(port, 'GET /v1/articles HTTP/1.1\r\nHost: x\r\n', 'X-Drip: 1\r\n', 50),
    (async () => {
      await sleep(200);
      return fetch(`http://127.0.0.1:${port}/v1/articles`);
    })(),
  ]);
  for (const [what, r] of [['body', slowBody], ['headers', slowHeaders]] as const) {
    t.ok(r.ms >= 450 && r.ms < 2500, `trickled ${what}: closed after ${r.ms} ms (timeout 500 ms)`);
    t.match(r.data, /^HTTP\/1\.1 408 Request Timeout\r\n/, `trickled ${what}: 408`);
    t.match(r.data, /content-type: application\/problem\+json/i, 'as problem+json');
    t.match(r.data, /"code":"request-timeout"/);
  }
  t.equal(other.status, 200, 'a normal client is served while the slow ones hang on');

  const big = await trickle(port, `GET /v1/articles HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`, '', 1000);
  t.match(big.data, /^HTTP\/1\.1 431 /, 'headers above 16 KiB (Node default): 431');
  t.match(big.data, /"code":"headers-too-large"/);
  t.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200, 'the process is unaffected');
});

t.test('the startup self-check refuses pragmas that do not match', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-selfcheck-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));

  const good = openDb(join(dir, 'good.db'), 'NORMAL');
  const report = checkDatabase(good.sqlite, 'NORMAL');
  t.same(report, { journalMode: 'wal', synchronous: 1, foreignKeys: 1, busyTimeoutMs: 5000, quickCheck: 'ok' }, 'a handle from openDb passes');
  t.throws(() => checkDatabase(good.sqlite, 'FULL'), /synchronous is 1 \(NORMAL\), expected 2 \(FULL, from DB_SYNCHRONOUS\)/, 'DB_SYNCHRONOUS=FULL but the handle is NORMAL');
  good.sqlite.close();
  const full = openDb(join(dir, 'full.db'), 'FULL');
  t.equal(checkDatabase(full.sqlite, 'FULL').synchronous, 2, 'FULL reads back as 2');
  full.sqlite.close();
  const memory = openDb(':memory:');
  t.same(checkDatabase(memory.sqlite, 'NORMAL'), { journalMode: 'memory', synchronous: 1, foreignKeys: 1, busyTimeoutMs: 5000, quickCheck: null }, ':memory: reports journal_mode memory');
  memory.sqlite.close();

  const off = new Database(join(dir, 'off.db'));
  off.pragma('journal_mode = WAL');
  off.pragma('foreign_keys = ON');
  off.pragma('busy_timeout = 5000');
  off.pragma('synchronous = OFF');
  const err = t.throws(() => checkDatabase(off, 'NORMAL'), DatabaseSelfCheckError) as DatabaseSelfCheckError | undefined;
  t.match(err?.message, /refusing to start/);
  t.same(err?.problems, ['synchronous is 0 (OFF), expected 1 (NORMAL, from DB_SYNCHRONOUS)'], 'names the pragma, the value and the expectation');
  await t.rejects(buildApp(testConfig(), { db: { sqlite: off, db: undefined as never } }), DatabaseSelfCheckError, 'buildApp refuses to start on that handle');
  off.close();

  const bare = new Database(join(dir, 'bare.db'), { timeout: 0 });
  bare.pragma('foreign_keys = OFF');
  const bareErr = t.throws(() => checkDatabase(bare, 'NORMAL')) as DatabaseSelfCheckError | undefined;
  t.equal(bareErr?.problems.length, 4, 'a bare handle: journal_mode, synchronous (FULL by default), foreign_keys, busy_timeout');
  t.match(bareErr?.problems.join('\n'), /synchronous is 2 \(FULL\), expected 1/);
  t.match(bareErr?.problems.join('\n'), /journal_mode is delete, expected wal/);
  t.match(bareErr?.problems.join('\n'), /foreign_keys is 0, expected 1/);
  t.match(bareErr?.problems.join('\n'), /busy_timeout is 0/);
  bare.close();

  // A damaged file: garbage over an index page. quick_check (or the first read) refuses it.
  const damaged = join(dir, 'damaged.db');
  const seed = new Database(damaged);
  seed.pragma('journal_mode = DELETE');
  seed.exec('create table t (id integer primary key, v text); create index t_v on t(v);');
  const insert = seed.prepare('insert into t (v) values (?)');
  seed.transaction(() => { for (let i = 0; i < 2000; i++) insert.run(`value ${i} ${'x'.repeat(40)}`); })();
  seed.close();
  const fd = openSync(damaged, 'r+');
  writeSync(fd, Buffer.alloc(2048, 0xa5), 0, 2048, 4096 * 6 + 512);
  closeSync(fd);
  const handle = openDb(damaged);
  t.teardown(() => handle.sqlite.close());
  t.throws(() => checkDatabase(handle.sqlite, 'NORMAL'), { message: /quick_check found damage: \*\*\* in database main \*\*\*; .*\(and \d+ more lines\)$/ }, 'a damaged database does not start');
});

t.test('npm run backup: an online copy while writes continue, checked and complete', {
  skip: onPostgres && 'SQLite: the backup CLI copies the SQLite file (PostgreSQL is backed up with its own tools)',
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-backup-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const live = join(dir, 'live.db');
  const { req, editor } = await build(t, { databaseFile: live, rateLimitKeyPerMinute: 0 });
  const before: string[] = [];
  for (let i = 0; i < 30; i++) {
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `Before the backup ${i}` } });
    t.equal(res.status, 201);
    before.push(res.body.id);
  }

  const out = join(dir, 'copy.db');
  const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/backup.ts', out], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: `file:${live}`, MEDIA_DIR: join(dir, 'media') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  let done = false;
  void exited.then(() => (done = true));
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  let during = 0;
  while (!done) {
    // Writes keep landing on the live database while the copy is taken.
    const res = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: `During the backup ${during}` } });
    if (res.status === 201) during++;
    await sleep(1);
  }
  clearTimeout(kill);
  const [code] = await exited;
  t.equal(code, 0, `backup exited 0 ${stderr}`);
  t.ok(during > 0, `${during} writes were acknowledged while the backup ran`);
  t.match(stdout, /integrity_check: ok/);
  t.match(stdout, /articles: \d+/);
  t.match(stdout, /MEDIA_DIR/, 'reminds that media bytes are separate');

  const copy = new Database(out, { readonly: true, fileMustExist: true });
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok', 'the copy passes integrity_check');
  t.equal(copy.pragma('journal_mode', { simple: true }), 'delete', 'a self-contained file (no -wal beside it)');
  const ids = new Set(copy.prepare('select id from articles').pluck().all() as string[]);
  t.same(before.filter((id) => !ids.has(id)), [], 'every article written before the backup is in it');
  t.equal(Number(/articles: (\d+)/.exec(stdout)?.[1]), ids.size, 'the printed count is the copy\'s');
  t.same(copy.pragma('foreign_key_check'), [], 'no dangling references');
  copy.close();

  const again = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['src/cli/backup.ts', out], { cwd: ROOT, env: { ...process.env, DATABASE_URL: live }, stdio: 'ignore' });
  t.equal((await once(again, 'exit'))[0], 2, 'never overwrites an existing file');
});
