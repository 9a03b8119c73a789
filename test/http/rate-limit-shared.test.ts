/**
 * Rate limits shared through Redis (REDIS_URL): two apps on one database and one Redis count into the same
 * buckets, so requests split across them hit 429 at the limit, not at twice the limit. Without REDIS_URL each
 * process counts alone; an unreachable Redis lets requests through (fail open) instead of answering 500.
 * Each run uses its own key prefix (REDIS_KEY_PREFIX) so runs never share counters. Needs the local Redis
 * (REDIS_URL, default redis://127.0.0.1:6379); skipped, saying so, only when it does not answer.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { loadConfig, type Config } from '../../src/config.js';
import { freePort } from '../hardening/server-process.js';
import { build, testDatabase, type TestApp } from '../helper.js';
import { dropKeys, REDIS_URL, redisUnreachable, withRedis } from '../redis.js';

const PREFIX = `broadsheet-test:${randomUUID()}:`;

const dir = mkdtempSync(join(tmpdir(), 'bs-rl-shared-'));
t.teardown(async () => {
  rmSync(dir, { recursive: true, force: true });
  await dropKeys(PREFIX);
});

/**
 * Two apps on one SQLite file, or under DB=postgres on one schema (so an API key made through one verifies on
 * the other).
 */
async function pair(t: Test, overrides: Partial<Config>): Promise<[TestApp, TestApp]> {
  const database = await testDatabase();
  t.teardown(database.drop); // teardowns run last-first: after both apps have closed
  const databaseFile = join(dir, `${randomUUID()}.db`);
  const a = await build(t, { databaseFile, ...database.settings, ...overrides });
  const b = await build(t, { databaseFile, ...database.settings, ...overrides });
  return [a, b];
}

const get = (app: TestApp, headers: Record<string, string> = {}) => app.req({ method: 'GET', url: '/v1/tags', headers });

t.test('configuration: REDIS_URL is optional, redis:// or rediss://; REDIS_KEY_PREFIX has a default', async (t) => {
  const base = { DATABASE_URL: ':memory:' };
  t.equal(loadConfig(base).redisUrl, undefined, 'unset by default: counters stay in the process');
  t.equal(loadConfig(base).redisKeyPrefix, 'broadsheet:');
  t.equal(loadConfig({ ...base, REDIS_URL: '' }).redisUrl, undefined, 'empty counts as unset');
  t.equal(loadConfig({ ...base, REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl, 'redis://127.0.0.1:6379/2');
  t.equal(loadConfig({ ...base, REDIS_URL: 'rediss://:secret@cache.example:6380' }).redisUrl, 'rediss://:secret@cache.example:6380');
  for (const bad of ['http://127.0.0.1:6379', '127.0.0.1:6379', 'not a url']) {
    t.throws(() => loadConfig({ ...base, REDIS_URL: bad }), { message: /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/ }, `REDIS_URL=${bad} is refused`);
  }
});

t.test('without REDIS_URL each process counts alone (the limit is per process)', async (t) => {
  const [a, b] = await pair(t, { rateLimitAnonPerMinute: 2 });
  for (const app of [a, a]) t.equal((await get(app)).status, 200);
  t.equal((await get(a)).status, 429, 'the first process is used up');
  t.equal((await get(b)).status, 200, 'the second has its own counter');
});

t.test('an unreachable Redis lets requests through (fail open) and does not hold the app open', async (t) => {
  const port = await freePort();
  const started = Date.now();
  const { app, req } = await build(t, { redisUrl: `redis://127.0.0.1:${port}`, redisKeyPrefix: PREFIX, rateLimitAnonPerMinute: 1 });
  t.ok(Date.now() - started < 10_000, `the app starts without Redis (${Date.now() - started} ms)`);
  for (let i = 1; i <= 3; i++) {
    const res = await req({ method: 'GET', url: '/v1/tags' });
    t.equal(res.status, 200, `request ${i} passes although the limit is 1: the limiter skips a store error`);
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/tags`;
  for (let i = 1; i <= 3; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
    t.equal(res.status, 200, `cached read ${i} over the socket passes too (the front door fails open the same way)`);
  }
  // The teardown closes the app: if the reconnecting client were not disconnected, tap would time out here.
});

const unreachable = await redisUnreachable();
const skip = unreachable ? `Redis at ${REDIS_URL} does not answer (${unreachable}): the shared-counter tests need it` : false;
t.test('with REDIS_URL', { skip }, async (t) => {
  // Every pair of apps gets its own prefix under this run's: no test sees another's counters.
  let n = 0;
  const shared = () => ({ redisUrl: REDIS_URL, redisKeyPrefix: `${PREFIX}${++n}:` });

  t.test('two apps share the anonymous count: requests split across both hit 429 at the limit', async (t) => {
    const LIMIT = 6;
    const [a, b] = await pair(t, { ...shared(), rateLimitAnonPerMinute: LIMIT, rateLimitKeyPerMinute: 100 });
    for (let i = 1; i <= LIMIT; i++) {
      const app = i % 2 ? a : b;
      const res = await get(app);
      t.equal(res.status, 200, `request ${i} (${i % 2 ? 'A' : 'B'}) passes`);
      t.equal(res.headers['ratelimit-limit'], String(LIMIT));
      t.equal(res.headers['ratelimit-remaining'], String(LIMIT - i), `RateLimit-Remaining counts both apps' requests (${LIMIT - i})`);
    }
    for (const [name, app] of [['A', a], ['B', b]] as const) {
      const res = await get(app);
      t.equal(res.status, 429, `request ${LIMIT + 1} through ${name}: 429`);
      t.equal(res.body?.code, 'rate-limited');
      t.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After');
    }
  });

  t.test('cached reads answered at the front door count in the same shared bucket', async (t) => {
    const LIMIT = 4;
    const [a, b] = await pair(t, { ...shared(), rateLimitAnonPerMinute: LIMIT, rateLimitKeyPerMinute: 100 });
    const urls = await Promise.all([a, b].map(async ({ app }) => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/tags`;
    }));
    const seen: string[] = [];
    const results = [];
    for (let i = 0; i < LIMIT + 2; i++) {
      const res = await fetch(urls[i % 2]!);
      await res.arrayBuffer();
      results.push(res.status);
      seen.push(String(res.headers.get('ratelimit-remaining')));
    }
    t.same(results, [200, 200, 200, 200, 429, 429], 'each app answered its second read from the cache, and the 5th read overall is refused');
    t.same(seen.slice(0, LIMIT), ['3', '2', '1', '0'], 'RateLimit-Remaining counts both apps\' reads, cached or not');
  });

  t.test('an API key has one bucket across both apps', async (t) => {
    const LIMIT = 3;
    const [a, b] = await pair(t, { ...shared(), rateLimitAnonPerMinute: 100, rateLimitKeyPerMinute: LIMIT });
    const key = a.editor;
    const statuses = [];
    for (const app of [a, b, a, b, a]) statuses.push((await get(app, key)).status);
    t.same(statuses, [200, 200, 200, 429, 429], 'the fourth keyed request, wherever it lands, is over the limit');
    t.equal((await get(b, b.editor)).status, 200, 'another key has its own bucket');
  });

  t.test('failed authentications are counted across apps too', async (t) => {
    const LIMIT = 2;
    const [a, b] = await pair(t, { ...shared(), rateLimitAnonPerMinute: LIMIT, rateLimitKeyPerMinute: 100 });
    const junk = { authorization: 'Bearer not-a-real-key-0123456789' };
    t.equal((await get(a, junk)).status, 401);
    t.equal((await get(b, junk)).status, 401);
    const third = await get(a, junk);
    t.equal(third.status, 429, 'the third failure, on A after one on each, is refused with 429');
    t.equal((await get(b, a.editor)).status, 200, 'a valid key from the same address still passes');
  });

  t.test('keys live under REDIS_KEY_PREFIX and expire with the window', async (t) => {
    const config = shared();
    const [a] = await pair(t, { ...config, rateLimitAnonPerMinute: 10 });
    t.equal((await get(a)).status, 200);
    const [keys, ttl] = await withRedis(async (redis) => {
      const found = await redis.keys(`${config.redisKeyPrefix}*`);
      return [found, found.length ? await redis.pttl(found[0]!) : -2] as const;
    });
    t.same(keys, [`${config.redisKeyPrefix}rate-limit:ip:127.0.0.1`], 'one counter per bucket, under the prefix');
    t.ok(ttl > 0 && ttl <= 60_000, `it expires with the one-minute window (${ttl} ms left)`);
  });
});
