import { AppError } from '../errors.js';
import { currentRequest } from './request-context.js';

/**
 * Optimistic concurrency. Every mutable resource has a version tag, sent as `ETag` on reads (without
 * `include`) and on every write response. Services call `precondition(currentTag)` inside the
 * transaction of the write, so the comparison and the write cannot be split by another request.
 */
export type Versioned = { revision: number; status: string } | { updatedAt: string };

export function versionTag(r: Versioned): string {
  if ('revision' in r) return `"r${r.revision}-${r.status}"`;
  return `"u${Date.parse(r.updatedAt).toString(36)}"`;
}

export const isVersioned = (o: unknown): o is Versioned & { id: string } =>
  !!o && typeof o === 'object' && typeof (o as { id?: unknown }).id === 'string' &&
  ((typeof (o as { revision?: unknown }).revision === 'number' && typeof (o as { status?: unknown }).status === 'string') ||
    typeof (o as { updatedAt?: unknown }).updatedAt === 'string');

/**
 * Throws 412 (with the current ETag) when the request's If-Match names another version; 428 when
 * If-Match is required for this resource and missing. No request (seed, CLI) means no precondition.
 */
export function precondition(current: string, options: { article?: boolean } = {}): void {
  const request = currentRequest();
  if (!request) return;
  const header = request.headers['if-match'];
  if (header === undefined) {
    if (options.article && request.server.config.requireIfMatch) {
      throw new AppError(428, 'if-match-required', 'Send If-Match with the ETag of the version you edited', [
        { pointer: '/headers/if-match', message: 'required', code: 'required' },
      ], { etag: current });
    }
    return;
  }
  const tags = header.split(',').map((t) => t.trim());
  if (!tags.includes('*') && !tags.includes(current)) {
    throw new AppError(412, 'version-mismatch', 'The resource has changed since you read it: fetch it again and reapply your change', [
      { pointer: '/headers/if-match', message: `current version is ${current}`, code: 'stale' },
    ], { etag: current });
  }
}
