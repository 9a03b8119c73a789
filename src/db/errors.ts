import { conflict, unprocessable, type AppError } from '../errors.js';

type DbError = Error & { code?: string; constraint?: string; cause?: unknown };

const slugTaken = () => conflict('slug-taken', 'This slug is already in use', [{ pointer: '/body/slug', message: 'slug is taken', code: 'slug-taken' }]);

/**
 * Constraint failures → API errors, in one place. Repositories check what they can name precisely (which
 * field); this catches what slips past those checks (races, constraints). SQLite errors carry SQLITE_CONSTRAINT_*
 * codes; PostgreSQL's (node-postgres, possibly wrapped by drizzle as the `cause`) SQLSTATE class 23.
 */
export function translateDbError(err: unknown): AppError | undefined {
  const e = err as DbError;
  const pg = e?.cause && typeof (e.cause as DbError).code === 'string' ? (e.cause as DbError) : e;
  if (typeof pg?.code === 'string' && /^23[0-9A-Z]{3}$/.test(pg.code)) return translatePg(pg);
  if (typeof e?.code !== 'string' || !e.code.startsWith('SQLITE_CONSTRAINT')) return undefined;
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const column = /UNIQUE constraint failed: \w+\.(\w+)/.exec(e.message)?.[1];
    if (column === 'slug') return slugTaken();
    return conflict('conflict', 'A resource with these values already exists');
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return unprocessable('reference-invalid', 'A referenced resource does not exist or is still referenced');
  return unprocessable('constraint-failed', 'The change breaks a data rule');
}

function translatePg(e: DbError): AppError {
  if (e.code === '23505') return /slug/.test(e.constraint ?? '') ? slugTaken() : conflict('conflict', 'A resource with these values already exists');
  if (e.code === '23503') return unprocessable('reference-invalid', 'A referenced resource does not exist or is still referenced');
  return unprocessable('constraint-failed', 'The change breaks a data rule');
}
