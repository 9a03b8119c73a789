/**
 * Search latency at scale: `npx tsx scripts/search-latency.ts [--articles 10000] [--requests 300] [--warmup 50]`
 * (also `npm run bench:search -- --articles 10000`).
 *
 * Builds the app on a temporary SQLite file (WAL, as in production; never :memory:), seeds N published articles
 * of ~600 words through the article service (so derived text, captions and the FTS index are exactly what the
 * write path makes), then times in-process `app.inject` requests to GET /v1/search as an anonymous reader:
 * one-word and three-word queries, after a warm-up, and prints p50/p99 in milliseconds. Deterministic: the
 * corpus comes from a seeded PRNG over a fixed vocabulary with Zipf-distributed word frequencies.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { dropValueSamples } from '../src/db/client.js';
import type { NewArticle } from '../src/modules/articles/schemas.js';

const { values: args } = parseArgs({
  options: {
    articles: { type: 'string', default: '10000' },
    requests: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
  },
});
const N = Number(args.articles);
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
if (![N, REQUESTS, WARMUP].every((n) => Number.isInteger(n) && n >= 0) || N < 1 || REQUESTS < 1) {
  process.stderr.write('usage: tsx scripts/search-latency.ts [--articles N] [--requests N] [--warmup N] [--keep]\n');
  process.exit(2);
}

// mulberry32: a tiny seeded PRNG, so every run builds the same corpus.
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20180110);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

// The head of the distribution: function words, then newsroom vocabulary (roughly most to least common).
const COMMON = `the of and to a in that is for on it with as was he be by at said his from have are an has not but this they
which were had its who been their would will more after there one about also than new two people all up out government first when
or year years we she can over into other could some last her time our them so what percent state minister president only no just
against told under week says while most where before officials since many because police country any three before between
president military security told may national foreign since public party former including during world city election news
report local group month later those day says united officials million such both than while make back through court support
plan power since help called right high least long think part today among take next another four political economic
international support including several health water service workers leaders american region members money talks crisis
deal president control forces capital meeting statement program issue policy council spokesman agency army defence peace
border trade market energy prices budget growth schools children families community hospital doctors patients vaccine
climate weather storm flood fire rescue emergency village province district mayor governor senator parliament vote voters
campaign candidate opposition coalition reform tax taxes spending debt bank banks interest inflation jobs unemployment strike
union protest protesters rally march crowd streets capital embassy diplomat diplomats sanctions treaty summit negotiations
ceasefire conflict troops soldiers attack attacks missile missiles nuclear weapons program tests launch satellite border
refugees migrants aid humanitarian food shortage drought harvest farmers exports imports oil gas pipeline electricity grid
coal solar wind emissions carbon pollution river coast island airport flights airline railway station bridge road traffic
accident investigation prosecutors judge trial verdict sentence prison lawyer lawyers appeal ruling constitution rights
freedom press journalists media newspaper television broadcast internet technology company companies shares investors
profits losses quarter revenue sales customers product launch chief executive board chairman director manager staff employees
industry factory production supply shipping port container cargo vessel navy coastguard fishing season tourism tourists
hotel museum festival music film actor author book prize award football match team players coach league championship
goal season stadium fans olympic medal record race runner tennis cricket rugby university students teachers research
scientists study survey data evidence results experts analysis forecast estimate figures average rate level increase
decline rise fall growth recovery recession crisis pressure demand concern fears hopes warning threat risk danger safety
measures rules law bill legislation agreement proposal plan strategy decision announcement visit talks dialogue mediation
delegation delegates envoy mission resolution sanctions veto council assembly security peninsula north south east west
central northern southern eastern western regional global domestic federal municipal rural urban coastal remote historic
ancient modern traditional official unofficial senior junior young old early late recent major minor key main leading
growing falling rising strong weak stable uncertain difficult possible likely unlikely clear unclear open closed private
secret public direct indirect formal informal legal illegal human natural social cultural religious military civilian`
  .split(/\s+/)
  .filter((w, i, all) => w && all.indexOf(w) === i);

// The long tail: proper names (people, places, companies) made from syllables, as rare as real ones.
const SYLLABLES = ['ka', 'ro', 'vel', 'mi', 'tan', 'sor', 'li', 'ben', 'dra', 'ko', 'nus', 'ta', 'vi', 'mar', 'el', 'os', 'ter', 'gal', 'pe', 'rin', 'zu', 'ham', 'an', 'bel'];
const NAMES = Array.from({ length: 6000 }, (_, i) => {
  const a = SYLLABLES[i % 24]!, b = SYLLABLES[Math.floor(i / 24) % 24]!, c = i >= 576 ? SYLLABLES[Math.floor(i / 576) % 24]! : '';
  const w = `${a}${b}${c}`;
  return w[0]!.toUpperCase() + w.slice(1);
});
const VOCABULARY = [...new Set([...COMMON, ...NAMES])];

// Zipf (s = 1): the word of rank r has weight 1/r. Sampling by binary search over the cumulative weights.
const cumulative: number[] = [];
VOCABULARY.reduce((sum, _, r) => (cumulative[r] = sum + 1 / (r + 1)), 0);
const total = cumulative.at(-1)!;
function word(): string {
  const x = rand() * total;
  let lo = 0, hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo]!;
}
function sentence(min: number, max: number): string {
  const words = Array.from({ length: between(min, max) }, word);
  return `${words[0]![0]!.toUpperCase()}${words[0]!.slice(1)} ${words.slice(1).join(' ')}.`;
}
function paragraph(targetWords: number): string {
  const out: string[] = [];
  for (let n = 0; n < targetWords;) {
    const s = sentence(8, 22);
    n += s.split(' ').length;
    out.push(s);
  }
  return out.join(' ');
}

const TYPES = ['news', 'news', 'news', 'analysis', 'opinion', 'feature'] as const;

function makeArticle(i: number, mediaIds: string[]): NewArticle {
  const body = Array.from({ length: 6 }, (_, p) => ({ type: 'paragraph' as const, id: `p${p}`, children: [{ type: 'text' as const, text: paragraph(100) }] }));
  const hero = rand() < 0.3 ? { mediaId: pick(mediaIds) } : undefined;
  return {
    headline: sentence(6, 11).slice(0, -1),
    standfirst: sentence(18, 30),
    type: pick(TYPES),
    body,
    ...(hero ? { hero } : {}),
    tagIds: [], authors: [], language: 'en', commentsMode: 'open',
    slug: `bench-${i}`,
  } as NewArticle;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const ms = (x: number) => x.toFixed(2);

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'bs-search-latency-'));
  const file = join(dir, 'bench.db');
  // No rate limit and no load shedding: this measures the query path, and seeding blocks the event loop on purpose.
  const config = loadConfig({
    DATABASE_URL: file, MEDIA_DIR: join(dir, 'media'), SEED_DEMO: 'false', LOG_LEVEL: 'silent',
    RATE_LIMIT_ANON_PER_MINUTE: '0', MAX_EVENT_LOOP_DELAY_MS: '0',
  });
  const app = await buildApp(config);
  try {
    const s = app.services;
    const start = performance.now();
    const mediaIds: string[] = [];
    for (let i = 0; i < 50; i++) {
      mediaIds.push((await s.media.createExternal({
        url: `https://images.example.org/bench-${i}.jpg`, caption: [{ type: 'text', text: sentence(8, 16) }], creditText: 'Bench / Wire',
      })).id);
    }
    // Through the article service (create + publish, with revisions and derived indexes), in batches of 500 per transaction.
    const epoch = Date.parse('2024-01-01T00:00:00.000Z');
    const batch = (from: number, to: number) => s.tx(async () => {
      for (let i = from; i < to; i++) {
        const a = await s.articles.create(makeArticle(i, mediaIds), null);
        await s.articles.publish(a.id, new Date(epoch + i * 60_000).toISOString(), null);
      }
    });
    for (let i = 0; i < N; i += 500) {
      await batch(i, Math.min(N, i + 500));
      if (process.stdout.isTTY) process.stdout.write(`\rseeded ${Math.min(N, i + 500)}/${N}`);
    }
    app.db.sqlite!.pragma('wal_checkpoint(TRUNCATE)');
    app.db.sqlite!.exec('ANALYZE');
    dropValueSamples(app.db.sqlite!); // the statistics the server keeps (src/db/client.ts `optimize`)
    const seeded = performance.now() - start;
    if (process.stdout.isTTY) process.stdout.write('\n');

    // Mid-frequency words for the one-word queries (each matches a share of the corpus, like "minister" would),
    // and three-word combinations of them for the AND queries.
    const mid = COMMON.slice(Math.floor(COMMON.length * 0.4), Math.floor(COMMON.length * 0.4) + 10);
    const oneWord = mid;
    const threeWords = mid.map((w, i) => `${COMMON[20 + i]} ${w} ${COMMON[60 + i]}`);

    const time = async (queries: string[]) => {
      const run = async (q: string) => {
        const t0 = performance.now();
        const res = await app.inject({ method: 'GET', url: `/v1/search?q=${encodeURIComponent(q)}` });
        const dt = performance.now() - t0;
        if (res.statusCode !== 200) throw new Error(`GET /v1/search?q=${q} answered ${res.statusCode}: ${res.body}`);
        return { dt, total: (JSON.parse(res.body) as { page: { total: number } }).page.total };
      };
      for (let i = 0; i < WARMUP; i++) await run(queries[i % queries.length]!);
      const samples: number[] = [];
      const totals = new Map<string, number>();
      for (let i = 0; i < REQUESTS; i++) {
        const q = queries[i % queries.length]!;
        const { dt, total: matched } = await run(q);
        samples.push(dt);
        totals.set(q, matched);
      }
      samples.sort((a, b) => a - b);
      const matches = [...totals.values()];
      return {
        p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length, max: samples.at(-1)!,
        matches: `${Math.min(...matches)}..${Math.max(...matches)} (mean ${Math.round(matches.reduce((a, b) => a + b, 0) / matches.length)})`,
      };
    };

    const one = await time(oneWord);
    const three = await time(threeWords);
    const size = statSync(file).size;
    const lines = [
      `search latency: ${N} published articles (~600-word bodies, ${VOCABULARY.length}-word Zipf vocabulary), SQLite file ${(size / 1048576).toFixed(1)} MiB, node ${process.version}`,
      `seeded through the article service in ${(seeded / 1000).toFixed(1)} s; ${availableParallelism()} CPUs, load average ${loadavg()[0]!.toFixed(2)} (other work on the machine skews the figures)`,
      `${REQUESTS} anonymous GET /v1/search requests per query class (limit 20, after ${WARMUP} warm-up), in-process app.inject:`,
      `  one-word   (${oneWord.slice(0, 3).join(', ')}, …): p50 ${ms(one.p50)} ms  p99 ${ms(one.p99)} ms  mean ${ms(one.mean)} ms  max ${ms(one.max)} ms  matches/query ${one.matches}`,
      `  three-word (${threeWords.slice(0, 2).map((q) => `"${q}"`).join(', ')}, …): p50 ${ms(three.p50)} ms  p99 ${ms(three.p99)} ms  mean ${ms(three.mean)} ms  max ${ms(three.max)} ms  matches/query ${three.matches}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await app.close();
    if (args.keep) process.stdout.write(`kept ${file}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
