import { conflict, unprocessable, type AppError } from '../errors.js';

type SqliteError = Error & { code?: string };

/**
 * SQLite constraint failures → API errors, in one place. Repositories check what they can name
 * precisely (which field); this catches what slips past those checks (races, constraints).
 */
export function translateDbError(err: unknown): AppError | undefined {
  const e = err as SqliteError;
  if (typeof e?.code !== 'string' || !e.code.startsWith('SQLITE_CONSTRAINT')) return undefined;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const column = /UNIQUE constraint failed: \w+\.(\w+)/.exec(e.message)?.[1];
    if (column === 'slug') return conflict('slug-taken', 'This slug is already in use', [{ pointer: '/body/slug', message: 'slug is taken', code: 'slug-taken' }]);
    return conflict('conflict', 'A resource with these values already exists');
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return unprocessable('reference-invalid', 'A referenced resource does not exist or is still referenced');
  return unprocessable('constraint-failed', 'The change breaks a data rule');
}
