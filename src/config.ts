import { isIP } from 'node:net';
import { z } from 'zod';

const bool = (name: string) =>
  z
    .enum(['true', 'false', '1', '0'], { message: `${name} must be true or false` })
    .transform((v) => v === 'true' || v === '1');

const list = z
  .string()
  .default('')
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY lists. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const isAddressOrCidr = (entry: string) => {
  if (PROXY_RANGE_NAMES.has(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * TRUST_PROXY: false (default: the socket address is the client), true (trust every hop: only when the
 * proxy overwrites X-Forwarded-For), a hop count, or a comma list of proxy addresses/CIDRs.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((v, ctx): boolean | number | string[] => {
    const value = v.trim();
    if (value === 'false' || value === '0') return false;
    if (value === 'true') return true;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrCidr(e));
    if (!entries.length || bad.length) {
      ctx.addIssue({ code: 'custom', message: `TRUST_PROXY must be true, false, a hop count or a comma list of addresses/CIDRs (bad: ${bad.join(', ') || 'empty'})` });
      return z.NEVER;
    }
    return entries;
  });

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .min(1)
    .default('file:./data/broadsheet.db')
    .refine((v) => !/^postgres(ql)?:/.test(v) || URL.canParse(v), 'DATABASE_URL: not a valid postgres:// URL'),
  PG_POOL_MAX: z.coerce.number().int().min(1).max(1000).default(10),
  MEDIA_DIR: z.string().min(1).default('./data/media'),
  MEDIA_S3_BUCKET: z.string().min(1).max(255).optional(),
  MEDIA_S3_PREFIX: z.string().max(500).default('').refine((v) => !v.startsWith('/'), 'MEDIA_S3_PREFIX must not start with /'),
  MEDIA_S3_REGION: z.string().min(1).default('us-east-1'),
  MEDIA_S3_ENDPOINT: z.url({ protocol: /^https?$/, message: 'MEDIA_S3_ENDPOINT must be an http(s) URL' }).optional(),
  MEDIA_S3_FORCE_PATH_STYLE: bool('MEDIA_S3_FORCE_PATH_STYLE').default(false),
  SITE_URL: z
    .url({ protocol: /^https?$/, message: 'SITE_URL must be an http(s) URL' })
    .default('http://localhost:3000')
    .transform((v) => v.replace(/\/+$/, '')),
  API_URL: z
    .url({ protocol: /^https?$/, message: 'API_URL must be an http(s) URL' })
    .default('http://localhost:3000')
    .transform((v) => v.replace(/\/+$/, '')),
  ADMIN_API_KEY: z
    .string()
    .min(24, 'ADMIN_API_KEY must be at least 24 characters')
    .optional(),
  SEED_DEMO: bool('SEED_DEMO').default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CORS_ORIGINS: list,
  MEDIA_MAX_BYTES: z.coerce.number().int().positive().default(20 * 1024 * 1024),
  WEBHOOK_ALLOWED_HOSTS: list,
  DB_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  DB_CHECKPOINT_MS: z.coerce.number().int().min(0).max(60_000).default(50),
  REQUIRE_IF_MATCH: bool('REQUIRE_IF_MATCH').default(false),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().max(24 * 30).default(24),
  SITE_NAME: z.string().min(1).max(200).default('Broadsheet'),
  CACHE_MAX_AGE: z.coerce.number().int().min(0).default(60),
  CACHE_STALE_WHILE_REVALIDATE: z.coerce.number().int().min(0).default(300),
  RESPONSE_CACHE: bool('RESPONSE_CACHE').default(true),
  RESPONSE_CACHE_MAX_MB: z.coerce.number().int().min(1).max(16_384).default(128),
  RESPONSE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  TRUST_PROXY: trustProxy,
  RATE_LIMIT_ANON_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  RATE_LIMIT_KEY_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/, message: 'REDIS_URL must be a redis:// or rediss:// URL' })
    .optional(),
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default('broadsheet:'),
  MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(1000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(5000),
  RENDITION_WIDTHS: z
    .string()
    .default('320,640,960,1280,1920')
    .transform((v) => v.split(',').map((s) => Number(s.trim())))
    .refine((ws) => ws.length > 0 && ws.every((w) => Number.isInteger(w) && w >= 16 && w <= 4096), 'RENDITION_WIDTHS must be a comma list of integer widths 16..4096'),
});

export type Config = Readonly<{
  port: number;
  host: string;
  /** The SQLite file (or :memory:) when `databaseUrl` is not set. */
  databaseFile: string;
  /** PostgreSQL (`DATABASE_URL=postgres://…`): several processes on one database (src/db/postgres.ts). */
  databaseUrl: string | undefined;
  /** Connections per process to PostgreSQL. */
  pgPoolMax: number;
  mediaDir: string;
  /**
   * Media bytes in this S3 bucket (src/modules/media/storage.ts) instead of under `mediaDir`, which then only
   * stages uploads. Keys start with `mediaS3Prefix`; credentials come from the AWS SDK's default provider chain.
   */
  mediaS3Bucket: string | undefined;
  mediaS3Prefix: string;
  mediaS3Region: string;
  /** An S3-compatible service (MinIO, R2, …); unset: AWS. Many of them need `mediaS3ForcePathStyle`. */
  mediaS3Endpoint: string | undefined;
  mediaS3ForcePathStyle: boolean;
  siteUrl: string;
  /** Public base URL of this API, for links to its own files (media). */
  apiUrl: string;
  adminApiKey: string | undefined;
  seedDemo: boolean;
  logLevel: z.infer<typeof ConfigSchema>['LOG_LEVEL'];
  corsOrigins: readonly string[];
  mediaMaxBytes: number;
  webhookAllowedHosts: readonly string[];
  dbSynchronous: 'NORMAL' | 'FULL';
  /** SQLite: how often a worker thread checkpoints the WAL (src/db/checkpointer.ts); 0 = SQLite's automatic checkpoint at commit. */
  dbCheckpointMs: number;
  /** Article writes without If-Match answer 428. */
  requireIfMatch: boolean;
  /** How long an Idempotency-Key record is kept. */
  idempotencyTtlHours: number;
  /** Name of the publication, for feeds and JSON-LD. */
  siteName: string;
  /** Cache-Control for anonymous reads: max-age and stale-while-revalidate, in seconds. */
  cacheMaxAge: number;
  cacheStaleWhileRevalidate: number;
  /** In-process cache of anonymous answers (src/http/response-cache.ts): on/off, size bound, safety TTL. */
  responseCache: boolean;
  responseCacheMaxBytes: number;
  responseCacheTtlSeconds: number;
  /** The only widths image renditions are made at. */
  renditionWidths: readonly number[];
  /** Fastify `trustProxy`: false, true, a hop count, or proxy addresses/CIDRs. Decides `request.ip`. */
  trustProxy: boolean | number | readonly string[];
  /** Requests per minute per client IP (anonymous) and per API key; 0 turns that limit off. */
  rateLimitAnonPerMinute: number;
  rateLimitKeyPerMinute: number;
  /**
   * Shared rate-limit counters for several processes (src/http/protections.ts); unset: counters in this
   * process. Keys start with `redisKeyPrefix` (several sites or environments can share one Redis).
   */
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  /** Mean event-loop delay above which requests get 503 + Retry-After; 0 turns the check off. */
  maxEventLoopDelayMs: number;
  /** Time to receive a whole request (headers and body); the socket is closed after it. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  keepAliveTimeoutMs: number;
}>;

export class ConfigError extends Error {}

/** The only reader of process.env. Empty strings count as unset. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  return Object.freeze({
    port: c.PORT,
    host: c.HOST,
    databaseFile: /^postgres(ql)?:/.test(c.DATABASE_URL) ? '' : c.DATABASE_URL.replace(/^file:/, ''),
    databaseUrl: /^postgres(ql)?:/.test(c.DATABASE_URL) ? c.DATABASE_URL : undefined,
    pgPoolMax: c.PG_POOL_MAX,
    mediaDir: c.MEDIA_DIR,
    mediaS3Bucket: c.MEDIA_S3_BUCKET,
    mediaS3Prefix: c.MEDIA_S3_PREFIX,
    mediaS3Region: c.MEDIA_S3_REGION,
    mediaS3Endpoint: c.MEDIA_S3_ENDPOINT,
    mediaS3ForcePathStyle: c.MEDIA_S3_FORCE_PATH_STYLE,
    siteUrl: c.SITE_URL,
    apiUrl: c.API_URL,
    adminApiKey: c.ADMIN_API_KEY,
    seedDemo: c.SEED_DEMO,
    logLevel: c.LOG_LEVEL,
    corsOrigins: Object.freeze(c.CORS_ORIGINS),
    mediaMaxBytes: c.MEDIA_MAX_BYTES,
    webhookAllowedHosts: Object.freeze(c.WEBHOOK_ALLOWED_HOSTS),
    dbSynchronous: c.DB_SYNCHRONOUS,
    dbCheckpointMs: c.DB_CHECKPOINT_MS,
    requireIfMatch: c.REQUIRE_IF_MATCH,
    idempotencyTtlHours: c.IDEMPOTENCY_TTL_HOURS,
    siteName: c.SITE_NAME,
    cacheMaxAge: c.CACHE_MAX_AGE,
    cacheStaleWhileRevalidate: c.CACHE_STALE_WHILE_REVALIDATE,
    responseCache: c.RESPONSE_CACHE,
    responseCacheMaxBytes: c.RESPONSE_CACHE_MAX_MB * 1024 * 1024,
    responseCacheTtlSeconds: c.RESPONSE_CACHE_TTL_SECONDS,
    renditionWidths: Object.freeze([...new Set(c.RENDITION_WIDTHS)].sort((a, b) => a - b)),
    trustProxy: Array.isArray(c.TRUST_PROXY) ? Object.freeze(c.TRUST_PROXY) : c.TRUST_PROXY,
    rateLimitAnonPerMinute: c.RATE_LIMIT_ANON_PER_MINUTE,
    rateLimitKeyPerMinute: c.RATE_LIMIT_KEY_PER_MINUTE,
    redisUrl: c.REDIS_URL,
    redisKeyPrefix: c.REDIS_KEY_PREFIX,
    maxEventLoopDelayMs: c.MAX_EVENT_LOOP_DELAY_MS,
    requestTimeoutMs: c.REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: c.KEEP_ALIVE_TIMEOUT_MS,
  });
}

/** Configuration for tests and the OpenAPI export: in-memory, quiet, no demo. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  // Load shedding is off in tests (a busy CI machine stalls the event loop past any threshold and would turn
  // unrelated assertions into 503s); test/http/protections.test.ts turns it on where it is the subject.
  return Object.freeze({ ...loadConfig({ DATABASE_URL: ':memory:', SEED_DEMO: 'false', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', MAX_EVENT_LOOP_DELAY_MS: '0' }), ...overrides });
}
