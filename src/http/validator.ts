import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler as zodValidatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { badRequest, type FieldError } from '../errors.js';

/*
 * The text the API takes is what both databases can store the same way:
 * - U+0000 is refused, as a 400 naming the field: PostgreSQL cannot store it in text or jsonb (SQLite could).
 * - A lone UTF-16 surrogate (JSON allows "\ud800") becomes U+FFFD. UTF-8 cannot encode it: text columns
 *   already replaced it (with one U+FFFD on PostgreSQL, three on SQLite), SQLite kept it in JSON columns and
 *   PostgreSQL's jsonb refused it with an error.
 */
export const NUL_MESSAGE = 'must not contain the NUL character (U+0000)';
const NUL_CODE = 'invalid_format';
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The paths of the strings (values, or object keys) in `value` that contain U+0000. */
function nulPaths(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nulPaths(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) out.push([...path, k]);
      else nulPaths(v, [...path, k], out);
    }
  }
  return out;
}

const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);
const wellFormedString = (s: string) => (HAS_LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATE, '\ufffd') : s);

/** `value` with `fix` applied to every string (values and object keys); the same object when nothing changed. */
function mapStrings<T>(value: T, fix: (s: string) => string): T {
  if (typeof value === 'string') return fix(value) as T;
  if (Array.isArray(value)) {
    const out = value.map((v) => mapStrings(v, fix));
    return (out.some((v, i) => v !== value[i]) ? out : value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    const out = entries.map(([k, v]) => [fix(k), mapStrings(v, fix)] as const);
    return (out.some(([k, v], i) => k !== entries[i]![0] || v !== entries[i]![1]) ? Object.fromEntries(out) : value) as T;
  }
  return value;
}

/** `value` with every lone surrogate (in strings and keys) replaced by U+FFFD; the same object when there is none. */
const wellFormed = <T>(value: T): T => mapStrings(value, wellFormedString);

const UNSTORABLE = new RegExp(`\\u0000|${LONE_SURROGATE.source}`, 'g');
const HAS_UNSTORABLE = new RegExp(UNSTORABLE.source);

/**
 * For text stored before these rules (the SQLite-to-PostgreSQL copy, src/cli/sqlite-to-postgres.ts): every NUL
 * and lone surrogate (in strings and keys) becomes U+FFFD; the same object when there is none. The API has no
 * form of a NUL to reuse (it refuses it), so U+FFFD keeps the place visible.
 */
export const storable = <T>(value: T): T => mapStrings(value, (s) => (HAS_UNSTORABLE.test(s) ? s.replace(UNSTORABLE, '\ufffd') : s));

/**
 * The same rules for values read outside the route schemas (multipart parts): throws the 400, with pointers
 * under `pointer`, when a string holds a NUL; returns the value with lone surrogates replaced.
 */
export function textInput<T>(value: T, pointer: string): T {
  const errors: FieldError[] = nulPaths(value).map((p) => ({
    pointer: [pointer, ...p.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1'))].join('/'), message: NUL_MESSAGE, code: NUL_CODE,
  }));
  if (errors.length) throw badRequest('The request contains the NUL character', errors);
  return wellFormed(value);
}

/** NUL or any surrogate anywhere (strings and keys): one allocation-free scan, so clean input skips the walks above. */
const SUSPECT = /[\u0000\ud800-\udfff]/;
function suspect(value: unknown): boolean {
  if (typeof value === 'string') return SUSPECT.test(value);
  if (Array.isArray(value)) return value.some(suspect);
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (SUSPECT.test(key) || suspect((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

const text = z
  .unknown()
  .superRefine((value, ctx) => {
    if (!suspect(value)) return;
    for (const path of nulPaths(value)) ctx.addIssue({ code: NUL_CODE, format: 'regex', pattern: '^[^\\u0000]*$', path, message: NUL_MESSAGE });
  })
  .transform((value) => (suspect(value) ? wellFormed(value) : value));

/**
 * fastify-type-provider-zod's compiler behind the text rules: every params, querystring, headers and body schema
 * of every route goes through them, so a new field cannot forget them. They are not in the schemas themselves:
 * a `pattern` would be a breaking change of the OpenAPI contract, and response schemas must not carry them.
 */
export const validatorCompiler: FastifySchemaCompiler<z.ZodType> = (route) => zodValidatorCompiler({ ...route, schema: text.pipe(route.schema) });
