/**
 * Held load (reliability anchors, case 42): `npm run test:load` (not part of `npm test`).
 *
 * Starts a real server process (`node --import tsx src/server.ts`, LOG_LEVEL=warn) on a temporary SQLite file,
 * seeds it through the API with a few hundred articles (sections, tags, authors, external media, image blocks;
 * most published), then runs autocannon against 127.0.0.1 with LOAD_CONNECTIONS connections (default 32) for
 * LOAD_SECONDS seconds (default 30). Every tenth request is an editor write (POST /v1/articles with a unique
 * headline); the others are anonymous reads of mixed kinds drawn by weight (article by slug with include=all,
 * filtered lists, lists continued with a cursor, search, media metadata): 90 % reads, 10 % writes.
 *
 * Prints requests, req/s, p50/p99 latency for reads and writes, non-2xx/3xx answers by status, 5xx count,
 * connection errors and timeouts, the server's RSS (VmRSS) before/after/peak and the WAL size. Exits 1 on any 5xx
 * or connection error. The server is always stopped at the end (SIGTERM, then SIGKILL after 15 s).
 *
 * Env: LOAD_SECONDS, LOAD_CONNECTIONS, LOAD_ARTICLES (default 300), LOAD_WARMUP (seconds of unmeasured load at the
 * same concurrency first, default 3; 0 = none), LOAD_SEED (PRNG seed), LOAD_NODE_ARGS (extra node flags for the
 * server, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes). The server's rate limits are off
 * (one client on one address with one key would only measure the limiter) unless RATE_LIMIT_ANON_PER_MINUTE /
 * RATE_LIMIT_KEY_PER_MINUTE are set; load shedding (MAX_EVENT_LOOP_DELAY_MS) keeps the server default, so a 503
 * from it fails the run. DB_SYNCHRONOUS, REQUEST_TIMEOUT_MS and KEEP_ALIVE_TIMEOUT_MS are passed through.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer as start, stopServer as stop, type ServerProcess } from '../test/hardening/server-process.js';

// autocannon ships no type declarations: the little of its API used here, typed locally.
type AutocannonRequest = {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
};
type AutocannonResult = {
  requests: { total: number; average: number; sent: number };
  latency: { p50: number; p99: number; max: number; average: number };
  throughput: { average: number };
  errors: number;
  timeouts: number;
  resets: number;
  non2xx: number;
  mismatches: number;
  duration: number;
  statusCodeStats: Record<string, { count: number }>;
  '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number;
};
type AutocannonInstance = {
  on(event: 'response', fn: (client: object, status: number, bytes: number, ms: number) => void): void;
  on(event: 'reqError', fn: (err: Error) => void): void;
  stop(): void;
};
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, result: AutocannonResult) => void) => AutocannonInstance;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const int = (name: string, fallback: number, min: number) => {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${name} must be an integer >= ${min} (got ${raw})\n`);
    process.exit(2);
  }
  return n;
};
const SECONDS = int('LOAD_SECONDS', 30, 1);
const CONNECTIONS = int('LOAD_CONNECTIONS', 32, 1);
const ARTICLES = int('LOAD_ARTICLES', 300, 20);
const WARMUP = Math.min(int('LOAD_WARMUP', 3, 0), SECONDS);
const SEED = int('LOAD_SEED', 20180110, 0);
const ADMIN_KEY = `load-test-admin-${process.pid}-0123456789abcdef`;

// mulberry32: the seed data and the request choices are reproducible.
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const log = (line: string) => process.stdout.write(`${line}\n`);

const WORDS = `harbour council budget election minister crisis border trade energy prices storm flood rescue hospital
vaccine schools court ruling strike workers railway bridge mayor parliament summit talks ceasefire drought harvest
market shares inflation wages housing rent airport runway festival museum library orchestra stadium transfer league
coach injury season climate glacier wildfire volcano satellite rocket telescope reactor pipeline refinery tariff`
  .split(/\s+/).filter(Boolean);
const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** Server settings the caller may set for the run. */
const passThrough = (names: string[]) => Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]!]));

const startServer = (dbFile: string, mediaDir: string): Promise<ServerProcess> => start({
  dbFile, mediaDir, adminKey: ADMIN_KEY,
  nodeArgs: (process.env.LOAD_NODE_ARGS ?? '').split(/\s+/).filter(Boolean),
  env: {
    // One load generator on one address with one editor key would only measure the rate limiter: its limits
    // are off unless set in the environment. Load shedding (MAX_EVENT_LOOP_DELAY_MS) keeps the server default.
    RATE_LIMIT_ANON_PER_MINUTE: '0', RATE_LIMIT_KEY_PER_MINUTE: '0',
    ...passThrough(['DB_SYNCHRONOUS', 'RATE_LIMIT_ANON_PER_MINUTE', 'RATE_LIMIT_KEY_PER_MINUTE', 'MAX_EVENT_LOOP_DELAY_MS', 'REQUEST_TIMEOUT_MS', 'KEEP_ALIVE_TIMEOUT_MS']),
  },
  outputLimit: 50_000,
  onSpawn: (proc) => { current = proc; },
});

/** The server process, stopped on every way out of this script. */
let current: ServerProcess | undefined;
const stopServer = () => stop(current);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    current?.child.kill('SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => { if (current && current.child.exitCode === null) current.child.kill('SIGKILL'); });

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}
/** User + system CPU time of a process in ms (/proc/<pid>/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
const fileKb = (f: string) => (existsSync(f) ? statSync(f).size / 1024 : 0);

/** The fields of API answers this script reads. */
type Answer = { id: string; slug: string; secret: string; page?: { nextCursor?: string | null } };

async function api(base: string, key: string, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as Answer;
}

async function pool<T>(items: readonly T[], n: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) { const i = next++; await fn(items[i]!, i); }
  }));
}

const paragraph = (text: string) => ({ type: 'paragraph', children: [{ type: 'text', text }] });

type Seeded = { editorKey: string; slugs: string[]; mediaIds: string[]; tagSlugs: string[]; authorSlugs: string[]; sectionSlugs: string[]; cursorPaths: string[]; tagIds: string[]; authorIds: string[] };

async function seed(base: string): Promise<Seeded> {
  const editor = await api(base, ADMIN_KEY, 'POST', '/v1/api-keys', { name: 'load test editor', role: 'editor' });
  const sections = await Promise.all(['World', 'Business', 'Sport', 'Science'].map((name) => api(base, ADMIN_KEY, 'POST', '/v1/sections', { name })));
  const tags = await Promise.all(['Elections', 'Climate', 'Markets', 'Transport', 'Health', 'Culture', 'Football', 'Space'].map((name) => api(base, ADMIN_KEY, 'POST', '/v1/tags', { name })));
  const authors = await Promise.all(['Ada Brennan', 'Ravi Okafor', 'Mei Lindqvist', 'Tomás Herrera', 'Noor Haddad', 'Jonas Weber'].map((name) => api(base, ADMIN_KEY, 'POST', '/v1/authors', { name, bio: `${name} reports on ${words(3)}.` })));
  const media: Answer[] = [];
  for (let i = 0; i < 16; i++) {
    media.push(await api(base, ADMIN_KEY, 'POST', '/v1/media', {
      url: `https://images.example.com/load/${i}.jpg`, altText: `Photo ${i}: ${words(5)}`,
      caption: [{ type: 'text', text: cap(`${words(8)}.`) }], creditText: 'Load Test / Agency',
    }));
  }
  const slugs: string[] = [];
  await pool(Array.from({ length: ARTICLES }, (_, i) => i), 8, async (i) => {
    const m = pick(media);
    const tagIds = [...new Set([pick(tags).id, pick(tags).id])];
    const authorIds = [...new Set([pick(authors).id, pick(authors).id])];
    const a = await api(base, ADMIN_KEY, 'POST', '/v1/articles', {
      headline: cap(`${words(6)} ${i}`),
      standfirst: cap(`${words(18)}.`),
      type: pick(['news', 'news', 'news', 'analysis', 'feature', 'opinion'] as const),
      sectionId: pick(sections).id,
      tagIds,
      authors: authorIds.map((authorId) => ({ authorId })),
      hero: { mediaId: m.id },
      body: [
        ...Array.from({ length: 3 + Math.floor(rand() * 4) }, () => paragraph(cap(`${words(40 + Math.floor(rand() * 40))}.`))),
        { type: 'image', mediaId: pick(media).id, layout: 'wide' },
        paragraph(cap(`${words(30)}.`)),
      ],
    });
    // Nine in ten go live, spread over the past year so lists, cursors and sorts have something to page through.
    if (i % 10 !== 9) {
      const publishAt = new Date(Date.now() - Math.floor(rand() * 365 * 86_400_000)).toISOString();
      await api(base, ADMIN_KEY, 'POST', `/v1/articles/${a.id}/publish`, { publishAt });
      slugs.push(a.slug);
    }
  });

  // Cursors to continue lists with: follow nextCursor a few pages down some filtered lists.
  const cursorPaths: string[] = [];
  const firstPages = [
    '/v1/articles?limit=10',
    '/v1/articles?limit=10&sort=headline',
    ...tags.slice(0, 4).map((tg) => `/v1/articles?limit=10&tag=${tg.slug}`),
    ...sections.map((s) => `/v1/articles?limit=10&section=${s.slug}&sort=-updatedAt`),
  ];
  for (const first of firstPages) {
    let path = first;
    for (let page = 0; page < 4; page++) {
      const body = await api(base, '', 'GET', path).catch(() => undefined);
      const next = body?.page?.nextCursor;
      if (!next) break;
      path = `${first}&cursor=${encodeURIComponent(next)}`;
      cursorPaths.push(path);
    }
  }
  return {
    editorKey: editor.secret,
    slugs, mediaIds: media.map((m) => m.id), tagSlugs: tags.map((x) => x.slug), authorSlugs: authors.map((x) => x.slug),
    sectionSlugs: sections.map((x) => x.slug), cursorPaths, tagIds: tags.map((x) => x.id), authorIds: authors.map((x) => x.id),
  };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bs-load-'));
  const dbFile = join(dir, 'broadsheet.db');
  const mediaDir = join(dir, 'media');
  mkdirSync(mediaDir);
  try {
    log(`load test: ${CONNECTIONS} connections × ${SECONDS} s (after a ${WARMUP} s warm-up), 90 % reads / 10 % writes, ${ARTICLES} seeded articles (LOAD_SEED=${SEED})`);
    let t0 = Date.now();
    const server = await startServer(dbFile, mediaDir);
    const pid = server.child.pid!;
    log(`server pid ${pid} at ${server.base}, ready in ${Date.now() - t0} ms; rate limits per minute: anonymous ${process.env.RATE_LIMIT_ANON_PER_MINUTE || '0 (off)'}, ` +
      `per key ${process.env.RATE_LIMIT_KEY_PER_MINUTE || '0 (off)'}; load shedding: MAX_EVENT_LOOP_DELAY_MS=${process.env.MAX_EVENT_LOOP_DELAY_MS || 'server default'}`);
    t0 = Date.now();
    const s = await seed(server.base);
    log(`seeded ${ARTICLES} articles (${s.slugs.length} live), ${s.mediaIds.length} media, ${s.cursorPaths.length} cursor pages in ${Date.now() - t0} ms`);

    const searches = ['harbour council', 'budget', 'election minister', 'storm flood rescue', 'market inflation', 'climate glacier', 'railway strike', 'telescope'];
    const readKinds: Record<string, () => string> = {
      'article by slug (include=all)': () => `/v1/articles/by-slug/${pick(s.slugs)}?include=all`,
      'list with filters': () => pick([
        () => `/v1/articles?limit=20&tag=${pick(s.tagSlugs)}&include=tags,authors`,
        () => `/v1/articles?limit=20&section=${pick(s.sectionSlugs)}&type=news`,
        () => `/v1/articles?limit=10&author=${pick(s.authorSlugs)}&sort=-updatedAt&include=media`,
        () => `/v1/articles?limit=20&publishedAfter=${encodeURIComponent(new Date(Date.now() - 180 * 86_400_000).toISOString())}&sort=publishedAt`,
      ])(),
      'list with cursor': () => pick(s.cursorPaths),
      search: () => `/v1/search?q=${encodeURIComponent(pick(searches))}&limit=10`,
      'media metadata': () => `/v1/media/${pick(s.mediaIds)}`,
    };
    // Every tenth request built (over all connections) is a write; the others are reads drawn by weight: slug 3,
    // filtered list 2, search 2, cursor 1, media 1. Drawn per request, so the connections are not in lockstep.
    const readWeights: [string, number][] = [
      ['article by slug (include=all)', 3], ['list with filters', 2], ['search', 2], ['list with cursor', 1], ['media metadata', 1],
    ];
    const readBag = readWeights.flatMap(([kind, w]) => Array.from({ length: w }, () => kind));

    type Stat = { latencies: number[]; statuses: Map<number, number> };
    const stats = new Map<string, Stat>();
    const stat = (k: string) => stats.get(k) ?? (stats.set(k, { latencies: [], statuses: new Map() }), stats.get(k)!);
    let lastKind = '';
    let built = 0;
    let writes = 0;
    const requests: AutocannonRequest[] = [{
      method: 'GET',
      setupRequest: (req, context): AutocannonRequest => {
        const kind = ++built % 10 === 0 ? 'write' : pick(readBag);
        context.kind = kind;
        if (kind !== 'write') return { ...req, method: 'GET', path: readKinds[kind]!(), headers: {}, body: undefined };
        return {
          ...req,
          method: 'POST',
          path: '/v1/articles',
          headers: { authorization: `Bearer ${s.editorKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            headline: `Load write ${process.pid} ${++writes}: ${words(5)}`,
            standfirst: cap(`${words(12)}.`),
            tagIds: [pick(s.tagIds)],
            authors: [{ authorId: pick(s.authorIds) }],
            hero: { mediaId: pick(s.mediaIds) },
            body: [paragraph(cap(`${words(60)}.`)), paragraph(cap(`${words(40)}.`))],
          }),
        };
      },
      onResponse: (_status, _body, context) => { lastKind = String(context.kind); },
    }];
    // autocannon builds every connection's first request into one shared request object before any connects, so
    // all first requests are the last one built: their kind is not known. They count in the totals, not per kind.
    const FIRST = 'first request of a connection';
    const seenClients = new WeakSet<object>();

    let recording = false;
    /** One autocannon run of the request mix; per-kind latencies are kept only while `recording`. */
    const hammer = (seconds: number) => {
      const reqErrors = new Map<string, number>();
      const fiveXX = { n: 0 };
      const done = new Promise<AutocannonResult>((resolve, reject) => {
        const instance = autocannon({
          url: server.base, connections: CONNECTIONS, duration: seconds, pipelining: 1, timeout: 10, requests,
        }, (err, res) => (err ? reject(err) : resolve(res)));
        // onResponse (above) runs just before this event for the same response: it names the request's kind.
        instance.on('response', (client, status, _bytes, ms) => {
          if (status >= 500) fiveXX.n++;
          const first = !seenClients.has(client);
          if (first) seenClients.add(client);
          if (!recording) return;
          const st = stat(first ? FIRST : lastKind);
          st.latencies.push(ms);
          st.statuses.set(status, (st.statuses.get(status) ?? 0) + 1);
        });
        instance.on('reqError', (e) => { const k = (e as NodeJS.ErrnoException).code ?? e.message; reqErrors.set(k, (reqErrors.get(k) ?? 0) + 1); });
      });
      return done.then((result) => ({ result, reqErrors, fiveXX: fiveXX.n }));
    };

    // A short warm-up at the same concurrency, so the figures are of a server whose code paths are compiled.
    const rssSeeded = rssKb(pid);
    const warm = WARMUP > 0 ? await hammer(WARMUP) : undefined;
    if (warm) log(`warm-up: ${WARMUP} s, ${warm.result.requests.total} requests, ${warm.fiveXX} × 5xx, ${warm.result.errors} connection errors`);

    const walBefore = fileKb(`${dbFile}-wal`);
    const rssBefore = rssKb(pid);
    const cpuBefore = cpuMs(pid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { try { rssPeak = Math.max(rssPeak, rssKb(pid)); } catch { /* exited */ } }, 500);
    t0 = Date.now();
    recording = true;
    const { result, reqErrors } = await hammer(SECONDS);
    recording = false;
    clearInterval(sampler);
    const elapsed = (Date.now() - t0) / 1000;
    const rssAfter = rssKb(pid);
    const cpuUsed = cpuMs(pid) - cpuBefore;
    rssPeak = Math.max(rssPeak, rssAfter);
    const walAfter = fileKb(`${dbFile}-wal`);
    const ready = await fetch(`${server.base}/ready`, { signal: AbortSignal.timeout(5_000) }).then((r) => r.status).catch((e: Error) => e.message);
    const stopped = await stopServer();

    // Report.
    const all = [...stats.values()];
    const merge = (keys: string[]) => {
      const lat = keys.flatMap((k) => stats.get(k)?.latencies ?? []).sort((a, b) => a - b);
      const st = new Map<number, number>();
      for (const k of keys) for (const [c, n] of stats.get(k)?.statuses ?? []) st.set(c, (st.get(c) ?? 0) + n);
      return { n: lat.length, p50: percentile(lat, 50), p99: percentile(lat, 99), max: lat.at(-1) ?? NaN, statuses: st };
    };
    const readKeys = readWeights.map(([k]) => k);
    const firsts = merge([FIRST]);
    const reads = merge(readKeys);
    const writesStat = merge(['write']);
    const total = all.reduce((n, x) => n + x.latencies.length, 0);
    const byStatus = new Map<number, number>();
    for (const x of all) for (const [c, n] of x.statuses) byStatus.set(c, (byStatus.get(c) ?? 0) + n);
    const bad = [...byStatus].filter(([c]) => c < 200 || c >= 400).sort(([a], [b]) => a - b);
    const fiveXX = bad.filter(([c]) => c >= 500).reduce((n, [, k]) => n + k, 0);
    const connErrors = result.errors; // autocannon counts timeouts among errors too
    const warmFailures = warm ? warm.fiveXX + warm.result.errors : 0;
    const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

    log('');
    log('==== load test result ====');
    log(`command:            LOAD_SECONDS=${SECONDS} LOAD_CONNECTIONS=${CONNECTIONS} npm run test:load`);
    log(`duration:           ${elapsed.toFixed(1)} s, ${CONNECTIONS} connections`);
    log(`requests:           ${total} answered (${result.requests.sent} sent), ${(total / elapsed).toFixed(0)} req/s`);
    log(`reads:              ${reads.n} (${((reads.n / Math.max(1, total)) * 100).toFixed(1)} %), p50 ${fmt(reads.p50)}, p99 ${fmt(reads.p99)}, max ${fmt(reads.max)}`);
    for (const k of readKeys) {
      const one = merge([k]);
      log(`  ${k.padEnd(30)} ${String(one.n).padStart(7)}  p50 ${fmt(one.p50).padStart(7)}  p99 ${fmt(one.p99).padStart(7)}`);
    }
    log(`first requests:     ${firsts.n} (one per connection, kind unknown: in the totals only), p50 ${fmt(firsts.p50)}, max ${fmt(firsts.max)}`);
    log(`writes:             ${writesStat.n} (${((writesStat.n / Math.max(1, total)) * 100).toFixed(1)} %), p50 ${fmt(writesStat.p50)}, p99 ${fmt(writesStat.p99)}, max ${fmt(writesStat.max)}`);
    log(`statuses:           ${JSON.stringify(Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)))}`);
    log(`non-2xx/3xx:        ${bad.length ? bad.map(([c, n]) => `${c}×${n}`).join(', ') : 'none'}`);
    log(`5xx:                ${fiveXX}`);
    log(`connection errors:  ${connErrors} (timeouts ${result.timeouts}, resets ${result.resets}${reqErrors.size ? `; ${JSON.stringify(Object.fromEntries(reqErrors))}` : ''})`);
    log(`server RSS:         after seeding ${mb(rssSeeded)}; before the run ${mb(rssBefore)}, after ${mb(rssAfter)}, peak ${mb(rssPeak)}, growth ${mb(rssAfter - rssBefore)} (${(((rssAfter - rssBefore) / rssBefore) * 100).toFixed(1)} %)`);
    log(`server CPU:         ${(cpuUsed / 1000).toFixed(1)} s in ${elapsed.toFixed(1)} s (${((cpuUsed / 1000 / elapsed) * 100).toFixed(0)} % of one core), ${(cpuUsed / Math.max(1, total)).toFixed(2)} ms per request`);
    log(`WAL:                before ${(walBefore / 1024).toFixed(1)} MB, after ${(walAfter / 1024).toFixed(1)} MB`);
    log(`after the run:      /ready → ${ready}; SIGTERM → exit ${stopped ? `code ${stopped.code} signal ${stopped.signal}` : 'already gone'}`);

    const failures: string[] = [];
    if (fiveXX > 0) failures.push(`${fiveXX} × 5xx`);
    if (connErrors > 0) failures.push(`${connErrors} connection errors/timeouts`);
    if (total === 0) failures.push('no request was answered');
    if (warmFailures > 0) failures.push(`${warmFailures} × 5xx or connection errors during the warm-up`);
    if (ready !== 200) failures.push(`the server was not ready after the run (${ready})`);
    if (fiveXX > 0) {
      const tail = server.output().trim().split('\n').slice(-5).join('\n');
      if (tail) log(`server log tail:\n${tail}`);
    }
    log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS: zero 5xx, zero connection errors');
    return failures.length ? 1 : 0;
  } finally {
    await stopServer().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  async (e: Error) => {
    process.stderr.write(`load test failed to run: ${e.stack ?? e.message}\n`);
    current?.child.kill('SIGKILL');
    process.exit(1);
  },
);
