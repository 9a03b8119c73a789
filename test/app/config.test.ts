import { spawn } from 'node:child_process';
import t from 'tap';
import { ConfigError, loadConfig, testConfig } from '../../src/config.js';

t.test('defaults match the "Running it" table', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, 3000, 'PORT 3000');
  t.equal(c.host, '127.0.0.1', 'HOST 127.0.0.1');
  t.equal(c.databaseFile, './data/broadsheet.db', 'DATABASE_URL file:./data/broadsheet.db');
  t.equal(c.mediaDir, './data/media', 'MEDIA_DIR ./data/media');
  t.equal(c.siteUrl, 'http://localhost:3000', 'SITE_URL http://localhost:3000');
  t.equal(c.adminApiKey, undefined, 'ADMIN_API_KEY unset');
  t.equal(c.seedDemo, true, 'SEED_DEMO true');
  t.equal(c.logLevel, 'info', 'LOG_LEVEL info');
  t.same(c.corsOrigins, [], 'CORS_ORIGINS empty');
  t.equal(c.mediaMaxBytes, 20971520, 'MEDIA_MAX_BYTES 20971520');
  t.same(c.webhookAllowedHosts, [], 'WEBHOOK_ALLOWED_HOSTS empty');
  t.ok(Object.isFrozen(c), 'the config is frozen');
});

t.test('empty strings count as unset', async (t) => {
  const c = loadConfig({ PORT: '', HOST: '', SEED_DEMO: '', LOG_LEVEL: '' });
  t.equal(c.port, 3000);
  t.equal(c.host, '127.0.0.1');
  t.equal(c.seedDemo, true);
  t.equal(c.logLevel, 'info');
});

t.test('values are read and normalised', async (t) => {
  const c = loadConfig({
    PORT: '8080', HOST: '0.0.0.0', DATABASE_URL: '/var/lib/bs.db', MEDIA_DIR: '/m', SITE_URL: 'https://news.example.com/',
    ADMIN_API_KEY: 'a'.repeat(32), SEED_DEMO: 'false', LOG_LEVEL: 'debug', CORS_ORIGINS: 'https://a.example, https://b.example ,',
    MEDIA_MAX_BYTES: '1024', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  t.equal(c.port, 8080);
  t.equal(c.host, '0.0.0.0');
  t.equal(c.databaseFile, '/var/lib/bs.db', 'a plain path is kept');
  t.equal(c.mediaDir, '/m');
  t.equal(c.siteUrl, 'https://news.example.com', 'trailing slash dropped');
  t.equal(c.adminApiKey, 'a'.repeat(32));
  t.equal(c.seedDemo, false);
  t.equal(c.logLevel, 'debug');
  t.same(c.corsOrigins, ['https://a.example', 'https://b.example'], 'comma list trimmed, empties dropped');
  t.equal(c.mediaMaxBytes, 1024);
  t.same(c.webhookAllowedHosts, ['127.0.0.1']);
  t.equal(loadConfig({ DATABASE_URL: 'file:/tmp/x.db' }).databaseFile, '/tmp/x.db', 'file: prefix stripped');
  t.equal(loadConfig({ DATABASE_URL: ':memory:' }).databaseFile, ':memory:');
  for (const v of ['true', '1']) t.equal(loadConfig({ SEED_DEMO: v }).seedDemo, true, `SEED_DEMO=${v}`);
  for (const v of ['false', '0']) t.equal(loadConfig({ SEED_DEMO: v }).seedDemo, false, `SEED_DEMO=${v}`);
});

t.test('bad values throw a ConfigError naming the variable', async (t) => {
  const cases: Record<string, string>[] = [
    { PORT: 'abc' },
    { PORT: '70000' },
    { SITE_URL: 'ftp://x' },
    { SITE_URL: 'not a url' },
    { LOG_LEVEL: 'loud' },
    { SEED_DEMO: 'maybe' },
    { MEDIA_MAX_BYTES: '-5' },
    { ADMIN_API_KEY: 'short' },
    { DATABASE_URL: 'postgres://[not a host' },
    { PG_POOL_MAX: '0' },
  ];
  for (const env of cases) {
    const [name, value] = Object.entries(env)[0]!;
    let err: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      err = e;
    }
    t.ok(err instanceof ConfigError, `${name}=${value} throws ConfigError`);
    t.match((err as Error)?.message, new RegExp(`\\b${name}\\b`), `${name}=${value}: the message names ${name}`);
  }
  t.throws(() => loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' }), /PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/, 'every bad variable is reported at once');
});

t.test('testConfig is in-memory, quiet and empty', async (t) => {
  const c = testConfig({ siteUrl: 'https://x.example' });
  t.equal(c.databaseFile, ':memory:');
  t.equal(c.seedDemo, false);
  t.equal(c.siteUrl, 'https://x.example', 'overrides apply');
  t.equal(c.maxEventLoopDelayMs, 0, 'load shedding is off unless a test turns it on');
});

t.test('the server exits 1 with the variable named on a bad configuration', async (t) => {
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve, reject) => {
    // Node itself with tsx's loader (as `npm start` runs it), in a clean environment: not npx (a second process and
    // its own start-up) and not tap's NODE_OPTIONS loaders, which a CI machine running four test files at once on
    // two cores made take most of the limit below.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: 'abc', DATABASE_URL: ':memory:', SEED_DEMO: 'false', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within 60 s (it should refuse to start)\n${stderr}`));
    }, 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr, stdout }); });
  });
  t.equal(result.signal, null, 'not killed');
  t.equal(result.code, 1, 'exit code 1');
  t.match(result.stderr, /\bPORT\b/, 'stderr names PORT');
  t.notMatch(result.stderr, /\n\s+at .+:\d+:\d+/, 'no stack trace, just the message');
});
