/**
 * Times every SQL statement of uncached anonymous reads, in one process, on a database a bench run kept
 * (`npm run bench -- --only list --rounds 1 --seconds 1 --keep` prints its temp directory):
 *
 *   npx tsx bench/statements.ts <broadsheet.db> [article|list] [--requests N]
 *
 * Builds the app from src/ with the response cache and the rate limits off, wraps better-sqlite3's
 * statements (`all`/`get`/`run` of every statement prepared from then on), sends N reads through `inject`
 * (article: 100 published slugs with `include=all`; list: the first page of each section with
 * `include=media`) and prints, per request, the wall time, the time inside SQLite statements (the native
 * step and the row objects better-sqlite3 builds) and each statement's share. Wall time includes
 * light-my-request's own work, so read the SQL column against the bench's CPU µs per request.
 */
import Database from 'better-sqlite3';
import { parseArgs } from 'node:util';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { requests: { type: 'string' } } });
const [file, kind = 'article'] = positionals;
if (!file || (kind !== 'article' && kind !== 'list')) {
  process.stderr.write('usage: npx tsx bench/statements.ts <broadsheet.db> [article|list] [--requests N]\n');
  process.exit(2);
}
const requests = Number(values.requests ?? 2000);

type Timed = { calls: number; ns: bigint };
const stats = new Map<string, Timed>();
let timing = false;
type Runner = (...args: unknown[]) => unknown;
const wrapped = new WeakSet<Runner>();
const proto = Database.prototype as unknown as { prepare: (source: string) => Record<'all' | 'get' | 'run', Runner> };
const prepare = proto.prepare;
proto.prepare = function (this: unknown, source: string) {
  const statement = prepare.call(this, source);
  for (const method of ['all', 'get', 'run'] as const) {
    const original = statement[method];
    if (wrapped.has(original)) continue;
    const timed: Runner = function (this: unknown, ...args: unknown[]) {
      if (!timing) return original.apply(this, args);
      const started = process.hrtime.bigint();
      try {
        return original.apply(this, args);
      } finally {
        const s = stats.get(source) ?? { calls: 0, ns: 0n };
        s.calls++;
        s.ns += process.hrtime.bigint() - started;
        stats.set(source, s);
      }
    };
    wrapped.add(timed);
    statement[method] = timed;
  }
  return statement;
};

const config = loadConfig({
  ...process.env, DATABASE_URL: file, SEED_DEMO: 'false', LOG_LEVEL: 'warn', NODE_ENV: 'production', RESPONSE_CACHE: 'false',
  RATE_LIMIT_ANON_PER_MINUTE: '1000000000', MAX_EVENT_LOOP_DELAY_MS: '0',
});
const app = await buildApp(config);
const get = async (url: string) => {
  const res = await app.inject(url);
  if (res.statusCode !== 200) throw new Error(`GET ${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return res;
};
let urls: string[];
if (kind === 'list') {
  const sections = (JSON.parse((await get('/v1/sections?limit=100')).body) as { data: { slug: string }[] }).data;
  urls = sections.map((s) => `/v1/articles?limit=20&include=media&section=${s.slug}`);
} else {
  const page = (JSON.parse((await get('/v1/articles?limit=100')).body) as { data: { slug: string }[] }).data;
  urls = page.map((a) => `/v1/articles/by-slug/${a.slug}?include=all`);
}
for (const url of urls) await get(url);

timing = true;
const started = performance.now();
for (let i = 0; i < requests; i++) await get(urls[i % urls.length]!);
const wallUs = ((performance.now() - started) * 1000) / requests;
timing = false;
await app.close();

const rows = [...stats].map(([source, s]) => ({ us: Number(s.ns) / 1000 / requests, calls: s.calls / requests, source })).sort((a, b) => b.us - a.us);
const sqlUs = rows.reduce((n, r) => n + r.us, 0);
process.stdout.write(`${kind}: ${requests} uncached reads over ${urls.length} URLs; per request: wall ${wallUs.toFixed(0)} µs, ` +
  `SQL statements ${sqlUs.toFixed(0)} µs in ${rows.reduce((n, r) => n + r.calls, 0).toFixed(1)} calls\n`);
for (const r of rows) process.stdout.write(`${r.us.toFixed(1).padStart(8)} µs ${r.calls.toFixed(1).padStart(5)}×  ${r.source.replace(/\s+/g, ' ').slice(0, 200)}\n`);
