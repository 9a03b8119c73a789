/**
 * Graceful shutdown (reliability anchors, case 44): a real server process gets SIGTERM while a burst of 50
 * concurrent requests (reads and writes) is in flight. close-with-grace runs `app.close()`: requests already
 * being served finish with their normal 2xx, the database is closed (checkpointed: no -wal left behind), and
 * the process exits 0 well within the 10 s grace delay. Every write the burst saw acknowledged is in the file.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { Agent, request } from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { NO_PROTECTIONS, ServerRegistry, sleep, startServer as start, within, type ServerProcess } from './server-process.js';

const ADMIN_KEY = 'shutdown-test-admin-key-0123456789abcdef';
const AUTH = { authorization: `Bearer ${ADMIN_KEY}` };
const BURST = 50;
const GRACE_MS = 10_000; // close-with-grace delay in src/server.ts
t.setTimeout(90_000);

const registry = new ServerRegistry();

/** A server on the given files with rate limits and load shedding off. */
const startServer = (dbFile: string, mediaDir: string): Promise<ServerProcess> =>
  start({ dbFile, mediaDir, adminKey: ADMIN_KEY, registry, env: NO_PROTECTIONS });

const dir = mkdtempSync(join(tmpdir(), 'bs-shutdown-'));
const dbFile = join(dir, 'broadsheet.db');
const mediaDir = join(dir, 'media');
mkdirSync(mediaDir);
// Our own keep-alive pool, so the burst runs on connections that are already open (not in the accept queue).
// With a `timeout` the Agent honours the server's Keep-Alive hint and never reuses a socket the server is closing
// (see test/hardening/balancer.ts).
const agent = new Agent({ keepAlive: true, maxSockets: BURST + 5, timeout: 60_000 });

t.teardown(async () => {
  registry.killAll();
  agent.destroy();
  await sleep(50);
  rmSync(dir, { recursive: true, force: true });
});

type Outcome = { kind: 'read' | 'write'; path: string; headline?: string; status?: number; afterTerm?: boolean; error?: string; body?: string; id?: string };

/** One request on the keep-alive pool; resolves with the status and body, rejects on a socket error. */
function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method, agent, timeout: 15_000,
      headers: { ...AUTH, ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode!, text }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

t.test('SIGTERM during a 50-request burst: in-flight requests finish 2xx, exit 0, the file is clean', async (t) => {
  const server = await startServer(dbFile, mediaDir);

  // Content for the reads: a tag, an author and 40 articles, half of them published.
  const tag = JSON.parse((await call(server.base, 'POST', '/v1/tags', { name: 'Shutdown' })).text);
  const author = JSON.parse((await call(server.base, 'POST', '/v1/authors', { name: 'Shutdown Tester' })).text);
  const seeded: { id: string; slug: string }[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await call(server.base, 'POST', '/v1/articles', {
      headline: `Seeded story ${i} about harbour cranes`,
      tagIds: [tag.id], authors: [{ authorId: author.id }],
      body: [{ type: 'paragraph', children: [{ type: 'text', text: `The harbour cranes story number ${i}, with enough words to index.` }] }],
    });
    t.equal(res.status, 201, `seed ${i}`);
    const a = JSON.parse(res.text);
    seeded.push({ id: a.id, slug: a.slug });
    if (i % 2 === 0) t.equal((await call(server.base, 'POST', `/v1/articles/${a.id}/publish`)).status, 200);
  }

  // Open BURST keep-alive connections first.
  await Promise.all(Array.from({ length: BURST }, () => call(server.base, 'GET', '/health')));

  const reads = [
    (i: number) => `/v1/articles?limit=50&include=all&tag=${encodeURIComponent('shutdown')}&sort=${i % 2 ? 'headline' : '-updatedAt'}`,
    (i: number) => `/v1/articles/${seeded[i % seeded.length]!.id}?include=all`,
    (i: number) => `/v1/articles/by-slug/${seeded[i % seeded.length]!.slug}?include=all`,
    () => `/v1/search?q=${encodeURIComponent('harbour cranes')}&limit=20&include=all`,
  ];
  const outcomes: Outcome[] = [];
  let termAt = 0;
  let termSent = false;
  let firstResponse: () => void;
  const gotFirst = new Promise<void>((r) => { firstResponse = r; });
  const burst = Array.from({ length: BURST }, async (_, i) => {
    const write = i % 2 === 1;
    const o: Outcome = write
      ? { kind: 'write', path: '/v1/articles', headline: `Burst write ${i} during shutdown` }
      : { kind: 'read', path: reads[i % reads.length]!(i) };
    outcomes.push(o);
    try {
      const res = await call(server.base, write ? 'POST' : 'GET', o.path, write ? {
        headline: o.headline, tagIds: [tag.id], authors: [{ authorId: author.id }],
        body: [{ type: 'paragraph', children: [{ type: 'text', text: `Written while the server shuts down (${i}).` }] }],
      } : undefined);
      o.status = res.status;
      o.afterTerm = termSent;
      if (res.status >= 300) o.body = res.text.slice(0, 200);
      if (write && res.status === 201) o.id = JSON.parse(res.text).id;
    } catch (e) {
      o.afterTerm = termSent;
      o.error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    } finally {
      firstResponse();
    }
  });

  // SIGTERM as soon as the server has answered the first request of the burst: the rest are in flight.
  await within(gotFirst, 15_000, 'the first response of the burst');
  const exited = server.exit;
  termAt = Date.now();
  server.child.kill('SIGTERM');
  termSent = true;
  await within(Promise.allSettled(burst), 20_000, 'the burst to settle');
  const end = await within(exited, GRACE_MS + 5_000, 'the server to exit after SIGTERM');
  const exitMs = Date.now() - termAt;

  const answered = outcomes.filter((o) => o.status !== undefined);
  const afterTerm = answered.filter((o) => o.afterTerm);
  const refused = outcomes.filter((o) => o.error);
  const summary = `${answered.length} answered (${afterTerm.length} after SIGTERM), ${refused.length} refused at the socket; statuses ` +
    JSON.stringify(answered.reduce<Record<number, number>>((m, o) => ({ ...m, [o.status!]: (m[o.status!] ?? 0) + 1 }), {})) +
    `; errors ${JSON.stringify([...new Set(refused.map((o) => o.error))])}; exit ${exitMs} ms`;
  t.comment(summary);
  for (const o of outcomes.filter((x) => x.status !== undefined && x.status >= 300)) t.comment(`${o.kind} ${o.path} → ${o.status} ${o.body}`);

  t.same(end, { code: 0, signal: null }, 'the process exits with code 0');
  t.ok(exitMs < GRACE_MS, `it exits within the ${GRACE_MS} ms grace delay (${exitMs} ms)`);
  t.ok(afterTerm.length > 0, 'some requests were still in flight when SIGTERM was sent, and were answered');
  t.same(answered.filter((o) => o.status! < 200 || o.status! >= 300).map((o) => `${o.kind} ${o.path} → ${o.status}`), [], 'every request that got a response got a 2xx');
  t.same(answered.filter((o) => o.kind === 'write' && o.status !== 201).map((o) => o.status), [], 'every answered write is a 201');

  // The database was closed by app.close(): the WAL was checkpointed and removed.
  const walBytes = existsSync(`${dbFile}-wal`) ? statSync(`${dbFile}-wal`).size : 0;
  t.equal(walBytes, 0, 'no -wal content left behind after a clean shutdown');
  const db = new Database(dbFile, { readonly: true });
  try {
    t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'PRAGMA integrity_check = ok');
    t.same(db.pragma('foreign_key_check'), [], 'PRAGMA foreign_key_check is empty');
    const acked = outcomes.filter((o) => o.id);
    const have = new Map((db.prepare('select id, headline from articles').all() as { id: string; headline: string }[]).map((r) => [r.id, r.headline]));
    t.same(acked.filter((o) => have.get(o.id!) !== o.headline).map((o) => o.id), [], `all ${acked.length} acknowledged burst writes are in the file`);
    t.ok(seeded.every((s) => have.has(s.id)), 'and so are the seeded articles');
  } finally {
    db.close();
  }
});

t.test('a keep-alive connection busy at SIGTERM is closed once its response is written, not at the keep-alive timeout', async (t) => {
  // A keep-alive timeout far beyond the grace delay: a connection left open until it expires would hold the
  // shutdown past the grace delay, and close-with-grace would end the process with code 1.
  const server = await start({
    dbFile: join(dir, 'keep-alive.db'), mediaDir, adminKey: ADMIN_KEY, registry, env: { ...NO_PROTECTIONS, KEEP_ALIVE_TIMEOUT_MS: '60000' },
  });
  const socket = net.connect(Number(new URL(server.base).port), '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  socket.on('data', (d) => { data += d; });
  socket.on('error', () => { /* a reset shows as close */ });
  const closed = once(socket, 'close');
  const body = JSON.stringify({ name: 'Drained' });
  // Headers and half the body: the request is being served (its route chosen, its body awaited) at SIGTERM.
  socket.write(`POST /v1/tags HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  await sleep(300);
  const termAt = Date.now();
  server.child.kill('SIGTERM');
  await sleep(300);
  socket.write(body.slice(5));
  await within(closed, GRACE_MS, 'the server to close the connection');
  const closedMs = Date.now() - termAt;
  const end = await within(server.exit, GRACE_MS + 5_000, 'the server to exit after SIGTERM');
  t.match(data, /^HTTP\/1\.1 201 /, 'the request in flight is answered');
  t.ok(closedMs < GRACE_MS, `the connection is closed after its response (${closedMs} ms after SIGTERM), not kept for 60 s`);
  t.same(end, { code: 0, signal: null }, 'the process exits with code 0, within the grace delay');
});
