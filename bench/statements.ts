/**
 * Times every SQL statement of uncached anonymous reads, in one process, on a database a bench run kept
 * (`npm run bench -- --only list --rounds 1 --seconds 1 --keep` prints its temp directory):
 *
 *   npx tsx bench/statements.ts <broadsheet.db> [article|list|write] [--requests N]
 *
 * Builds the app from src/ with the response cache and the rate limits off, wraps better-sqlite3's
 * statements (`all`/`get`/`run` of every statement prepared from then on), sends N reads through `inject`
 * (article: 100 published slugs with `include=all`; list: the first page of each section with
 * `include=media`; write: `POST /v1/articles` of a ~600-word draft like the bench's, one after another, so each
 * is its own transaction: no group commit) and prints, per request, the wall time, the time inside SQLite statements (the native
 * step and the row objects better-sqlite3 builds; `exec` too: BEGIN, savepoints, COMMIT) and each statement's
 * share. Writes go into the file: use a copy you can lose. Wall time includes
 * light-my-request's own work, so read the SQL column against the bench's CPU µs per request.
 */
import Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { requests: { type: 'string' } } });
const [file, kind = 'article'] = positionals;
if (!file || !['article', 'list', 'write'].includes(kind)) {
  process.stderr.write('usage: npx tsx bench/statements.ts <broadsheet.db> [article|list|write] [--requests N]\n');
  process.exit(2);
}
const requests = Number(values.requests ?? 2000);

const ADMIN_KEY = `bench-statements-${Date.now()}-admin-key-000000000000`;
type Timed = { calls: number; ns: bigint };
const stats = new Map<string, Timed>();
let timing = false;
function timed<R>(source: string, run: () => R): R {
  if (!timing) return run();
  const started = process.hrtime.bigint();
  try {
    return run();
  } finally {
    const s = stats.get(source) ?? { calls: 0, ns: 0n };
    s.calls++;
    s.ns += process.hrtime.bigint() - started;
    stats.set(source, s);
  }
}
type Runner = (...args: unknown[]) => unknown;
const wrapped = new WeakSet<Runner>();
const proto = Database.prototype as unknown as { prepare: (source: string) => Record<'all' | 'get' | 'run', Runner>; exec: (source: string) => unknown };
const prepare = proto.prepare;
const exec = proto.exec;
proto.exec = function (this: unknown, source: string) {
  return timed(`exec: ${source}`, () => exec.call(this, source));
};
proto.prepare = function (this: unknown, source: string) {
  const statement = prepare.call(this, source);
  for (const method of ['all', 'get', 'run'] as const) {
    const original = statement[method];
    if (wrapped.has(original)) continue;
    const wrapper: Runner = function (this: unknown, ...args: unknown[]) {
      return timed(source, () => original.apply(this, args));
    };
    wrapped.add(wrapper);
    statement[method] = wrapper;
  }
  return statement;
};

const config = loadConfig({
  ...process.env, DATABASE_URL: file, SEED_DEMO: 'false', LOG_LEVEL: 'warn', NODE_ENV: 'production', RESPONSE_CACHE: 'false',
  RATE_LIMIT_ANON_PER_MINUTE: '1000000000', RATE_LIMIT_KEY_PER_MINUTE: '1000000000', MAX_EVENT_LOOP_DELAY_MS: '0',
  ADMIN_API_KEY: ADMIN_KEY,
});
const app = await buildApp(config);
const get = async (url: string) => {
  const res = await app.inject(url);
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return res;
};
const idsOf = async (url: string) => (JSON.parse((await get(url)).body) as { data: { id: string }[] }).data.map((x) => x.id);
let urls: string[];
let send = get;
if (kind === 'write') {
  const [section] = await idsOf('/v1/sections?limit=1');
  const tags = await idsOf('/v1/tags?limit=3');
  const [author] = await idsOf('/v1/authors?limit=1');
  const media = (await app.inject({ url: '/v1/media?limit=2', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json<{ data: { id: string }[] }>().data.map((m) => m.id);
  const words = 'the minister said on monday that the government would publish its report on the city budget next week'.split(' ');
  const paragraph = (n: number) => Array.from({ length: 60 }, (_, i) => words[(i * 7 + n) % words.length]).join(' ');
  let n = 0;
  send = async () => {
    const body = [...Array.from({ length: 10 }, (_, p) => ({ type: 'paragraph', id: `p${p}`, children: [{ type: 'text', text: `${paragraph(p + n)}.` }] })),
      { type: 'image', id: 'img-1', mediaId: media[1], layout: 'wide' }];
    const res = await app.inject({
      method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${ADMIN_KEY}` },
      payload: { headline: `Statement timing ${Date.now()} ${n++}`, type: 'news', sectionId: section, hero: { mediaId: media[0] }, tagIds: tags, authors: [{ authorId: author, role: 'author' }], body },
    });
    if (res.statusCode !== 201) throw new Error(`POST /v1/articles answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
    return res;
  };
  urls = ['/v1/articles'];
} else if (kind === 'list') {
  const sections = (JSON.parse((await get('/v1/sections?limit=100')).body) as { data: { slug: string }[] }).data;
  urls = sections.map((s) => `/v1/articles?limit=20&include=media&section=${s.slug}`);
} else {
  const page = (JSON.parse((await get('/v1/articles?limit=100')).body) as { data: { slug: string }[] }).data;
  urls = page.map((a) => `/v1/articles/by-slug/${a.slug}?include=all`);
}
for (const url of urls) await send(url);

timing = true;
const started = performance.now();
for (let i = 0; i < requests; i++) await send(urls[i % urls.length]!);
const wallUs = ((performance.now() - started) * 1000) / requests;
timing = false;
await app.close();

const rows = [...stats].map(([source, s]) => ({ us: Number(s.ns) / 1000 / requests, calls: s.calls / requests, source })).sort((a, b) => b.us - a.us);
const sqlUs = rows.reduce((n, r) => n + r.us, 0);
process.stdout.write(`${kind}: ${requests} ${kind === 'write' ? 'article creations' : `uncached reads over ${urls.length} URLs`}; per request: wall ${wallUs.toFixed(0)} µs, ` +
  `SQL statements ${sqlUs.toFixed(0)} µs in ${rows.reduce((n, r) => n + r.calls, 0).toFixed(1)} calls\n`);
for (const r of rows) process.stdout.write(`${r.us.toFixed(1).padStart(8)} µs ${r.calls.toFixed(1).padStart(5)}×  ${r.source.replace(/\s+/g, ' ').slice(0, 200)}\n`);
