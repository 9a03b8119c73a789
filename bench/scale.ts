/**
 * npm run bench:scale [-- --seconds S --connections C --warmup S --articles N ...]
 *
 * Issue 8: read and write throughput, in one run, of (1) one process on a fresh SQLite file, (2) one process
 * on a fresh PostgreSQL schema and (3) two processes on one fresh PostgreSQL schema behind the round-robin
 * balancer of the multi-process test (test/hardening/balancer.ts, run in a process of its own). Every setup is
 * started as production runs it (node dist/server.js), seeded with the same content through the HTTP API and
 * measured with autocannon. See bench/README.md, "Several processes on PostgreSQL (`npm run bench:scale`)".
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startBalancer } from '../test/hardening/balancer.js';
import { createSchema, PG_URL } from '../test/postgres.js';
import { aggregate, runRound, settle, type Aggregate, type Req, type Round } from './load.js';
import { buildProduction, cpuMs, freePort, http, runDirectory, logTail, type Proc, startProcess, stopProcess, waitReady } from './proc.js';
import { headline, paragraph, personName, rng, sentence } from './words.js';

const thisFile = fileURLToPath(import.meta.url);
const root = fileURLToPath(new URL('..', import.meta.url));
const benchDir = fileURLToPath(new URL('.', import.meta.url));

// --- the balancer child: `node --import tsx bench/scale.ts --balancer <target>...` -------------------------------
// Its own process, as nginx or HAProxy would be: in the runner's it would share one event loop with autocannon.
if (process.argv[2] === '--balancer') {
  const lb = await startBalancer(process.argv.slice(3));
  process.stdout.write(`balancer ${lb.base}\n`);
  process.on('SIGTERM', () => {
    process.stdout.write(`hits ${JSON.stringify(lb.hits)}\n`);
    void lb.close().finally(() => process.exit(0));
  });
} else {
  runner().catch((e: unknown) => {
    process.stderr.write(`[bench:scale] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

async function runner(): Promise<void> {
  const HELP = `npm run bench:scale -- [options]     (each option also reads BENCH_<NAME> from the environment)
  --seconds S       length of the measured round of each scenario (default 8)
  --warmup S        unmeasured seconds before each scenario (default 2)
  --connections C   autocannon connections (default 32)
  --articles N      published articles seeded through the API per setup (default 300)
  --setups a,b      run these setups (default sqlite,pg,pg-2; also pg-lb: one PostgreSQL process behind the
                    balancer, which separates the balancer's cost from the second process's)
  --pg-url URL      the PostgreSQL database the pg setups make their fresh schema in (default: PG_TEST_URL's
                    server, database broadsheet_bench, created when missing)
  --out FILE        results JSON (default bench/results/scale.json; with --setups bench/.out/scale-*.json)
  --skip-build      use the existing dist/
  --keep            keep the temp directory (databases, logs) and the PostgreSQL schemas`;

  const { values: flags } = parseArgs({
    options: {
      seconds: { type: 'string' }, warmup: { type: 'string' }, connections: { type: 'string' }, articles: { type: 'string' },
      setups: { type: 'string' }, 'pg-url': { type: 'string' }, out: { type: 'string' },
      'skip-build': { type: 'boolean' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const envName = (name: string) => `BENCH_${name.toUpperCase().replace(/-/g, '_')}`;
  const opt = (name: keyof typeof flags): string | undefined => {
    const v = flags[name] ?? process.env[envName(name)];
    return typeof v === 'string' ? v : undefined;
  };
  const bool = (name: keyof typeof flags) => flags[name] === true || /^(1|true)$/i.test(process.env[envName(name)] ?? '');
  const num = (name: keyof typeof flags, fallback: number, min = 1) => {
    const v = Number(opt(name) ?? fallback);
    if (!Number.isFinite(v) || v < min) throw new Error(`--${name} must be a number ≥ ${min}`);
    return v;
  };

  type Setup = { name: string; title: string; processes: number; postgres: boolean; balanced: boolean };
  const SETUPS: Setup[] = [
    { name: 'sqlite', title: '1 process, SQLite', processes: 1, postgres: false, balanced: false },
    { name: 'pg', title: '1 process, PostgreSQL', processes: 1, postgres: true, balanced: false },
    { name: 'pg-2', title: '2 processes, PostgreSQL, balancer', processes: 2, postgres: true, balanced: true },
    { name: 'pg-lb', title: '1 process, PostgreSQL, balancer', processes: 1, postgres: true, balanced: true },
  ];
  const DEFAULT_SETUPS = ['sqlite', 'pg', 'pg-2'];
  const settings = {
    seconds: num('seconds', 8),
    warmup: num('warmup', 2, 0),
    connections: num('connections', 32),
    articles: num('articles', 300),
    setups: opt('setups')?.split(',').map((s) => s.trim()).filter(Boolean),
    keep: bool('keep'),
  };
  const unknown = settings.setups?.filter((s) => !SETUPS.some((x) => x.name === s)) ?? [];
  if (unknown.length) {
    process.stderr.write(`unknown setup ${unknown.join(', ')}; known: ${SETUPS.map((s) => s.name).join(', ')}\n`);
    process.exit(2);
  }
  const selected = SETUPS.filter((s) => (settings.setups ?? DEFAULT_SETUPS).includes(s.name));
  const pgUrl = opt('pg-url') ?? (() => {
    // Not the test database: a write NOTIFYs every process LISTENing on the database (all schemas), so the
    // DB=postgres tests others run there would keep dropping the measured servers' response caches.
    const u = new URL(PG_URL);
    u.pathname = '/broadsheet_bench';
    return u.toString();
  })();
  const outFile = opt('out') ?? (settings.setups
    ? join(benchDir, '.out', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
    : join(benchDir, 'results', 'scale.json'));
  const SITE_URL = 'http://localhost:3000';

  const info = (msg: string) => process.stderr.write(`[bench:scale] ${msg}\n`);
  const secondsSince = (t: number) => Math.round((performance.now() - t) / 100) / 10;
  const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

  const started = performance.now();
  const loadStart = loadavg();
  const tmp = runDirectory('broadsheet-scale-', settings.keep);
  info(`temp dir ${tmp}${settings.keep ? ' (kept)' : ''}`);

  const git = (cmd: string) => {
    try {
      return execSync(`git ${cmd}`, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  // Read when dist/ is built: the working tree is shared, and HEAD may move while the run goes on.
  const gitAtBuild = { commit: git('rev-parse --short HEAD'), uncommittedSrcFiles: git('status --porcelain -- src').split('\n').filter(Boolean).length };
  const configJs = buildProduction(root, bool('skip-build'), info);
  if (!configJs.includes('RESPONSE_CACHE')) throw new Error('dist/config.js does not read RESPONSE_CACHE: this runner measures with the response cache on and off');

  if (selected.some((s) => s.postgres)) await ensureDatabase(pgUrl);
  const pgServer = (() => {
    const u = new URL(pgUrl);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  })();
  const pgSettings = selected.some((s) => s.postgres) ? await postgresSettings(pgUrl) : null;

  // --- processes ---------------------------------------------------------------------------------------------
  const adminKey = `bench-admin-${randomBytes(18).toString('hex')}`;
  /**
   * Protections off: a closed-loop benchmark keeps the servers saturated on purpose; rate limits would answer
   * 429 to the one client, and load shedding (@fastify/under-pressure) cheap 503s.
   */
  const protections = { RATE_LIMIT_ANON_PER_MINUTE: '0', RATE_LIMIT_KEY_PER_MINUTE: '0', MAX_EVENT_LOOP_DELAY_MS: '0' };
  let serverCount = 0;

  type Running = { servers: Proc[]; balancer: Proc | null; entry: number };
  const serverLogs = new Map<string, string[]>();

  /** The errors the setup's servers logged (pino level ≥ 50), counted by message: what the non-2xx answers were. */
  function loggedErrors(setup: Setup): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const file of serverLogs.get(setup.name) ?? []) {
      for (const line of readText(file).split('\n')) {
        if (!line.startsWith('{')) continue;
        let entry: { level?: number; msg?: string; err?: { message?: string; cause?: { message?: string } } };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if ((entry.level ?? 0) < 50) continue;
        // drizzle's message is the whole statement and its parameters: the driver's reason is at the end.
        const message = entry.err?.message ?? entry.msg ?? 'unknown';
        const key = (message.includes('\nparams: ') ? `${message.slice(0, 48)} …: ${message.slice(message.lastIndexOf(': ') + 2)}` : message).slice(0, 200);
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }
    return counts;
  }

  async function startServers(setup: Setup, databaseUrl: string, mediaDir: string, cache: boolean): Promise<Running> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl, MEDIA_DIR: mediaDir, ADMIN_API_KEY: adminKey, LOG_LEVEL: 'warn', SEED_DEMO: 'false',
      SITE_URL, API_URL: SITE_URL, RESPONSE_CACHE: String(cache), ...protections,
    };
    // Started together, as a deployment does: the migrations run once under PostgreSQL's advisory lock.
    const servers = await Promise.all(Array.from({ length: setup.processes }, async () => {
      const port = await freePort();
      const n = ++serverCount;
      const logFile = join(tmp, `server-${n}-${setup.name}.log`);
      serverLogs.set(setup.name, [...(serverLogs.get(setup.name) ?? []), logFile]);
      const p = startProcess(`${setup.name}#${n}`, process.execPath, [join(root, 'dist', 'server.js')], { ...env, PORT: String(port) }, port, logFile, root);
      await waitReady(p, '/ready', (s) => s === 200, 120_000);
      return p;
    }));
    if (!setup.balanced) return { servers, balancer: null, entry: servers[0]!.port };
    const logFile = join(tmp, `balancer-${serverCount}.log`);
    const targets = servers.map((s) => `http://127.0.0.1:${s.port}`);
    const balancer = startProcess(`balancer#${serverCount}`, process.execPath, ['--import', 'tsx', thisFile, '--balancer', ...targets], { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' }, 0, logFile, root);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const m = /^balancer http:\/\/127\.0\.0\.1:(\d+)$/m.exec(readText(logFile));
      if (m) {
        balancer.port = Number(m[1]);
        return { servers, balancer, entry: balancer.port };
      }
      if (balancer.child.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`the balancer did not start. Log tail:\n${logTail(balancer)}`);
  }

  /** Stops the balancer (returning its per-target request counts) and the servers. */
  async function stopAll(r: Running): Promise<number[] | null> {
    let hits: number[] | null = null;
    if (r.balancer) {
      await stopProcess(r.balancer, 5_000);
      const m = /^hits (\[.*\])$/m.exec(readText(r.balancer.logFile));
      hits = m ? (JSON.parse(m[1]!) as number[]) : null;
    }
    const codes = await Promise.all(r.servers.map((s) => stopProcess(s)));
    codes.forEach((code, i) => {
      if (code !== 0) info(`warning: ${r.servers[i]!.name} exited with ${code}. Log tail:\n${logTail(r.servers[i]!)}`);
    });
    return hits;
  }

  // --- seeding through the API -------------------------------------------------------------------------------
  type Json = Record<string, unknown>;
  /**
   * One API call that must answer `expect`. `retries500`: how often a 500 is sent again (counted in `seedRetries`):
   * on PostgreSQL a write whose transaction lost the serialization race ten times answers 500 (rolled back, so
   * sending it again creates nothing twice); the seeding must finish, and the count is reported.
   */
  let seedRetries = 0;
  async function call(port: number, method: string, path: string, key: string, body: unknown, expect: number, retries500 = 0): Promise<Json> {
    for (let attempt = 0; ; attempt++) {
      const res = await http(port, method, path, { headers: { authorization: `Bearer ${key}` }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (res.status === 500 && attempt < retries500) {
        seedRetries++;
        continue;
      }
      if (res.status !== expect) throw new Error(`${method} ${path} answered ${res.status} (expected ${expect}): ${res.body.toString().slice(0, 400)}`);
      return res.body.length ? (JSON.parse(res.body.toString()) as Json) : {};
    }
  }
  async function inParallel<T, R>(items: readonly T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array(items.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }));
    return out;
  }

  /** A draft of about 600 words: ten paragraphs with an image block after the third (the bench's write body). */
  const articleBody = (random: () => number, imageId: string) => {
    const blocks: unknown[] = [];
    for (let p = 1; p <= 10; p++) {
      blocks.push({ type: 'paragraph', id: `p${p}`, children: [{ type: 'text', text: paragraph(random, 60) }] });
      if (p === 3) blocks.push({ type: 'image', id: 'img-1', mediaId: imageId, layout: 'wide' });
    }
    return blocks;
  };

  type Refs = { sections: string[]; authors: string[]; tags: string[]; media: string[] };
  /** The same content on every setup (same PRNG seed): sections, authors, tags, external images, published articles. */
  async function seed(port: number, editorKey: string): Promise<{ refs: Refs; slugs: string[] }> {
    const random = rng(20180110);
    const post = (path: string, body: unknown) => call(port, 'POST', path, editorKey, body, 201, 3);
    const ids = (rows: Json[]) => rows.map((r) => String(r.id));
    const width = 8;
    const sections = ids(await inParallel(['World', 'Politics', 'Business', 'Science', 'Culture'], width, (name) => post('/v1/sections', { name })));
    const authors = ids(await inParallel(Array.from({ length: 10 }, (_, i) => i), width, (i) => post('/v1/authors', { name: personName(random), slug: `reporter-${i}` })));
    const tags = ids(await inParallel(Array.from({ length: 30 }, (_, i) => i), width, (i) => post('/v1/tags', { name: `${sentence(random, 1, 2).slice(0, -1)} ${i}`, slug: `topic-${i}` })));
    const media = ids(await inParallel(Array.from({ length: 10 }, (_, i) => i), width, (i) => post('/v1/media', {
      url: `https://images.example.org/bench/${i}.jpg`, altText: sentence(random, 6, 12), creditText: `${personName(random)} / Bench Wire`,
      caption: [{ type: 'text', text: sentence(random, 8, 16) }],
    })));
    const drafts = Array.from({ length: settings.articles }, (_, i) => {
      const pickTags = new Set<string>();
      while (pickTags.size < 3) pickTags.add(tags[Math.floor(random() * tags.length)]!);
      return {
        headline: `${headline(random)} ${i + 1}`,
        standfirst: sentence(random, 18, 30),
        type: i % 3 === 0 ? 'opinion' : 'news',
        sectionId: sections[i % sections.length]!,
        hero: { mediaId: media[i % media.length]! },
        tagIds: [...pickTags],
        authors: [{ authorId: authors[i % authors.length]!, role: 'author' }],
        body: articleBody(random, media[(i + 1) % media.length]!),
      };
    });
    const slugs = await inParallel(drafts, width, async (draft) => {
      const created = await post('/v1/articles', draft);
      await call(port, 'POST', `/v1/articles/${String(created.id)}/publish`, editorKey, undefined, 200, 3);
      return String(created.slug);
    });
    return { refs: { sections, authors, tags, media }, slugs };
  }

  // --- CPU accounting ------------------------------------------------------------------------------------------
  const clockTicks = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  /** Busy CPU time of the whole machine (all cores) so far, in ms: what everyone else used shows up here too. */
  const machineBusyMs = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user nice system idle iowait irq softirq steal
    return ((total - f[3]! - f[4]!) * 1000) / clockTicks;
  };
  /** The PostgreSQL backends serving the bench database (the measured servers' pools and LISTEN connections). */
  async function backendPids(): Promise<number[]> {
    const c = new pg.Client(pgUrl);
    await c.connect();
    try {
      const { rows } = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()");
      return rows.map((r) => r.pid);
    } finally {
      await c.end();
    }
  }
  /**
   * Transactions committed and rolled back in the bench database so far (pg_stat_database). A write that lost a
   * serialization race is rolled back and run again: rollbacks per request is what SERIALIZABLE costs. A backend
   * reports its counts when idle, at most once a second; what it did in its last second before going idle is
   * reported 10 s later (PGSTAT_IDLE_INTERVAL), or when it exits (node-postgres closes a connection idle for
   * 10 s). `settledMs` waits for that, so a reading holds everything done before it.
   */
  const PG_STATS_SETTLE_MS = 11_500;
  async function pgTransactions(settledMs: number): Promise<{ commits: number; rollbacks: number }> {
    await sleep(settledMs);
    const c = new pg.Client(pgUrl);
    await c.connect();
    try {
      const { rows } = await c.query<{ commits: string; rollbacks: string }>('SELECT xact_commit AS commits, xact_rollback AS rollbacks FROM pg_stat_database WHERE datname = current_database()');
      return { commits: Number(rows[0]!.commits), rollbacks: Number(rows[0]!.rollbacks) };
    } finally {
      await c.end();
    }
  }
  /** CPU time of each process now, in ms; a process that has gone reads 0. */
  const cpuOf = (pids: number[]) => pids.map((pid) => cpuMs(pid));
  /**
   * CPU used by `pids` since `before`. A pooled PostgreSQL connection idle for 10 s is closed (node-postgres's
   * idleTimeoutMillis), its backend exits and reads 0: it adds nothing rather than a negative amount.
   */
  const cpuSince = (pids: number[], before: number[]) => pids.reduce((n, pid, i) => {
    const now = cpuMs(pid);
    return n + (now >= before[i]! ? now - before[i]! : 0);
  }, 0);
  const selfCpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };

  type Cpu = { apiMs: number; postgresMs: number; balancerMs: number; loadGeneratorMs: number; machineBusyMs: number; seconds: number };
  type Measured = { round: Round; cpu: Cpu; pg: { commits: number; rollbacks: number; requests: number } | null };

  /**
   * One warm-up round (unmeasured), then one measured round; the CPU time of every party during the latter, and
   * PostgreSQL's transaction counts over both (exact counts need the 11.5 s wait after them; they are read as a
   * rate per request). `fresh`: the servers have just started, so no earlier work can still be unreported.
   */
  async function measure(r: Running, setup: Setup, next: () => Req, fresh: boolean): Promise<Measured> {
    const target = { port: r.entry, pid: r.servers[0]!.pid, connections: settings.connections };
    const quiet = async () => {
      for (const s of r.servers) await settle(s.pid);
    };
    const pgBefore = setup.postgres ? await pgTransactions(fresh ? 0 : PG_STATS_SETTLE_MS) : null;
    let warmupRequests = 0;
    if (settings.warmup > 0) {
      warmupRequests = (await runRound(next, { ...target, seconds: settings.warmup })).requests;
      await quiet();
    }
    const apiPids = r.servers.map((s) => s.pid);
    const pgPids = setup.postgres ? await backendPids() : [];
    const before = { api: cpuOf(apiPids), pg: cpuOf(pgPids), lb: r.balancer ? cpuMs(r.balancer.pid) : 0, self: selfCpuMs(), machine: machineBusyMs() };
    const round = await runRound(next, { ...target, seconds: settings.seconds });
    const cpu: Cpu = {
      apiMs: cpuSince(apiPids, before.api), postgresMs: cpuSince(pgPids, before.pg), balancerMs: (r.balancer ? cpuMs(r.balancer.pid) : 0) - before.lb,
      loadGeneratorMs: selfCpuMs() - before.self, machineBusyMs: machineBusyMs() - before.machine, seconds: round.seconds,
    };
    // runRound reads the first process only; the per-request CPU figure is over every API process.
    round.cpuMs = cpu.apiMs;
    await quiet();
    const pgAfter = pgBefore ? await pgTransactions(PG_STATS_SETTLE_MS) : null;
    const pgCounts = pgBefore && pgAfter
      ? { commits: pgAfter.commits - pgBefore.commits, rollbacks: pgAfter.rollbacks - pgBefore.rollbacks, requests: warmupRequests + round.requests }
      : null;
    return { round, cpu, pg: pgCounts };
  }

  // --- one setup ------------------------------------------------------------------------------------------------
  type ScenarioRow = {
    setup: string; setupTitle: string; scenario: string; title: string; responseCache: boolean;
    rps: number; p50: number; p99: number; requests: number; non2xx: number; socketErrors: number; statusCounts: Record<string, number>;
    cpuUsPerRequest: { api: number; postgres: number | null; balancer: number | null; loadGenerator: number };
    machineCpuBusy: number; othersCores: number;
    /**
     * PostgreSQL transactions of the bench database during the warm-up and the round, for `requests` responses
     * (a rollback is a lost serialization race, run again; statements outside a transaction count as commits).
     */
    postgresTransactions: { commits: number; rollbacks: number; requests: number; commitsPerRequest: number; rollbacksPerRequest: number } | null;
  };
  type SetupResult = { name: string; title: string; processes: number; database: string; seedSeconds: number; seedRetriesAfter500: number; serverErrors: Record<string, number>; articles: number; startSeconds: number; balancerHits: Record<string, number[] | null>; rows: ScenarioRow[] };

  async function runSetup(setup: Setup): Promise<SetupResult> {
    info(`=== ${setup.title}`);
    const mediaDir = join(tmp, `media-${setup.name}`);
    mkdirSync(mediaDir, { recursive: true });
    const schema = setup.postgres ? await createSchema(pgUrl) : null;
    const databaseUrl = schema ? schema.url : join(tmp, `${setup.name}.db`);
    const database = schema ? `PostgreSQL ${pgServer}, schema ${schema.name}` : 'SQLite file (synchronous=NORMAL, the default)';
    const balancerHits: Record<string, number[] | null> = {};
    let running: Running | undefined;
    try {
      let t = performance.now();
      running = await startServers(setup, databaseUrl, mediaDir, true);
      const startSeconds = secondsSince(t);
      info(`${running.servers.map((s) => `${s.name} pid ${s.pid} :${s.port}`).join(', ')}${running.balancer ? `, balancer :${running.balancer.port}` : ''} (migrated and ready in ${startSeconds} s)`);

      const created = await call(running.entry, 'POST', '/v1/api-keys', adminKey, { name: 'bench editor', role: 'editor' }, 201);
      const editorKey = String(created.secret);
      t = performance.now();
      seedRetries = 0;
      const { refs, slugs } = await seed(running.entry, editorKey);
      const seedSeconds = secondsSince(t);
      const seedRetriesAfter500 = seedRetries;
      info(`seeded ${slugs.length} published articles (5 sections, 10 authors, 30 tags, 10 images) through the API in ${seedSeconds} s` +
        `${seedRetriesAfter500 ? `; ${seedRetriesAfter500} requests answered 500 and were sent again` : ''}`);

      const readUrls = slugs.map((s) => `/v1/articles/by-slug/${s}?include=all`);
      // Every read answers 200 through the entry; with two processes, both answer the same bytes (same ETag).
      await inParallel(readUrls, 8, async (url) => {
        const res = await http(running!.entry, 'GET', url);
        if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${res.body.toString().slice(0, 300)}`);
      });
      if (running.servers.length > 1) {
        for (const url of readUrls.slice(0, 5)) {
          const tags = await Promise.all(running.servers.map(async (s) => (await http(s.port, 'GET', url)).headers.etag));
          if (new Set(tags).size !== 1 || !tags[0]) throw new Error(`the processes disagree on ${url}: ETags ${tags.join(' ')}`);
        }
      }

      let reads = 0;
      const nextRead = (): Req => ({ method: 'GET', path: readUrls[reads++ % readUrls.length]! });
      const wr = rng(20180111);
      const bodies = Array.from({ length: 8 }, (_, i) => JSON.stringify(articleBody(wr, refs.media[(i + 1) % refs.media.length]!)));
      const heads = Array.from({ length: 50 }, () => headline(wr));
      const standfirst = JSON.stringify(sentence(wr, 18, 30));
      const runTag = `${Date.now().toString(36)}-${setup.name}`;
      let writes = 0;
      // A new headline (so a new slug) every request, as an editor's draft: ~600 words, 2 images, 3 tags, an author.
      const nextWrite = (): Req => {
        const i = writes++;
        const body = `{"headline":${JSON.stringify(`${heads[i % heads.length]} ${runTag} ${i}`)},"standfirst":${standfirst},"type":"${i % 3 === 0 ? 'opinion' : 'news'}",` +
          `"sectionId":"${refs.sections[0]}","hero":{"mediaId":"${refs.media[0]}"},"tagIds":${JSON.stringify(refs.tags.slice(0, 3))},` +
          `"authors":[{"authorId":"${refs.authors[0]}","role":"author"}],"body":${bodies[i % bodies.length]}}`;
        return { method: 'POST', path: '/v1/articles', headers: { authorization: `Bearer ${editorKey}`, 'content-type': 'application/json' }, body };
      };

      const rows: ScenarioRow[] = [];
      const record = (scenario: string, title: string, responseCache: boolean, expect: number, m: Measured) => {
        const a: Aggregate = aggregate([m.round], expect);
        const twoXX = Object.entries(a.statusCounts).reduce((n, [code, count]) => n + (code.startsWith('2') ? count : 0), 0);
        const perRequest = (n: number, requests: number) => (requests ? Math.round((n / requests) * 100) / 100 : 0);
        const per = (ms: number) => (a.requests ? Math.round((ms * 1000) / a.requests) : 0);
        const ours = m.cpu.apiMs + m.cpu.postgresMs + m.cpu.balancerMs + m.cpu.loadGeneratorMs;
        const row: ScenarioRow = {
          setup: setup.name, setupTitle: setup.title, scenario, title, responseCache,
          rps: a.rps, p50: a.p50, p99: a.p99, requests: a.requests, non2xx: a.requests - twoXX,
          socketErrors: m.round.errors + m.round.timeouts, statusCounts: a.statusCounts,
          cpuUsPerRequest: {
            api: per(m.cpu.apiMs), postgres: setup.postgres ? per(m.cpu.postgresMs) : null,
            balancer: running!.balancer ? per(m.cpu.balancerMs) : null, loadGenerator: per(m.cpu.loadGeneratorMs),
          },
          // Cores busy on the whole machine during the round, and how much of that was nobody of this run's.
          machineCpuBusy: Math.round((m.cpu.machineBusyMs / 1000 / m.cpu.seconds) * 100) / 100,
          othersCores: Math.round((Math.max(0, m.cpu.machineBusyMs - ours) / 1000 / m.cpu.seconds) * 100) / 100,
          postgresTransactions: m.pg ? { ...m.pg, commitsPerRequest: perRequest(m.pg.commits, m.pg.requests), rollbacksPerRequest: perRequest(m.pg.rollbacks, m.pg.requests) } : null,
        };
        rows.push(row);
        info(`  ${scenario.padEnd(13)} ${String(row.rps).padStart(6)} req/s  p50 ${row.p50} ms  p99 ${row.p99} ms  non-2xx ${row.non2xx}` +
          `${row.socketErrors ? `  socket errors ${row.socketErrors}` : ''}${row.postgresTransactions ? `  PostgreSQL rollbacks/req ${row.postgresTransactions.rollbacksPerRequest}` : ''}  (machine ${row.machineCpuBusy} cores busy, ${row.othersCores} by others)`);
        if (row.non2xx || row.socketErrors) info(`  unexpected responses: ${JSON.stringify(a.statusCounts)}`);
      };
      const readTitle = `anonymous GET /v1/articles/by-slug/{slug}?include=all over ${readUrls.length} slugs`;

      // 1. reads with the response cache on (the default): the warm-up fills it, so the round measures hits.
      record('read-cached', `${readTitle}, response cache on`, true, 200, await measure(running, setup, nextRead, false));
      // 2. reads with RESPONSE_CACHE=false: every request runs the queries.
      balancerHits['seeding, checks, read-cached'] = await stopAll(running);
      running = await startServers(setup, databaseUrl, mediaDir, false);
      record('read-nocache', `${readTitle}, RESPONSE_CACHE=false`, false, 200, await measure(running, setup, nextRead, true));
      // 3. writes, with the cache back on as production runs (each write invalidates; on PostgreSQL it NOTIFYs).
      balancerHits['read-nocache'] = await stopAll(running);
      running = await startServers(setup, databaseUrl, mediaDir, true);
      record('write', 'editor POST /v1/articles (draft, ~600 words, 2 images, 3 tags, an author; new headline each request)', true, 201, await measure(running, setup, nextWrite, true));
      balancerHits.write = await stopAll(running);
      running = undefined;
      const serverErrors = loggedErrors(setup);
      for (const [message, count] of Object.entries(serverErrors)) info(`  the servers logged ${count} × ${message}`);
      return { name: setup.name, title: setup.title, processes: setup.processes, database, seedSeconds, seedRetriesAfter500, serverErrors, articles: slugs.length, startSeconds, balancerHits, rows };
    } finally {
      if (running) await stopAll(running);
      if (schema && !settings.keep) await schema.drop().catch((e: unknown) => info(`could not drop schema ${schema.name}: ${String(e)}`));
    }
  }

  const results: SetupResult[] = [];
  for (const setup of selected) results.push(await runSetup(setup));

  // --- report ---------------------------------------------------------------------------------------------------
  const rows = results.flatMap((r) => r.rows);
  const cpu = cpus();
  const round2 = (x: number) => Math.round(x * 100) / 100;
  const json = {
    date: new Date().toISOString(),
    command: `npm run bench:scale${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: {
      cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', memoryMB: Math.round(totalmem() / 1048576), os: `${process.platform} ${release()}`,
      node: process.version, loadAverageAtStart: loadStart.map(round2), loadAverageAtEnd: loadavg().map(round2),
    },
    git: { ...gitAtBuild, builtNow: !bool('skip-build') },
    settings: {
      seconds: settings.seconds, warmupSeconds: settings.warmup, connections: settings.connections, articles: settings.articles,
      serverEnv: { NODE_ENV: 'production', LOG_LEVEL: 'warn', ...protections, RESPONSE_CACHE: 'true, false for read-nocache' },
      postgres: pgSettings ? { server: pgServer, ...pgSettings } : null,
      balancer: 'test/hardening/balancer.ts in its own node process (round robin, keep-alive to the targets)',
    },
    setups: results.map(({ rows: _, ...r }) => r),
    scenarios: rows,
    wallSeconds: secondsSince(started),
  };
  mkdirSync(join(outFile, '..'), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(json, null, 2)}\n`);

  const cpuCell = (r: ScenarioRow) => [r.cpuUsPerRequest.api, r.cpuUsPerRequest.postgres ?? '–', r.cpuUsPerRequest.balancer ?? '–'].join(' / ');
  const table = [
    '| setup | scenario | req/s | p50 ms | p99 ms | non-2xx | CPU µs/req: API / PostgreSQL / balancer | PG rollbacks/req | machine cores busy (others) |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.setupTitle} | ${r.scenario} | ${r.rps} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx}${r.socketErrors ? ` (+${r.socketErrors} socket errors)` : ''} | ${cpuCell(r)} | ` +
      `${r.postgresTransactions ? r.postgresTransactions.rollbacksPerRequest.toFixed(2) : '–'} | ${r.machineCpuBusy.toFixed(2)} (${r.othersCores.toFixed(2)}) |`),
  ].join('\n');
  const bad = rows.filter((r) => r.non2xx || r.socketErrors);
  const errorLines = results.flatMap((r) => Object.entries(r.serverErrors).map(([message, count]) => `${r.name}: ${count} × ${message}`));
  const out = [
    `Broadsheet bench:scale: ${settings.articles} articles seeded through the API per setup; one ${settings.warmup} s warm-up and one ${settings.seconds} s round per scenario, ${settings.connections} connections`,
    `${json.machine.cpus} × ${json.machine.cpuModel}, ${json.machine.node}, load average ${loadStart.map((x) => x.toFixed(1)).join(' ')} → ${json.machine.loadAverageAtEnd.join(' ')}, commit ${json.git.commit}`,
    `seeding: ${results.map((r) => `${r.name} ${r.seedSeconds} s`).join(', ')}${pgSettings ? `; PostgreSQL ${pgSettings.version}, synchronous_commit=${pgSettings.synchronous_commit}` : ''}`,
    '',
    table,
    '',
    'req/s: responses ÷ wall time of the round; p50/p99: over every response of the round; non-2xx: responses with another status than 2xx.',
    'CPU µs/req: CPU time (all threads) of the API processes, the PostgreSQL backends of the bench database and the balancer process ÷ responses.',
    'PG rollbacks/req: transactions rolled back in the bench database (pg_stat_database) ÷ responses, warm-up included: lost serialization races, run again.',
    'machine cores busy: the whole machine during the round (/proc/stat); others: what neither the servers, their backends, the balancer nor autocannon used.',
    bad.length ? `\nNOT ALL 2xx: ${bad.map((r) => `${r.setup}/${r.scenario} ${JSON.stringify(r.statusCounts)}${r.socketErrors ? ` + ${r.socketErrors} socket errors` : ''}`).join('; ')}` : 'every measured response was 2xx.',
    ...(errorLines.length ? ['errors the servers logged (seeding included):', ...errorLines.map((l) => `  ${l}`)] : []),
    `results: ${relative(root, outFile)}`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);
  info(`done in ${json.wallSeconds} s`);
  process.exit(bad.length ? 1 : 0);

  function readText(file: string): string {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }
}

/** Creates the database of `url` when it does not exist (connecting to the server's `postgres` database). */
async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name) throw new Error(`--pg-url ${url} names no database`);
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  maintenance.search = '';
  const c = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5000 });
  await c.connect().catch((e: unknown) => {
    throw new Error(`PostgreSQL at ${maintenance.host} does not answer (${String(e)}): start it (pg_ctlcluster … main start) or run --setups sqlite`);
  });
  try {
    const { rowCount } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // created by someone else in between
    });
  } finally {
    await c.end();
  }
}

async function postgresSettings(url: string) {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const one = async (sql: string) => String(Object.values((await c.query(sql)).rows[0] as object)[0]);
    return {
      version: await one('SHOW server_version'), synchronous_commit: await one('SHOW synchronous_commit'), fsync: await one('SHOW fsync'),
      shared_buffers: await one('SHOW shared_buffers'), max_connections: await one('SHOW max_connections'),
    };
  } finally {
    await c.end();
  }
}
