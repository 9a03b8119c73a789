import cors from '@fastify/cors';
import compress from '@fastify/compress';
import { hash } from 'node:crypto';
import { constants as zlib } from 'node:zlib';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { isVersioned, versionTag } from './concurrency.js';
import { keepResponse, keptOn304, notModified, registerResponseCache, type ResponseCache } from './response-cache.js';
import { utf8 } from './serializer.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Ids found in the representation, for the Surrogate-Key header (set before serialization). */
    surrogateKeys?: Set<string>;
    /** The version tag of a single mutable resource in the response (If-Match compares with it). */
    versionTag?: string;
    lastModified?: string;
  }
}

const MAX_SURROGATE_HEADER = 16_000;

/**
 * Ids a CDN can purge by: `article:<id>`, `media:<id>`, `disclaimer:<id>`, found anywhere in the
 * response object (an expanded article carries its related articles, media and notices).
 */
function collectKeys(value: object, keys: Set<string>, depth = 0): void {
  // It walks every block of every body: plain loops, no Object.values array per object.
  const deeper = depth < 12;
  if (Array.isArray(value)) {
    if (deeper) for (const v of value as unknown[]) if (v !== null && typeof v === 'object') collectKeys(v, keys, depth + 1);
    return;
  }
  const o = value as Record<string, unknown>;
  if (typeof o.id === 'string') {
    if ('headline' in o) keys.add(`article:${o.id}`);
    else if ('sha256' in o && 'kind' in o) keys.add(`media:${o.id}`);
    else if ('key' in o && 'kind' in o && 'body' in o) keys.add(`disclaimer:${o.id}`);
  }
  if (deeper) for (const k in o) { const v = o[k]; if (v !== null && typeof v === 'object') collectKeys(v, keys, depth + 1); }
}

/** A 304 keeps only the headers `keptOn304` names (the rule of src/http/response-cache.ts, for every 304). */
function notModifiedHeaders(reply: FastifyReply) {
  for (const name of reply.raw.getHeaderNames()) if (!keptOn304(name)) reply.raw.removeHeader(name);
  for (const name of Object.keys(reply.getHeaders())) if (!keptOn304(name)) void reply.removeHeader(name);
}

/**
 * HTTP caching for every GET: a strong ETag over the exact bytes of the representation (so it changes
 * when anything in it changes, an expanded related headline included), If-None-Match → 304,
 * Last-Modified for unexpanded articles, Cache-Control by audience, Vary, Surrogate-Key; then
 * compression.
 */
export async function registerHttpCache(app: FastifyInstance, config: Config, responseCache?: ResponseCache) {
  const publicControl = `public, max-age=${config.cacheMaxAge}, stale-while-revalidate=${config.cacheStaleWhileRevalidate}`;

  app.addHook('preSerialization', async (request, reply, payload) => {
    if (reply.statusCode < 300 && isVersioned(payload) && !(request.query as Record<string, unknown> | undefined)?.include) {
      reply.versionTag = versionTag(payload);
      // Writes answer with the new version at once (idempotent replays store it too).
      if (request.method !== 'GET' && request.method !== 'HEAD') void reply.header('etag', reply.versionTag);
    }
    if ((request.method === 'GET' || request.method === 'HEAD') && reply.statusCode === 200 && payload && typeof payload === 'object') {
      const keys = new Set<string>();
      collectKeys(payload, keys);
      reply.surrogateKeys = keys;
      const o = payload as Record<string, unknown>;
      const query = request.query as Record<string, unknown> | undefined;
      if ('headline' in o && typeof o.updatedAt === 'string' && !query?.include) reply.lastModified = o.updatedAt;
    }
    return payload;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return payload;
    // Keeps CORS's `Origin`; lower-case token because @fastify/compress appends its own 'accept-encoding'
    // unless it finds exactly that.
    const vary = reply.getHeader('vary');
    void reply.header('vary', vary ? `${String(vary)}, Authorization, accept-encoding` : 'Authorization, accept-encoding');
    if (reply.statusCode >= 400) {
      void reply.header('cache-control', 'no-store');
      return payload;
    }
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', request.principal ? 'private, no-store' : publicControl);
    if (reply.statusCode === 304) {
      notModifiedHeaders(reply);
      return payload;
    }
    if (reply.statusCode !== 200 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload;

    // The body as UTF-8 bytes, once (the route serializer already writes bytes): the ETag hashes these, and
    // Fastify (Content-Length, the socket write), the compressor and the response cache take them as they are.
    const body = typeof payload === 'string' ? utf8(payload) : payload;
    const etag = (reply.getHeader('etag') as string | undefined) ?? reply.versionTag ?? `"${hash('sha256', body, 'base64url').slice(0, 32)}"`;
    void reply.header('etag', etag);
    if (reply.lastModified) void reply.header('last-modified', new Date(reply.lastModified).toUTCString());
    if (reply.surrogateKeys?.size) {
      let header = '';
      for (const key of reply.surrogateKeys) {
        if (header.length + key.length + 1 > MAX_SURROGATE_HEADER) break;
        header += header ? ` ${key}` : key;
      }
      void reply.header('surrogate-key', header);
    }
    if (responseCache) await keepResponse(responseCache, request, reply, body, etag, reply.surrogateKeys ?? []);
    if (notModified(request, etag, reply.getHeader('last-modified') as string | undefined)) {
      notModifiedHeaders(reply.code(304));
      return '';
    }
    return body;
  });

  if (responseCache) registerResponseCache(app, responseCache);
  // After the hook above, so the ETag is computed over the identity bytes.
  // Brotli's default quality (11) costs more CPU than it saves on JSON; 4 is gzip-fast and still smaller.
  await app.register(compress, { global: true, threshold: 1024, encodings: ['br', 'gzip', 'deflate'], brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } } });
}

/**
 * CORS with the origin allow-list. Registered before authentication so that an error answer (401, 429)
 * to an allowed origin still carries the grant and browser tools can read it.
 */
export async function registerCors(app: FastifyInstance, config: Config) {
  await app.register(cors, {
    origin: config.corsOrigins.length ? [...config.corsOrigins] : false,
    credentials: false,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Link', 'Location', 'Last-Modified', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'Surrogate-Key', 'X-Request-Id'],
    maxAge: 600,
  });
}
