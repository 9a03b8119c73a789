import type { FastifyRequest } from 'fastify';
import type { Viewer } from '../db/visibility.js';

/** The reader of this request, for the repositories' visibility predicate. */
export function viewerOf(request: FastifyRequest): Viewer {
  return { anonymous: request.principal === null, now: request.server.clock().toISOString() };
}
