import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type FieldError, statusTitle } from '../errors.js';
import { translateDbError } from '../db/errors.js';

export const PROBLEM_TYPE_BASE = 'https://broadsheet.dev/problems/';

type ValidationIssue = { instancePath: string; message?: string; keyword: string; params?: Record<string, unknown> };

/** Zod issues → JSON Pointers into the request (`/body/headline`, `/query/limit`). */
function fieldErrors(context: string, issues: ValidationIssue[]): FieldError[] {
  return issues.flatMap((issue) => {
    const base = `/${context}${issue.instancePath === '/' ? '' : issue.instancePath}`;
    const keys = issue.params?.keys;
    if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
      return keys.map((k) => ({ pointer: `${base}/${escapePointer(String(k))}`, message: `unknown field "${String(k)}"`, code: 'unknown-field' }));
    }
    return [{ pointer: base, message: issue.message ?? 'invalid', code: issue.keyword }];
  });
}

const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid-json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty-body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid-content-length',
  FST_ERR_BAD_URL: 'bad-url',
};

function toAppError(error: FastifyError & { validationContext?: string }): AppError | undefined {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    // The contract names query pointers /query/...; Fastify calls that part "querystring".
    const context = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'body');
    return new AppError(400, 'validation-failed', `The request ${context} is invalid`, fieldErrors(context, error.validation as ValidationIssue[]));
  }
  const db = translateDbError(error);
  if (db) return db;
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    const code = FASTIFY_CODES[error.code] ?? 'bad-request';
    const errors = error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ? [{ pointer: '/body', message: 'body is not valid JSON', code }] : undefined;
    return new AppError(error.statusCode, code, error.message, errors);
  }
  return undefined;
}

export function problem(request: FastifyRequest, e: AppError) {
  return {
    type: `${PROBLEM_TYPE_BASE}${e.code}`,
    title: statusTitle(e.status),
    status: e.status,
    detail: e.message,
    instance: `${request.url.split('?')[0]}#${request.id}`,
    code: e.code,
    ...(e.errors ? { errors: e.errors } : {}),
  };
}

function send(request: FastifyRequest, reply: FastifyReply, e: AppError) {
  void reply.code(e.status).headers(e.headers).type('application/problem+json; charset=utf-8');
  // Errors are serialized here, not by the route's response schema, so a route that forgot to
  // declare a status can never turn an error into a 500.
  return reply.serializer((p: unknown) => JSON.stringify(p)).send(problem(request, e));
}

/** The one error handler: every 4xx/5xx leaves as problem+json; 5xx bodies never carry internals. */
export function registerErrorHandler(app: FastifyInstance) {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = toAppError(error);
    if (known) {
      if (known.status >= 500) request.log.error({ err: error }, known.message);
      else request.log.info({ code: known.code, status: known.status }, known.message);
      return send(request, reply, known);
    }
    if (isResponseSerializationError(error)) request.log.error({ err: error, cause: error.cause }, 'response did not match its schema');
    else request.log.error({ err: error }, 'unhandled error');
    return send(request, reply, new AppError(500, 'internal-error', 'An unexpected error occurred; it has been logged with the request id'));
  });

  app.setNotFoundHandler((request, reply) =>
    send(request, reply, new AppError(404, 'route-not-found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
