/**
 * Injection and content safety (issue 6, item 3; reliability-anchors (c) cases 8-10, 22-26, 28, 30-35).
 *
 * The generic parts walk the live OpenAPI document (every list filter, every `sort`, every scalar query
 * parameter, every id parameter, every JSON body, every media path), so new routes are covered; the content
 * parts name the fields that carry URLs and plain text.
 */
import { XMLParser } from 'fast-xml-parser';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import t, { type Test } from 'tap';
import { build, fixtureCaller, onPostgres, para, type TestApp } from '../helper.js';
import { deref, jsonBody, minimal, operations, params, securedOnly, SINK, type Json, type Op } from './openapi-walk.js';


// A hang guard (each request has its own, 2 s): the file took 166 s on PostgreSQL in a full run on 2 cores, close
// to tap's default 180 s, against ~40 s alone.
t.setTimeout(300_000);

/** Many calls in a burst: rate limits and load shedding are tested on their own (test/http). */
const CONFIG = { webhookAllowedHosts: ['127.0.0.1'], rateLimitAnonPerMinute: 0, rateLimitKeyPerMinute: 0, maxEventLoopDelayMs: 0 };
const PROBLEM = 'application/problem+json; charset=utf-8';
/** Internals an error body must never show: stack frames, source paths, SQL, library names. */
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|\.[cm]?[jt]s:\d+|\/work\/|SQLITE_|sqlite|drizzle|better-sqlite3|ZodError|\bselect\b.*\bfrom\b|FST_ERR/i;

/** SQL, LIKE and FTS5 metacharacters, and the classic payloads. None of these words is in the fixtures. */
const SQL_PAYLOADS = [
  "' OR 1=1--", "' OR '1'='1", "a','b", "'; DROP TABLE articles;--", '"; DROP TABLE articles;--', "1' UNION SELECT hash FROM api_keys--",
  "') OR ('1'='1", ']', '[', '\\', '\\\\', '`', '$1', '?', ':name', '@p', '\u0000', 'a\u0000b', '%', '_', '%%', '%_', '*', '"', '""',
  '(', ')', 'NEAR', 'NEAR(a b)', 'a OR b', 'NOT x', '-x', '^x', 'headline:x', '{x}', 'x'.repeat(10_000),
];

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI document

// ---------------------------------------------------------------------------------------------------------
// Fixtures: a small newsroom whose text uses a vocabulary no payload contains

type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };
function multipart(parts: Part[]) {
  const boundary = '----bsinject5a1e';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('data' in p) chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`), p.data, Buffer.from('\r\n'));
    else chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
const png = (colour: string) => sharp({ create: { width: 24, height: 16, channels: 3, background: colour } }).png().toBuffer();

async function seed(ctx: TestApp) {
  const { editor, admin } = ctx;
  const call = fixtureCaller(ctx);
  const webhooks = [await call('POST', '/v1/webhooks', { url: `${SINK}/one`, events: ['*'] }, admin), await call('POST', '/v1/webhooks', { url: `${SINK}/two`, events: ['article.*'] }, admin)];
  const apiKey = await call('POST', '/v1/api-keys', { name: 'inject fixture', role: 'editor' }, admin);
  const authors = [await call('POST', '/v1/authors', { name: 'Zebra Quagga' }), await call('POST', '/v1/authors', { name: 'Zebu Okapi' })];
  const sections = [await call('POST', '/v1/sections', { name: 'Quagga Desk' }), await call('POST', '/v1/sections', { name: 'Zebu Desk' })];
  const tags = [await call('POST', '/v1/tags', { name: 'Quagga' }), await call('POST', '/v1/tags', { name: 'Zebu' })];
  const media = [];
  for (const colour of ['#aa3300', '#0033aa']) {
    const form = multipart([{ name: 'file', filename: 'zebra.png', type: 'image/png', data: await png(colour) }, { name: 'caption', value: 'Zebra herd' }, { name: 'creditText', value: 'Quagga Agency' }]);
    media.push(await call('POST', '/v1/media', form.payload, { ...editor, ...form.headers }));
  }
  const disclaimers = [
    await call('POST', '/v1/disclaimers', { key: 'zebra-note', body: [{ type: 'text', text: 'Zebra note.' }], appliesTo: { types: ['opinion'] } }),
    await call('POST', '/v1/disclaimers', { key: 'quagga-note', body: [{ type: 'text', text: 'Quagga note.' }] }),
  ];
  const refs = { sectionId: sections[0].id, tagIds: [tags[0].id], authors: [{ authorId: authors[0].id }] };
  const live = [];
  for (const [i, words] of ['Zebra quagga zebu', 'Quagga herds graze', 'Zebu okapi meadow'].entries()) {
    const a = await call('POST', '/v1/articles', { headline: words, type: i ? 'news' : 'opinion', ...refs, hero: { mediaId: media[0].id }, body: [para('p1', `${words} grazing.`)] });
    await call('POST', `/v1/articles/${a.id}/publish`, {});
    live.push(a);
  }
  const draft = await call('POST', '/v1/articles', { headline: 'Hidden okapi memo', slug: 'hidden-okapi-memo', ...refs, body: [para('p1', 'Okapi secrets.')] });
  await call('PUT', `/v1/articles/${live[0].id}/related-links`, [{ targetArticleId: live[1].id }, { targetArticleId: draft.id }, { url: `${SINK}/out`, label: 'Zebra elsewhere' }]);
  await call('PATCH', `/v1/articles/${live[0].id}`, { kicker: 'Zebra' });
  await call('POST', `/v1/articles/${live[0].id}/corrections`, { kind: 'correction', text: 'Zebra count fixed.' });
  return {
    webhooks, apiKey, authors, sections, tags, media, disclaimers, live, draft,
    byPrefix: {
      '/v1/articles': live[0], '/v1/media': media[0], '/v1/authors': authors[0], '/v1/sections': sections[0], '/v1/tags': tags[0],
      '/v1/disclaimers': disclaimers[0], '/v1/webhooks': webhooks[0], '/v1/api-keys': apiKey,
    } as Record<string, Json>,
  };
}
type Fixtures = Awaited<ReturnType<typeof seed>>;

/** Live values for the path parameters of an operation (a fixture, else the first item of the collection). */
async function livePath(ctx: TestApp, fx: Fixtures, o: Op): Promise<string> {
  const chosen: Record<string, string> = {};
  const segments = o.path.split('/');
  for (const m of o.path.matchAll(/\{([^}]+)\}/g)) {
    const name = m[1]!;
    let prefix = segments.slice(0, segments.indexOf(`{${name}}`));
    const bySlug = prefix.at(-1) === 'by-slug';
    if (bySlug) prefix = prefix.slice(0, -1);
    const concrete = prefix.join('/').replace(/\{([^}]+)\}/g, (_x, p: string) => encodeURIComponent(chosen[p] ?? ''));
    const key = bySlug ? 'slug' : name;
    let item = fx.byPrefix[concrete];
    if (!item) item = (await ctx.req({ method: 'GET', url: concrete, headers: ctx.admin })).body?.data?.[0];
    chosen[name] = String(item?.[key] ?? item?.id ?? 'none');
  }
  return o.path.replace(/\{([^}]+)\}/g, (_x, n: string) => encodeURIComponent(chosen[n]!));
}

async function setup(t: Test) {
  const ctx = await build(t, CONFIG);
  const fx = await seed(ctx);
  await ctx.app.ready();
  const doc = ctx.app.swagger() as Json;
  return { ...ctx, fx, doc, ops: operations(doc) };
}

const isProblem = (r: { status: number; headers: Record<string, unknown> }) => r.headers['content-type'] === PROBLEM;
/** `select count(*) as n …` on either database (PostgreSQL answers count(*) as a string). */
const countRows = async (app: TestApp['app'], sql: string) => Number((await app.db.query(sql))[0]!.n);
/** PostgreSQL: the tables of the app's schema (it has no integrity_check; an injected DROP would show here). */
const pgTables = async (app: TestApp['app']) =>
  (await app.db.query('select table_name as name from information_schema.tables where table_schema = current_schema() order by 1')).map((r) => String(r.name));

// ---------------------------------------------------------------------------------------------------------

t.test('SQL and FTS metacharacters in every string field of article create and patch are stored as text (case 22)', async (t) => {
  const { req, editor, doc, app } = await setup(t);
  const tablesBefore = onPostgres ? await pgTables(app) : [];
  // The string fields of the create body, nested objects included, minus slugs, URLs and ids (they have their own rules).
  const fields: string[][] = [];
  const walk = (s: Json, path: string[]) => {
    const schema = deref(doc, s);
    for (const [k, v] of Object.entries<Json>(schema.properties ?? {})) {
      const branches = [deref(doc, v), ...(deref(doc, v).anyOf ?? []).map((x: Json) => deref(doc, x))];
      const str = branches.find((x: Json) => x.type === 'string');
      const obj = branches.find((x: Json) => x.type === 'object' && x.properties);
      if (str && !str.pattern && !str.enum && !/url|Id$/i.test(k) && !/\bURL\b/.test(str.description ?? '')) fields.push([...path, k]);
      // Objects that need a reference (a hero needs its mediaId) are covered by the plain-text test below.
      else if (obj && !(obj.required ?? []).some((r: string) => /Id$/.test(r))) walk(obj, [...path, k]);
    }
  };
  walk(jsonBody(operations(doc).find((o) => o.name === 'createArticle')!), []);
  t.ok(fields.length >= 6, `string fields: ${fields.map((f) => f.join('.')).join(', ')}`);
  const setAt = (o: Json, path: string[], v: string) => {
    let x = o;
    for (const k of path.slice(0, -1)) x = x[k] ??= {};
    x[path.at(-1)!] = v;
    return o;
  };
  const getAt = (o: Json, path: string[]) => path.reduce((x, k) => x?.[k], o);
  const failures: string[] = [];
  const target = (await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: { headline: 'Zebra patch target' } })).body;
  for (const field of [...fields, ['body']]) {
    for (const payload of SQL_PAYLOADS) {
      const value = (b: Json) => (field[0] === 'body' ? { ...b, body: [para('p1', payload)] } : setAt(b, field, payload));
      const created = await req({ method: 'POST', url: '/v1/articles', headers: editor, payload: value(field[0] === 'headline' ? {} : { headline: 'Zebra probe' }) });
      const patched = await req({ method: 'PATCH', url: `/v1/articles/${target.id}`, headers: editor, payload: value({}) });
      for (const [what, res, ok] of [['POST', created, 201], ['PATCH', patched, 200]] as const) {
        const where = `${what} ${field.join('.')}=${JSON.stringify(payload.slice(0, 30))}`;
        if (![ok, 400, 422].includes(res.status)) failures.push(`${where}: ${res.status} ${res.raw.slice(0, 200)}`);
        if (res.status >= 400 && !isProblem(res)) failures.push(`${where}: not problem+json`);
        if (res.status === ok) {
          const back = (await req({ method: 'GET', url: `/v1/articles/${res.body.id}`, headers: editor })).body;
          const stored = field[0] === 'body' ? back.body[0].children[0].text : getAt(back, field);
          if (stored !== payload && stored !== payload.trim()) failures.push(`${where}: read back as ${JSON.stringify(String(stored).slice(0, 40))}`);
        }
      }
    }
  }
  t.same(failures, [], 'every payload is refused with a 4xx or stored and read back verbatim');
  if (onPostgres) t.same(await pgTables(app), tablesBefore, 'the database is intact: every table is still there');
  else t.equal(app.db.sqlite!.pragma('integrity_check', { simple: true }), 'ok', 'the database is intact');
  t.equal(await countRows(app, 'select count(*) as n from api_keys'), 3, 'and no table was touched');
});

t.test('metacharacters in every list filter, slug, sort and search never error and never match everything (cases 22, 23, 28)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, doc, ops, fx } = ctx;
  const failures: string[] = [];
  const nulTodo: string[] = [];
  let checked = 0;
  for (const o of ops.filter((x) => x.method === 'GET')) {
    const base = await livePath(ctx, fx, o);
    const required = params(o, 'query').filter((p) => p.required).map((p) => [p.name, String(minimal(doc, p.schema))] as [string, string]);
    for (const p of params(o, 'query')) {
      const schema = deref(doc, p.schema);
      if (schema.type !== 'string' || ['include', 'cursor'].includes(p.name)) continue;
      for (const payload of SQL_PAYLOADS) {
        const qs = new URLSearchParams([...required.filter(([k]) => k !== p.name), [p.name, payload]]).toString();
        const url = `${base}?${qs}`;
        for (const headers of securedOnly(o) ? [admin] : [admin, {}]) {
          const res = await req({ method: 'GET', url, headers });
          checked++;
          const where = `GET ${base}?${p.name}=${JSON.stringify(payload.slice(0, 24))}${Object.keys(headers).length ? '' : ' (anonymous)'}`;
          if (res.status >= 500 || ![200, 400, 403, 404].includes(res.status)) failures.push(`${where}: ${res.status} ${res.raw.slice(0, 200)}`);
          if (res.status >= 400 && !isProblem(res)) failures.push(`${where}: not problem+json`);
          // A metacharacter must not widen the filter: nothing in the fixtures contains these payloads.
          if (res.status === 200 && res.body?.page && res.body.page.total !== 0) (payload.includes('\u0000') ? nulTodo : failures).push(`${where}: matched ${res.body.page.total} items`);
        }
      }
    }
    // Sort: an allow-list of field names and directions.
    for (const p of params(o, 'query').filter((x) => x.name === 'sort')) {
      for (const sort of ['passwordHash', 'hash', '-hash', 'secret', '(CASE WHEN 1 THEN headline END)', 'headline;DROP TABLE articles', 'headline DESC', 'headline,id', 'rowid', '1', '-', ' headline', 'HEADLINE', '__proto__']) {
        const qs = new URLSearchParams([...required, [p.name, sort]]).toString();
        const res = await req({ method: 'GET', url: `${base}?${qs}`, headers: admin });
        checked++;
        if (res.status !== 400 || !isProblem(res)) failures.push(`GET ${base}?sort=${sort}: ${res.status}, expected 400`);
      }
    }
  }
  // Slugs in paths (case 28 covers ids below).
  for (const o of ops.filter((x) => x.method === 'GET' && x.path.includes('{slug}'))) {
    for (const payload of SQL_PAYLOADS.slice(0, 20)) {
      const res = await req({ method: 'GET', url: o.path.replace('{slug}', encodeURIComponent(payload)), headers: admin });
      checked++;
      if (![400, 404].includes(res.status) || !isProblem(res)) failures.push(`GET ${o.path} slug=${JSON.stringify(payload)}: ${res.status}`);
    }
  }
  t.ok(checked > 500, `${checked} calls`);
  t.same(failures, [], 'every filter, slug and sort value is data, never syntax');
  if (nulTodo.length) t.comment(nulTodo.join('; '));
  t.same(nulTodo, [], 'a NUL in a LIKE filter does not cut the pattern short');

  // LIKE wildcards and FTS syntax, explicitly: they match nothing, not everything.
  const all = (await req({ method: 'GET', url: '/v1/media', headers: admin })).body.page.total;
  t.ok(all >= 2, 'there is media to match');
  for (const q of ['%', '_', '%%', '\\', '*']) t.equal((await req({ method: 'GET', url: `/v1/media?q=${encodeURIComponent(q)}`, headers: admin })).body.page.total, 0, `media q=${q} matches nothing`);
  t.equal((await req({ method: 'GET', url: '/v1/media?q=zebra', headers: admin })).body.page.total, 2, 'while a word still matches');
  for (const q of ['*', '"', '(', 'NEAR', 'zebra OR NOT x', '"zebra" OR "meadow"', 'meadow*', 'NEAR(zebra meadow)', 'zebra -meadow', '%', '_']) {
    const res = await req({ method: 'GET', url: `/v1/search?q=${encodeURIComponent(q)}` });
    t.ok(res.status === 400 || (res.status === 200 && res.body.page.total < 3), `search q=${q}: ${res.status} ${res.body?.page?.total ?? ''} (never all three)`);
  }
  t.equal((await req({ method: 'GET', url: '/v1/search?q=meadow' })).body.page.total, 1, 'a plain word matches what it should');

  // Case 7, blind oracles: a word only a draft contains answers exactly like a word nobody wrote; refused
  // parameters answer the same whatever value they probe with.
  const same = async (a: string, b: string, what: string) => {
    const [x, y] = [await req({ method: 'GET', url: a }), await req({ method: 'GET', url: b })];
    const strip = (r: typeof x) => r.raw.replace(/"instance":"[^"]*"/, '');
    t.equal(strip(x), strip(y), `${what}: identical bodies`);
    t.equal(x.status, y.status, `${what}: same status ${x.status}`);
    t.equal(x.headers.etag, y.headers.etag, `${what}: same ETag`);
  };
  await same('/v1/articles?q=memo', '/v1/articles?q=qxzvbn', 'q on a draft-only word');
  await same('/v1/search?q=memo', '/v1/search?q=qxzvbn', 'search on a draft-only word');
  await same('/v1/search?q=secrets&type=news', '/v1/search?q=qxzvbn&type=news', 'search on a draft-only body word');
  await same(`/v1/articles?author=${fx.authors[0].slug}&q=okapi&sort=headline`, `/v1/articles?author=${fx.authors[0].slug}&q=meadow&sort=headline`, 'q narrowing on a word shared with a draft');
  await same('/v1/articles?status=draft', '/v1/articles?status=published', 'an editors-only filter');
  await same('/v1/articles?sort=passwordHash', '/v1/articles?sort=email', 'sort on a field nobody may read');
  await same('/v1/articles?internalNotes=a', '/v1/articles?internalNotes=b', 'filter on a field that is not offered');
});

t.test('repeated scalar parameters, unknown and nested query keys, odd ids (cases 8, 9, 24, 28)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, doc, ops, fx } = ctx;
  const failures: string[] = [];
  const lenient: string[] = [];
  const coerced: string[] = [];
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  for (const o of ops) {
    const base = await livePath(ctx, fx, o);
    const required = params(o, 'query').filter((p) => p.required).map((p) => [p.name, String(minimal(doc, p.schema))] as [string, string]);
    const call = (qs: string) => req({ method: o.method as 'GET', url: `${base}?${qs}`, headers: admin, ...(jsonBody(o) ? { payload: minimal(doc, jsonBody(o)) } : {}) });
    // Case 24: every scalar parameter given twice, with values that are valid once.
    for (const p of params(o, 'query')) {
      const schema = deref(doc, p.schema);
      if (schema.type === 'array') continue;
      const v = String(p.name === 'limit' ? 1 : minimal(doc, p.schema));
      const qs = new URLSearchParams([...required.filter(([k]) => k !== p.name), [p.name, v], [p.name, v]]).toString();
      const res = await call(qs);
      if (res.status !== 400 || !isProblem(res)) failures.push(`${o.method} ${base}?${p.name}=${v}&${p.name}=${v}: ${res.status}`);
    }
    // Cases 8, 9: unknown, nested, aliased and prototype keys.
    for (const key of ['zz_unknown', 'filter[t1.password]', 'filter[author.passwordHash]', 'filter[__proto__]', 'filter[constructor]', "a'--", 'status[]', '__proto__[x]', 'constructor[prototype][x]', '__proto__', 'constructor', 'hash', 'a[__proto__]']) {
      const qs = new URLSearchParams([...required, [key, '1']]).toString();
      const started = performance.now();
      const res = await call(qs);
      // Operations that document no query parameter at all and have no strict empty schema ignore them (known).
      if (res.status !== 400 || !isProblem(res)) (params(o, 'query').length ? failures : lenient).push(`${o.method} ${o.path}?${key}=1: ${res.status}`);
      // A guard against a parameter that makes the server loop or hang, not a latency target (those live in
      // bench/): an inject() answer takes a few ms, and 2 s leaves room for a busy CI machine running 4 files at once.
      if (performance.now() - started > 2_000) failures.push(`${o.method} ${base}?${key}=1 took ${Math.round(performance.now() - started)} ms`);
    }
    const bomb = await call([new URLSearchParams(required).toString(), 'a[__proto__]=b&a[__proto__]&a[length]=100000000'].filter(Boolean).join('&'));
    if (bomb.status !== 400) (params(o, 'query').length ? failures : lenient).push(`${o.method} ${o.path}?a[__proto__]…[length]=1e8: ${bomb.status}`);
    // Case 28: ids that are not ids.
    for (const name of params(o, 'path').map((p) => p.name)) {
      for (const bad of ['-1', '0', '1e3', '0x10', '9999999999999999999', 'NaN', 'null', 'undefined', '[object Object]', ' ', '\u0000', "1' OR '1'='1", 'a'.repeat(65), 'a'.repeat(10_240)]) {
        const segments = o.path.split('/');
        const at = segments.indexOf(`{${name}}`);
        const url = base.split('/').map((s, i) => (i === at ? encodeURIComponent(bad) : s)).join('/');
        const res = await req({ method: o.method as 'GET', url, headers: admin, ...(jsonBody(o) ? { payload: minimal(doc, jsonBody(o)) } : {}) });
        const where = `${o.method} ${o.path} ${name}=${bad.slice(0, 24)}`;
        const numeric = ['integer', 'number'].includes(deref(doc, params(o, 'path').find((p) => p.name === name)?.schema).type);
        if (res.status < 300 && numeric && ['0x10', '1e3'].includes(bad)) coerced.push(`${where}: ${res.status}`);
        else if (![400, 404, 414].includes(res.status)) failures.push(`${where}: ${res.status} ${res.raw.slice(0, 160)}`);
        else if (!isProblem(res)) failures.push(`${where}: ${res.status} as ${String(res.headers['content-type'])}`);
      }
    }
  }
  t.same(failures, [], 'repeated, unknown and nested parameters are 400; odd ids are 400 or 404 (fast, problem+json)');
  const lenientOps = [...new Set(lenient.map((l) => l.replace(/\?.*/, '')))];
  if (lenientOps.length) t.comment(`ignore unknown query parameters: ${lenientOps.join(', ')}`);
  if (coerced.length) t.comment(`coerced ids: ${coerced.join('; ')}`);
  t.same(lenientOps, [], 'operations without query parameters refuse unknown ones too');
  t.same(coerced, [], 'numeric ids are decimal digits only');
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), before, 'Object.prototype is untouched');
  t.equal(({} as Json).x, undefined);
});

t.test('mass assignment: read-only and privileged fields in a body are refused, nothing changes (case 11)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, editor, ops, fx, doc, app } = ctx;
  const failures: string[] = [];
  let tried = 0;
  const topProps = (s: Json): Json => {
    const schema = deref(doc, s);
    const branch = [schema, ...(schema.anyOf ?? []).map((x: Json) => deref(doc, x))].find((x: Json) => x.properties);
    return branch;
  };
  const before = (await req({ method: 'GET', url: `/v1/articles/${fx.live[0].id}`, headers: editor })).body;
  for (const o of ops.filter((x) => jsonBody(x))) {
    const request = topProps(jsonBody(o));
    if (!request) continue;
    // Fields of any alternative of the body (an internal related link has no url, an external one has) are settable.
    const settable = new Set((deref(doc, jsonBody(o)).anyOf ?? [jsonBody(o)]).flatMap((x: Json) => Object.keys(deref(doc, x).properties ?? {})));
    const response = Object.entries<Json>(o.op.responses ?? {}).filter(([k]) => /^2/.test(k)).map(([, r]) => topProps(deref(doc, r).content?.['application/json']?.schema ?? {})).find(Boolean);
    const computed = Object.keys(response?.properties ?? {}).filter((k) => !settable.has(k));
    const privileged = ['status', 'role', 'createdBy', 'updatedBy', 'authorId', 'publishedAt', 'revision', 'id', 'deletedAt', 'hash', 'secret', 'prefix', 'isAdmin'].filter((k) => !settable.has(k));
    const url = await livePath(ctx, fx, o);
    const valid = minimal(doc, request);
    for (const field of [...new Set([...computed, ...privileged])]) {
      const value = field === 'status' ? 'published' : field === 'role' ? 'admin' : field === 'revision' ? 99 : field === 'id' ? fx.live[1].id : '2020-01-01T00:00:00.000Z';
      const res = await req({ method: o.method as 'POST', url, headers: admin, payload: { ...valid, [field]: value } });
      tried++;
      if (res.status !== 400 || !res.body?.errors?.some((e: Json) => e.pointer === `/body/${field}`)) failures.push(`${o.method} ${o.path} with "${field}": ${res.status} ${res.raw.slice(0, 160)}`);
    }
  }
  t.ok(tried > 100, `${tried} bodies carrying a field the caller may not set`);
  t.same(failures, [], 'each one is a 400 naming the field');
  const after = (await req({ method: 'GET', url: `/v1/articles/${fx.live[0].id}`, headers: editor })).body;
  t.same({ revision: after.revision, status: after.status, publishedAt: after.publishedAt, id: after.id }, { revision: before.revision, status: before.status, publishedAt: before.publishedAt, id: before.id }, 'the article is unchanged');
  t.equal(await countRows(app, "select count(*) as n from api_keys where role = 'admin'"), 1, 'no key became an admin');
});

t.test('prototype-poisoning JSON bodies are refused and pollute nothing (case 25)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, ops, fx, doc } = ctx;
  const before = Object.getOwnPropertyNames(Object.prototype).sort();
  const failures: string[] = [];
  const bodies = [
    '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '{"__proto__":{"polluted":true},"headline":"Zebra"}',
    '{"headline":"Zebra","seo":{"__proto__":{"x":1}}}', '{"a":[{"__proto__":{"x":1}}]}', '[{"__proto__":{"x":1}}]', '{"\\u005f_proto__":{"x":1}}',
    '{"constructor":{"prototype":{"polluted":true}},"name":"x"}',
  ];
  let calls = 0;
  for (const o of ops.filter((x) => jsonBody(x))) {
    const url = await livePath(ctx, fx, o);
    for (const body of bodies) {
      const res = await req({ method: o.method as 'POST', url, headers: { ...admin, 'content-type': 'application/json' }, payload: body });
      calls++;
      if (res.status !== 400 || !isProblem(res)) failures.push(`${o.method} ${url} ${body}: ${res.status} ${res.raw.slice(0, 160)}`);
    }
    // A valid body with the poison beside it is refused too (not silently stripped).
    const valid = JSON.stringify(minimal(doc, jsonBody(o)));
    if (valid.startsWith('{') && valid !== '{}') {
      const res = await req({ method: o.method as 'POST', url, headers: { ...admin, 'content-type': 'application/json' }, payload: `{"__proto__":{"x":1},${valid.slice(1)}` });
      calls++;
      if (res.status !== 400) failures.push(`${o.method} ${url} valid body + __proto__: ${res.status}`);
    }
  }
  t.ok(calls > 100, `${calls} poisoned bodies sent`);
  t.same(failures, [], 'every poisoned body is a 400 problem');
  t.equal(({} as Json).x, undefined, '({}).x is still undefined');
  t.equal(({} as Json).polluted, undefined);
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), before, 'Object.prototype has no new properties');
});

t.test('wrong content type 415, broken JSON 400, oversize 413, no internals in any error (case 26)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, ops, fx } = ctx;
  const failures: string[] = [];
  for (const o of ops.filter((x) => jsonBody(x))) {
    const url = await livePath(ctx, fx, o);
    const send = (type: string, payload: string | Buffer) => req({ method: o.method as 'POST', url, headers: { ...admin, 'content-type': type }, payload });
    const cases: [string, Promise<Awaited<ReturnType<typeof send>>>, number][] = [
      ['text/plain', send('text/plain', '{"a":1}'), 415],
      ['application/xml', send('application/xml', '<a/>'), 415],
      ['form-urlencoded', send('application/x-www-form-urlencoded', 'a=1'), 415],
      ['broken JSON', send('application/json', '{"a":'), 400],
      ['single quotes', send('application/json', "{'a':1}"), 400],
      ['NUL byte', send('application/json', '{"a":"\u0000"'), 400],
      ['over 1 MiB', send('application/json', JSON.stringify({ a: 'x'.repeat(1024 * 1024 + 10) })), 413],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      if (res.status !== status) failures.push(`${o.method} ${o.path} ${what}: ${res.status}, expected ${status}`);
      if (!isProblem(res)) failures.push(`${o.method} ${o.path} ${what}: not problem+json`);
      if (INTERNALS.test(res.raw.replace(/"instance":"[^"]*"/, ''))) failures.push(`${o.method} ${o.path} ${what}: internals in ${res.raw.slice(0, 200)}`);
      if (what === 'broken JSON' && !res.body?.errors?.some((e: Json) => e.pointer === '/body')) failures.push(`${o.method} ${o.path} broken JSON: no /body pointer`);
    }
  }
  t.same(failures, [], 'each body error has its status, the one envelope and nothing internal');
});

t.test('tampered cursors are refused; forged ones never reach hidden rows (case 10)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, doc, ops, fx } = ctx;
  const failures: string[] = [];
  let withCursor = 0;
  for (const o of ops.filter((x) => x.method === 'GET' && params(x, 'query').some((p) => p.name === 'cursor'))) {
    const base = await livePath(ctx, fx, o);
    const required = params(o, 'query').filter((p) => p.required).map((p) => [p.name, p.name === 'q' ? 'zebra' : String(minimal(doc, p.schema))] as [string, string]);
    const page = await req({ method: 'GET', url: `${base}?${new URLSearchParams([...required, ['limit', '1']])}`, headers: admin });
    const real: string | null = page.body?.page?.nextCursor ?? null;
    let decoded: Json;
    try { decoded = real ? JSON.parse(Buffer.from(real, 'base64url').toString()) : undefined; } catch { decoded = undefined; }
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const tampered = ['x', '!!!', '%', '', 'a'.repeat(512), enc('x'), enc({}), enc([]), enc(['x', 'y']), enc([1, 2, 3]), enc(null), Buffer.from('not json').toString('base64url')];
    if (Array.isArray(decoded) && decoded.length === 3) {
      withCursor++;
      const [s, k, i] = decoded;
      tampered.push(
        enc([s, k, i, 'extra']), enc([`${s}x`, k, i]), enc(['passwordHash', k, i]), enc(['hash', 'a', i]), enc([s, { $gt: '' }, i]), enc([s, [k], i]),
        enc([s, k, 5]), enc([s, k, null]), enc([s, k, { id: i }]), real!.slice(0, Math.floor(real!.length / 2)),
      );
    }
    for (const cursor of tampered) {
      const res = await req({ method: 'GET', url: `${base}?${new URLSearchParams([...required, ['cursor', cursor]])}`, headers: admin });
      if (res.status !== 400 || !isProblem(res)) failures.push(`${o.path} cursor=${cursor.slice(0, 40)}: ${res.status}`);
      else if (!res.body.errors?.some((e: Json) => e.pointer === '/query/cursor')) failures.push(`${o.path} cursor=${cursor.slice(0, 40)}: no /query/cursor pointer`);
    }
    // Well-formed forgeries (the cursor is not signed): never a 5xx, and for anonymous callers never a hidden row.
    if (Array.isArray(decoded) && decoded.length === 3) {
      const [s, k, i] = decoded;
      for (const forged of [[s, '', ''], [s, '\uffff', '\uffff'], [s, 0, i], [s, -1, i], [s, 1.5, i], [s, 1e308, i], [s, 'zzz', i], [s, null, "' OR 1=1--"], [s, k, `${i}' OR 1=1--`]]) {
        for (const headers of securedOnly(o) ? [admin] : [admin, {}]) {
          const res = await req({ method: 'GET', url: `${base}?${new URLSearchParams([...required, ['cursor', enc(forged)]])}`, headers });
          if (![200, 400].includes(res.status)) failures.push(`${o.path} forged ${JSON.stringify(forged)}: ${res.status} ${res.raw.slice(0, 160)}`);
          if (!Object.keys(headers).length && (res.raw.includes(fx.draft.id) || res.raw.includes('okapi memo'))) failures.push(`${o.path} forged ${JSON.stringify(forged)}: a hidden article leaked`);
        }
      }
    }
  }
  t.ok(withCursor >= 8, `${withCursor} list operations handed out a real cursor to tamper with`);
  t.same(failures, [], 'tampered cursors are 400 at /query/cursor; forged ones stay inside what the caller may see');
});

/** One request over a real socket: the path is sent byte for byte (inject would normalise dot segments). */
function raw(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end();
  });
}

t.test('path traversal on media routes never serves a file outside the media store (case 30)', async (t) => {
  const ctx = await setup(t);
  const { app, admin, editor, ops, fx, req } = ctx;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const pkg = readFileSync(join(process.cwd(), 'package.json'));
  const secrets = [pkg.subarray(0, 40).toString(), '"name": "broadsheet"', 'root:x:0:0'];
  const traversals = [
    '..%2F..%2Fpackage.json', '..%2f..%2f..%2fpackage.json', '%2e%2e%2f%2e%2e%2fpackage.json', '%2e%2e', '..', '%2e%2e%2fpackage.json',
    '..%5C..%5Cpackage.json', '..%255c..%255cpackage.json', '%252e%252e%252fpackage.json', '%2Fetc%2Fpasswd', '%2F..%2F..%2Fetc%2Fpasswd',
    '....%2F%2F....%2F%2Fpackage.json', '%00', 'x%00.png', `${fx.media[0].id}%00`, `${fx.media[0].id}%2F..%2F..%2Fpackage.json`, fx.media[0].sha256,
    `..%2F${fx.media[0].sha256.slice(0, 2)}%2F${fx.media[0].sha256.slice(2, 4)}%2F${fx.media[0].sha256}`,
  ];
  const mediaPaths = ops.filter((o) => o.method === 'GET' && o.path.startsWith('/v1/media/{id}')).map((o) => o.path);
  t.ok(mediaPaths.includes('/v1/media/{id}/file'), `media paths: ${mediaPaths.join(', ')}`);
  const failures: string[] = [];
  for (const template of mediaPaths) {
    for (const bad of traversals) {
      for (const headers of [{}, admin]) {
        // Literal dot segments too: a real client can send /v1/media/../../package.json unnormalised.
        for (const path of [template.replace('{id}', bad), template.replace('{id}', '..').replace('/v1/media/..', `/v1/media/../../${bad}`)]) {
          const res = await raw(port, path, headers);
          if (res.status < 400 || res.status >= 500) failures.push(`GET ${path}: ${res.status}`);
          const text = res.body.toString('latin1');
          for (const s of secrets) if (text.includes(s)) failures.push(`GET ${path}: served bytes from outside the media store`);
          if (res.body.subarray(0, 4).toString('latin1') === '\x89PNG') failures.push(`GET ${path}: served an image for a non-id`);
        }
      }
    }
  }
  t.same(failures, [], 'every traversal spelling is a 4xx with none of the file\'s bytes');
  const ok = await raw(port, `/v1/media/${fx.media[0].id}/file`);
  t.equal(ok.status, 200, 'the real file is still served');

  // Upload names never reach the file system.
  for (const filename of ['../../../evil.png', '..\\..\\evil.png', '/etc/evil.png', 'evil.png\u0000.jpg', '%2e%2e%2fevil.png']) {
    const form = multipart([{ name: 'file', filename, type: 'image/png', data: await png('#123456') }]);
    const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...form.headers }, payload: form.payload });
    t.ok(res.status === 201 || res.status === 400, `upload named ${JSON.stringify(filename)}: ${res.status}`);
  }
  const root = app.config.mediaDir;
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => d.name);
  t.ok(files.length > 0 && files.every((n) => /^[0-9a-f]{64}$/.test(n)), `stored under content hashes only: ${files.join(', ')}`);
  t.notOk(readdirSync(dirname(root)).some((n) => /evil/.test(n)), 'nothing was written beside the media store');
});

t.test('HTML and SVG disguised as images are refused on every upload path; files are served inert (cases 33, 34)', async (t) => {
  const ctx = await setup(t);
  const { req, editor, app } = ctx;
  const count = async () => (await req({ method: 'GET', url: '/v1/media', headers: editor })).body.page.total as number;
  const before = await count();
  const storedBefore = readdirSync(app.config.mediaDir, { recursive: true }).length;
  const html = Buffer.from('<!doctype html><html><body><script>alert(document.domain)</script></body></html>');
  const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)"><script>alert(1)</script></svg>');
  const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const cases: [string, string, string, Buffer][] = [
    ['HTML named .png', 'cat.png', 'image/png', html],
    ['SVG named .png', 'logo.png', 'image/png', svg],
    ['SVG as image/svg+xml', 'logo.svg', 'image/svg+xml', svg],
    ['SVG without the XML prolog', 'logo.jpg', 'image/jpeg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['PNG signature + HTML', 'poly.png', 'image/png', Buffer.concat([pngSignature, html])],
    ['GIF header + script', 'poly.gif', 'image/gif', Buffer.concat([Buffer.from('GIF89a/*'), Buffer.from('*/=1;alert(1)//')])],
    ['JPEG SOI + HTML', 'poly.jpg', 'image/jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), html])],
    ['XHTML', 'a.png', 'application/xhtml+xml', Buffer.from('<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>')],
    ['PDF', 'a.png', 'image/png', Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n%%EOF')],
    ['empty file', 'a.png', 'image/png', Buffer.alloc(0)],
  ];
  for (const [what, filename, type, data] of cases) {
    const form = multipart([{ name: 'file', filename, type, data }, { name: 'caption', value: 'x' }]);
    const res = await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...form.headers }, payload: form.payload });
    t.ok(res.status === 415 || (what === 'empty file' && res.status === 400), `${what}: ${res.status}`);
    t.equal(res.headers['content-type'], PROBLEM, `${what}: problem+json`);
  }
  for (const url of ['data:image/svg+xml,<svg onload=alert(1)>', 'javascript:alert(1)', 'file:///etc/passwd', `data:text/html;base64,${html.toString('base64')}`]) {
    const res = await req({ method: 'POST', url: '/v1/media', headers: editor, payload: { url } });
    t.equal(res.status, 400, `external media ${url.slice(0, 30)}: 400`);
  }
  t.equal(await count(), before, 'no media row for anything refused');
  t.equal(readdirSync(app.config.mediaDir, { recursive: true }).length, storedBefore, 'and no bytes left behind');

  // What is served is inert: sniffed type, nosniff, a sandboxing CSP.
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#777777' } }).jpeg().toBuffer();
  const form = multipart([{ name: 'file', filename: 'x.html', type: 'text/html', data: jpeg }]);
  const m = (await req({ method: 'POST', url: '/v1/media', headers: { ...editor, ...form.headers }, payload: form.payload })).body;
  const file = await app.inject({ method: 'GET', url: `/v1/media/${m.id}/file`, headers: editor });
  t.equal(file.headers['content-type'], 'image/jpeg', 'the type comes from the bytes, not the claim');
  t.equal(file.headers['x-content-type-options'], 'nosniff');
  t.match(String(file.headers['content-security-policy']), /default-src 'none'/);
  t.match(String(file.headers['content-security-policy']), /sandbox/);
});

/** Where URLs are stored: each entry builds a request around one URL value. */
function urlTargets(fx: Fixtures) {
  const link = (href: string) => [{ type: 'paragraph', id: 'p', children: [{ type: 'link', href, children: [{ type: 'text', text: 'x' }] }] }];
  const article = `/v1/articles/${fx.live[1].id}`;
  return [
    { what: 'link href in an article body', relative: true, method: 'POST', url: '/v1/articles', body: (u: string) => ({ headline: 'Zebra', body: link(u) }) },
    { what: 'link href in an article patch', relative: true, method: 'PATCH', url: article, body: (u: string) => ({ body: link(u) }) },
    { what: 'link href in a hero caption', relative: true, method: 'PATCH', url: article, body: (u: string) => ({ hero: { mediaId: fx.media[0].id, caption: link(u)[0]!.children } }) },
    { what: 'link href in a media caption', relative: true, method: 'PATCH', url: `/v1/media/${fx.media[1].id}`, body: (u: string) => ({ caption: link(u)[0]!.children }) },
    { what: 'link href in a disclaimer', relative: true, method: 'PATCH', url: `/v1/disclaimers/${fx.disclaimers[1].id}`, body: (u: string) => ({ body: link(u)[0]!.children }) },
    { what: 'embed url', relative: false, method: 'PATCH', url: article, body: (u: string) => ({ body: [{ type: 'embed', id: 'e', url: u }] }) },
    { what: 'quotation source url', relative: false, method: 'PATCH', url: article, body: (u: string) => ({ body: [{ type: 'blockquote', id: 'q', children: [para('q1', 'Zebra')], attribution: { name: 'Zebra', url: u } }] }) },
    { what: 'canonicalUrl', relative: false, method: 'PATCH', url: article, body: (u: string) => ({ canonicalUrl: u }) },
    { what: 'source url', relative: false, method: 'PATCH', url: article, body: (u: string) => ({ source: { name: 'Zebra wire', url: u } }) },
    { what: 'author url', relative: false, method: 'PATCH', url: `/v1/authors/${fx.authors[1].id}`, body: (u: string) => ({ url: u }) },
    { what: 'new author url', relative: false, method: 'POST', url: '/v1/authors', body: (u: string) => ({ name: 'Zebra Writer', url: u }) },
    { what: 'media licenseUrl', relative: false, method: 'PATCH', url: `/v1/media/${fx.media[1].id}`, body: (u: string) => ({ licenseUrl: u }) },
    { what: 'external media url', relative: false, method: 'POST', url: '/v1/media', body: (u: string) => ({ url: u }) },
    { what: 'external media licenseUrl', relative: false, method: 'POST', url: '/v1/media', body: (u: string) => ({ url: `${SINK}/i.png`, licenseUrl: u }) },
    { what: 'related link url', relative: false, method: 'POST', url: `${article}/related-links`, body: (u: string) => ({ url: u, label: 'Zebra' }) },
    { what: 'related links list url', relative: false, method: 'PUT', url: `${article}/related-links`, body: (u: string) => [{ url: u, label: 'Zebra' }] },
    { what: 'webhook url', relative: false, admin: true, method: 'POST', url: '/v1/webhooks', body: (u: string) => ({ url: u, events: ['*'] }) },
  ];
}

t.test('javascript:, data:, vbscript: and look-alike URLs are refused everywhere a URL is stored (case 31)', async (t) => {
  const ctx = await setup(t);
  const { req, editor, admin, fx, app } = ctx;
  const dangerous = [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'JAVASCRIPT:alert(1)', ' javascript:alert(1)', '\tjavascript:alert(1)', '\njavascript:alert(1)',
    'java\tscript:alert(1)', 'java\nscript:alert(1)', 'java\u0000script:alert(1)', 'javascript\u0000:alert(1)', '\u0001javascript:alert(1)',
    'javascript:/*https://x*/alert(1)', 'javascript://%0Aalert(1)', 'data:text/html,<script>alert(1)</script>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'DATA:image/svg+xml,<svg onload=alert(1)>', 'vbscript:msgbox(1)', 'VBScript:msgbox(1)',
    'file:///etc/passwd', 'about:blank', 'blob:https://x/1', 'filesystem:https://x/temporary/a', '//evil.example/x', '/\\evil.example/x', '\\\\evil.example\\x',
    '\\/evil.example', '\u2028javascript:alert(1)',
  ];
  /** Not a scheme to a parser, but a scheme to someone who decodes entities or escapes before use. */
  const encoded = ['&#106;avascript:alert(1)', '&#x6A;avascript:alert(1)', '&#0000106avascript:alert(1)', 'javascript&colon;alert(1)', '%6Aavascript:alert(1)', 'javascript%3Aalert(1)', 'ja\u00advascript:alert(1)'];
  const failures: string[] = [];
  const inert: string[] = [];
  for (const target of urlTargets(fx)) {
    const headers = target.admin ? admin : editor;
    for (const u of [...dangerous, ...encoded]) {
      const res = await req({ method: target.method as 'POST', url: target.url, headers, payload: target.body(u) });
      if (res.status === 400 && isProblem(res)) continue;
      // Relative hrefs are allowed in links: an entity- or percent-encoded string is then a harmless relative path.
      if (target.relative && encoded.includes(u) && res.status < 300) { inert.push(u); continue; }
      failures.push(`${target.what} = ${JSON.stringify(u)}: ${res.status} ${res.raw.slice(0, 120)}`);
    }
    const ok = await req({ method: target.method as 'POST', url: target.url, headers, payload: target.body(`${SINK}/fine`) });
    if (ok.status >= 300) failures.push(`${target.what}: a plain http URL is refused (${ok.status} ${ok.raw.slice(0, 160)})`);
  }
  t.same(failures, [], 'every dangerous URL is a 400, in every field that stores a URL');

  // Encoded look-alikes accepted as relative links stay inert where Broadsheet renders HTML.
  if (inert.length) {
    const body = [...new Set(inert)].map((href, i) => ({ type: 'paragraph', id: `p${i}`, children: [{ type: 'link', href, children: [{ type: 'text', text: 'x' }] }] }));
    await req({ method: 'PATCH', url: `/v1/articles/${fx.live[2].id}`, headers: editor, payload: { body } });
    const html = (await req({ method: 'GET', url: `/v1/articles/${fx.live[2].id}?include=html` })).body.bodyHtml as string;
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!);
    t.equal(hrefs.length, inert.length ? new Set(inert).size : 0, 'each link is rendered');
    for (const h of hrefs) {
      // What a browser does with the attribute: decode character references once, then resolve the URL.
      const attribute = h.replace(/&#x([0-9a-f]+);?/gi, (_m, x: string) => String.fromCodePoint(parseInt(x, 16))).replace(/&#(\d+);?/g, (_m, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&colon;/g, ':').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      t.equal(new URL(attribute, 'https://site.example/articles/a').protocol, 'https:', `href="${h}" stays a relative link on the site`);
    }
    t.notOk(/javascript:|data:|vbscript:/i.test(html), 'no dangerous scheme anywhere in the rendered HTML');
  }
  // The body as text on both (jsonb on PostgreSQL); lower(): PostgreSQL's LIKE is case-sensitive, SQLite's is not.
  const stored = 'lower(cast(body as text))';
  t.equal(await countRows(app, `select count(*) as n from articles where ${stored} like '%javascript:%' or ${stored} like '%vbscript:%' or ${stored} like '%data:text%'`), 0, 'nothing dangerous was stored');
});

t.test('captions, alt text, titles, labels and notices are plain text: markup round-trips literally (case 32)', async (t) => {
  const ctx = await setup(t);
  const { req, editor, fx } = ctx;
  const MARKUP = '<b>x</b><img src=x onerror=alert(1)>&amp;';
  const inline = [{ type: 'text', text: MARKUP }];
  const media = fx.media[1];
  const writes: [string, string, string, Json, (r: Json) => unknown][] = [
    ['media alt text', 'PATCH', `/v1/media/${media.id}`, { altText: MARKUP }, (r) => r.altText],
    ['media caption', 'PATCH', `/v1/media/${media.id}`, { caption: inline }, (r) => r.caption[0].text],
    ['media credit', 'PATCH', `/v1/media/${media.id}`, { creditText: MARKUP }, (r) => r.creditText],
    ['media copyright', 'PATCH', `/v1/media/${media.id}`, { copyrightNotice: MARKUP }, (r) => r.copyrightNotice],
    ['disclaimer title', 'PATCH', `/v1/disclaimers/${fx.disclaimers[0].id}`, { title: MARKUP }, (r) => r.title],
    ['disclaimer text', 'PATCH', `/v1/disclaimers/${fx.disclaimers[0].id}`, { body: inline }, (r) => r.body[0].text],
    ['author name', 'PATCH', `/v1/authors/${fx.authors[0].id}`, { name: MARKUP }, (r) => r.name],
    ['author bio', 'PATCH', `/v1/authors/${fx.authors[0].id}`, { bio: MARKUP }, (r) => r.bio],
    ['tag name', 'PATCH', `/v1/tags/${fx.tags[0].id}`, { name: MARKUP }, (r) => r.name],
    ['section name', 'PATCH', `/v1/sections/${fx.sections[0].id}`, { name: MARKUP }, (r) => r.name],
    ['related link label', 'PATCH', `/v1/articles/${fx.live[0].id}/related-links/LINK`, { label: MARKUP }, (r) => r.label],
    ['correction text', 'POST', `/v1/articles/${fx.live[0].id}/corrections`, { kind: 'clarification', text: MARKUP }, (r) => r.text],
    ['headline, standfirst, kicker, hero overrides, image block', 'PATCH', `/v1/articles/${fx.live[0].id}`, {
      headline: MARKUP, standfirst: MARKUP, kicker: MARKUP, bylineOverride: MARKUP, seo: { title: MARKUP, description: MARKUP },
      hero: { mediaId: media.id, caption: inline, credit: MARKUP, alt: MARKUP },
      body: [para('p1', MARKUP), { type: 'image', id: 'img', mediaId: media.id, caption: inline, credit: MARKUP, alt: MARKUP }, { type: 'pullquote', id: 'pq', text: MARKUP }],
    }, (r) => [r.headline, r.standfirst, r.kicker, r.bylineOverride, r.seo.title, r.hero.caption[0].text, r.hero.credit, r.hero.alt, r.body[0].children[0].text, r.body[1].alt, r.body[2].text].every((x) => x === MARKUP) ? MARKUP : 'changed'],
  ];
  const linkId = (await req({ method: 'GET', url: `/v1/articles/${fx.live[0].id}/related-links`, headers: editor })).body.data[0].id;
  for (const [what, method, url, payload, read] of writes) {
    const res = await req({ method: method as 'POST', url: url.replace('LINK', linkId), headers: editor, payload });
    t.ok(res.status < 300, `${what}: ${res.status} ${res.status >= 300 ? res.raw.slice(0, 160) : ''}`);
    t.equal(read(res.body), MARKUP, `${what}: stored and returned as literal text`);
  }
  // Read back anonymously, expanded: the JSON carries the literal text, the HTML carries it escaped.
  const a = await req({ method: 'GET', url: `/v1/articles/${fx.live[0].id}?include=all` });
  t.equal(a.status, 200);
  t.equal(a.body.hero.display.alt, MARKUP, 'display alt is the literal text');
  t.equal(a.body.hero.display.caption[0].text, MARKUP, 'display caption is the literal text');
  t.equal(a.body.disclaimers.top[0].title, MARKUP, 'a resolved notice title is the literal text');
  const html = a.body.bodyHtml as string;
  t.ok(html.includes('&lt;b&gt;x&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;&amp;amp;'), 'bodyHtml escapes the text');
  t.notOk(/<b>x<\/b>|<img src=x/.test(html), 'bodyHtml never carries the markup as markup');
  const { bodyHtml: _html, bodyText: _text, ...fields } = a.body;
  t.notOk(JSON.stringify(fields).includes('&lt;b&gt;'), 'JSON text fields are never HTML-escaped (text stays text)');

  // Feeds carry the body as HTML: after XML decoding the markup is still escaped text.
  const json = await req({ method: 'GET', url: '/v1/feeds/json' });
  const item = json.body.items.find((i: Json) => i.id.includes(fx.live[0].id) || i.url.includes(a.body.slug));
  t.ok(item, 'the article is in the JSON feed');
  t.notOk(/<b>x<\/b>|<img src=x/.test(item.content_html), 'JSON Feed content_html escapes the text');
  t.equal(item.title, MARKUP, 'the JSON Feed title is plain text');
  // RSS description / content:encoded and Atom type="html" elements are HTML: the markup must arrive as escaped text.
  const parser = new XMLParser({ ignoreAttributes: false, cdataPropName: '__cdata', processEntities: true, htmlEntities: false });
  const textOf = (v: Json): string => (typeof v === 'string' ? v : typeof v?.__cdata === 'string' ? v.__cdata : typeof v?.['#text'] === 'string' ? v['#text'] : '');
  for (const format of ['rss', 'atom']) {
    const feed = await req({ method: 'GET', url: `/v1/feeds/${format}` });
    t.equal(feed.status, 200);
    const htmlFields: string[] = [];
    const collect = (v: Json, key = '') => {
      if (Array.isArray(v)) return v.forEach((x) => collect(x, key));
      if (['description', 'content:encoded'].includes(key) || v?.['@_type'] === 'html') htmlFields.push(textOf(v));
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) collect(x, k);
    };
    collect(parser.parse(feed.raw));
    t.ok(htmlFields.some((h) => h.includes('&lt;b&gt;x&lt;/b&gt;&lt;img src=x onerror=alert(1)&gt;')), `${format}: the text is in the HTML, escaped`);
    t.notOk(htmlFields.some((h) => /<img src=x|<b>x<\/b>/.test(h)), `${format}: no HTML field carries the markup as markup`);
  }
});

t.test('every response is typed JSON (or its declared type) with nosniff (case 35)', async (t) => {
  const ctx = await setup(t);
  const { req, admin, ops, fx, doc } = ctx;
  const failures: string[] = [];
  for (const o of ops) {
    const url = await livePath(ctx, fx, o);
    const required = params(o, 'query').filter((p) => p.required).map((p) => [p.name, String(minimal(doc, p.schema))] as [string, string]);
    const qs = required.length ? `?${new URLSearchParams(required)}` : '';
    const probes: [string, Record<string, string>, unknown][] = [[`${url}${qs}`, {}, undefined], [`${url}${qs}`, admin, jsonBody(o) ? minimal(doc, jsonBody(o)) : undefined], [`${url}?include=%3Cscript%3Ealert(1)%3C%2Fscript%3E`, admin, undefined]];
    for (const [u, headers, payload] of o.method === 'DELETE' ? probes.filter(([, h]) => h !== admin) : probes) {
      const res = await req({ method: o.method as 'GET', url: u, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });
      const type = String(res.headers['content-type'] ?? '');
      const where = `${o.method} ${u} → ${res.status}`;
      if (res.status !== 204 && res.status !== 304 && res.raw.length) {
        const looksJson = /^[[{]/.test(res.raw.trimStart());
        if (looksJson && !/^application\/(?:[\w.-]+\+)?json; charset=utf-8$/.test(type)) failures.push(`${where}: JSON sent as "${type}"`);
        if (res.status >= 400 && type !== PROBLEM) failures.push(`${where}: error sent as "${type}"`);
        if (!looksJson && !/^(?:image\/|application\/(?:rss|atom)\+xml|application\/xml|text\/html)/.test(type)) failures.push(`${where}: body sent as "${type}"`);
      }
      if (res.headers['x-content-type-options'] !== 'nosniff') failures.push(`${where}: no X-Content-Type-Options: nosniff`);
      if (/<script>/i.test(res.raw) && !/json/.test(type)) failures.push(`${where}: echoes <script> in a non-JSON body`);
    }
  }
  t.same(failures, [], 'JSON is application/json (or a +json type) with charset, errors are problem+json, everything is nosniff');
});
