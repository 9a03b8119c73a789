import { LRUCache } from 'lru-cache';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { Admission } from './protections.js';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { WriteRecord } from '../modules/audit/journal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: never kept in the response cache (health checks, byte ranges, time-windowed documents). */
    responseCache?: boolean;
  }
  interface FastifyRequest {
    /** The cache's epoch when this request missed: its answer is kept only if no write came in between. */
    responseCacheEpoch?: number;
  }
}

type Headers = Record<string, string | number | string[]>;

type Entry = {
  body: Buffer;
  etag: string;
  lastModified: string | undefined;
  headers: Headers;
  /** `headers` as Node's flat raw list (name, value, …), made once: what a hit writes. */
  raw200: string[];
  /** The part of them a 304 carries (`keptOn304`). */
  raw304: string[];
  tags: readonly string[];
  /** Single-article reads are invalidated by id; everything else by any content write. */
  precise: boolean;
  br?: Buffer;
  gzip?: Buffer;
};

export type ResponseCacheDeps = {
  maxBytes: number;
  ttlSeconds: number;
  clock: () => Date;
  /** Changes when another process committed to the database (`PRAGMA data_version`). */
  dataVersion: () => number;
  /** How often (ms) that is asked: other processes' writes show within this time. */
  dataVersionEveryMs?: number;
  /** Articles whose representation links to this one. */
  sourcesOf: (articleId: string) => Promise<string[]>;
  /** When the next scheduled article goes live. */
  nextPublicationAfter: (now: Date) => Promise<Date | undefined>;
};

/** Headers that belong to one exchange, not to the representation: never stored, never replayed. */
const PER_REQUEST = new Set([
  'x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'content-length',
  'content-encoding', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'set-cookie',
]);
/**
 * What a 304 carries (RFC 9110 §15.4.5): the fields a cache updates its stored response with (Cache-Control,
 * ETag, Expires, Vary, Content-Location) and this exchange's own (request id, rate-limit counters, CORS).
 * Not the representation's other metadata (Content-Type, Last-Modified, Surrogate-Key: the ETag matched, so
 * they are those of the 200 the recipient holds) and not the security headers: a cache keeps the stored
 * fields a 304 leaves out (RFC 9111 §4.3.4). A third of the bytes; helmet's eleven headers alone were a third
 * of a 304's CPU, and a list's Surrogate-Key (1–2 KB) another fifth.
 */
const ON_304 = new Set([
  'cache-control', 'etag', 'expires', 'vary', 'content-location', 'date', 'connection', 'keep-alive',
  'x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after',
]);
export const keptOn304 = (name: string) => ON_304.has(name) || name.startsWith('access-control-');
const COMPRESS_THRESHOLD = 1024;
const SINGLE_ARTICLE = /^\/v1\/articles\/(?!by-slug\/)([^/?]+)(?:\/(?:jsonld|related-links|disclaimers))?(?:\?|$)|^\/v1\/articles\/by-slug\//;

/** The client's preferred encoding among br and gzip (q=0 refuses), or undefined for identity. */
export function negotiateEncoding(header: string | string[] | undefined): 'br' | 'gzip' | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  let br = -1;
  let gzip = -1;
  let star = -1;
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    const weight = Number.isFinite(q) ? q : 0;
    if (name === 'br') br = weight;
    else if (name === 'gzip' || name === 'x-gzip') gzip = weight;
    else if (name === '*') star = weight;
  }
  if (br < 0) br = star;
  if (gzip < 0) gzip = star;
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}

/** If-None-Match against a strong ETag (`*`, a list, and the weak form of the same tag match). */
export const etagMatches = (header: string, etag: string) =>
  header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });

/**
 * The conditional GET rule for both paths (handler and cache hit): If-None-Match wins; else If-Modified-Since
 * against the `Last-Modified` HTTP date (whole seconds) when the answer has one.
 */
export function notModified(request: { headers: IncomingHttpHeaders }, etag: string, lastModified: string | undefined): boolean {
  const inm = request.headers['if-none-match'];
  if (inm !== undefined) return etagMatches(inm, etag);
  const ims = request.headers['if-modified-since'];
  if (ims && lastModified) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && Date.parse(lastModified) <= since;
  }
  return false;
}

/**
 * The response cache for anonymous reads: the exact bytes, ETag and representation headers of a 200,
 * replayed without running the handler, the serializer or the compressor. Invalidation:
 * - a write to an article drops that article's single reads, the reads of every article that links to
 *   it, and every collection (lists, search, feeds, sitemaps, media);
 * - any other content write (media, disclaimers, authors, sections, tags) drops everything;
 * - a scheduled article going live (visibility changes with no write) drops everything at that moment;
 * - a commit by another process on the same database file (`PRAGMA data_version`, asked at most every
 *   100 ms: it was 4 % of a hit's CPU when asked every time) drops everything;
 * - a safety TTL bounds what nothing above foresaw.
 * A read that was being computed while a write came in is not kept (the epoch check), so a stale answer
 * can never be stored after its invalidation.
 */
export function createResponseCache(deps: ResponseCacheDeps) {
  const byTag = new Map<string, Set<string>>();
  const collections = new Set<string>();
  const untrack = (key: string, entry: Entry) => {
    for (const tag of entry.tags) {
      const keys = byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) byTag.delete(tag);
    }
    collections.delete(key);
  };
  const lru = new LRUCache<string, Entry>({
    maxSize: deps.maxBytes,
    sizeCalculation: (e) => e.body.length + (e.br?.length ?? 0) + (e.gzip?.length ?? 0) + 512,
    ttl: deps.ttlSeconds * 1000,
    dispose: (entry, key) => untrack(key, entry),
  });
  let epoch = 0;
  let dataVersion = deps.dataVersion();
  const dataVersionEveryMs = deps.dataVersionEveryMs ?? 100;
  let dataVersionCheckedAt = performance.now();
  let nextTransition: number | undefined;
  let transitionKnown = false;

  const clear = () => {
    epoch++;
    lru.clear();
    transitionKnown = false;
  };
  const dropTag = (tag: string) => {
    const keys = byTag.get(tag);
    if (keys) for (const key of [...keys]) lru.delete(key);
  };

  /** Everything that can make stored entries wrong without this process writing. */
  const revalidate = () => {
    const at = performance.now();
    if (at - dataVersionCheckedAt >= dataVersionEveryMs) {
      dataVersionCheckedAt = at;
      const version = deps.dataVersion();
      if (version !== dataVersion) {
        dataVersion = version;
        clear();
      }
    }
    if (transitionKnown && nextTransition !== undefined && deps.clock().getTime() >= nextTransition) clear();
  };

  return {
    get size() {
      return lru.size;
    },
    get epoch() {
      return epoch;
    },

    lookup(key: string): Entry | undefined {
      if (lru.size === 0) return undefined;
      revalidate();
      return lru.get(key);
    },

    async store(key: string, since: number, entry: Omit<Entry, 'precise' | 'raw200' | 'raw304'>): Promise<void> {
      revalidate();
      if (since !== epoch) return;
      if (!transitionKnown) {
        const next = (await deps.nextPublicationAfter(deps.clock()))?.getTime();
        // A write while the query ran made both the answer and this response stale.
        revalidate();
        if (since !== epoch) return;
        if (!transitionKnown) {
          nextTransition = next;
          transitionKnown = true;
        }
      }
      const precise = SINGLE_ARTICLE.test(key);
      lru.set(key, { ...entry, precise, raw200: flatten(entry.headers), raw304: flatten(entry.headers, keptOn304) });
      for (const tag of entry.tags) {
        let keys = byTag.get(tag);
        if (!keys) byTag.set(tag, (keys = new Set()));
        keys.add(key);
      }
      if (!precise) collections.add(key);
    },

    /**
     * Called for every write, inside its transaction (so before any later read can run: reads wait for the
     * transaction to end). The epoch moves first, so no response built before the write is stored after it.
     */
    async invalidate(w: Pick<WriteRecord, 'resource' | 'id'>): Promise<void> {
      if (w.resource === 'api-key' || w.resource === 'webhook') return;
      if (w.resource !== 'article') return clear();
      epoch++;
      transitionKnown = false;
      if (lru.size === 0) return;
      dropTag(`article:${w.id}`);
      for (const source of await deps.sourcesOf(w.id)) dropTag(`article:${source}`);
      for (const key of [...collections]) lru.delete(key);
    },

    clear,

    /** The stored body in the encoding the client prefers (compressed once, on first demand). */
    body(entry: Entry, encoding: 'br' | 'gzip' | undefined): Buffer {
      if (!encoding || entry.body.length < COMPRESS_THRESHOLD) return entry.body;
      if (encoding === 'br') return (entry.br ??= brotliCompressSync(entry.body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } }));
      return (entry.gzip ??= gzipSync(entry.body));
    },
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;

function pushHeader(list: string[], name: string, value: string | number | string[]) {
  if (Array.isArray(value)) for (const v of value) list.push(name, v);
  else list.push(name, String(value));
}

/** Headers as Node's flat raw list (those that `keep` accepts). */
function flatten(headers: Headers, keep: (name: string) => boolean = () => true): string[] {
  const list: string[] = [];
  for (const name in headers) if (keep(name)) pushHeader(list, name, headers[name]!);
  return list;
}

const cacheable = (request: FastifyRequest) =>
  request.method === 'GET' && request.headers.authorization === undefined && request.headers.range === undefined;

/**
 * Writes a hit as one flat header list: the entry's stored headers (security headers included: helmet runs
 * at onSend, which a hit never reaches), then `exchange` (this exchange's own headers: rate-limit counters,
 * CORS) and the request id. Nothing is set on the response object first, so Node takes writeHead's fast path
 * (no setHeader per header, no merge object). Returns the status written.
 */
function writeHit(cache: ResponseCache, req: IncomingMessage, res: ServerResponse, entry: Entry, exchange: string[], requestId: string): 200 | 304 {
  const fresh = notModified(req, entry.etag, entry.lastModified);
  const list = (fresh ? entry.raw304 : entry.raw200).concat(exchange);
  list.push('x-request-id', requestId);
  if (fresh) {
    res.writeHead(304, list);
    res.end();
    return 304;
  }
  const encoding = negotiateEncoding(req.headers['accept-encoding']);
  const body = cache.body(entry, encoding);
  if (body !== entry.body) list.push('content-encoding', encoding!);
  list.push('content-length', String(body.length));
  res.writeHead(200, list);
  res.end(body);
  return 200;
}

/**
 * Wires the cache into Fastify's request lifecycle. The lookup is appended to each route's own onRequest
 * hooks, after the rate limiter's (registered earlier), so cached answers are still counted and limited.
 * Over a real socket most hits never get here: the front door (below) answers them before Fastify; this
 * path serves what the front door hands on (CORS requests, `app.inject`).
 */
export function registerResponseCache(app: FastifyInstance, cache: ResponseCache) {
  const lookup: onRequestHookHandler = function (request, reply, done) {
    if (!cacheable(request)) return done();
    const entry = cache.lookup(request.url);
    if (!entry) {
      request.responseCacheEpoch = cache.epoch;
      return done();
    }
    // What the hooks before this one set for this exchange (rate-limit counters, CORS), unless the entry has it.
    const headers = reply.getHeaders();
    const exchange: string[] = [];
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !(name in entry.headers)) pushHeader(exchange, name, value);
    }
    reply.hijack();
    writeHit(cache, request.raw, reply.raw, entry, exchange, request.id);
  };

  app.addHook('onRoute', (route) => {
    if (route.method !== 'GET' && !(Array.isArray(route.method) && route.method.includes('GET'))) return;
    if (route.config?.responseCache === false || route.url.startsWith('/docs')) return;
    const hooks = route.onRequest;
    route.onRequest = hooks === undefined ? [lookup] : Array.isArray(hooks) ? [...hooks, lookup] : [hooks, lookup];
  });
}

export type FrontDoorDeps = {
  /** Load shedding and the rate limiter, for a request Fastify has not seen (src/http/protections.ts). */
  admit: Admission;
  clientAddress: (req: IncomingMessage) => string;
  requestId: (req: IncomingMessage) => string;
  /** Fastify's logger (pino). */
  log: FastifyBaseLogger;
};

/**
 * The front door: the HTTP server's own request listener (src/http/protections.ts `serverOptions`) answers
 * anonymous GETs that the cache holds before Fastify sees them (no router, request and reply objects, hook
 * chain or request context: on a 304 those were a third of the CPU). What a hit through Fastify does, it does:
 * - it is counted by the same rate limiter, in the same bucket (the client address, TRUST_PROXY applied), and
 *   carries the RateLimit-* headers; a client over its limit is handed to Fastify, which answers the 429
 *   (its counter moves once more, which changes nothing once over the limit);
 * - while load shedding refuses requests, it hands everything to Fastify (the 503);
 * - the request id is the caller's when safe, else a new one, and at `info` the same two log lines.
 * Handed to Fastify untouched: anything not a GET, with credentials, a Range or an Origin (CORS), or a miss.
 */
export function frontDoor(cache: ResponseCache, deps: FrontDoorDeps) {
  const { admit, clientAddress, requestId } = deps;
  const log = deps.log as Logger;
  const serve = (req: IncomingMessage, res: ServerResponse, entry: Entry, exchange: string[]) => {
    const id = requestId(req);
    if (!log.isLevelEnabled('info')) return void writeHit(cache, req, res, entry, exchange, id);
    const started = performance.now();
    const reqLog = log.child({ reqId: id });
    reqLog.info({ req: { method: req.method, url: req.url, headers: req.headers, ip: clientAddress(req) } }, 'incoming request');
    const statusCode = writeHit(cache, req, res, entry, exchange, id);
    reqLog.info({ res: { statusCode }, responseTime: performance.now() - started }, 'request completed');
  };
  // Nothing here runs inside Fastify's error handling: a throw would reach the server's 'request' event.
  const failed = (err: unknown, res: ServerResponse, next: () => void) => {
    log.error({ err }, 'response cache front door');
    if (!res.headersSent) next();
    else res.destroy();
  };
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const h = req.headers;
    if (req.method !== 'GET' || h.authorization !== undefined || h.range !== undefined || h.origin !== undefined) return next();
    let entry: Entry | undefined;
    try {
      entry = cache.lookup(req.url!);
      if (!entry) return next();
      admit(req, (exchange) => {
        if (!exchange) return next();
        try {
          serve(req, res, entry!, exchange);
        } catch (err) {
          failed(err, res, next);
        }
      });
    } catch (err) {
      failed(err, res, next);
    }
  };
}

/** Keeps a 200 for anonymous readers (called from the HTTP cache's onSend, once the ETag is known). */
export async function keepResponse(cache: ResponseCache, request: FastifyRequest, reply: FastifyReply, payload: string | Buffer, etag: string, tags: Iterable<string>): Promise<void> {
  const since = request.responseCacheEpoch;
  if (since === undefined || request.principal || !cacheable(request)) return;
  const headers: Headers = {};
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value === undefined || PER_REQUEST.has(name) || name.startsWith('access-control-')) continue;
    headers[name] = value as Headers[string];
  }
  const lastModified = reply.getHeader('last-modified') as string | undefined;
  const tagList = [...tags];
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  if (typeof id === 'string' && request.url.startsWith('/v1/articles/')) tagList.push(`article:${id}`);
  await cache.store(request.url, since, { body: Buffer.isBuffer(payload) ? payload : Buffer.from(payload), etag, lastModified, headers, tags: tagList });
}
