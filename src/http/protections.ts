import helmet, { type HelmetOptions } from 'helmet';
import rateLimit, { normalizeIP, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import LocalStore from '@fastify/rate-limit/store/LocalStore.js';
import RedisStore from '@fastify/rate-limit/store/RedisStore.js';
import underPressure from '@fastify/under-pressure';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import proxyAddr from '@fastify/proxy-addr';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { problem, PROBLEM_TYPE_BASE } from './error-handler.js';
import { ProblemSchema } from './schemas.js';

/**
 * Resource protections (OWASP API4; reliability-anchors (c) cases 18, 35, 39–41): timeouts, proxy trust,
 * security headers, load shedding and rate limits. `serverOptions` goes into the Fastify constructor;
 * `registerProtections` runs before auth and before any route is added (see the ordering notes below).
 */

const WINDOW_MS = 60_000;
/** Seconds a client is told to wait when the event loop lags. */
const OVERLOAD_RETRY_AFTER_S = 5;
/** A slow or absent Redis costs a request at most this long before its limit is skipped (see `connectRedis`). */
const REDIS_TIMEOUT_MS = 1000;
/** While Redis is unreachable, the warning is repeated at most this often. */
const REDIS_WARN_EVERY_MS = 60_000;
/** How often shutdown closes the connections that have gone idle since it began (registerDrainOnClose). */
const DRAIN_EVERY_MS = 50;
/** Ops routes that orchestrators poll: never rate limited. */
const UNLIMITED_ROUTES = new Set(['/health', '/ready']);

/** What answers a request before Fastify does (src/http/response-cache.ts `frontDoor`), once the app is built. */
export type FrontDoorSlot = { serve?: (req: IncomingMessage, res: ServerResponse, next: () => void) => void };

/**
 * Fastify constructor options. Fastify sets `server.requestTimeout` after creating the server, and on
 * Node 20 that value does not cover a request whose body trickles in, only its headers (measured: the
 * slow-client test in test/http/protections.test.ts; fastify/fastify#4008 is a related report), so it is
 * also passed to `http.createServer`.
 * Node enforces it on a timer (`connectionsCheckingInterval`, 30 s by default): checked at a tenth of the
 * timeout, a slow client is closed within 110% of it. Header size stays Node's default (16 KiB → 431).
 * The server is made here (`serverFactory`, with the timeouts Fastify would set) so that its request
 * listener can offer each request to the front door first; while the server closes, Fastify gets them all.
 */
export function serverOptions(config: Config, door: FrontDoorSlot = {}) {
  const requestTimeout = config.requestTimeoutMs;
  const http = {
    requestTimeout,
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.round(requestTimeout / 10))),
  };
  const serverFactory = (handler: (req: IncomingMessage, res: ServerResponse) => void) => {
    const server: Server = createServer(http, (req, res) => {
      const serve = door.serve;
      if (serve && server.listening) serve(req, res, () => handler(req, res));
      else handler(req, res);
    });
    server.keepAliveTimeout = config.keepAliveTimeoutMs;
    // Socket inactivity in either direction, e.g. a client that stops reading a response.
    server.setTimeout(2 * requestTimeout);
    return server;
  };
  return {
    requestTimeout,
    connectionTimeout: 2 * requestTimeout,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    trustProxy: trustProxyOption(config.trustProxy),
    http,
    serverFactory,
    clientErrorHandler,
    frameworkErrors,
  };
}

/** The client's address as Fastify's `request.ip` gives it (TRUST_PROXY applied), from the raw request. */
function clientAddressOf(trust: Config['trustProxy']): (req: IncomingMessage) => string {
  const option = trustProxyOption(trust);
  if (option === false) return (req) => req.socket.remoteAddress ?? '';
  const trusted = option === true ? () => true : typeof option === 'function' ? option : proxyAddr.compile(option);
  return (req) => proxyAddr(req, trusted);
}

/**
 * Errors the router raises before a route is chosen (a malformed percent-escape, a path parameter over
 * `maxParamLength`): no hook or error handler runs for them, so they are answered as problem+json here.
 */
function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const e =
    error.code === 'FST_ERR_BAD_URL' ? new AppError(400, 'bad-url', 'The URL has a malformed percent-escape')
    : error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new AppError(400, 'param-too-long', 'A path parameter is longer than 200 characters')
    : new AppError(500, 'internal-error', 'An unexpected error occurred; it has been logged with the request id');
  if (e.status >= 500) request.log.error({ err: error }, 'router error');
  return reply
    .code(e.status)
    .header('x-content-type-options', 'nosniff')
    .type('application/problem+json; charset=utf-8')
    .send(JSON.stringify(problem(request, e)));
}

/**
 * Fastify 5.12 reads a bare hop count as "trust nothing" (a client that reaches the server directly could
 * otherwise pick its address by sending enough X-Forwarded-For entries), so TRUST_PROXY=n becomes
 * proxy-addr's hop function: the socket peer and the n-1 addresses it forwarded for are proxies.
 */
function trustProxyOption(trust: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return Array.isArray(trust) ? [...trust] : (trust as boolean);
}

/**
 * Errors Node reports before a request reaches Fastify (timeouts, oversized or malformed headers): answered
 * as problem+json, like every other error, then the socket is closed.
 */
function clientErrorHandler(this: FastifyInstance, err: Error & { code?: string }, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request-timeout', 'The request was not received in time']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers-too-large', 'The request headers are larger than 16 KiB']
    : [400, 'bad-request', 'The request could not be parsed'];
  this.log.debug({ err }, `client error: ${code}`);
  // Never write a second status line into a response that has started.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ type: `${PROBLEM_TYPE_BASE}${code}`, title: STATUS_CODES[status], status, detail, code });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\n` +
      `X-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** The client's address as a bucket name: an IPv6 client owns its /64, so rotating within it gains nothing. */
const addressOf = (request: FastifyRequest) => normalizeIP(request.ip);
const anonymousBucket = (ip: string) => `ip:${normalizeIP(ip)}`;

/** Authenticated callers are limited per API key (wherever they call from), anonymous ones per address. */
const bucketOf = (request: FastifyRequest) => (request.principal ? `key:${request.principal.keyId}` : anonymousBucket(request.ip));

function rateLimited(limit: number, resetSeconds: number, who: string) {
  const reset = String(Math.max(1, resetSeconds));
  return new AppError(429, 'rate-limited', `Too many requests from this ${who}: the limit is ${limit} per minute; retry in ${reset} s`, undefined, {
    'retry-after': reset,
    'ratelimit-limit': String(limit),
    'ratelimit-remaining': '0',
    'ratelimit-reset': reset,
  });
}

/** Swagger UI is the one HTML page: it may load its own scripts, styles and images, nothing else. */
const DOCS_CSP = {
  useDefaults: false as const,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    imgSrc: ["'self'", 'data:'],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
  },
};

/** Read by front ends from other sites with <img>, <link> or a feed reader: cross-origin loadable. */
const CROSS_ORIGIN_ROUTES = [/^\/v1\/media\/:id\/file$/, /^\/v1\/feeds\//, /^\/v1\/sitemap[^/]*\.xml$/];

const API_HEADERS: HelmetOptions = {
  // JSON is never rendered: nothing may load, nothing may frame it.
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  // HSTS belongs to whoever terminates TLS (the reverse proxy or CDN); this process speaks plain HTTP.
  strictTransportSecurity: false,
  crossOriginResourcePolicy: { policy: 'same-site' },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
};

/**
 * Security headers from helmet, with one middleware built per header policy at start. (@fastify/helmet
 * builds a new helmet middleware, parsing the CSP again, on every request: 6 % of a cached read's CPU.)
 * An app-wide onSend hook, so 404s, 429s and 503s carry the headers too, and registered before the HTTP
 * cache's so a stored answer keeps them: a response-cache hit replays them from the entry instead of
 * running helmet again (src/http/response-cache.ts). A route's own header still wins (Fastify's reply
 * headers are written over the raw ones helmet sets).
 */
async function registerHeaders(app: FastifyInstance) {
  const forApi = helmet(API_HEADERS);
  const forDocs = helmet({ ...API_HEADERS, contentSecurityPolicy: DOCS_CSP });
  const crossOrigin = helmet({ ...API_HEADERS, crossOriginResourcePolicy: { policy: 'cross-origin' } });
  const byRoute = new Map<string, typeof forApi>();
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) byRoute.set(route.url, forDocs);
    else if (CROSS_ORIGIN_ROUTES.some((re) => re.test(route.url))) byRoute.set(route.url, crossOrigin);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const apply = byRoute.get(request.routeOptions.url ?? '') ?? forApi;
    apply(request.raw, reply.raw, (err?: unknown) => (err ? done(err as Error) : done(null, payload)));
  });
}

async function registerLoadShedding(app: FastifyInstance, config: Config) {
  if (config.maxEventLoopDelayMs <= 0) return;
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    // The mean delay is taken over windows no longer than the threshold (and 100 ms..1 s).
    sampleInterval: Math.min(1000, Math.max(100, config.maxEventLoopDelayMs)),
    retryAfter: OVERLOAD_RETRY_AFTER_S,
    pressureHandler: async (request) => {
      // Liveness answers while overloaded: restarting a busy process would only add to the load.
      if (request.routeOptions.url === '/health') return;
      throw new AppError(503, 'overloaded', `The server is overloaded; retry in ${OVERLOAD_RETRY_AFTER_S} s`, undefined, {
        'retry-after': String(OVERLOAD_RETRY_AFTER_S),
      });
    },
  });
}

/**
 * Rate limits. The plugin adds its check to each route's own onRequest hooks, which Fastify runs after the
 * app-wide ones, so auth has already set `request.principal` when the bucket is chosen. The bucket depends
 * only on the verified key or the socket address (X-Forwarded-For counts only with TRUST_PROXY): no header,
 * query or body field opens a fresh one. Counters live in this process, or in Redis when REDIS_URL is set,
 * shared by every process that serves the site (keys `<REDIS_KEY_PREFIX>rate-limit:<bucket>`).
 */
async function registerRateLimits(app: FastifyInstance, config: Config, clientAddress: (req: IncomingMessage) => string) {
  const anonymous = config.rateLimitAnonPerMinute;
  const keyed = config.rateLimitKeyPerMinute;
  const limitOf = (key: string) => (key.startsWith('key:') ? keyed : anonymous);
  // The contract: any limited operation may answer 429 (documented whatever this deployment's limits are).
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.url.startsWith('/docs') || UNLIMITED_ROUTES.has(route.url)) return;
    const schema = route.schema as { hide?: boolean; response?: Record<string, unknown> };
    if (!schema.hide) schema.response = { ...(schema.response ?? {}), 429: ProblemSchema };
  });
  const redis = config.redisUrl && (anonymous > 0 || keyed > 0) ? await connectRedis(app, config.redisUrl) : undefined;
  // The plugin's own stores, made here so that the front door counts in the same buckets (`countCachedRead`);
  // in process, the most recent 10,000 buckets are kept (the plugin's `cache` option, which a given store replaces).
  const store = redis ? new RedisStore(false, false, redis, `${config.redisKeyPrefix}rate-limit:`) : new LocalStore(false, false, 10_000);
  await app.register(rateLimit, {
    ...(redis ? { skipOnError: true } : {}),
    store: function SharedStore() { return store; } as unknown as FastifyRateLimitStoreCtor,
    global: true,
    hook: 'onRequest',
    timeWindow: WINDOW_MS,
    max: (_request, key) => limitOf(key),
    keyGenerator: bucketOf,
    allowList: (request, key) => UNLIMITED_ROUTES.has(request.routeOptions.url ?? '') || limitOf(key) === 0,
    enableDraftSpec: true,
    errorResponseBuilder: (request, context) =>
      rateLimited(context.max, Math.ceil(context.ttl / 1000), request.principal ? 'API key' : 'address'),
  });

  /**
   * A cached anonymous read at the front door: counted in its address's bucket like any other read, with no
   * request object and, on this process's counters, no promise. `done(headers)` to serve it with its RateLimit-*
   * headers, `done(undefined)` when it is over the limit (Fastify then answers the 429). A store error lets it
   * through, as `skipOnError` does.
   */
  const countCachedRead = (req: IncomingMessage, done: (exchange: string[] | undefined) => void) => {
    if (anonymous === 0) return done([]);
    store.incr(anonymousBucket(clientAddress(req)), (err, state) => {
      if (err || !state) return done([]);
      if (state.current > anonymous) return done(undefined);
      done(['ratelimit-limit', String(anonymous), 'ratelimit-remaining', String(anonymous - state.current), 'ratelimit-reset', String(Math.ceil(state.ttl / 1000))]);
    }, WINDOW_MS, anonymous);
  };

  // Unknown paths have no route hooks: the same buckets are charged here, after auth.
  const charge = app.createRateLimit();
  app.addHook('preHandler', async (request, reply) => {
    if (!request.is404) return;
    const state = await charge(request);
    if (state.isAllowed) return;
    if (state.isExceeded) throw rateLimited(state.max, state.ttlInSeconds, request.principal ? 'API key' : 'address');
    void reply.header('ratelimit-limit', state.max).header('ratelimit-remaining', state.remaining).header('ratelimit-reset', state.ttlInSeconds);
  });

  // A request with a key that does not verify stops at auth (401) before the limiter runs. Those failures
  // are counted per address; past the anonymous limit, a request from that address whose key does not
  // verify gets 429 instead of 401, so junk credentials are no way around the limit and no free
  // key-guessing loop. A valid key still passes: a neighbour behind the same NAT is not locked out.
  if (anonymous === 0) return countCachedRead;
  const authFailures = app.createRateLimit({ keyGenerator: (request) => `auth-failure:${addressOf(request)}`, max: anonymous, timeWindow: WINDOW_MS });
  const verifies = async (header: string) => {
    const secret = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    return secret !== undefined && (await app.services.apiKeys.authenticate(secret)) !== undefined;
  };
  // Callback hooks: a request without credentials (most of them) costs no promise here.
  const checkFailures = async (request: FastifyRequest, header: string) => {
    const state = await authFailures(request, { increment: false });
    if (state.isAllowed || state.remaining > 0 || (await verifies(header))) return;
    throw rateLimited(state.max, state.ttlInSeconds, 'address (failed authentication)');
  };
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined) return done();
    checkFailures(request, header).then(() => done(), done);
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode !== 401 || request.headers.authorization === undefined) return done();
    authFailures(request).then(() => done(), done);
  });
  return countCachedRead;
}

/**
 * The shared counter store (REDIS_URL), connected before the server listens. A Redis outage does not take
 * the API down with it: rate limits fail open. While Redis is unreachable, commands fail at once (no offline
 * queue) or after REDIS_TIMEOUT_MS, and the limiter lets the request through (`skipOnError`); load shedding
 * still applies, a warning is logged (again at most once a minute) and ioredis reconnects in the background.
 * The alternative, refusing every request while Redis is down, would turn a cache outage into a site outage.
 * Quit on close, so the connection never keeps the process alive.
 */
async function connectRedis(app: FastifyInstance, url: string): Promise<Redis> {
  const log = app.log.child({ module: 'rate-limit' });
  // Loaded here, only when REDIS_URL is set: ioredis costs ~0.1 s of CPU to load, at every start.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: REDIS_TIMEOUT_MS,
    commandTimeout: REDIS_TIMEOUT_MS,
    connectionName: 'broadsheet-rate-limit',
  });
  let down = false;
  let warnedAt = 0;
  redis.on('error', (err: Error) => {
    if (!down || Date.now() - warnedAt >= REDIS_WARN_EVERY_MS) {
      log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'Redis is unreachable: rate limits are not enforced until it answers');
      warnedAt = Date.now();
    }
    down = true;
  });
  redis.on('ready', () => {
    if (down) log.info('Redis answers again: rate limits are enforced');
    down = false;
  });
  app.addHook('onClose', async () => {
    if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
    else redis.disconnect();
  });
  try {
    await redis.connect();
  } catch {
    // Logged by the error listener; ioredis keeps reconnecting, and until then requests are not limited.
  }
  return redis;
}

/**
 * Shutdown drains keep-alive connections as their responses finish. `app.close()` stops listening, closes the
 * connections idle at that moment and waits for the others; a connection still serving a request then turns
 * idle and, left alone, stays open until the keep-alive timeout (5 s), holding the shutdown that long (seen in
 * test/hardening/shutdown.test.ts: exit 6.1 s instead of 0.2 s when SIGTERM lands mid-burst). While closing,
 * idle connections are closed again every 50 ms; nothing runs on the request path.
 */
function registerDrainOnClose(app: FastifyInstance) {
  app.addHook('preClose', (done) => {
    const server = app.server;
    if (!server.listening) return done();
    const reap = setInterval(() => server.closeIdleConnections(), DRAIN_EVERY_MS);
    reap.unref();
    server.once('close', () => clearInterval(reap));
    done();
  });
}

/**
 * Whether the front door may answer a cached anonymous read itself: `done(headers)` yes, with these
 * exchange headers; `done(undefined)` no, Fastify answers (load shedding's 503, the limiter's 429).
 */
export type Admission = (req: IncomingMessage, done: (exchange: string[] | undefined) => void) => void;

/**
 * Call before auth and before any route is registered: helmet first (so 503 and 429 answers carry its
 * headers), then load shedding (cheapest refusal, before any database work), then rate limits. Returns the
 * same two checks for the front door (src/http/response-cache.ts), and the client address rule they use.
 */
export async function registerProtections(app: FastifyInstance, config: Config) {
  registerDrainOnClose(app);
  await registerHeaders(app);
  await registerLoadShedding(app, config);
  const clientAddress = clientAddressOf(config.trustProxy);
  const countCachedRead = await registerRateLimits(app, config, clientAddress);
  const underPressure = app.hasDecorator('isUnderPressure') ? () => app.isUnderPressure() : () => false;
  const admit: Admission = (req, done) => (underPressure() ? done(undefined) : countCachedRead(req, done));
  return { admit, clientAddress };
}
