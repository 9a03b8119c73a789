import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';

/** Keyset cursors: opaque base64url of [sort name, sort key, id]. */
export type Cursor = { key: string | number | null; id: string };

export function encodeCursor(sort: string, key: string | number | null, id: string): string {
  return Buffer.from(JSON.stringify([sort, key, id])).toString('base64url');
}

/**
 * `integerKey`: the sort key is an integer column (a forged 1.5 or "x" is refused here, not by PostgreSQL). Strings
 * with U+0000 are refused too: no stored text holds one, and PostgreSQL cannot even compare with it.
 */
export function decodeCursor(raw: string | undefined, sort: string, integerKey = false): Cursor | undefined {
  if (raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) && v.length === 3 && v[0] === sort && typeof v[2] === 'string' && !v[2].includes('\u0000')
      && (integerKey ? Number.isSafeInteger(v[1]) : v[1] === null || typeof v[1] === 'number' || (typeof v[1] === 'string' && !v[1].includes('\u0000')))
    ) {
      return { key: v[1] as Cursor['key'], id: v[2] as string };
    }
  } catch {
    // fall through to the error below
  }
  throw badRequest('The cursor is invalid or belongs to another sort order', [
    { pointer: '/query/cursor', message: 'invalid cursor for this sort order', code: 'invalid-cursor' },
  ]);
}

/** Sets the `Link: rel="next"` header and returns the list envelope. */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, data: T[], limit: number, total: number, nextCursor: string | null) {
  if (nextCursor) {
    const url = new URL(request.url, 'http://x');
    url.searchParams.set('cursor', nextCursor);
    reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return { data, page: { limit, nextCursor, total } };
}
