import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The request a write happens in, for the journal (who did it, which request). Services stay free of
 * HTTP: they ask `currentActor()`, which is null for system writes (seed, CLI).
 */
const storage = new AsyncLocalStorage<FastifyRequest>();

export function registerRequestContext(app: FastifyInstance) {
  app.addHook('onRequest', (request, _reply, done) => storage.run(request, done));
}

export type Actor = { keyId: string; name: string; role: string } | null;

export function currentActor(): Actor {
  const p = storage.getStore()?.principal;
  return p ? { keyId: p.keyId, name: p.name, role: p.role } : null;
}

export const currentRequestId = (): string | null => storage.getStore()?.id ?? null;

export const currentRequest = (): FastifyRequest | undefined => storage.getStore();

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** A caller's request id is kept when it is safe to log; otherwise we make one (Fastify's `genReqId`). */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}
