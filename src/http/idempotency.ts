import { createHash } from 'node:crypto';
import { and, eq, lt } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { Transactions } from '../db/client.js';
import type { Dialect } from '../db/dialect.js';
import { AppError, badRequest } from '../errors.js';
import { currentRequest } from './request-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { principal: string; key: string; replayed?: boolean };
  }
}

const KEY = /^[\x21-\x7e]{1,255}$/;
const KEPT_HEADERS = ['content-type', 'location', 'etag'];

/**
 * Idempotency-Key on POST: the first response (status, headers, body) is stored and replayed for the same
 * key and request; the same key with another request → 422; while the first is still running → 409.
 * The key is marked "committed" inside the transaction of the write it protects (through the journal),
 * so a crash after the write can never let a retry write twice.
 */
export function registerIdempotency(app: FastifyInstance, d: Dialect, ttlHours: number, { tx, outside }: Pick<Transactions, 'tx' | 'outside'>) {
  const { db } = d;
  const t = d.tables.idempotencyKeys;
  const now = () => app.clock().toISOString();

  app.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || key === undefined || !request.principal) return;
    if (typeof key !== 'string' || !KEY.test(key)) {
      throw badRequest('Idempotency-Key must be 1-255 visible ASCII characters', [{ pointer: '/headers/idempotency-key', message: 'invalid', code: 'invalid-idempotency-key' }]);
    }
    const principal = request.principal.keyId;
    const body = request.isMultipart() ? `multipart:${request.headers['content-length'] ?? ''}` : JSON.stringify(request.body ?? null);
    const hash = createHash('sha256').update(`${request.method} ${request.url}\n${body}`).digest('hex');
    const at = now();

    const found = await tx(async () => {
      await d.run(db.delete(t).where(and(eq(t.principal, principal), eq(t.key, key), lt(t.expiresAt, at))));
      const row = await d.get(db.select().from(t).where(and(eq(t.principal, principal), eq(t.key, key))));
      if (!row) {
        const expiresAt = new Date(Date.parse(at) + ttlHours * 3_600_000).toISOString();
        await d.run(db.insert(t).values({ principal, key, method: request.method, path: request.url, requestHash: hash, state: 'in-flight', createdAt: at, expiresAt }));
      }
      return row;
    });
    if (!found) {
      request.idempotency = { principal, key };
      return;
    }
    if (found.requestHash !== hash) {
      throw new AppError(422, 'idempotency-key-reused', 'This Idempotency-Key was used for a different request', [{ pointer: '/headers/idempotency-key', message: 'used for another request', code: 'idempotency-key-reused' }]);
    }
    if (found.state !== 'complete' || found.status === null) {
      const done = found.state === 'committed' ? (found.headers as { location?: string } | null) : null;
      throw new AppError(409, 'idempotency-in-flight', done
        ? 'The first request with this key was applied but its response was not recorded; read the resource it created'
        : 'A request with this Idempotency-Key is still being processed; retry later', undefined, done?.location ? { location: done.location } : {});
    }
    request.idempotency = { principal, key, replayed: true };
    const headers = (found.headers ?? {}) as Record<string, string>;
    return reply.code(found.status).headers({ ...headers, 'idempotent-replayed': 'true' }).send(found.body ?? '');
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem || idem.replayed) return payload;
    const where = and(eq(t.principal, idem.principal), eq(t.key, idem.key));
    if (reply.statusCode >= 500 || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
      // Nothing reliable to replay: the client may try again.
      await outside(() => d.run(db.delete(t).where(and(where, eq(t.state, 'in-flight')))));
      return payload;
    }
    const headers = Object.fromEntries(KEPT_HEADERS.flatMap((h) => (reply.hasHeader(h) ? [[h, String(reply.getHeader(h))]] : [])));
    const body = withoutSecret(payload.toString());
    await outside(() => d.run(db.update(t).set({ state: 'complete', status: reply.statusCode, headers, body }).where(where)));
    return payload;
  });
}

/**
 * Secrets (API keys, webhook signing secrets) are shown once and never stored in the clear: a replay
 * returns the created resource without its secret rather than keeping the secret for the key's lifetime.
 */
function withoutSecret(body: string): string {
  if (!body.includes('"secret"')) return body;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    if (parsed && typeof parsed === 'object' && 'secret' in parsed) {
      delete parsed.secret;
      return JSON.stringify(parsed);
    }
  } catch {
    // not JSON: stored as is
  }
  return body;
}

/** Journal hook: marks the request's key as committed inside the write's own transaction. */
export async function markIdempotentWrite(d: Dialect, location: string): Promise<void> {
  const idem = currentRequest()?.idempotency;
  if (!idem || idem.replayed) return;
  const t = d.tables.idempotencyKeys;
  await d.run(d.db.update(t)
    .set({ state: 'committed', headers: { location } })
    .where(and(eq(t.principal, idem.principal), eq(t.key, idem.key), eq(t.state, 'in-flight'))));
}
