import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';

/**
 * docker-compose.yml and deploy/nginx.conf, read as files: no Docker here or in CI. The shape of the `scale`
 * profile (README, "Deployment: single node or scaled") and each service's environment through the app's own
 * config parser, so a setting the app would refuse at start fails here.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMPOSE_FILE = `${ROOT}docker-compose.yml`;

type Healthcheck = { test?: string[] | string; disable?: boolean };
type Service = {
  image?: string;
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: Healthcheck;
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

// `merge: true`: the replicas are `<<: *api` (YAML merge keys, which Compose resolves).
const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Compose;
const services = compose.services;
/** The API replicas of the scale profile: api-1, api-2, … (README: "More replicas"). */
const REPLICAS = Object.keys(services).filter((n) => /^api-\d+$/.test(n)).sort();
const service = (name: string): Service => {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** Compose interpolation with nothing set in the environment: `${X:-default}` → default, `${X}` → ''. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$\$/g, '$');
}
const envOf = (name: string): Record<string, string> =>
  Object.fromEntries(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));

/** `source:target[:mode]` → { source, target }. */
const mounts = (name: string) =>
  (service(name).volumes ?? []).map((v) => {
    const [source = '', target = ''] = v.split(':');
    return { source, target };
  });

t.test('without a profile: only the single-node service, on SQLite', async (t) => {
  const unprofiled = Object.entries(services).filter(([, s]) => !s.profiles?.length).map(([n]) => n);
  t.same(unprofiled, ['api'], '`docker compose up` starts the single node alone');
  const c = loadConfig(envOf('api'));
  t.equal(c.databaseUrl, undefined, 'the single node is not on PostgreSQL');
  t.equal(c.databaseFile, '/app/data/broadsheet.db');
  t.ok(mounts('api').some((m) => m.target === '/app/data'), 'its data directory (database and media) is a volume');
});

t.test('the scale profile: PostgreSQL, Redis, two replicas and a balancer from official images', async (t) => {
  t.ok(REPLICAS.length >= 2, `at least two replicas (${REPLICAS.join(', ')})`);
  const scaled = Object.entries(services).filter(([, s]) => s.profiles?.includes('scale')).map(([n]) => n).sort();
  t.same(scaled, [...REPLICAS, 'lb', 'postgres', 'redis'].sort(), 'the scale profile: the replicas, lb, postgres, redis');
  t.match(service('postgres').image, /^postgres:1[67](\.\d+)*-alpine$/, 'official postgres image');
  t.match(service('redis').image, /^redis:7(\.\d+)*-alpine$/, 'official redis image');
  // `resolve` on upstream servers (deploy/nginx.conf) needs nginx 1.27.3 or later.
  t.match(service('lb').image, /^nginx:1\.(2[7-9]|[3-9]\d)(\.\d+)*-alpine$/, 'official nginx image, 1.27 or later');
  for (const name of REPLICAS) {
    t.equal(service(name).image, service('api').image, `${name} runs the single node's image`);
    t.same(service(name).build, service('api').build, `${name} builds it the same way`);
  }
});

t.test('the replicas share one database, one media volume and one Redis, and trust the balancer', async (t) => {
  const configs = REPLICAS.map((name) => ({ name, env: envOf(name), config: loadConfig(envOf(name)) }));
  for (const { name, env, config } of configs) {
    t.match(config.databaseUrl, /^postgres:\/\/[^@]+@postgres:5432\//, `${name}: DATABASE_URL is the postgres service`);
    t.match(config.redisUrl, /^redis:\/\/redis:6379/, `${name}: REDIS_URL is the redis service (rate limits shared)`);
    t.not(config.trustProxy, false, `${name}: TRUST_PROXY is set (X-Forwarded-For from the balancer counts)`);
    t.equal(config.host, '0.0.0.0', `${name}: listens on the container network`);
    t.notOk(service(name).ports?.length, `${name}: publishes no port (only the balancer reaches it, as TRUST_PROXY assumes)`);
    const media = mounts(name).find((m) => m.target === config.mediaDir);
    t.equal(media?.source, 'media', `${name}: MEDIA_DIR (${env.MEDIA_DIR}) is the named volume "media"`);
    t.same(Object.keys(service(name).depends_on ?? {}).sort(), ['postgres', 'redis']);
    for (const dep of ['postgres', 'redis']) {
      t.equal(service(name).depends_on?.[dep]?.condition, 'service_healthy', `${name} waits for ${dep} to be healthy`);
    }
  }
  const [a, ...others] = configs;
  for (const b of others) {
    t.equal(b.config.databaseUrl, a?.config.databaseUrl, `${b.name} on the same database as ${a?.name}`);
    t.equal(b.config.mediaDir, a?.config.mediaDir, `${b.name} sees media at the same path`);
    t.equal(b.config.redisUrl, a?.config.redisUrl, `${b.name} counts rate limits in the same Redis`);
  }
  t.ok(compose.volumes && 'media' in compose.volumes, 'the media volume is declared');
  t.ok(compose.volumes && 'postgres-data' in compose.volumes, 'the database has a named volume');
  t.ok(mounts('postgres').some((m) => m.source === 'postgres-data'), 'postgres keeps its data in it');

  const env = envOf('postgres');
  t.equal(a?.config.databaseUrl, `postgres://${env.POSTGRES_USER}:${env.POSTGRES_PASSWORD}@postgres:5432/${env.POSTGRES_DB}`,
    'DATABASE_URL names the user, password and database the postgres service creates');
  // The demo loader checks "empty?" and then writes in several transactions: two at once would both load it.
  t.equal(configs.filter(({ config }) => config.seedDemo).length, 1, 'exactly one replica loads the demo');
});

t.test('every long-running service has a health check; the balancer waits for the replicas', async (t) => {
  for (const [name, s] of Object.entries(services)) {
    const test = s.healthcheck?.test;
    t.ok(!s.healthcheck?.disable && (Array.isArray(test) ? test.length > 1 && test[0] !== 'NONE' : !!test), `${name} has a health check`);
  }
  for (const name of ['api', ...REPLICAS]) {
    const port = envOf(name).PORT;
    t.match(JSON.stringify(service(name).healthcheck?.test), `127.0.0.1:${port}/ready`, `${name} checks readiness on its own port`);
  }
  t.match(service('postgres').healthcheck?.test, ['CMD', 'pg_isready'], 'postgres: pg_isready');
  t.same(Object.keys(service('lb').depends_on ?? {}).sort(), REPLICAS, 'lb depends on every replica');
  for (const name of REPLICAS) t.equal(service('lb').depends_on?.[name]?.condition, 'service_healthy');
  t.match(readFileSync(`${ROOT}Dockerfile`, 'utf8'), /^COPY migrations-pg \.\/migrations-pg$/m, 'the image ships the PostgreSQL migrations');
});

t.test('deploy/nginx.conf balances over exactly the replicas', async (t) => {
  const mount = mounts('lb').find((m) => m.target === '/etc/nginx/nginx.conf');
  t.equal(mount?.source, './deploy/nginx.conf', 'the committed configuration is mounted');
  const conf = readFileSync(`${ROOT}deploy/nginx.conf`, 'utf8').replace(/#.*$/gm, '');

  const upstream = /\bupstream\s+[\w-]+\s*\{([^}]*)\}/.exec(conf)?.[1] ?? '';
  const upstreamServers = [...upstream.matchAll(/^[ \t]*server[ \t]+([^\s;]+)([^;]*);/gm)].map((m) => ({ address: m[1], params: m[2] ?? '' }));
  t.same(upstreamServers.map((s) => s.address).sort(), REPLICAS.map((n) => `${n}:${envOf(n).PORT}`).sort(), 'one upstream server per replica, on its PORT');
  for (const s of upstreamServers) t.match(s.params, /max_fails=\d+.*fail_timeout=\d+s/, `${s.address}: passive health`);
  t.match(conf, /\bleast_conn;/);
  const next = /proxy_next_upstream\s+([^;]+);/.exec(conf)?.[1]?.split(/\s+/) ?? [];
  t.same(['error', 'timeout', 'http_502', 'http_503'].filter((v) => !next.includes(v)), [], 'retries the other replica on errors, timeouts, 502 and 503');
  t.notOk(next.includes('non_idempotent'), 'never replays a POST that reached a replica');
  // TRUST_PROXY=1 takes the last X-Forwarded-For entry: nginx must append the peer address to it.
  t.match(conf, /proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/);
  t.match(conf, /proxy_set_header\s+X-Forwarded-Proto\s+\$scheme;/);
  for (const name of REPLICAS) t.equal(envOf(name).TRUST_PROXY, '1', `${name}: trusts exactly one hop`);

  const size = /client_max_body_size\s+(\d+)([kKmM]?);/.exec(conf);
  const bytes = size ? Number(size[1]) * ({ k: 1024, m: 1024 * 1024 }[size[2]?.toLowerCase() ?? ''] ?? 1) : 0;
  for (const name of REPLICAS) {
    t.ok(bytes > loadConfig(envOf(name)).mediaMaxBytes, `client_max_body_size (${bytes}) lets an upload of MEDIA_MAX_BYTES reach ${name}`);
  }

  const listen = /^\s*listen\s+(\d+)\s*;/m.exec(conf)?.[1];
  t.ok(service('lb').ports?.some((p) => p.endsWith(`:${listen}`)), `the published port reaches nginx's listen ${listen}`);
  t.match(JSON.stringify(service('lb').healthcheck?.test), `127.0.0.1:${listen}/`, 'the balancer checks itself on that port');
});

const composeBin = ['/usr/bin/docker-compose', '/usr/local/bin/docker-compose'].find((p) => existsSync(p));
t.test('docker-compose validates the file', {
  skip: composeBin ? false : 'docker-compose is not installed (apt-get install docker-compose); the checks above still ran',
}, async (t) => {
  for (const args of [['config', '-q'], ['--profile', 'scale', 'config', '-q']]) {
    const { stderr } = await promisify(execFile)(composeBin ?? '', ['-f', COMPOSE_FILE, ...args], { cwd: ROOT, timeout: 60_000 });
    t.equal(stderr.trim(), '', `docker-compose ${args.join(' ')}: valid, no warnings`);
  }
});
