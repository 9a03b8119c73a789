/**
 * Schema-driven fuzzing (issue 6, item 3; reliability-anchors (c) case 27).
 *
 * For every operation of the live OpenAPI document (`app.swagger()`, so new routes are fuzzed without touching
 * this file), fast-check generates requests from the document's own JSON Schemas: path and query parameters
 * and JSON bodies, valid ones and near-valid ones (a field dropped, a wrong type, an unknown or `__proto__`
 * key, boundary numbers, huge / unicode / NUL / SQL / FTS strings, repeated or unknown query parameters,
 * broken JSON). Every response must satisfy:
 *
 * - never a 5xx;
 * - a 2xx is documented for the operation and, when it is JSON, validates against the documented schema
 *   (a small JSON Schema validator for the keywords the document uses is below; an unknown keyword fails the
 *   test rather than passing silently);
 * - a 4xx is problem+json with `type`, `title`, `status` (= the HTTP status), `detail`, `code`, `instance`,
 *   and every `errors[].pointer` starts with /body, /query, /params or /headers.
 *
 * Documentation gaps that are not broken responses (a 2xx sent in a media type other than the documented one, a
 * 4xx status missing from the operation's responses) are listed as test comments.
 *
 * Reproducible: the seed of each operation is FUZZ_SEED (default 42) mixed with its operationId, so a new route
 * does not change the requests generated for the others; each OpenAPI tag runs on a fresh seeded app (reads
 * first, then writes, deletes last). A failure prints the request, the seed and the counterexample path.
 * FUZZ_RUNS (default 150; 50 under DB=postgres) sets the cases per operation. On PostgreSQL each case costs
 * ~3.5 ms against ~1 ms on SQLite (round trips, SERIALIZABLE writes), and beside the other files of a full run
 * on 2 cores 150 cases took the file to tap's 180 s limit; the first 50 cases of each operation are the same
 * requests as the SQLite run's (same seed), so a failure on one database only is the dialect's.
 * FUZZ_SHRINK=1 lets fast-check shrink a failure to a minimal case (slower); FUZZ_OPS=regex restricts the
 * operations (by operationId).
 */
import fc from 'fast-check';
import sharp from 'sharp';
import t from 'tap';
import { build, fixtureCaller, onPostgres, para, type TestApp } from '../helper.js';
// SINK: webhook targets are allow-listed and nothing listens there (refused at once); the fuzzer never reaches another host.
import { deref, operations, params, resolveRef, securedOnly, SINK, type Json, type Op } from './openapi-walk.js';

type Role = 'anon' | 'editor' | 'admin';

const RUNS = Number(process.env.FUZZ_RUNS ?? (onPostgres ? 50 : 150));
// A hang guard that grows with the cases (81 s for 150 on SQLite in a full run on 2 cores).
t.setTimeout(Math.max(180_000, RUNS * 1_500));
const SEED = Number(process.env.FUZZ_SEED ?? 42);
const SHRINK = process.env.FUZZ_SHRINK === '1';
const ONLY = process.env.FUZZ_OPS ? new RegExp(process.env.FUZZ_OPS) : undefined;
/** Thousands of requests from one key in seconds: rate limits and load shedding would answer for them. */
const FUZZ_CONFIG = { webhookAllowedHosts: ['127.0.0.1'], rateLimitAnonPerMinute: 0, rateLimitKeyPerMinute: 0, maxEventLoopDelayMs: 0 };

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI document

const adminOnly = (doc: Json, op: Op) =>
  (op.op.tags ?? []).some((name: string) => /^admins?\b/i.test((doc.tags ?? []).find((x: Json) => x.name === name)?.description ?? '')) ||
  /\badmins only\b/i.test(`${op.op.summary ?? ''} ${op.op.description ?? ''}`);

// ---------------------------------------------------------------------------------------------------------
// A JSON Schema (2020-12) validator for the keywords the document uses

const ASSERTIONS = new Set([
  '$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'propertyNames', 'items', 'prefixItems', 'minItems',
  'maxItems', 'uniqueItems', 'minLength', 'maxLength', 'pattern', 'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'multipleOf', 'anyOf', 'oneOf', 'allOf', 'not', 'minProperties', 'maxProperties',
]);
const ANNOTATIONS = new Set(['description', 'example', 'examples', 'default', 'title', 'deprecated', 'readOnly', 'writeOnly', '$schema', '$id', 'id', 'contentMediaType', 'contentEncoding']);
const KNOWN_FORMATS = new Set(['date-time', 'binary', 'uri', 'email', 'uuid', 'date']);

/** Keywords used anywhere in a schema that this validator does not know (it must not pass them silently). */
function unknownKeywords(doc: Json, s: Json, out = new Set<string>(), seen = new Set<Json>()): Set<string> {
  if (!s || typeof s !== 'object' || seen.has(s)) return out;
  seen.add(s);
  for (const [k, v] of Object.entries<Json>(s)) {
    if (!ASSERTIONS.has(k) && !ANNOTATIONS.has(k)) out.add(k);
    if (k === 'format' && !KNOWN_FORMATS.has(v)) out.add(`format:${v}`);
  }
  if (typeof s.$ref === 'string') unknownKeywords(doc, resolveRef(doc, s.$ref), out, seen);
  for (const v of Object.values<Json>(s.properties ?? {})) unknownKeywords(doc, v, out, seen);
  for (const k of ['items', 'additionalProperties', 'propertyNames', 'not']) if (s[k] && typeof s[k] === 'object') unknownKeywords(doc, s[k], out, seen);
  for (const k of ['anyOf', 'oneOf', 'allOf', 'prefixItems']) for (const x of s[k] ?? []) unknownKeywords(doc, x, out, seen);
  return out;
}

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/i;
const regexCache = new Map<string, RegExp>();
const regex = (pattern: string) => {
  let re = regexCache.get(pattern);
  if (!re) {
    try { re = new RegExp(pattern, 'u'); } catch { re = new RegExp(pattern); }
    regexCache.set(pattern, re);
  }
  return re;
};
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const typeOk = (type: string, v: unknown) =>
  type === 'integer' ? typeof v === 'number' && Number.isInteger(v) : type === 'number' ? typeof v === 'number' && Number.isFinite(v) : jsonType(v) === type;
const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function validate(doc: Json, s: Json, v: unknown, path = '', out: string[] = []): string[] {
  if (s === true || s === undefined) return out;
  if (s === false) { out.push(`${path || '/'}: nothing is allowed here`); return out; }
  if (typeof s.$ref === 'string') {
    const { $ref, ...rest } = s;
    validate(doc, resolveRef(doc, $ref), v, path, out);
    return validate(doc, rest, v, path, out);
  }
  const at = path || '/';
  if ('const' in s && !equal(s.const, v)) out.push(`${at}: must be ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e: unknown) => equal(e, v))) out.push(`${at}: ${JSON.stringify(v)?.slice(0, 60)} is not one of ${JSON.stringify(s.enum)}`);
  if (s.type !== undefined) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((x) => typeOk(x, v))) { out.push(`${at}: ${jsonType(v)} is not ${types.join('|')}`); return out; }
  }
  if (Array.isArray(s.anyOf) && !s.anyOf.some((x: Json) => validate(doc, x, v, path).length === 0)) {
    out.push(`${at}: matches no anyOf branch (${s.anyOf.map((x: Json) => validate(doc, x, v, path)[0]).join(' | ')})`);
  }
  if (Array.isArray(s.oneOf)) {
    const n = s.oneOf.filter((x: Json) => validate(doc, x, v, path).length === 0).length;
    if (n !== 1) out.push(`${at}: matches ${n} oneOf branches, not exactly one`);
  }
  for (const x of s.allOf ?? []) validate(doc, x, v, path, out);
  if (s.not && validate(doc, s.not, v, path).length === 0) out.push(`${at}: matches a "not" schema`);
  if (typeof v === 'string') {
    const length = [...v].length;
    if (s.minLength !== undefined && length < s.minLength) out.push(`${at}: shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && length > s.maxLength) out.push(`${at}: longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !regex(s.pattern).test(v)) out.push(`${at}: ${JSON.stringify(v.slice(0, 60))} does not match ${s.pattern}`);
    if (s.format === 'date-time' && !(DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)))) out.push(`${at}: ${JSON.stringify(v)} is not a date-time`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) out.push(`${at}: below ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) out.push(`${at}: above ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) out.push(`${at}: not above ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) out.push(`${at}: not below ${s.exclusiveMaximum}`);
    if (s.multipleOf !== undefined && !Number.isInteger(v / s.multipleOf)) out.push(`${at}: not a multiple of ${s.multipleOf}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) out.push(`${at}: fewer than ${s.minItems} items`);
    if (s.maxItems !== undefined && v.length > s.maxItems) out.push(`${at}: more than ${s.maxItems} items`);
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) out.push(`${at}: items are not unique`);
    const prefix: Json[] = s.prefixItems ?? [];
    v.forEach((x, i) => {
      const item = i < prefix.length ? prefix[i] : s.items;
      if (item !== undefined) validate(doc, item, x, `${path}/${i}`, out);
    });
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    for (const r of s.required ?? []) if (!(r in o)) out.push(`${at}: required "${r}" is missing`);
    if (s.minProperties !== undefined && keys.length < s.minProperties) out.push(`${at}: fewer than ${s.minProperties} properties`);
    if (s.maxProperties !== undefined && keys.length > s.maxProperties) out.push(`${at}: more than ${s.maxProperties} properties`);
    const props = s.properties ?? {};
    for (const k of keys) {
      const p = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (s.propertyNames !== undefined) validate(doc, s.propertyNames, k, p, out);
      if (k in props) validate(doc, props[k], o[k], p, out);
      else if (s.additionalProperties === false) out.push(`${p}: not allowed (additionalProperties: false)`);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object') validate(doc, s.additionalProperties, o[k], p, out);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Arbitraries from the schemas

/** Strings that break naive SQL, LIKE, FTS5, JSON, HTML, URL or path handling. */
const NASTY = [
  "' OR 1=1--", "a','b", "'; DROP TABLE articles;--", '") OR ("1"="1', "1' UNION SELECT hash FROM api_keys--", '"', '""', "'", '*', 'a*', '%', '_', '%_%', '\\%',
  '(', ')', '[', ']', '{', '}', '\\', '\\\\', 'NEAR', 'NEAR(a b, 2)', 'a OR b', 'NOT a', 'a AND', '-a', '^a', 'headline:x', 'a"b', '$where', '$ne',
  '__proto__', 'constructor', 'prototype', '\u0000', 'a\u0000b', '\u202e\u2066', '\ud800', '\udfff', '🦘🏳️‍🌈', 'ｓｅｌｅｃｔ', 'İı', 'ß', 'e\u0301', '\t\n\r', ' ', '',
  '<script>alert(1)</script>', '<b>x</b>', '&#106;avascript:alert(1)', 'javascript:alert(1)', 'JaVaScRiPt:x', ' data:text/html,x', '../../etc/passwd',
  '..%2F..%2Fpackage.json', '%00', '%2e%2e', '0x10', '1e3', '-1', '-0', '9999999999999999999', 'NaN', 'Infinity', 'null', 'true', '[]', '{}', '0',
];
const HUGE = ['a'.repeat(10_001), '€'.repeat(50_000), 'x '.repeat(150_000)];
const BOUNDARY_NUMBERS = [0, -0, -1, 1, 0.5, -0.5, 1e-9, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER + 2, 1e308, -1e308, 100, 101, 1000, 1e6];
const WRONG_VALUES: unknown[] = [0, -1, 1.5, 'str', '', true, false, null, [], {}, [1, 'a'], { a: 1 }, 1e308];
const EXTRA_KEYS = ['__unknown', 'zz', 'constructor', 'prototype', '__proto__', 'status', 'id', 'revision', 'role', 'createdBy', 'createdAt', 'deletedAt', 'hash', 'secret'];

/**
 * Valid values for a schema. Ids and URLs are steered towards the fixtures and the local sink so that generated
 * requests get past reference checks and reach deeper code: a property named `<thing>Id` / `<thing>Ids` takes
 * the ids of the fixture collection `<thing>s` (any fixture id when there is none), a URL-looking string field
 * (named url/href, or documented with an http example or as a URL) takes sink URLs.
 */
const referenceOf = (v: unknown): unknown => {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const k = Object.keys(v).find((x) => /Id$/.test(x));
    if (k) return (v as Record<string, unknown>)[k];
  }
  return JSON.stringify(v);
};

function makeArb(doc: Json, fixtures: Record<string, string[]>) {
  const allIds = [...new Set(Object.values(fixtures).flat())];
  const idsFor = (name: string) => {
    const word = /([A-Z]?[a-z]+)Ids?$/.exec(name)?.[1]?.toLowerCase();
    const pool = word ? fixtures[word] ?? fixtures[`${word}s`] : undefined;
    return fc.constantFrom(...(pool?.length ? pool : allIds));
  };
  const urlArb = fc.oneof(
    fc.constant(`${SINK}/hook`),
    fc.webPath().map((p) => `${SINK}${p.startsWith('/') ? p : `/${p}`}`),
    fc.webSegment().map((p) => `https://127.0.0.1:9/${p}`),
  );
  const hrefArb = fc.oneof(urlArb, fc.constantFrom('/relative/path', 'mailto:desk@example.org', '#fragment', `${SINK}/a?b=c#d`));
  const fitting = (min: number, max: number) => {
    const pool = NASTY.filter((x) => [...x].length >= min && [...x].length <= max);
    return pool.length ? fc.constantFrom(...pool) : undefined;
  };
  const patternArbs = new Map<string, fc.Arbitrary<string>>();
  const looksLikeUrl = (name: string, schema: Json) =>
    /url|href|uri/i.test(name) || (typeof schema.example === 'string' && /^https?:\/\//.test(schema.example)) || /\bURL\b/.test(schema.description ?? '');

  function arb(s: Json, depth: number, name = ''): fc.Arbitrary<unknown> {
    const schema = deref(doc, s);
    if ('const' in schema) return fc.constant(schema.const);
    if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
    const alternatives: Json[] | undefined = schema.anyOf ?? schema.oneOf;
    if (alternatives) {
      const { anyOf: _a, oneOf: _o, ...rest } = schema;
      return fc.oneof(...alternatives.map((x) => arb({ ...rest, ...deref(doc, x) }, depth + 1, name)));
    }
    if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type: string) => arb({ ...schema, type }, depth, name)));
    switch (schema.type) {
      case 'null':
        return fc.constant(null);
      case 'boolean':
        return fc.boolean();
      case 'integer':
        return fc.integer({ min: Math.max(schema.minimum ?? -1_000_000, -1_000_000), max: Math.min(schema.maximum ?? 1_000_000, 1_000_000) });
      case 'number':
        return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
      case 'string': {
        const min = schema.minLength ?? 0;
        const max = Math.min(schema.maxLength ?? 60, 60);
        if (schema.format === 'date-time') {
          return fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
        }
        if (schema.pattern) {
          // Built once per pattern (building one is costly); small sizes, since maxLength would discard long matches.
          const key = `${schema.pattern} ${min} ${schema.maxLength}`;
          let matching = patternArbs.get(key);
          if (!matching) {
            matching = fc.stringMatching(regex(schema.pattern), { size: 'xsmall' }).filter((x) => [...x].length >= min && [...x].length <= (schema.maxLength ?? Infinity));
            patternArbs.set(key, matching);
          }
          return matching;
        }
        const plain = fc.oneof(fc.string({ minLength: min, maxLength: Math.max(min, max) }), fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.max(min, max) }));
        const nasty = fitting(min, schema.maxLength ?? Infinity);
        const options: fc.WeightedArbitrary<unknown>[] = [{ weight: 3, arbitrary: plain }, ...(nasty ? [{ weight: 1, arbitrary: nasty }] : [])];
        if (/Ids?$/.test(name) && name !== 'id') options.push({ weight: 12, arbitrary: idsFor(name) });
        else if (looksLikeUrl(name, schema)) options.push({ weight: 30, arbitrary: name === 'href' ? hrefArb : urlArb });
        return fc.oneof(...options);
      }
      case 'array': {
        const minLength = schema.minItems ?? 0;
        const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 4, depth > 5 ? minLength : depth > 3 ? 1 : 4));
        // References are listed once (tag ids, credited authors): items are unique by their first `…Id` field.
        return fc.uniqueArray(arb(schema.items ?? {}, depth + 1, name), { minLength, maxLength, selector: referenceOf });
      }
      case 'object':
      case undefined: {
        const props: Record<string, Json> = schema.properties ?? {};
        if (!Object.keys(props).length) {
          if (schema.type === undefined) return fc.jsonValue({ maxDepth: 2 });
          const values = schema.additionalProperties && typeof schema.additionalProperties === 'object' ? arb(schema.additionalProperties, depth + 1) : fc.jsonValue({ maxDepth: 1 });
          return fc.dictionary(fc.string({ maxLength: 12 }), values, { maxKeys: 3 });
        }
        const required: string[] = schema.required ?? [];
        // Deep in a recursive schema only the required fields are generated, so generation ends.
        const keys = depth > 6 ? required : Object.keys(props);
        const model = Object.fromEntries(keys.map((k) => [k, arb(props[k], depth + 1, k)]));
        return fc.record(model, { requiredKeys: required.filter((k) => keys.includes(k)) });
      }
      default:
        return fc.jsonValue({ maxDepth: 1 });
    }
  }
  return arb;
}

// ---------------------------------------------------------------------------------------------------------
// Requests

type Body = { raw: string; type: string } | undefined;
type Req = { role: Role; path: Record<string, string>; query: [string, string][]; headers: Record<string, string>; body: Body; mutation?: string };
type Mutation = { target: 'body' | 'query' | 'path' | 'header'; kind: number; pick: number; nasty: string; wrong: unknown; key: string; number: number };

/** encodeURIComponent that survives lone surrogates (sent as the invalid UTF-8 they would be). */
const encode = (s: string) => {
  try { return encodeURIComponent(s); } catch { return [...s].map((ch) => { try { return encodeURIComponent(ch); } catch { return '%ED%A0%80'; } }).join(''); }
};

type Slot = { parent: Json; key: string | number };
function slots(v: Json, out: Slot[] = [], parent: Json = undefined, key: string | number = ''): Slot[] {
  if (parent !== undefined) out.push({ parent, key });
  if (Array.isArray(v)) v.forEach((x, i) => slots(x, out, v, i));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) slots(v[k], out, v, k);
  return out;
}
const objectsIn = (v: Json, out: Json[] = []): Json[] => {
  if (Array.isArray(v)) v.forEach((x) => objectsIn(x, out));
  else if (v && typeof v === 'object') { out.push(v); Object.values(v).forEach((x) => objectsIn(x, out)); }
  return out;
};
const setOwn = (o: Json, k: string, value: unknown) => Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });

/** A near-valid body: one targeted change to a valid one (or broken JSON). */
function mutateBody(value: unknown, m: Mutation): { raw: string; what: string } {
  const v = structuredClone(value) as Json;
  const all = slots(v);
  const slot = all.length ? all[m.pick % all.length] : undefined;
  switch (m.kind % 9) {
    case 0: {
      const objs = objectsIn(v).filter((o) => !Array.isArray(o) && Object.keys(o).length);
      const o = objs[m.pick % Math.max(1, objs.length)];
      if (o) { const k = Object.keys(o)[m.pick % Object.keys(o).length]!; delete o[k]; return { raw: JSON.stringify(v), what: `drop ${k}` }; }
      return { raw: JSON.stringify(m.wrong), what: 'wrong root' };
    }
    case 1:
      if (slot) { slot.parent[slot.key] = m.wrong; return { raw: JSON.stringify(v), what: `wrong type at ${slot.key}` }; }
      return { raw: JSON.stringify(m.wrong), what: 'wrong root' };
    case 2: {
      const objs = objectsIn(v).filter((o) => !Array.isArray(o));
      const o = objs[m.pick % Math.max(1, objs.length)] ?? v;
      if (o && typeof o === 'object' && !Array.isArray(o)) setOwn(o, m.key, m.key === '__proto__' || m.key === 'constructor' ? { x: 1, prototype: { x: 1 } } : m.wrong);
      return { raw: JSON.stringify(v), what: `extra key ${m.key}` };
    }
    case 3: {
      const strings = all.filter((x) => typeof x.parent[x.key] === 'string');
      const s = strings[m.pick % Math.max(1, strings.length)];
      if (s) s.parent[s.key] = m.nasty;
      return { raw: JSON.stringify(v), what: `nasty string ${JSON.stringify(m.nasty.slice(0, 20))}` };
    }
    case 4: {
      const numbers = all.filter((x) => typeof x.parent[x.key] === 'number');
      const n = numbers[m.pick % Math.max(1, numbers.length)];
      if (n) n.parent[n.key] = m.number;
      return { raw: JSON.stringify(v), what: `boundary number ${m.number}` };
    }
    case 5: {
      const strings = all.filter((x) => typeof x.parent[x.key] === 'string');
      const s = strings[m.pick % Math.max(1, strings.length)];
      if (s) s.parent[s.key] = HUGE[m.pick % HUGE.length];
      return { raw: JSON.stringify(v), what: 'huge string' };
    }
    case 6:
      return { raw: ['{', '{"a":}', '[', '{"a":1,}', "{'a':1}", '\u0000', 'nul', '"\\ud800"', '{"a":1}{"b":2}', '1e999'][m.pick % 10]!, what: 'broken JSON' };
    case 7:
      return { raw: `{"__proto__":{"x":1}${v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length ? `,${JSON.stringify(v).slice(1)}` : '}'}`, what: '__proto__ at the root' };
    default:
      return { raw: JSON.stringify({ constructor: { prototype: { x: 1 } }, ...(v && typeof v === 'object' && !Array.isArray(v) ? v : {}) }), what: 'constructor.prototype' };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures (one fresh app per OpenAPI tag, so each group of operations starts from the same state)

function png(colour: string) {
  return sharp({ create: { width: 16, height: 12, channels: 3, background: colour } }).png().toBuffer();
}

async function seed(ctx: TestApp) {
  const { editor, admin } = ctx;
  const call = fixtureCaller(ctx);
  const webhook = await call('POST', '/v1/webhooks', { url: `${SINK}/hook`, events: ['*'] }, admin);
  const apiKey = await call('POST', '/v1/api-keys', { name: 'fuzz fixture', role: 'editor' }, admin);
  const author = await call('POST', '/v1/authors', { name: 'Fuzz Author' });
  const section = await call('POST', '/v1/sections', { name: 'Fuzz Section' });
  const tag = await call('POST', '/v1/tags', { name: 'Fuzz Tag' });
  const boundary = '----bsfuzz';
  const file = await png('#884422');
  const form = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`), file,
    Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="caption"\r\n\r\nA caption\r\n--${boundary}--\r\n`),
  ]);
  const media = await call('POST', '/v1/media', form, { ...editor, 'content-type': `multipart/form-data; boundary=${boundary}` });
  const disclaimer = await call('POST', '/v1/disclaimers', { key: 'fuzz-note', body: [{ type: 'text', text: 'A note.' }], appliesTo: { types: ['opinion'] } });
  const refs = { sectionId: section.id, tagIds: [tag.id], authors: [{ authorId: author.id }] };
  const target = await call('POST', '/v1/articles', { headline: 'Fuzz target', ...refs });
  const draft = await call('POST', '/v1/articles', { headline: 'Fuzz draft', ...refs });
  const live = await call('POST', '/v1/articles', {
    headline: 'Fuzz live', type: 'opinion', hero: { mediaId: media.id }, ...refs,
    body: [para('p1', 'Words about the summit.'), { type: 'image', id: 'i1', mediaId: media.id }],
  });
  for (const a of [target, live]) await call('POST', `/v1/articles/${a.id}/publish`, {});
  await call('PUT', `/v1/articles/${live.id}/related-links`, [{ targetArticleId: target.id }, { targetArticleId: draft.id }, { url: `${SINK}/x`, label: 'Out' }]);
  await call('POST', `/v1/articles/${live.id}/corrections`, { kind: 'correction', text: 'Fixed.' });
  await call('PATCH', `/v1/articles/${live.id}`, { kicker: 'Fuzz' });
  return {
    byPrefix: {
      '/v1/articles': live, '/v1/media': media, '/v1/authors': author, '/v1/sections': section, '/v1/tags': tag, '/v1/disclaimers': disclaimer,
      '/v1/api-keys': apiKey, '/v1/webhooks': webhook,
    } as Record<string, Json>,
    ids: [live.id, draft.id, target.id, media.id, author.id, section.id, tag.id, disclaimer.id, webhook.id, apiKey.id] as string[],
    byCollection: {
      articles: [live.id, draft.id, target.id], media: [media.id], authors: [author.id], sections: [section.id], tags: [tag.id],
      disclaimers: [disclaimer.id], webhooks: [webhook.id], keys: [apiKey.id],
    } as Record<string, string[]>,
  };
}

/** Live values for a path parameter: a fixture, or the first item of the collection it indexes. */
async function liveValues(ctx: TestApp, byPrefix: Record<string, Json>, path: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const chosen: Record<string, string> = {};
  const segments = path.split('/');
  for (const m of path.matchAll(/\{([^}]+)\}/g)) {
    const name = m[1]!;
    let prefix = segments.slice(0, segments.indexOf(`{${name}}`));
    const bySlug = prefix.at(-1) === 'by-slug';
    if (bySlug) prefix = prefix.slice(0, -1);
    const key = bySlug ? 'slug' : name;
    const concrete = prefix.join('/').replace(/\{([^}]+)\}/g, (_x, p: string) => encode(chosen[p] ?? ''));
    const fixture = byPrefix[concrete];
    let items: Json[] = fixture ? [fixture] : [];
    if (!fixture) {
      const list = await ctx.req({ method: 'GET', url: concrete, headers: ctx.admin });
      items = Array.isArray(list.body?.data) ? list.body.data.slice(0, 3) : [];
    }
    const values = items.map((x) => String(x[key] ?? x.id));
    out[name] = values;
    chosen[name] = values[0] ?? '';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Response checks

const POINTER = /^\/(?:body|query|params|headers)(?:\/|$)/;

type Stats = { cases: number; byClass: Record<string, number>; undocumented: Set<string>; notes: Set<string> };


function checkResponse(doc: Json, o: Op, res: { statusCode: number; headers: Record<string, unknown>; body: string }, stats: Stats): string | undefined {
  const status = res.statusCode;
  const klass = `${String(status)[0]}xx`;
  stats.byClass[klass] = (stats.byClass[klass] ?? 0) + 1;
  if (status >= 500) return `${status}: ${res.body.slice(0, 300)}`;
  const documented = o.op.responses?.[String(status)] ?? o.op.responses?.[`${String(status)[0]}XX`] ?? o.op.responses?.default;
  const type = String(res.headers['content-type'] ?? '');
  const base = type.split(';')[0]!.trim();
  if (status >= 200 && status < 300) {
    if (!documented) return `${status} is not documented for ${o.name}`;
    if (status === 204) return res.body === '' ? undefined : '204 with a body';
    const content = deref(doc, documented).content ?? {};
    let media = content[base];
    if (!media && /json$/.test(base)) {
      const jsonish = Object.keys(content).filter((k) => /json$/.test(k));
      if (jsonish.length === 1) {
        media = content[jsonish[0]!];
        stats.notes.add(`${o.name} ${status}: sent as ${base}, documented as ${jsonish[0]}`);
      }
    }
    if (!media) {
      // A documentation gap, reported (see the comments at the end), not a broken response.
      if (Object.keys(content).length) stats.notes.add(`${o.name} ${status}: sent as ${base}, documented as ${Object.keys(content).join(', ')}`);
      if (/json$/.test(base)) {
        try { JSON.parse(res.body); } catch { return `${status} sent as ${base} but is not JSON`; }
      }
      return undefined;
    }
    if (!/json$/.test(base)) return undefined;
    let body: unknown;
    try { body = JSON.parse(res.body); } catch { return `${status} body is not JSON`; }
    const errors = validate(doc, media.schema, body);
    return errors.length ? `${status} body does not match the documented schema: ${errors.slice(0, 5).join('; ')}` : undefined;
  }
  if (status >= 400) {
    if (!documented) stats.undocumented.add(`${o.name} ${status}`);
    if (base !== 'application/problem+json' || !/charset=utf-8/i.test(type)) return `${status} sent as ${type}, not problem+json`;
    let p: Json;
    try { p = JSON.parse(res.body); } catch { return `${status} problem is not JSON`; }
    for (const k of ['type', 'title', 'detail', 'code', 'instance']) if (typeof p[k] !== 'string' || !p[k]) return `${status} problem without ${k}: ${res.body.slice(0, 200)}`;
    if (p.status !== status) return `problem status ${p.status} ≠ HTTP ${status}`;
    if (p.errors !== undefined) {
      if (!Array.isArray(p.errors)) return 'problem errors is not an array';
      for (const e of p.errors) {
        if (typeof e?.pointer !== 'string' || typeof e.message !== 'string' || typeof e.code !== 'string') return `malformed errors[] entry ${JSON.stringify(e)}`;
        if (!POINTER.test(e.pointer)) return `pointer ${JSON.stringify(e.pointer)} is not into /body, /query, /params or /headers`;
      }
    } else if (status === 400 && p.code === 'validation-failed') {
      stats.notes.add(`${o.name}: a 400 validation-failed without errors[] (${p.detail})`);
    }
    if (documented) {
      const schema = deref(doc, documented).content?.['application/json']?.schema ?? deref(doc, documented).content?.['application/problem+json']?.schema;
      const errors = schema ? validate(doc, schema, p) : [];
      if (errors.length) return `${status} problem does not match the documented schema: ${errors.slice(0, 3).join('; ')}`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------

const hash = (s: string) => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 0);

t.test('schema-driven fuzzing of every operation in the OpenAPI document', async (t) => {
  const started = Date.now();
  const probe = await build(t, FUZZ_CONFIG);
  await probe.app.ready();
  const doc = probe.app.swagger() as Json;
  const ops = operations(doc).filter((o) => !ONLY || ONLY.test(o.name));
  t.ok(ops.length > 0, `${ops.length} operations to fuzz`);

  const unknown = new Set<string>();
  for (const o of ops) {
    for (const r of Object.values<Json>(o.op.responses ?? {})) for (const c of Object.values<Json>(deref(doc, r).content ?? {})) unknownKeywords(doc, c.schema, unknown);
    for (const c of Object.values<Json>(o.op.requestBody?.content ?? {})) unknownKeywords(doc, c.schema, unknown);
    for (const p of o.op.parameters ?? []) unknownKeywords(doc, p.schema, unknown);
  }
  t.same([...unknown], [], 'the validator knows every keyword the document uses');

  // The validator is not vacuous: a real list validates, the same list with a field dropped or mistyped does not.
  const listOp = ops.find((o) => o.name === 'listApiKeys') ?? operations(doc).find((o) => o.name === 'listApiKeys')!;
  const listSchema = listOp.op.responses['200'].content['application/json'].schema;
  const list = (await probe.req({ method: 'GET', url: '/v1/api-keys', headers: probe.admin })).body;
  t.same(validate(doc, listSchema, list), [], 'a real response validates');
  const { id: _id, ...withoutId } = list.data[0];
  t.ok(validate(doc, listSchema, { ...list, data: [withoutId] }).length > 0, 'a missing required field is caught');
  t.ok(validate(doc, listSchema, { ...list, data: [{ ...list.data[0], role: 'root' }] }).length > 0, 'an enum violation is caught');
  t.ok(validate(doc, listSchema, { ...list, page: { ...list.page, total: '1' } }).length > 0, 'a wrong type is caught');
  t.ok(validate(doc, listSchema, { ...list, data: [{ ...list.data[0], createdAt: 'yesterday' }] }).length > 0, 'a bad date-time is caught');

  // One app per tag: reads first (on the seeded state), then writes, deletes last.
  const groups = new Map<string, Op[]>();
  for (const o of ops) groups.set(o.op.tags?.[0] ?? 'untagged', [...(groups.get(o.op.tags?.[0] ?? 'untagged') ?? []), o]);
  const rank = (o: Op) => (o.method === 'GET' ? 0 : o.method === 'DELETE' ? 2 : 1);
  const stats: Stats = { cases: 0, byClass: {}, undocumented: new Set(), notes: new Set() };

  for (const [tag, group] of groups) {
    await t.test(`fuzz: ${tag}`, async (t) => {
      const ctx = await build(t, FUZZ_CONFIG);
      const fx = await seed(ctx);
      const arb = makeArb(doc, fx.byCollection);
      for (const o of [...group].sort((a, b) => rank(a) - rank(b))) {
        const live = await liveValues(ctx, fx.byPrefix, o.path);
        const roles: Role[] = securedOnly(o) ? (adminOnly(doc, o) ? ['admin'] : ['admin', 'editor']) : ['anon', 'admin', 'editor'];
        const headersOf: Record<Role, Record<string, string>> = { anon: {}, editor: ctx.editor, admin: ctx.admin };

        const pathArb = fc.record(Object.fromEntries(params(o, 'path').map((p) => {
          const lives = live[p.name] ?? [];
          // "." and ".." are dot segments: the injected URL would be normalised to another route before the
          // server sees it (traversal over a real socket is in injection.test.ts).
          const generated = arb(p.schema, 0, p.name).map((v) => String(v)).filter((v) => v !== '.' && v !== '..').map(encode);
          return [p.name, lives.length ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...lives) }, { weight: 1, arbitrary: generated }, { weight: 1, arbitrary: fc.constantFrom(...fx.ids) }) : generated];
        })));
        const queryParams = params(o, 'query');
        // Required parameters always; optional ones a few at a time (most calls set none or one).
        const valueArb = (p: Json) => arb(p.schema, 0, p.name).map((v) => [p.name, typeof v === 'string' ? v : JSON.stringify(v)] as [string, string]);
        const required = queryParams.filter((p) => p.required).map(valueArb);
        const optional = queryParams.filter((p) => !p.required).map(valueArb);
        const queryArb = fc.tuple(
          fc.tuple(...required),
          optional.length ? fc.uniqueArray(fc.nat({ max: optional.length - 1 }), { maxLength: Math.min(3, optional.length) }).chain((picks) => fc.tuple(...picks.map((i) => optional[i]!))) : fc.constant([] as [string, string][]),
        ).map(([a, b]) => [...a, ...b] as [string, string][]);
        const headerArb = fc.record(Object.fromEntries(params(o, 'header').map((p) => [p.name, arb(p.schema, 0, p.name).map(String)])), { requiredKeys: [] });
        const json = o.op.requestBody?.content?.['application/json'];
        const bodyValueArb: fc.Arbitrary<unknown> = json ? arb(json.schema, 0) : fc.constant(undefined);

        const validArb = fc.record({ role: fc.constantFrom(...roles), path: pathArb, query: queryArb, headers: headerArb, body: bodyValueArb });
        const mutationArb = fc.record({
          target: fc.constantFrom<Mutation['target']>(...(json ? ['body', 'body', 'body', 'query', 'path'] as const : ['query', 'query', 'path', 'header'] as const)),
          kind: fc.nat(), pick: fc.nat(), nasty: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...NASTY) }, { weight: 1, arbitrary: fc.constantFrom(...HUGE) }),
          wrong: fc.constantFrom(...WRONG_VALUES), key: fc.constantFrom(...EXTRA_KEYS), number: fc.constantFrom(...BOUNDARY_NUMBERS),
        });
        const requestArb: fc.Arbitrary<Req> = fc.tuple(validArb, fc.option(mutationArb, { freq: 2 })).map(([v, m]) => {
          const r: Req = { role: v.role, path: { ...v.path }, query: [...v.query], headers: { ...v.headers }, body: json ? { raw: JSON.stringify(v.body), type: 'application/json' } : undefined };
          if (!m) return r;
          if (m.target === 'body' && json) {
            const b = mutateBody(v.body, m);
            r.body = { raw: b.raw, type: m.kind % 13 === 12 ? 'text/plain' : 'application/json' };
            r.mutation = b.what;
          } else if (m.target === 'path' && Object.keys(r.path).length) {
            const k = Object.keys(r.path)[m.pick % Object.keys(r.path).length]!;
            const raw = ['..%2F..%2Fpackage.json', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%5C..%5Cwindows', '%00', 'a%00b', '-1', '1e3', '0x10', '9999999999999999999', 'a'.repeat(10_240), '%E2%80%AE', '%ED%A0%80', '%', '%zz', encode(m.nasty) || '%20'];
            // (Never empty or a dot segment: the URL would then name another route, e.g. the list.)
            r.path[k] = raw[m.kind % raw.length]!;
            r.mutation = `path ${k}=${r.path[k]!.slice(0, 30)}`;
          } else if (m.target === 'header') {
            r.headers = { ...r.headers, range: ['bytes=0-', 'bytes=-0', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=99999999999999999999-', 'items=0-1', m.nasty.slice(0, 300)][m.kind % 7]! };
            r.mutation = `range ${r.headers.range}`;
          } else {
            const names = queryParams.map((p) => p.name);
            switch (m.kind % 6) {
              case 0: r.query.push(['zz_unknown', m.nasty.slice(0, 2000)]); r.mutation = 'unknown query parameter'; break;
              case 1: { const n = names[m.pick % Math.max(1, names.length)]; if (n) r.query.push([n, r.query.find(([k]) => k === n)?.[1] ?? '1'], [n, '2']); r.mutation = `repeated ${n}`; break; }
              case 2: { const n = names[m.pick % Math.max(1, names.length)]; if (n) r.query = [...r.query.filter(([k]) => k !== n), [n, m.nasty.slice(0, 10_000)]]; r.mutation = `nasty ${n}`; break; }
              case 3: { const n = names[m.pick % Math.max(1, names.length)]; if (n) r.query = [...r.query.filter(([k]) => k !== n), [n, String(m.number)]]; r.mutation = `number ${n}=${m.number}`; break; }
              case 4: r.query = r.query.filter((_x, i) => i !== m.pick % Math.max(1, r.query.length)); r.mutation = 'dropped a query parameter'; break;
              default: r.query.push([['__proto__[x]', 'constructor[prototype][x]', 'filter[t1.password]', 'a[length]', 'q[]', 'limit[]'][m.pick % 6]!, '1']); r.mutation = 'nested query key';
            }
          }
          return r;
        });

        let count = 0;
        const opStarted = Date.now();
        const classes: Record<string, number> = {};
        const property = fc.asyncProperty(requestArb, async (r) => {
          const path = o.path.replace(/\{([^}]+)\}/g, (_m, n: string) => r.path[n] ?? '');
          const qs = r.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
          const url = qs ? `${path}?${qs}` : path;
          const res = await ctx.app.inject({
            method: o.method as 'GET', url,
            headers: { ...headersOf[r.role], ...r.headers, ...(r.body ? { 'content-type': r.body.type } : {}) },
            ...(r.body ? { payload: r.body.raw } : {}),
          });
          count++;
          stats.cases++;
          const k = `${String(res.statusCode)[0]}xx`;
          classes[k] = (classes[k] ?? 0) + 1;
          const problem = checkResponse(doc, o, { statusCode: res.statusCode, headers: res.headers, body: res.body }, stats);
          if (problem) throw new Error(`${o.method} ${url.slice(0, 300)} as ${r.role}${r.mutation ? ` [${r.mutation}]` : ''}${r.body ? ` body ${r.body.raw.slice(0, 300)}` : ''}\n→ ${problem}`);
        });
        const seed = (SEED ^ hash(o.name)) >>> 0;
        const details = await fc.check(property, { seed, numRuns: RUNS, endOnFailure: !SHRINK });
        if (details.failed) t.fail(`${o.name} (seed ${seed}, path ${details.counterexamplePath}): ${String((details.errorInstance as Error | undefined)?.message ?? details.errorInstance)}`);
        else t.pass(`${o.name}: ${count} cases in ${Date.now() - opStarted} ms, ${Object.entries(classes).sort().map(([c, n]) => `${c} ${n}`).join(', ')}`);
      }
    });
  }

  t.comment(`${stats.cases} generated cases over ${ops.length} operations (${RUNS} each, seed ${SEED}) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(stats.byClass)}`);
  if (stats.undocumented.size) t.comment(`4xx statuses not in the document: ${[...stats.undocumented].sort().join(', ')}`);
  for (const n of stats.notes) t.comment(n);
  t.ok(stats.cases >= ops.length * Math.min(RUNS, 1), 'every operation was fuzzed');
});
