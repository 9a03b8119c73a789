/**
 * npm run bench [-- --articles N --seconds S --rounds R --connections C ...]
 *
 * Builds Broadsheet, starts it as production does (node dist/server.js) on a fresh SQLite file with the
 * demo column plus a bulk-seeded archive, starts a bare Fastify baseline that serves the same bytes
 * from memory, and measures every scenario against both, alternating. See bench/README.md.
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { encodeCursor } from '../src/http/pagination.js';
import { aggregate, runRound, settle, type Req, type Round } from './load.js';
import { buildProduction, cpuMs, freePort, http, runDirectory, peakRssBytes, type Proc, rssBytes, startProcess, stopProcess, waitReady } from './proc.js';
import { formatSummary, summariseFile } from './profile.js';
import { checks, type Check, formatLegend, formatTable, type ScenarioResult } from './report.js';
import { seedArchive } from './seed.js';
import { COMMON_SEARCH_WORDS, headline, paragraph, rng, sentence } from './words.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = fileURLToPath(new URL('.', import.meta.url));

const HELP = `npm run bench -- [options]       (each option also reads BENCH_<NAME> from the environment)
  --articles N        archive size (default 10000)
  --seconds S         length of one measured round per server (default 10)
  --rounds R          alternating rounds per scenario, A B A B... (default 3)
  --connections C     autocannon connections (default 32)
  --warmup S          unmeasured seconds per server before each scenario (default 2)
  --slugs N           distinct article slugs the article scenarios rotate over (default 1000)
  --only a,b          run only these scenarios (article, list, article-304, list-304, search, list-deep,
                      article-nocache, list-nocache, write)
  --out FILE          results JSON (default bench/results/latest.json at the default archive size,
                      else bench/results/articles-N.json; with --only or --cpu-prof bench/.out/results-*.json)
  --no-cache          run every Broadsheet instance with the response cache off (see --cache-off-env)
  --cache-off-env K=V environment that turns Broadsheet's response cache off (default RESPONSE_CACHE=false);
                      when dist/config.js does not know K, Broadsheet has no response cache and the
                      *-nocache rows repeat the cached rows' measurement unless --measure-no-cache
  --measure-no-cache  measure the *-nocache rows even when there is no response cache
  --cpu-prof          run the measured Broadsheet with node --cpu-prof and print a summary at the end
  --log-level L       Broadsheet LOG_LEVEL (default warn: per-request info logs measure pino, not the API)
  --seed N            archive PRNG seed (default 20180110)
  --baseline-headers  a diagnostic: the baseline also replays Broadsheet's representation headers (security
                      headers, Surrogate-Key, Link, Cache-Control, Vary...; not the per-exchange ones)
  --skip-build        use the existing dist/
  --keep              keep the temp directory (database, logs)`;

const { values: flags } = parseArgs({
  options: {
    articles: { type: 'string' }, seconds: { type: 'string' }, rounds: { type: 'string' }, connections: { type: 'string' },
    warmup: { type: 'string' }, slugs: { type: 'string' }, only: { type: 'string' }, out: { type: 'string' },
    'no-cache': { type: 'boolean' }, 'cache-off-env': { type: 'string' }, 'measure-no-cache': { type: 'boolean' },
    'cpu-prof': { type: 'boolean' }, 'log-level': { type: 'string' }, seed: { type: 'string' },
    'skip-build': { type: 'boolean' }, 'baseline-headers': { type: 'boolean' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const opt = (name: keyof typeof flags): string | undefined => {
  const v = flags[name] ?? process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  return typeof v === 'string' ? v : undefined;
};
const bool = (name: keyof typeof flags) => flags[name] === true || /^(1|true)$/i.test(process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] ?? '');
const int = (name: keyof typeof flags, fallback: number) => {
  const v = Number(opt(name) ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};

const DEFAULT_ARTICLES = 10_000;
const settings = {
  articles: int('articles', DEFAULT_ARTICLES),
  seconds: int('seconds', 10),
  rounds: int('rounds', 3),
  connections: int('connections', 32),
  warmup: Number(opt('warmup') ?? 2),
  slugs: int('slugs', 1000),
  seed: int('seed', 20180110),
  logLevel: opt('log-level') ?? 'warn',
  noCache: bool('no-cache'),
  measureNoCache: bool('measure-no-cache'),
  cacheOffEnv: opt('cache-off-env') ?? 'RESPONSE_CACHE=false',
  cpuProf: bool('cpu-prof'),
  keep: bool('keep'),
  baselineHeaders: bool('baseline-headers'),
  only: opt('only')?.split(',').map((s) => s.trim()).filter(Boolean),
};
const SCENARIOS = ['article', 'list', 'article-304', 'list-304', 'search', 'list-deep', 'article-nocache', 'list-nocache', 'write'];
const unknown = settings.only?.filter((n) => !SCENARIOS.includes(n)) ?? [];
if (unknown.length) {
  process.stderr.write(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}\n`);
  process.exit(2);
}
// Partial or profiled runs never overwrite the recorded results: they go to the scratch directory.
const outFile = opt('out') ?? (settings.only || settings.cpuProf
  ? join(benchDir, '.out', `results-${settings.articles}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
  : join(benchDir, 'results', settings.articles === DEFAULT_ARTICLES ? 'latest.json' : `articles-${settings.articles}.json`));
const SITE_URL = 'http://localhost:3000';
const PAGE = 20;

const info = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const secondsSince = (t: number) => Math.round((performance.now() - t) / 100) / 10;

/**
 * Protections that would shape the numbers instead of the API: rate limits as high as they go (every
 * RATE_LIMIT_*_PER_* / *_MAX variable config.ts reads; the limiter still runs and its cost is measured),
 * and load shedding off. A closed-loop benchmark keeps the server saturated on purpose, so with
 * MAX_EVENT_LOOP_DELAY_MS at its default the run would measure cheap 503s from @fastify/under-pressure.
 */
function protectionEnv(configJs: string): Record<string, string> {
  const env: Record<string, string> = { RATE_LIMIT_ANON_PER_MINUTE: '1000000000', RATE_LIMIT_KEY_PER_MINUTE: '1000000000', MAX_EVENT_LOOP_DELAY_MS: '0' };
  for (const name of new Set(configJs.match(/\bRATE_LIMIT_[A-Z0-9_]+/g) ?? [])) {
    if (/PER_(SECOND|MINUTE|HOUR)|_MAX$|_LIMIT$/.test(name)) env[name] = '1000000000';
  }
  return env;
}

function git(cmd: string): string {
  try {
    return execSync(`git ${cmd}`, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Picks `k` distinct items, reproducibly. */
function sample<T>(items: readonly T[], k: number, random: () => number): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

const rotate = (reqs: readonly Req[]) => {
  let i = 0;
  return () => reqs[i++ % reqs.length]!;
};

async function main() {
  const started = performance.now();
  const loadStart = loadavg();
  const tmp = runDirectory('broadsheet-bench-', settings.keep);
  info(`temp dir ${tmp}${settings.keep ? ' (kept)' : ''}`);

  // --- 1. build --------------------------------------------------------------------------------------------
  const configJs = buildProduction(root, bool('skip-build'), info);
  const protections = protectionEnv(configJs);
  const [cacheVar, cacheOff] = settings.cacheOffEnv.split('=') as [string, string | undefined];
  const hasResponseCache = configJs.includes(cacheVar);
  const dbSynchronous = 'NORMAL';

  const dbFile = join(tmp, 'broadsheet.db');
  const adminKey = `bench-admin-${randomBytes(18).toString('hex')}`;
  const baseEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1',
    DATABASE_URL: dbFile, MEDIA_DIR: join(tmp, 'media'), ADMIN_API_KEY: adminKey, LOG_LEVEL: settings.logLevel,
    SITE_URL, API_URL: SITE_URL, DB_SYNCHRONOUS: dbSynchronous, ...protections,
  };
  const cacheEnv = (off: boolean): NodeJS.ProcessEnv => (off && hasResponseCache && cacheOff !== undefined ? { [cacheVar]: cacheOff } : {});
  let serverCount = 0;
  const profileDir = join(benchDir, '.out', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));

  /** `profile`: a name to run it under node --cpu-prof, the profile landing in profileDir/<name>/ when it exits. */
  async function startBroadsheet(extra: NodeJS.ProcessEnv, profile?: string): Promise<Proc> {
    const port = await freePort();
    const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, profile)}`] : [];
    const p = startProcess(`broadsheet#${++serverCount}`, process.execPath, [...nodeArgs, join(root, 'dist', 'server.js')], { ...baseEnv, PORT: String(port), ...extra }, port, join(tmp, `broadsheet-${serverCount}.log`), root);
    await waitReady(p, '/ready', (s) => s === 200, 180_000);
    return p;
  }

  // --- 2. migrate + demo column through the server, then the bulk archive -----------------------------------
  let t = performance.now();
  const first = await startBroadsheet({ SEED_DEMO: 'true' });
  await stopProcess(first);
  const demoSeconds = secondsSince(t);
  info(`migrated and seeded the demo column in ${demoSeconds} s`);
  t = performance.now();
  const seeded = await seedArchive({ file: dbFile, articles: settings.articles, seed: settings.seed, siteUrl: SITE_URL });
  const bulkSeconds = secondsSince(t);
  info(`bulk-seeded ${settings.articles} articles in ${bulkSeconds} s (database ${(seeded.dbBytes / 1048576).toFixed(0)} MB)`);

  // --- 3. the measured server ------------------------------------------------------------------------------
  let cacheIsOff = settings.noCache;
  let bs = await startBroadsheet({ SEED_DEMO: 'false', ...cacheEnv(cacheIsOff) });
  const idleRssMB = Math.round(rssBytes(bs.pid) / 1048576);
  info(`Broadsheet pid ${bs.pid} on 127.0.0.1:${bs.port}, RSS ${idleRssMB} MB at start`);

  const created = await http(bs.port, 'POST', '/v1/api-keys', { headers: { authorization: `Bearer ${adminKey}` }, body: JSON.stringify({ name: 'bench editor', role: 'editor' }) });
  if (created.status !== 201) throw new Error(`could not create the editor key: ${created.status} ${created.body.toString()}`);
  const editorKey = (JSON.parse(created.body.toString()) as { secret: string }).secret;

  // --- 4. fixtures from the database (read-only beside the server, WAL) ---------------------------------------
  const random = rng(settings.seed + 7);
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const now = new Date().toISOString();
  const live = "status = 'published' AND published_at <= @now AND deleted_at IS NULL";
  const liveSlugs = db.prepare(`SELECT slug FROM articles WHERE ${live} ORDER BY rowid`).pluck().all({ now }) as string[];
  const slugs = sample(liveSlugs, settings.slugs, random);
  const sectionSlugs = db.prepare(`SELECT slug FROM sections s WHERE EXISTS (SELECT 1 FROM articles a WHERE a.section_id = s.id AND ${live}) ORDER BY slug`).pluck().all({ now }) as string[];
  const liveCount = liveSlugs.length;
  const deepPage = Math.max(2, Math.min(2000, Math.floor((liveCount - 1) / PAGE)));
  const lastOfPrevious = db.prepare(`SELECT coalesce(published_at, '') AS k, id FROM articles WHERE ${live} ORDER BY coalesce(published_at, '') DESC, id DESC LIMIT 1 OFFSET @offset`).get({ now, offset: (deepPage - 1) * PAGE - 1 }) as { k: string; id: string };
  const deepCursor = encodeCursor('-publishedAt', lastOfPrevious.k, lastOfPrevious.id);
  const writeRefs = {
    media: db.prepare("SELECT id FROM media WHERE kind = 'external' ORDER BY rowid LIMIT 2").pluck().all() as string[],
    tags: db.prepare('SELECT id FROM tags ORDER BY rowid DESC LIMIT 3').pluck().all() as string[],
    author: db.prepare('SELECT id FROM authors ORDER BY rowid DESC LIMIT 1').pluck().get() as string,
    section: db.prepare("SELECT id FROM sections WHERE slug = 'world'").pluck().get() as string,
  };
  db.close();

  // --- 5. scenarios ------------------------------------------------------------------------------------------
  const get = (path: string, headers?: Record<string, string>): Req => ({ method: 'GET', path, headers });
  const articleUrls = slugs.map((s) => `/v1/articles/by-slug/${s}?include=all`);
  const listUrls = sectionSlugs.map((s) => `/v1/articles?limit=${PAGE}&include=media&section=${s}`);
  const searchUrls = COMMON_SEARCH_WORDS.map((w) => `/v1/search?q=${w}`);
  const page1Url = `/v1/articles?limit=${PAGE}&include=media`;
  const deepUrl = `${page1Url}&cursor=${deepCursor}`;

  // Fetch every read URL once: the baseline's bytes, and the ETags of the 304 scenarios.
  t = performance.now();
  type Stored = { url: string; contentType: string; etag: string; body: string; bytes: number; headers?: [string, string][] };
  // Headers of one exchange, never replayed by the baseline (--baseline-headers replays the others).
  const perExchange = /^(date|connection|keep-alive|content-length|content-type|etag|x-request-id|ratelimit-.*|transfer-encoding)$/;
  const stored = new Map<string, Stored>();
  const toFetch = [...articleUrls, ...listUrls, ...searchUrls, page1Url, deepUrl];
  const searchTotals: Record<string, number> = {};
  let cursorIndex = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (cursorIndex < toFetch.length) {
      const url = toFetch[cursorIndex++]!;
      const res = await http(bs.port, 'GET', url);
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
      stored.set(url, { url, contentType: String(res.headers['content-type']), etag: String(res.headers.etag ?? ''), body: res.body.toString('utf8'), bytes: res.body.length,
        ...(settings.baselineHeaders ? { headers: Object.entries(res.headers).filter(([name]) => !perExchange.test(name)).map(([name, value]): [string, string] => [name, String(value)]) } : {}) });
    }
  }));
  for (const url of searchUrls) searchTotals[url] = (JSON.parse(stored.get(url)!.body) as { page: { total: number } }).page.total;
  const deepItems = (JSON.parse(stored.get(deepUrl)!.body) as { data: unknown[] }).data.length;
  if (deepItems !== PAGE) throw new Error(`page ${deepPage} has ${deepItems} items, expected ${PAGE}`);
  for (const url of [articleUrls[0]!, listUrls[0]!]) {
    const res = await http(bs.port, 'GET', url, { headers: { 'if-none-match': stored.get(url)!.etag } });
    if (res.status !== 304) throw new Error(`GET ${url} with If-None-Match answered ${res.status}, expected 304`);
  }
  const avgBytes = (urls: string[]) => Math.round(urls.reduce((n, u) => n + stored.get(u)!.bytes, 0) / urls.length);
  info(`fetched ${stored.size} responses from Broadsheet in ${secondsSince(t)} s (article ${avgBytes(articleUrls)} B, list ${avgBytes(listUrls)} B, search ${avgBytes(searchUrls)} B on average)`);

  // The baseline: same bytes from a Map.
  const baselineData = join(tmp, 'baseline-responses.json');
  writeFileSync(baselineData, JSON.stringify([...stored.values()].map(({ bytes: _, ...s }) => s)));
  mkdirSync(join(benchDir, '.out'), { recursive: true });
  const baselineScript = join(benchDir, '.out', 'baseline.mjs');
  copyFileSync(join(benchDir, 'baseline.ts'), baselineScript);
  const baselinePort = await freePort();
  const baseline = startProcess('baseline', process.execPath, [baselineScript, baselineData, String(baselinePort)], { PATH: process.env.PATH, NODE_ENV: 'production' }, baselinePort, join(tmp, 'baseline.log'), root);
  await waitReady(baseline, '/', () => true);
  for (const s of stored.values()) {
    const res = await http(baseline.port, 'GET', s.url);
    if (res.status !== 200 || res.body.toString('utf8') !== s.body || res.headers.etag !== (s.etag || undefined)) throw new Error(`the baseline does not serve the same bytes for ${s.url}`);
  }
  info(`baseline pid ${baseline.pid} on 127.0.0.1:${baseline.port} serves the same ${stored.size} responses`);

  // Editor writes: realistic drafts (about 600 words, two images, tags, an author), unique headlines.
  const wr = rng(settings.seed + 11);
  const bodies = Array.from({ length: 8 }, () => {
    const blocks: unknown[] = [];
    for (let p = 1; p <= 10; p++) {
      blocks.push({ type: 'paragraph', id: `p${p}`, children: [{ type: 'text', text: paragraph(wr, 60) }] });
      if (p === 3) blocks.push({ type: 'image', id: 'img-1', mediaId: writeRefs.media[1], layout: 'wide' });
    }
    return JSON.stringify(blocks);
  });
  const heads = Array.from({ length: 50 }, () => headline(wr));
  const standfirst = JSON.stringify(sentence(wr, 18, 30));
  const runTag = Date.now().toString(36);
  let writes = 0;
  const nextWrite = (): Req => {
    const i = writes++;
    const body = `{"headline":${JSON.stringify(`${heads[i % heads.length]} ${runTag} ${i}`)},"standfirst":${standfirst},"type":"${i % 3 === 0 ? 'opinion' : 'news'}",` +
      `"sectionId":"${writeRefs.section}","hero":{"mediaId":"${writeRefs.media[0]}"},"tagIds":${JSON.stringify(writeRefs.tags)},` +
      `"authors":[{"authorId":"${writeRefs.author}","role":"author"}],"body":${bodies[i % bodies.length]}}`;
    return { method: 'POST', path: '/v1/articles', headers: { authorization: `Bearer ${editorKey}`, 'content-type': 'application/json' }, body };
  };
  const probe = await http(bs.port, 'POST', '/v1/articles', { headers: { authorization: `Bearer ${editorKey}` }, body: nextWrite().body });
  if (probe.status !== 201) throw new Error(`POST /v1/articles answered ${probe.status}: ${probe.body.toString().slice(0, 500)}`);

  type Side = { label: string; proc: () => Proc; next: () => Req; expect: number };
  type Scenario = { name: string; title: string; a: Side; b: Side | null; referenceLabel: string | null; urls: number; checks: (r: ScenarioResult) => Check[]; cacheOff?: boolean; sameAs?: string; note?: string };
  const bsSide = (urls: string[], conditional = false, expect = conditional ? 304 : 200): Side => ({
    label: 'Broadsheet', proc: () => bs, expect,
    next: rotate(urls.map((u) => get(u, conditional ? { 'if-none-match': stored.get(u)!.etag } : undefined))),
  });
  const baseSide = (urls: string[], conditional = false): Side => ({ ...bsSide(urls, conditional), label: 'baseline', proc: () => baseline });
  const p99 = (r: ScenarioResult) => checks.p99Below(r.broadsheet.p99, 25);
  const noCacheNote = hasResponseCache
    ? `Broadsheet restarted with ${settings.cacheOffEnv}`
    : `Broadsheet has no response cache yet (dist/config.js does not read ${cacheVar}): the cached rows already measure the raw read path`;
  const scenarios: Scenario[] = [
    {
      name: 'article', title: `anonymous GET /v1/articles/by-slug/{slug}?include=all over ${articleUrls.length} slugs`, urls: articleUrls.length,
      a: bsSide(articleUrls), b: baseSide(articleUrls), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.8, 'ratio (cached)'), p99(r)],
    },
    {
      name: 'list', title: `anonymous GET /v1/articles?limit=${PAGE}&include=media&section={s}, first page of ${listUrls.length} sections`, urls: listUrls.length,
      a: bsSide(listUrls), b: baseSide(listUrls), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.8, 'ratio (cached)'), p99(r)],
    },
    {
      name: 'article-304', title: 'the article scenario with a matching If-None-Match (304)', urls: articleUrls.length,
      a: bsSide(articleUrls, true), b: baseSide(articleUrls, true), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.9), p99(r)],
    },
    {
      name: 'list-304', title: 'the list scenario with a matching If-None-Match (304)', urls: listUrls.length,
      a: bsSide(listUrls, true), b: baseSide(listUrls, true), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.9), p99(r)],
    },
    {
      name: 'search', title: `anonymous GET /v1/search?q={word}, common words ${COMMON_SEARCH_WORDS.join(', ')} (matches: ${searchUrls.map((u) => searchTotals[u]).join(', ')})`, urls: searchUrls.length,
      a: bsSide(searchUrls), b: baseSide(searchUrls), referenceLabel: 'baseline',
      checks: (r) => [p99(r)],
    },
    {
      name: 'list-deep', title: `anonymous GET /v1/articles?limit=${PAGE}&include=media, page ${deepPage} of the cursor walk`, urls: 1,
      a: bsSide([deepUrl]), b: { ...bsSide([page1Url]), label: 'Broadsheet page 1' }, referenceLabel: 'Broadsheet, page 1 of the same list',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.8, `page ${deepPage} ÷ page 1`), p99(r)],
    },
    {
      name: 'article-nocache', title: 'the article scenario with the response cache disabled', urls: articleUrls.length, cacheOff: true, sameAs: 'article', note: noCacheNote,
      a: bsSide(articleUrls), b: baseSide(articleUrls), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.35, 'ratio (uncached)'), p99(r)],
    },
    {
      name: 'list-nocache', title: 'the list scenario with the response cache disabled', urls: listUrls.length, cacheOff: true, sameAs: 'list', note: noCacheNote,
      a: bsSide(listUrls), b: baseSide(listUrls), referenceLabel: 'baseline',
      checks: (r) => [checks.ratioAtLeast(r.ratio, 0.25, 'ratio (uncached)'), p99(r)],
    },
    {
      name: 'write', title: `editor POST /v1/articles (draft, ~600 words, 2 images, 3 tags; synchronous=${dbSynchronous}); no baseline for writes`, urls: 1,
      a: { label: 'Broadsheet', proc: () => bs, next: nextWrite, expect: 201 }, b: null, referenceLabel: null,
      checks: (r) => [checks.rpsAtLeast(r.broadsheet.rps, 1500), checks.p99Below(r.broadsheet.p99, 50)],
    },
  ];
  const selected = settings.only ? scenarios.filter((s) => settings.only!.includes(s.name)) : scenarios;

  // --- 6. measure --------------------------------------------------------------------------------------------
  const results: ScenarioResult[] = [];
  const load = { seconds: settings.seconds, connections: settings.connections };
  for (const sc of selected) {
    const repeated = sc.sameAs && !hasResponseCache && !settings.measureNoCache ? results.find((r) => r.name === sc.sameAs) : undefined;
    if (repeated) {
      const row: ScenarioResult = { ...repeated, name: sc.name, title: sc.title, sameMeasurementAs: sc.sameAs, note: sc.note, checks: [] };
      row.checks = sc.checks(row);
      results.push(row);
      info(`${sc.name}: same measurement as ${sc.sameAs} (no response cache to disable)`);
      continue;
    }
    const wantOff = settings.noCache || sc.cacheOff === true;
    // With --cpu-prof every scenario gets a fresh, profiled server, so each profile holds one scenario.
    if ((hasResponseCache && wantOff !== cacheIsOff) || settings.cpuProf) {
      if (hasResponseCache && wantOff !== cacheIsOff) info(`restarting Broadsheet with the response cache ${wantOff ? 'off' : 'on'}`);
      await stopProcess(bs);
      bs = await startBroadsheet({ SEED_DEMO: 'false', ...cacheEnv(wantOff) }, settings.cpuProf ? sc.name : undefined);
      cacheIsOff = wantOff;
    }
    const sides = sc.b ? [sc.a, sc.b] : [sc.a];
    info(`${sc.name}: ${sc.title}`);
    if (settings.warmup > 0) {
      for (const side of sides) {
        await runRound(side.next, { ...load, seconds: settings.warmup, port: side.proc().port, pid: side.proc().pid });
        await settle(side.proc().pid);
      }
    }
    const rounds: Round[][] = sides.map(() => []);
    for (let r = 0; r < settings.rounds; r++) {
      for (let s = 0; s < sides.length; s++) {
        const side = sides[s]!;
        const round = await runRound(side.next, { ...load, port: side.proc().port, pid: side.proc().pid });
        const waited = await settle(side.proc().pid);
        rounds[s]!.push(round);
        info(`  round ${r + 1}/${settings.rounds} ${side.label.padEnd(18)} ${Math.round(round.rps).toString().padStart(6)} req/s${waited > 1000 ? ` (backlog drained in ${(waited / 1000).toFixed(1)} s)` : ''}`);
      }
    }
    const a = aggregate(rounds[0]!, sc.a.expect);
    const b = sc.b ? aggregate(rounds[1]!, sc.b.expect) : null;
    const row: ScenarioResult = {
      name: sc.name, title: sc.title, referenceLabel: sc.referenceLabel, urls: sc.urls, broadsheet: a, reference: b,
      ratio: b && b.rps > 0 ? Math.round((a.rps / b.rps) * 1000) / 1000 : null, checks: [], note: sc.cacheOff ? sc.note : undefined,
    };
    row.checks = sc.checks(row);
    if (settings.articles >= 100_000) row.checks.push(checks.rssBelow(a.rssPeakMB, 300));
    results.push(row);
    if (a.errors || b?.errors) info(`  unexpected responses: ${JSON.stringify(a.statusCounts)}${b ? ` / ${JSON.stringify(b.statusCounts)}` : ''}`);
  }

  // --- 7. stop, report ----------------------------------------------------------------------------------------
  const peakRssMB = Math.round(peakRssBytes(bs.pid) / 1048576);
  const cpuTotalMs = Math.round(cpuMs(bs.pid));
  await stopProcess(baseline);
  await stopProcess(bs);

  const profiles: { scenario: string; file: string; summary: string }[] = [];
  if (settings.cpuProf && existsSync(profileDir)) {
    mkdirSync(join(benchDir, 'results', 'profiles'), { recursive: true });
    for (const scenario of readdirSync(profileDir)) {
      // The main thread's profile (thread id 0 in Node's file name); the WAL checkpoint worker writes its own.
      for (const f of readdirSync(join(profileDir, scenario)).filter((x) => /\.\d+\.0\.\d+\.cpuprofile$/.test(x))) {
        const file = join(profileDir, scenario, f);
        const summary = formatSummary(summariseFile(file));
        profiles.push({ scenario, file, summary });
        const summaryFile = join(benchDir, 'results', 'profiles', `articles-${settings.articles}-${scenario}.txt`);
        writeFileSync(summaryFile, `${scenario} at ${settings.articles} articles (${settings.rounds} × ${settings.seconds} s + warm-up, ${settings.connections} connections)\n${relative(root, file)}\n${summary}\n`);
        info(`CPU profile of ${scenario}: ${relative(root, summaryFile)}`);
      }
    }
  }

  const cpu = cpus();
  const json = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryMB: Math.round(totalmem() / 1048576), os: `${process.platform} ${release()}`,
      node: process.version, loadAverageAtStart: loadStart.map((x) => Math.round(x * 100) / 100), loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    git: { commit: git('rev-parse --short HEAD'), uncommittedSrcFiles: git('status --porcelain -- src').split('\n').filter(Boolean).length },
    settings: {
      articles: settings.articles, seconds: settings.seconds, rounds: settings.rounds, connections: settings.connections, warmupSeconds: settings.warmup,
      slugs: articleUrls.length, sections: listUrls.length, deepPage, logLevel: settings.logLevel, dbSynchronous, protectionEnv: protections,
      responseCache: hasResponseCache ? `yes (${settings.noCache ? 'off for the whole run' : `off for *-nocache via ${settings.cacheOffEnv}`})` : `none (dist/config.js does not read ${cacheVar})`,
      cpuProfile: settings.cpuProf, baselineHeaders: settings.baselineHeaders,
    },
    seeding: {
      demoSeconds, bulkSeconds, articles: seeded.articles, media: seeded.media, relatedLinks: seeded.relatedLinks, authors: seeded.authors, tags: seeded.tags,
      sections: seeded.sections.length, databaseMB: Math.round(seeded.dbBytes / 1048576),
    },
    responses: { articleBytes: avgBytes(articleUrls), listBytes: avgBytes(listUrls), searchBytes: avgBytes(searchUrls), searchMatches: searchTotals },
    broadsheet: { rssAtStartMB: idleRssMB, peakRssMB, cpuSeconds: Math.round(cpuTotalMs / 100) / 10, draftsWritten: writes },
    scenarios: results,
    wallSeconds: secondsSince(started),
  };
  mkdirSync(join(outFile, '..'), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);

  const out = [
    `Broadsheet benchmark: ${settings.articles} articles, ${settings.rounds} × ${settings.seconds} s per server per scenario, ${settings.connections} connections`,
    `${json.machine.cpus} × ${json.machine.cpuModel}, ${json.machine.node}, load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} → ${json.machine.loadAverageAtEnd.join(' ')}, commit ${json.git.commit}`,
    `seeding: demo column ${demoSeconds} s, bulk archive ${bulkSeconds} s; Broadsheet RSS ${idleRssMB} MB at start, peak ${peakRssMB} MB; synchronous=${dbSynchronous}; LOG_LEVEL=${settings.logLevel}`,
    `response cache: ${json.settings.responseCache}`,
    '',
    formatTable(results),
    '',
    formatLegend(results),
    '',
    `req/s: median of the rounds; p50/p99: over every response of every round; CPU µs/req: server CPU time ÷ responses; client µs/req: autocannon's (this process's) CPU time ÷ responses, near 1,000,000 ÷ req/s when the client set the rate; ratio: Broadsheet ÷ reference req/s.`,
    `results: ${relative(root, outFile)}`,
    ...profiles.map((p) => `\n### CPU profile: ${p.scenario}\n${relative(root, p.file)}\n${p.summary}`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  info(`done in ${json.wallSeconds} s`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
