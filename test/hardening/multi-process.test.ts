/**
 * Several API processes on one site (issue 8): two real server processes on one database, one media directory
 * and one Redis, started at the same moment, with a round-robin balancer in front (./balancer.ts). The same
 * checks run twice, whatever DB says: on one SQLite file, and on one PostgreSQL schema (test/postgres.ts; skipped,
 * saying so, when PostgreSQL does not answer). Checked:
 * - a write through A is visible through B within 1 s, including B's response cache (a cached list and a
 *   cached single read; the ETag changes), timed from the write's response to the first read that shows it
 *   (SQLite: `PRAGMA data_version`; PostgreSQL: LISTEN/NOTIFY, both asked by the cache at most every 100 ms);
 *   and through A's own cache while readers keep reading from A during the write;
 * - 200 webhook events, written through both processes with both dispatchers running, are delivered exactly
 *   once each (counted by Broadsheet-Delivery and by event id at a local receiver; on PostgreSQL the claim
 *   takes `FOR UPDATE SKIP LOCKED`);
 * - an idempotent POST replayed against the other process (and through the balancer) returns the first
 *   response; the same key sent to both at once creates one article;
 * - concurrent If-Match updates of one article through both processes: one 200, the others 412 (never 409
 *   or 500; PostgreSQL: SERIALIZABLE, the loser run again sees the winner);
 * - rate limits are shared through Redis (skipped, saying so, when Redis does not answer).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { createSchema, PG_URL, pgUnreachable } from '../postgres.js';
import { dropKeys, REDIS_URL, redisUnreachable } from '../redis.js';
import { startBalancer, type Balancer } from './balancer.js';
import { ServerRegistry, sleep, startServer, within, type ServerProcess, type StartOptions } from './server-process.js';

t.setTimeout(300_000);

const ADMIN_KEY = 'multi-process-admin-key-0123456789abcdef';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
const VISIBLE_WITHIN_MS = 1000;
const EVENTS = 200;
const ANON_LIMIT = 120;

const redisDown = await redisUnreachable();
const pgDown = await pgUnreachable();

/** The shared database, as the servers reach it and as this test sees it (a third process's view). */
type Backend = {
  database: Pick<StartOptions, 'dbFile' | 'databaseUrl'>;
  /** One statement on this test's own connection, `?` placeholders (PostgreSQL answers count(*) as a string). */
  query(text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
};

function sqliteBackend(dbFile: string): Backend {
  let file: Database.Database | undefined;
  // Opened on first use: the servers create the file.
  const db = () => (file ??= new Database(dbFile, { fileMustExist: true }));
  return {
    database: { dbFile },
    query: async (text, values = []) => db().prepare(text).all(...values) as Record<string, unknown>[],
    close: async () => {
      file?.close();
    },
  };
}

async function postgresBackend(): Promise<Backend> {
  const schema = await createSchema();
  const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
  pool.on('error', () => undefined);
  return {
    database: { databaseUrl: schema.url },
    async query(text, values = []) {
      let n = 0;
      return (await pool.query(text.replace(/\?/g, () => `$${++n}`), values)).rows as Record<string, unknown>[];
    },
    async close() {
      await pool.end();
      await schema.drop();
    },
  };
}

/** One request; the parsed body when JSON, and the time (ms, performance.now) the whole answer had arrived. */
async function call(base: string, method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  const at = performance.now();
  let json: any;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  return { status: res.status, headers: res.headers, text, json, at };
}

const admin = (base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(base, method, path, { body, headers: { ...AUTH, ...headers } });

/** An anonymous reader with its own address (its own rate-limit bucket), as a proxy in front would say. */
const reader = (address: string) => (base: string, path: string, headers: Record<string, string> = {}) =>
  call(base, 'GET', path, { headers: { 'x-forwarded-for': address, ...headers } });

const article = (headline: string) => ({
  headline,
  body: [{ type: 'paragraph', children: [{ type: 'text', text: `${headline}: a story written to check several processes.` }] }],
});

/**
 * Polls until `check` returns a value; resolves with it and how long after `since` the answer that showed
 * it had arrived. Bounded (`deadlineMs`) so a failure reports the time rather than hanging.
 */
async function firstShowing<T>(since: number, deadlineMs: number, check: () => Promise<T | undefined | false>): Promise<{ value: T | undefined; afterMs: number; tries: number }> {
  const deadline = since + deadlineMs;
  for (let tries = 1; ; tries++) {
    const value = await check();
    const now = performance.now();
    if (value !== undefined && value !== false) return { value, afterMs: Math.round(now - since), tries };
    if (now > deadline) return { value: undefined, afterMs: Math.round(now - since), tries };
    await sleep(10);
  }
}

/** The whole scenario on one shared database: two processes, a balancer, a webhook receiver, Redis. */
async function twoProcesses(t: Test, backend: Backend, mediaDir: string): Promise<void> {
  const prefix = `broadsheet-test:${randomUUID()}:`;
  const registry = new ServerRegistry();

  // The webhook receiver: every delivery it gets, by Broadsheet-Delivery and by event id.
  type Received = { delivery: string; eventId: string; type: string; articleId: string };
  const received: Received[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const event = JSON.parse(body) as { id: string; type: string; data: { id: string } };
      received.push({ delivery: String(req.headers['broadsheet-delivery']), eventId: event.id, type: event.type, articleId: event.data.id });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let lb: Balancer | undefined;
  t.teardown(async () => {
    registry.killAll();
    // Gone before the database is: a schema is dropped only once no server holds a connection to it.
    await Promise.all([a?.exit, b?.exit]);
    await lb?.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    await backend.close();
    await dropKeys(prefix);
  });

  const env: Record<string, string> = {
    // Keyed writes are not limited (200 of them in a burst); anonymous readers are, per address, through Redis.
    RATE_LIMIT_KEY_PER_MINUTE: '0',
    RATE_LIMIT_ANON_PER_MINUTE: redisDown ? '0' : String(ANON_LIMIT),
    ...(redisDown ? {} : { REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    // The balancer (and this test, for its readers) speak from 127.0.0.1: their X-Forwarded-For decides the client.
    TRUST_PROXY: 'loopback',
    MAX_EVENT_LOOP_DELAY_MS: '0',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  };

  t.test('two processes start together on one new database', async (t) => {
    const opts = { ...backend.database, mediaDir, adminKey: ADMIN_KEY, registry, env };
    // At once: both run the migrations and create the ADMIN_API_KEY admin on the same database.
    [a, b] = await within(Promise.all([startServer(opts), startServer(opts)]), 90_000, 'two servers to be ready');
    lb = await startBalancer([a.base, b.base]);
    t.ok(a.base !== b.base, `A at ${a.base}, B at ${b.base}, balancer at ${lb.base}`);
    const keys = await admin(b.base, 'GET', '/v1/api-keys');
    t.equal(keys.status, 200, 'the admin key works on both');
    t.equal(keys.json.data.length, 1, 'exactly one bootstrap admin key was created');
    if (redisDown) t.comment(`Redis at ${REDIS_URL} does not answer (${redisDown}): the processes run without REDIS_URL`);
  });

  t.test('a write through A is visible through B within 1 s, cache included', async (t) => {
    if (!a || !b) return t.fail('the servers did not start');
    const [A, B] = [a.base, b.base];
    const read = reader('203.0.113.10');
    // Warm-up: B answers a published article once, so the timing below measures how fast A's write reaches B,
    // not the first-use compilation of the route's serializers (a few hundred ms on a busy machine).
    const warm = await admin(A, 'POST', '/v1/articles', article('Warm-up story'));
    t.equal((await admin(A, 'POST', `/v1/articles/${warm.json.id}/publish`, {})).status, 200);
    await firstShowing(performance.now(), 10_000, async () => (await read(B, `/v1/articles/${warm.json.id}`)).status === 200);

    const created = await admin(A, 'POST', '/v1/articles', article('Harbour cranes return'));
    t.equal(created.status, 201);
    const id: string = created.json.id;

    // B caches an anonymous list (read twice: the second answer comes from its response cache).
    const list1 = await read(B, '/v1/articles?limit=5');
    const list2 = await read(B, '/v1/articles?limit=5');
    t.equal(list1.status, 200);
    t.equal(list2.headers.get('etag'), list1.headers.get('etag'), "B's list is cached");
    t.equal((await read(B, `/v1/articles/${id}`)).status, 404, 'the draft is not visible to readers');

    const published = await admin(A, 'POST', `/v1/articles/${id}/publish`, {});
    t.equal(published.status, 200, 'published through A');
    const single = await firstShowing(published.at, 10_000, async () => (await read(B, `/v1/articles/${id}`)).status === 200);
    t.ok(single.value, 'the article becomes visible through B');
    t.ok(single.afterMs < VISIBLE_WITHIN_MS, `the single read on B shows it ${single.afterMs} ms after A answered (read ${single.tries} times)`);
    const listed = await firstShowing(published.at, 10_000, async () => {
      const res = await read(B, '/v1/articles?limit=5');
      return res.json?.data?.some((x: { id: string }) => x.id === id) ? res : undefined;
    });
    t.ok(listed.value, "B's cached list shows it");
    t.ok(listed.afterMs < VISIBLE_WITHIN_MS, `B's list shows it ${listed.afterMs} ms after A answered (read ${listed.tries} times)`);
    t.not(listed.value?.headers.get('etag'), list1.headers.get('etag'), 'with a new ETag');

    // A cached single read on B changes its ETag after an update through A.
    const r1 = await read(B, `/v1/articles/${id}`);
    const r2 = await read(B, `/v1/articles/${id}`);
    const etag = r1.headers.get('etag')!;
    t.ok(etag, 'the read has an ETag');
    t.equal(r2.headers.get('etag'), etag, 'read twice: cached on B');
    t.equal((await read(B, `/v1/articles/${id}`, { 'if-none-match': etag })).status, 304, 'B revalidates it: 304');
    const updated = await admin(A, 'PATCH', `/v1/articles/${id}`, { headline: 'Harbour cranes return for good' });
    t.equal(updated.status, 200, 'updated through A');
    const changed = await firstShowing(updated.at, 10_000, async () => {
      const res = await read(B, `/v1/articles/${id}`, { 'if-none-match': etag });
      return res.status === 200 ? res : undefined;
    });
    t.ok(changed.value, 'the revalidation on B answers 200 with the new representation');
    t.ok(changed.afterMs < VISIBLE_WITHIN_MS, `B's ETag changes ${changed.afterMs} ms after A answered (read ${changed.tries} times)`);
    t.not(changed.value?.headers.get('etag'), etag, 'a new ETag');
    t.equal(changed.value?.json.headline, 'Harbour cranes return for good', 'the new headline');
    const next = changed.value!.headers.get('etag')!;
    t.equal((await read(B, `/v1/articles/${id}`, { 'if-none-match': next })).status, 304, 'and the new ETag revalidates on B');
    t.equal((await read(A, `/v1/articles/${id}`)).headers.get('etag'), next, 'A and B give the same ETag');
  });

  t.test("a write through A shows in A's own cache within 1 s while readers keep reading it", async (t) => {
    if (!a) return t.fail('the servers did not start');
    const A = a.base;
    // Each read from its own address: thousands of them, none rate-limited.
    let n = 0;
    const read = (path: string) => reader(`10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n++ & 255}`)(A, path);
    const created = await admin(A, 'POST', '/v1/articles', article('Busy story'));
    const path = `/v1/articles/${created.json.id}`;
    t.equal((await admin(A, 'POST', `${path}/publish`, {})).status, 200, 'published through A');
    // Readers on A all along, so some read runs while a write commits (on PostgreSQL: on another pooled
    // connection, seeing the data before the commit, after the write invalidated the cache).
    let reading = true;
    const readers = Array.from({ length: 4 }, async () => {
      while (reading) await read(path);
    });
    try {
      for (let i = 1; i <= 5; i++) {
        const headline = `Busy story, edit ${i}`;
        const updated = await admin(A, 'PATCH', path, { headline });
        t.equal(updated.status, 200, `edit ${i} through A`);
        const shown = await firstShowing(updated.at, 5_000, async () => (await read(path)).json?.headline === headline);
        t.ok(shown.value && shown.afterMs < VISIBLE_WITHIN_MS, `edit ${i} shows through A ${shown.afterMs} ms after A answered (read ${shown.tries} times)`);
      }
    } finally {
      reading = false;
      await Promise.all(readers);
    }
  });

  t.test(`${EVENTS} webhook events with both dispatchers running are delivered exactly once each`, async (t) => {
    if (!a || !b || !lb) return t.fail('the servers did not start');
    const hook = await admin(a.base, 'POST', '/v1/webhooks', { url: hookUrl, events: ['article.created'] });
    t.equal(hook.status, 201, 'webhook subscribed through A');
    received.length = 0;

    // Written through the balancer, 8 at a time: half of the events are recorded by each process.
    const ids: string[] = [];
    const failures: string[] = [];
    let n = 0;
    const hitsBefore = [...lb.hits];
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (n < EVENTS) {
        const i = n++;
        const res = await admin(lb!.base, 'POST', '/v1/articles', article(`Webhook story ${i}`));
        if (res.status === 201) ids.push(res.json.id);
        else failures.push(`${res.status} ${res.text.slice(0, 200)}`);
      }
    }));
    t.same(failures, [], `all ${EVENTS} writes succeeded (none lost to the other process's concurrent writes)`);
    if (failures.length) t.comment(`A's log:\n${a.output().slice(-4000)}\nB's log:\n${b.output().slice(-4000)}`);
    t.same(lb.hits.map((h, i) => h - hitsBefore[i]!), [EVENTS / 2, EVENTS / 2], 'the balancer sent half of them to each process');

    const wanted = new Set(ids);
    const delivered = () => new Set(received.filter((r) => wanted.has(r.articleId)).map((r) => r.articleId)).size;
    const done = await firstShowing(performance.now(), 30_000, async () => delivered() === wanted.size);
    t.ok(done.value, `every event reached the receiver (${delivered()} of ${wanted.size}, after ${done.afterMs} ms)`);

    // Give a second (duplicate) attempt time to show up, then wait for the outbox to be finished.
    const open = async () => Number((await backend.query("select count(*) as n from webhook_deliveries where status in ('pending', 'delivering')"))[0]!.n);
    await firstShowing(performance.now(), 30_000, async () => (await open()) === 0);
    await sleep(1000);

    const count = (key: (r: Received) => string) => {
      const m = new Map<string, number>();
      for (const r of received) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
      return m;
    };
    const byDelivery = count((r) => r.delivery);
    const byEvent = count((r) => r.eventId);
    t.equal(received.length, EVENTS, `${received.length} POSTs received for ${EVENTS} events`);
    t.same([...byDelivery].filter(([, c]) => c > 1), [], 'no Broadsheet-Delivery id was received twice');
    t.same([...byEvent].filter(([, c]) => c > 1), [], 'no event id was received twice');
    t.equal(byEvent.size, EVENTS, 'one event id per write');
    t.same([...wanted].filter((id) => !received.some((r) => r.articleId === id)), [], 'every written article has its event');
    const rows = (await backend.query('select status, attempts, count(*) as n from webhook_deliveries group by status, attempts'))
      .map((r) => ({ status: r.status, attempts: Number(r.attempts), n: Number(r.n) }));
    t.same(rows, [{ status: 'succeeded', attempts: 1, n: EVENTS }], 'in the outbox: every delivery succeeded at its first attempt');
  });

  t.test('an idempotent POST replayed against the other process returns the first response', async (t) => {
    if (!a || !b || !lb) return t.fail('the servers did not start');
    const key = { 'idempotency-key': `mp-${randomUUID()}` };
    const payload = article('Only once, whichever process');
    const first = await admin(a.base, 'POST', '/v1/articles', payload, key);
    t.equal(first.status, 201, 'created through A');
    const replays = [
      ['B', await admin(b.base, 'POST', '/v1/articles', payload, key)],
      ['the balancer (1)', await admin(lb.base, 'POST', '/v1/articles', payload, key)],
      ['the balancer (2)', await admin(lb.base, 'POST', '/v1/articles', payload, key)],
    ] as const;
    for (const [via, res] of replays) {
      t.equal(res.status, 201, `replayed through ${via}: the first status`);
      t.equal(res.headers.get('idempotent-replayed'), 'true', `through ${via}: marked as a replay`);
      t.equal(res.text, first.text, `through ${via}: the same body`);
      t.equal(res.json?.id, first.json.id, `through ${via}: the same id`);
      t.equal(res.headers.get('location'), first.headers.get('location'), `through ${via}: the same Location`);
    }
    const other = await admin(b.base, 'POST', '/v1/articles', article('Another request'), key);
    t.equal(other.status, 422, 'the same key with another request is refused on B too');

    // The same key sent to both processes at once: one article, whichever wins.
    for (let i = 0; i < 5; i++) {
      const k = { 'idempotency-key': `mp-race-${i}-${randomUUID()}` };
      const body = article(`Raced request ${i} ${randomUUID()}`);
      const both = await Promise.all([admin(a.base, 'POST', '/v1/articles', body, k), admin(b.base, 'POST', '/v1/articles', body, k)]);
      const statuses = both.map((r) => r.status).sort();
      t.ok(statuses.includes(201) && statuses.every((s) => s === 201 || s === 409), `race ${i}: one 201, the other 201 (a replay) or 409 in flight (${statuses.join(', ')})`);
      const createdIds = new Set(both.filter((r) => r.status === 201).map((r) => r.json.id));
      t.equal(createdIds.size, 1, `race ${i}: one id`);
      const after = await admin(lb.base, 'POST', '/v1/articles', body, k);
      t.equal(after.json?.id, [...createdIds][0], `race ${i}: a later replay returns it`);
      const [row] = await backend.query('select count(*) as n from articles where headline = ?', [body.headline]);
      t.equal(Number(row?.n), 1, `race ${i}: one article in the database`);
    }
  });

  t.test('concurrent If-Match updates of one article through both processes: one 200, the others 412', async (t) => {
    if (!a || !b) return t.fail('the servers did not start');
    const ROUNDS = 5;
    const EDITS = 6; // per round, alternately through A and B, all with the same If-Match
    const created = await admin(a.base, 'POST', '/v1/articles', article('Contested story'));
    t.equal(created.status, 201);
    const id: string = created.json.id;
    let etag = created.headers.get('etag')!;
    let revision: number = created.json.revision;
    for (let round = 1; round <= ROUNDS; round++) {
      const edits = Array.from({ length: EDITS }, (_, i) => ({ via: i % 2 ? b! : a!, headline: `Contested story, round ${round}, edit ${i}` }));
      const answers = await Promise.all(edits.map((e) => admin(e.via.base, 'PATCH', `/v1/articles/${id}`, { headline: e.headline }, { 'if-match': etag })));
      const statuses = answers.map((r) => r.status);
      const winners = answers.filter((r) => r.status === 200);
      const losers = answers.filter((r) => r.status !== 200);
      t.equal(winners.length, 1, `round ${round}: exactly one 200 (${statuses.join(', ')})`);
      t.same(losers.filter((r) => r.status !== 412).map((r) => `${r.status} ${r.text.slice(0, 200)}`), [], `round ${round}: the others 412, no 409 or 500`);
      const winner = winners[0];
      if (!winner) break;
      const next = winner.headers.get('etag')!;
      t.equal(winner.json.revision, revision + 1, `round ${round}: the winner made one revision`);
      t.same([...new Set(losers.map((r) => r.json?.code))], ['version-mismatch'], `round ${round}: the 412s say version-mismatch`);
      t.same([...new Set(losers.map((r) => r.headers.get('etag')))], [next], `round ${round}: the 412s name the winner's version`);
      // Read back through the process that did not take the winning edit: that edit, one revision on.
      const won = edits[answers.indexOf(winner)]!;
      const stored = await admin((won.via === a ? b : a).base, 'GET', `/v1/articles/${id}`);
      t.equal(stored.json?.headline, won.headline, `round ${round}: the winner's headline is stored`);
      t.equal(stored.headers.get('etag'), next, `round ${round}: and its ETag is current on the other process`);
      etag = next;
      revision++;
    }
    const [revisions] = await backend.query('select count(*) as n from article_revisions where article_id = ?', [id]);
    t.equal(Number(revisions?.n), ROUNDS + 1, 'one revision snapshot per successful write');
  });

  t.test('rate limits are shared through Redis by both processes', { skip: redisDown ? `Redis at ${REDIS_URL} does not answer (${redisDown})` : false }, async (t) => {
    if (!a || !b || !lb) return t.fail('the servers did not start');
    const read = reader('198.51.100.77');
    const targets = [['A', a.base], ['B', b.base], ['the balancer', lb.base]] as const;
    const remaining: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < ANON_LIMIT; i++) {
      const [, base] = targets[i % targets.length]!;
      const res = await read(base, '/v1/tags');
      statuses.push(res.status);
      remaining.push(res.headers.get('ratelimit-remaining') ?? '?');
    }
    t.same(statuses.filter((s) => s !== 200), [], `the first ${ANON_LIMIT} requests from one address, spread over A, B and the balancer, pass`);
    t.same(remaining, Array.from({ length: ANON_LIMIT }, (_, i) => String(ANON_LIMIT - 1 - i)), 'RateLimit-Remaining counts down across both processes');
    for (const [name, base] of targets) {
      const res = await read(base, '/v1/tags');
      t.equal(res.status, 429, `the next one through ${name} is refused with 429`);
      t.equal(res.json?.code, 'rate-limited');
    }
    t.equal((await reader('198.51.100.78')(b.base, '/v1/tags')).status, 200, 'another address has its own bucket');
  });
}

t.test('two processes on one SQLite file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-multi-'));
  const mediaDir = join(dir, 'media');
  mkdirSync(mediaDir);
  // Registered first, so it runs after the servers are gone (tap runs teardowns in reverse order).
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await twoProcesses(t, sqliteBackend(join(dir, 'broadsheet.db')), mediaDir);
});

t.test('two processes on one PostgreSQL schema', { skip: pgDown ? `PostgreSQL at ${PG_URL} does not answer (${pgDown})` : false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-multi-pg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await twoProcesses(t, await postgresBackend(), dir);
});
