/**
 * Route-table walk (issue 6, item 3; reliability-anchors (c) cases 1-6, 12-17, 19, 20).
 *
 * Everything is derived from the live OpenAPI document (`app.swagger()`), so a route added tomorrow is walked
 * without touching this file: every operation is called anonymously, with an editor key and with an admin key,
 * with its path parameters set to (a) live values, (b) draft / scheduled / trashed values, (c) the id or slug
 * of another resource type and (d) a value that names nothing. What is asserted:
 *
 * - `security: [{ bearerAuth: [] }]` only → 401 (with `WWW-Authenticate`) for anonymous callers;
 * - admin-only operations (a tag described "Admin: …", or an operation described "Admins only") → 403 for
 *   editors, and an editor never gets a 403 anywhere else; a query parameter described "Admins only" → 403 for
 *   editors when set;
 * - anonymous reads of hidden / foreign / nonexistent values → 404 with a body byte-identical (apart from
 *   `instance`) to the one for a value that names nothing: no existence oracle; foreign ids likewise for staff;
 * - no anonymous response (JSON walked recursively, text bodies such as feeds and sitemaps scanned raw,
 *   headers included) carries a hidden article's id, slug or headline words, a hidden media id, a key secret
 *   or prefix, or a private field name; staff responses never carry a secret hash or a fixture secret;
 * - never a 5xx; every 4xx is problem+json.
 */
import sharp from 'sharp';
import t from 'tap';
import { build, fixtureCaller, multipart, para, type TestApp } from '../helper.js';
import { deref, minimal, operations as documentOperations, params, securedOnly, type Json, type Op } from './openapi-walk.js';

type Role = 'anon' | 'editor' | 'admin';
const RANK: Record<Role, number> = { anon: 0, editor: 1, admin: 2 };
type Res = Awaited<ReturnType<TestApp['req']>>;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const NONEXISTENT_ID = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
const NONEXISTENT_SLUG = 'no-such-thing-anywhere';
const NONEXISTENT_NUMBER = 999_999;
/** A place webhooks may target in tests: allow-listed, and nothing listens there (connection refused at once). */
const SINK_URL = 'http://127.0.0.1:9/walk';

/**
 * The walk makes thousands of calls a second from one key and one address: rate limits and load shedding
 * (tested on their own in test/http) would answer 429/503 and hide what is being judged here.
 */
const WALK_CONFIG = { webhookAllowedHosts: ['127.0.0.1'], rateLimitAnonPerMinute: 0, rateLimitKeyPerMinute: 0, maxEventLoopDelayMs: 0 };

/** Hidden content: none of these words may reach an anonymous caller. */
const DRAFT = { headline: 'Quokka zeppelin clandestine memo', slug: 'quokka-zeppelin-clandestine-memo', word: 'xylophonist' };
const SCHEDULED = { headline: 'Armadillo embargo briefing', slug: 'armadillo-embargo-briefing', word: 'marmalade' };
const TRASHED = { headline: 'Okapi retracted dispatch', slug: 'okapi-retracted-dispatch', word: 'pangolin' };

/** Field names no response may carry, for anyone. */
const NEVER_KEYS = new Set(['hash', 'keyHash', 'secretHash', 'tokenHash', 'passwordHash', 'password', 'token', 'apiKey', 'requestHash', 'lockedUntil', 'plainText', 'captionText']);
/** Field names only an admin may see, and only where the operation documents them (a key's secret, once). */
const ADMIN_KEYS = new Set(['secret', 'prefix', 'lastUsedAt']);
/** Field names about staff that anonymous callers never see. */
const STAFF_KEYS = new Set(['actor', 'actorKeyId', 'actorName', 'actorRole', 'keyId', 'requestId', 'internalNotes', 'email', 'note']);

// ---------------------------------------------------------------------------------------------------------
// The OpenAPI document

/** Every method, HEAD and OPTIONS included: the walk also checks the ones the API does not declare. */
const operations = (doc: Json) => documentOperations(doc, METHODS);

const pathParamNames = (path: string) => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
/** Only `bearerAuth` is accepted: anonymous callers are refused. */

function adminOnly(doc: Json, op: Op): boolean {
  const tagDescriptions = (op.op.tags ?? []).map((name: string) => (doc.tags ?? []).find((x: Json) => x.name === name)?.description ?? '');
  return tagDescriptions.some((d: string) => /^admins?\b/i.test(d)) || /\badmins only\b/i.test(`${op.op.summary ?? ''} ${op.op.description ?? ''}`);
}
const adminOnlyQueryParams = (op: Op) => params(op, 'query').filter((p) => /^admins only\b/i.test(p.description ?? ''));
/** The least role a query parameter needs, from its description ("Editors only…", "Admins only…"). */
const queryParamRole = (p: Json): Role | undefined => (/^admins only\b/i.test(p.description ?? '') ? 'admin' : /^editors only\b/i.test(p.description ?? '') ? 'editor' : undefined);

/** Every property name a schema (and everything it references) declares. */
function declaredNames(doc: Json, schema: Json, out = new Set<string>(), seen = new Set<Json>()): Set<string> {
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return out;
  seen.add(schema);
  if (typeof schema.$ref === 'string') return declaredNames(doc, deref(doc, schema), out, seen);
  for (const [k, v] of Object.entries<Json>(schema.properties ?? {})) {
    out.add(k);
    declaredNames(doc, v, out, seen);
  }
  for (const key of ['items', 'additionalProperties']) if (schema[key] && typeof schema[key] === 'object') declaredNames(doc, schema[key], out, seen);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const s of schema[key] ?? []) declaredNames(doc, s, out, seen);
  return out;
}
function responseNames(doc: Json, op: Op): Set<string> {
  const out = new Set<string>();
  for (const [status, r] of Object.entries<Json>(op.op.responses ?? {})) {
    if (!/^2/.test(status)) continue;
    for (const c of Object.values<Json>(deref(doc, r).content ?? {})) declaredNames(doc, c.schema, out);
  }
  return out;
}

/**
 * The smallest instance a schema accepts, preferring its documented example (URLs are pointed at the sink so
 * nothing leaves the machine). Good enough for "a plausible body"; the auth assertions never depend on it.
 */
// ---------------------------------------------------------------------------------------------------------
// Fixtures

type Fixtures = Awaited<ReturnType<typeof seed>>;

/**
 * A newsroom with something to hide: a live opinion piece (hero image, the opinion disclaimer by rule, a
 * correction, related links to a live article, a draft, a scheduled and a trashed one), the draft (with its own
 * hero image, used nowhere else), the scheduled and trashed articles, an author, a section, a tag, an extra API
 * key and a webhook (subscribed to everything, pointed at a closed local port).
 */
async function seed(ctx: TestApp) {
  const { editor, admin, clock } = ctx;
  const call = fixtureCaller(ctx);
  const webhook = await call('POST', '/v1/webhooks', { url: SINK_URL, events: ['*'] }, admin);
  const fixtureKey = await call('POST', '/v1/api-keys', { name: 'walk fixture key', role: 'editor' }, admin);
  const author = await call('POST', '/v1/authors', { name: 'Walk Author', slug: 'walk-author' });
  const section = await call('POST', '/v1/sections', { name: 'Walk Section', slug: 'walk-section' });
  const tag = await call('POST', '/v1/tags', { name: 'Walk Tag', slug: 'walk-tag' });
  const upload = async (colour: string, caption: string) => {
    const data = await sharp({ create: { width: 32, height: 24, channels: 3, background: colour } }).png().toBuffer();
    const form = multipart([{ name: 'file', filename: 'photo.png', type: 'image/png', data }, { name: 'caption', value: caption }, { name: 'creditText', value: 'Walk / Agency' }]);
    return call('POST', '/v1/media', form.payload, { ...editor, ...form.headers });
  };
  const heroMedia = await upload('#c03030', 'Delegates at the table');
  const draftMedia = await upload('#3030c0', `The ${DRAFT.word} rehearses`);
  const disclaimer = await call('POST', '/v1/disclaimers', {
    key: 'opinion-views', title: 'Opinion', body: [{ type: 'text', text: 'The views are the author’s own.' }], placements: ['top', 'bottom'], appliesTo: { types: ['opinion'] },
  });
  const refs = { sectionId: section.id, tagIds: [tag.id], authors: [{ authorId: author.id, role: 'author' }] };
  const article = (headline: string, slug: string, words: string, extra: object = {}) =>
    call('POST', '/v1/articles', { headline, slug, type: 'opinion', standfirst: `About ${words}`, ...refs, body: [para('p1', `A paragraph about the ${words}.`)], ...extra });

  const draft = await article(DRAFT.headline, DRAFT.slug, DRAFT.word, { hero: { mediaId: draftMedia.id } });
  const scheduled = await article(SCHEDULED.headline, SCHEDULED.slug, SCHEDULED.word);
  const trashed = await article(TRASHED.headline, TRASHED.slug, TRASHED.word);
  const target = await article('Live target story', 'live-target-story', 'harbour');
  const live = await article('Live column on the summit', 'live-column-on-the-summit', 'summit', {
    hero: { mediaId: heroMedia.id, caption: [{ type: 'text', text: 'Delegates, at the summit' }] },
    body: [para('p1', 'A paragraph about the summit.'), { type: 'image', id: 'img1', mediaId: heroMedia.id }],
  });
  for (const a of [target, trashed, live]) await call('POST', `/v1/articles/${a.id}/publish`, {});
  const publishAt = new Date(clock.now.getTime() + 7 * 86_400_000).toISOString();
  await call('POST', `/v1/articles/${scheduled.id}/publish`, { publishAt });
  await call('PUT', `/v1/articles/${live.id}/related-links`, [
    { targetArticleId: target.id }, { targetArticleId: draft.id }, { targetArticleId: scheduled.id }, { targetArticleId: trashed.id },
    { url: 'https://www.example.org/background', label: 'Background' },
  ]);
  await call('POST', `/v1/articles/${live.id}/corrections`, { kind: 'correction', text: 'An earlier version misspelt a name.' });
  await call('DELETE', `/v1/articles/${trashed.id}`);

  const secrets = [ctx.admin, ctx.editor].map((h) => h.authorization!.replace(/^Bearer /, ''));
  return {
    author, section, tag, heroMedia, draftMedia, disclaimer, draft, scheduled, trashed, target, live, fixtureKey, webhook, publishAt,
    /** Values no response may carry (except the one that created them). */
    keySecrets: [...secrets, fixtureKey.secret as string, webhook.secret as string],
    /** Values no anonymous response may carry. */
    hidden: [
      draft.id, draft.slug, scheduled.id, scheduled.slug, trashed.id, trashed.slug, draftMedia.id, fixtureKey.id, fixtureKey.prefix, webhook.id,
      DRAFT.headline, DRAFT.word, SCHEDULED.headline, SCHEDULED.word, TRASHED.headline, TRASHED.word, 'quokka', 'armadillo', 'okapi',
    ] as string[],
  };
}

// ---------------------------------------------------------------------------------------------------------
// Checks

const isProblem = (res: Res) => /^application\/problem\+json; charset=utf-8$/.test(String(res.headers['content-type']));
/** The body without its `instance` (request path and id), which differs by design. */
const withoutInstance = (raw: string) => raw.replace(/"instance":"(?:[^"\\]|\\.)*"/, '"instance":""');

function keysDeep(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keysDeep(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { out.push(k); keysDeep(x, out); }
  return out;
}

/** What a response must not carry, given who asked. Echoes of the caller's own URL are not disclosure. */
function leaks(res: Res, url: string, role: Role, fx: Fixtures, allowedKeys: Set<string>): string[] {
  const found: string[] = [];
  const body = withoutInstance(res.raw);
  const lowerBody = body.toLowerCase();
  const lowerUrl = decodeURIComponent(url).toLowerCase();
  const headerText = Object.entries(res.headers).filter(([k]) => k !== 'x-request-id').map(([k, v]) => `${k}: ${String(v)}`).join('\n').toLowerCase();
  const values = role === 'anon' ? [...fx.keySecrets, ...fx.hidden] : fx.keySecrets;
  for (const v of values) {
    const needle = v.toLowerCase();
    if (lowerUrl.includes(needle)) continue;
    if (lowerBody.includes(needle)) found.push(`body carries ${JSON.stringify(v)}`);
    if (headerText.includes(needle)) found.push(`headers carry ${JSON.stringify(v)}`);
  }
  if (res.body !== undefined && /json/.test(String(res.headers['content-type']))) {
    for (const k of new Set(keysDeep(res.body))) {
      if (NEVER_KEYS.has(k)) found.push(`private field "${k}"`);
      else if (ADMIN_KEYS.has(k) && !(role === 'admin' && allowedKeys.has(k))) found.push(`admin-only field "${k}" for ${role}`);
      else if (role === 'anon' && STAFF_KEYS.has(k)) found.push(`staff field "${k}" for an anonymous caller`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// The walk

type Kind = 'live' | 'hidden' | 'foreign' | 'nonexistent';
/** `staffOnly`: the query sets a parameter documented "Editors only" / "Admins only", so a lesser caller gets 403. */
type Variant = { kind: Kind; param?: string; label: string; values: Record<string, string>; query: Record<string, string>; staffOnly?: Role };

t.test('route walk: every operation in the OpenAPI document, every role, live / hidden / foreign / nonexistent values', async (t) => {
  const ctx = await build(t, WALK_CONFIG);
  const { app, req, editor, admin } = ctx;
  const fx = await seed(ctx);
  await app.ready();
  const doc = app.swagger() as Json;
  const ops = operations(doc);
  t.ok(ops.length >= 40, `the document lists ${ops.length} operations`);
  const headersFor: Record<Role, Record<string, string>> = { anon: {}, editor, admin };

  // Admin-only operations, read from the document; the contract names these at least.
  const adminOps = new Set(ops.filter((o) => adminOnly(doc, o)).map((o) => o.name));
  for (const o of ops) {
    const mustBeAdmin = (o.op.tags ?? []).some((x: string) => ['api-keys', 'audit', 'webhooks'].includes(x)) || o.name === 'deleteDisclaimer';
    if (mustBeAdmin) t.ok(adminOps.has(o.name), `${o.name} is documented as admin-only`);
  }
  t.ok(ops.some((o) => adminOnlyQueryParams(o).some((p) => p.name === 'permanent')), 'permanent delete is documented as admin-only');

  // Live values of each path parameter: a fixture for the top-level collections, else the first item of the
  // collection the parameter indexes (read as admin), so nested resources of new routes are found too.
  const fixtureByPrefix: Record<string, Json> = {
    '/v1/articles': fx.live, '/v1/media': fx.heroMedia, '/v1/authors': fx.author, '/v1/sections': fx.section, '/v1/tags': fx.tag,
    '/v1/disclaimers': fx.disclaimer, '/v1/api-keys': fx.fixtureKey, '/v1/webhooks': fx.webhook,
  };
  const harvested = new Map<string, string | undefined>();
  const collectionOf = (path: string, name: string) => {
    const segments = path.split('/');
    const at = segments.indexOf(`{${name}}`);
    let prefix = segments.slice(0, at);
    const bySlug = prefix.at(-1) === 'by-slug';
    if (bySlug) prefix = prefix.slice(0, -1);
    return { prefix: prefix.join('/'), collection: prefix.at(-1) ?? '', key: bySlug ? 'slug' : name };
  };
  async function liveValue(path: string, name: string, earlier: Record<string, string>): Promise<string | undefined> {
    const c = collectionOf(path, name);
    const concrete = c.prefix.replace(/\{([^}]+)\}/g, (_m, p: string) => encodeURIComponent(earlier[p] ?? ''));
    const cacheKey = `${concrete} ${c.key}`;
    if (harvested.has(cacheKey)) return harvested.get(cacheKey);
    let value: string | undefined;
    const fixture = fixtureByPrefix[concrete];
    if (fixture) value = String(fixture[c.key] ?? fixture.id);
    else {
      const list = await req({ method: 'GET', url: concrete, headers: admin });
      const first = Array.isArray(list.body?.data) ? list.body.data[0] : undefined;
      if (first) value = String(first[c.key] ?? first.id);
    }
    harvested.set(cacheKey, value);
    return value;
  }

  const slugs = { articles: fx.live.slug, authors: fx.author.slug, sections: fx.section.slug, tags: fx.tag.slug } as Record<string, string>;
  const ids = { articles: fx.live.id, media: fx.heroMedia.id, authors: fx.author.id, sections: fx.section.id, tags: fx.tag.id, disclaimers: fx.disclaimer.id } as Record<string, string>;
  const hiddenIds = [fx.draft.id, fx.scheduled.id, fx.trashed.id, fx.draftMedia.id];
  const hiddenSlugs = [fx.draft.slug, fx.scheduled.slug, fx.trashed.slug];
  const foreignFor = (collection: string, key: string) => {
    const pool = key === 'slug' ? slugs : ids;
    return Object.entries(pool).find(([c]) => c !== collection)![1];
  };

  /** Query values every call needs (required parameters), from the document. */
  const requiredQuery = (o: Op) => Object.fromEntries(params(o, 'query').filter((p) => p.required).map((p) => [p.name, String(minimal(doc, p.schema))]));
  /** Extra query variants for reads: expansions, every enum value, filters naming the fixtures, words of hidden text. */
  function queryVariants(o: Op): { query: Record<string, string>; staffOnly?: Role }[] {
    const base = requiredQuery(o);
    const out: { query: Record<string, string>; staffOnly?: Role }[] = [{ query: base }];
    const withInclude = params(o, 'query').some((x) => x.name === 'include') ? { include: 'all' } : {};
    for (const p of params(o, 'query')) {
      const schema = deref(doc, p.schema);
      const add = (value: string) => out.push({ query: { ...base, ...withInclude, [p.name]: value }, staffOnly: queryParamRole(p) });
      if (p.name === 'include') out.push({ query: { ...base, include: 'all' } });
      else if (Array.isArray(schema.enum)) for (const v of schema.enum) { if (v !== schema.default) add(String(v)); }
      else if (slugs[`${p.name}s`]) add(slugs[`${p.name}s`]!);
      else if (p.name === 'q' && schema.type === 'string') for (const w of [DRAFT.word, SCHEDULED.word, TRASHED.word, 'quokka', 'summit']) add(w);
      else if (p.name === 'limit') add(String(schema.maximum ?? 100));
    }
    return out;
  }

  async function variantsOf(o: Op, read: boolean): Promise<Variant[]> {
    const names = pathParamNames(o.path);
    const live: Record<string, string> = {};
    for (const n of names) {
      const v = await liveValue(o.path, n, live);
      live[n] = v ?? String(minimal(doc, params(o, 'path').find((p) => p.name === n)?.schema ?? {}));
    }
    const base = requiredQuery(o);
    const queries: { query: Record<string, string>; staffOnly?: Role }[] = read ? queryVariants(o) : [{ query: base }];
    const out: Variant[] = queries.map(({ query, staffOnly }, i) => ({ kind: 'live' as const, label: i ? `live ${new URLSearchParams(query)}` : 'live', values: live, query, staffOnly }));
    for (const n of names) {
      const c = collectionOf(o.path, n);
      const schema = deref(doc, params(o, 'path').find((p) => p.name === n)?.schema ?? {});
      const set = (kind: Kind, value: string, label: string) => out.push({ kind, param: n, label: `${n}=${label}`, values: { ...live, [n]: value }, query: base });
      // Numbers, and strings constrained to digits (revision numbers), have no hidden or foreign ids.
      if (schema.type === 'integer' || schema.type === 'number' || (typeof schema.pattern === 'string' && /^\^\[1-9\]/.test(schema.pattern))) {
        set('nonexistent', String(NONEXISTENT_NUMBER), 'nonexistent');
        continue;
      }
      const slug = c.key === 'slug';
      (slug ? hiddenSlugs : hiddenIds).forEach((v, i) => set('hidden', v, `hidden#${i}`));
      set('foreign', foreignFor(c.collection, c.key), 'foreign');
      set('nonexistent', slug ? NONEXISTENT_SLUG : NONEXISTENT_ID, 'nonexistent');
    }
    return out;
  }

  const urlOf = (o: Op, v: Variant) => {
    const path = o.path.replace(/\{([^}]+)\}/g, (_m, n: string) => encodeURIComponent(v.values[n] ?? ''));
    const qs = new URLSearchParams(v.query).toString();
    return qs ? `${path}?${qs}` : path;
  };
  const bodyOf = (o: Op) => {
    const content = o.op.requestBody?.content ?? {};
    if (content['application/json']) return { payload: JSON.stringify(minimal(doc, content['application/json'].schema)), headers: { 'content-type': 'application/json' } };
    return undefined;
  };

  let calls = 0;
  const histogram = new Map<string, number>();
  const failures: string[] = [];
  const fail = (msg: string) => failures.push(msg);

  async function call(o: Op, role: Role, v: Variant): Promise<Res> {
    const url = urlOf(o, v);
    const body = o.method === 'GET' || o.method === 'DELETE' ? undefined : bodyOf(o);
    const res = await req({ method: o.method as 'GET', url, headers: { ...headersFor[role], ...(body?.headers ?? {}) }, ...(body ? { payload: body.payload } : {}) });
    calls++;
    const bucket = `${role} ${o.method === 'GET' ? 'read' : 'write'} ${res.status}`;
    histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
    const where = `${o.method} ${url} as ${role}`;
    if (res.status >= 500) fail(`${where}: ${res.status} ${res.raw.slice(0, 300)}`);
    if (res.status >= 400 && !isProblem(res)) fail(`${where}: ${res.status} is not problem+json (${String(res.headers['content-type'])})`);
    for (const l of leaks(res, url, role, fx, adminOps.has(o.name) ? responseNames(doc, o) : new Set())) fail(`${where}: ${l}`);
    if (role === 'anon' && securedOnly(o)) {
      if (res.status !== 401) fail(`${where}: ${res.status}, expected 401 (bearerAuth only)`);
      else if (!/^Bearer /.test(String(res.headers['www-authenticate']))) fail(`${where}: 401 without WWW-Authenticate: Bearer`);
    } else if (role === 'editor' && adminOps.has(o.name)) {
      if (res.status !== 403) fail(`${where}: ${res.status}, expected 403 (admin-only)`);
    } else if (v.staffOnly && RANK[role] < RANK[v.staffOnly]) {
      if (res.status !== 403) fail(`${where}: ${res.status}, expected 403 (a parameter for ${v.staffOnly}s only)`);
    } else if (res.status === 401 || res.status === 403) {
      fail(`${where}: ${res.status} for a caller the document allows`);
    }
    return res;
  }

  // The scanner is not vacuous: a staff read of the same list does carry hidden values.
  const staffView = await req({ method: 'GET', url: '/v1/articles?limit=100&include=all', headers: editor });
  t.ok(leaks(staffView, '/v1/articles', 'anon', fx, new Set()).length > 0, 'the leak scanner finds hidden content where it is');

  const reads = ops.filter((o) => o.method === 'GET' || o.method === 'HEAD');
  // Writes after reads (the fixtures stay intact while visibility is judged), deletes last.
  const writes = ops.filter((o) => !reads.includes(o)).sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));

  for (const o of reads) {
    const variants = await variantsOf(o, true);
    for (const role of ['anon', 'editor', 'admin'] as Role[]) {
      const refused = (role === 'anon' && securedOnly(o)) || (role === 'editor' && adminOps.has(o.name));
      const byParam = new Map<string, { v: Variant; res: Res }[]>();
      for (const v of variants) {
        const res = await call(o, role, v);
        if (refused) continue;
        const where = `${o.method} ${urlOf(o, v)} as ${role}`;
        if (v.staffOnly && RANK[role] < RANK[v.staffOnly]) continue;
        if (v.kind === 'live' && v.label === 'live' && res.status >= 300 && res.status !== 304) fail(`${where}: ${res.status} for live values (${res.raw.slice(0, 200)})`);
        if (v.kind === 'nonexistent' || v.kind === 'foreign' || (v.kind === 'hidden' && role === 'anon')) {
          if (res.status !== 404) fail(`${where}: ${res.status}, expected 404 (${v.kind})`);
        }
        if (v.kind === 'hidden' && role !== 'anon') {
          if (!(res.status < 300 || res.status === 404)) fail(`${where}: ${res.status} for a hidden value`);
          const c = collectionOf(o.path, v.param!);
          const addressed = pathParamNames(o.path).at(-1) === v.param;
          if (addressed && c.collection === 'articles' && v.values[v.param!] === fx.draft.id && res.status >= 300) fail(`${where}: editors read drafts, got ${res.status}`);
        }
        if (v.param) byParam.set(v.param, [...(byParam.get(v.param) ?? []), { v, res }]);
      }
      // No existence oracle: every refused value answers exactly like one that names nothing.
      for (const [param, list] of byParam) {
        const reference = list.find((x) => x.v.kind === 'nonexistent');
        if (!reference || reference.res.status !== 404) continue;
        for (const { v, res } of list) {
          // Staff may see hidden content, so for them only foreign values must be indistinguishable.
          if (res.status !== 404 || v === reference.v || (v.kind === 'hidden' && role !== 'anon')) continue;
          const same = withoutInstance(res.raw) === withoutInstance(reference.res.raw) &&
            ['content-type', 'cache-control', 'www-authenticate'].every((h) => res.headers[h] === reference.res.headers[h]);
          if (!same) fail(`${o.method} ${o.path} as ${role}: ${param}=${v.kind} answers differently from a nonexistent value:\n  ${res.raw}\n  ${reference.res.raw}`);
        }
      }
    }
  }

  // Admin-only query parameters: set by an editor → 403, and nothing happened.
  for (const o of ops) {
    for (const p of adminOnlyQueryParams(o)) {
      const schema = deref(doc, p.schema);
      const value = (schema.enum ?? ['true']).find((x: unknown) => x !== schema.default) ?? 'true';
      const v = (await variantsOf(o, false))[0]!;
      const res = await call(o, 'editor', { ...v, query: { ...v.query, [p.name]: String(value) }, staffOnly: 'admin' });
      if (res.status !== 403) fail(`${o.method} ${o.path}?${p.name}=${value} as editor: ${res.status}, expected 403`);
    }
  }
  t.equal((await req({ method: 'GET', url: `/v1/articles/${fx.live.id}`, headers: admin })).status, 200, 'the refused permanent delete changed nothing');

  for (const o of writes) {
    const variants = await variantsOf(o, false);
    for (const role of ['anon', 'editor', 'admin'] as Role[]) for (const v of variants) await call(o, role, v);
  }

  t.comment(`${calls} calls over ${ops.length} operations (${reads.length} reads, ${writes.length} writes)`);
  t.comment([...histogram].sort().map(([k, n]) => `${k}: ${n}`).join(', '));
  t.same(failures, [], 'every call answered as the document and the visibility rule require');
});

t.test('anonymous list parameters never reveal hidden articles (case 1)', async (t) => {
  const ctx = await build(t, WALK_CONFIG);
  const { app, req } = ctx;
  const fx = await seed(ctx);
  await app.ready();
  const doc = app.swagger() as Json;
  const lists = operations(doc).filter((o) => o.method === 'GET' && !o.path.includes('{') && !securedOnly(o));
  const tries = ['status=draft', 'status=scheduled', 'status=deleted', 'status[]=draft', 'filter[status]=draft', 'include=drafts', 'preview=1', 'draft=true', 'status=draft&status=published'];
  for (const o of lists) {
    const required = Object.fromEntries(params(o, 'query').filter((p) => p.required).map((p) => [p.name, String(minimal(doc, p.schema))]));
    for (const extra of tries) {
      const qs = [new URLSearchParams(required).toString(), extra].filter(Boolean).join('&');
      const url = `${o.path}?${qs}`;
      const res = await req({ method: 'GET', url });
      t.ok([200, 400, 403].includes(res.status), `${url}: ${res.status}`);
      t.same(leaks(res, url, 'anon', fx, new Set()), [], `${url}: nothing hidden`);
      if (res.status === 200 && res.body?.page && res.body.data.length < res.body.page.limit) t.equal(res.body.page.total, res.body.data.length, `${url}: counts only what it shows`);
    }
  }
  const all = await req({ method: 'GET', url: '/v1/articles?limit=100&include=all' });
  t.same(all.body.data.map((a: Json) => a.id).sort(), [fx.live.id, fx.target.id].sort(), 'the anonymous list holds the live articles only');
  t.equal(all.body.page.total, 2, 'and counts only them');
  const related = all.body.data.find((a: Json) => a.id === fx.live.id).related;
  t.same(related.map((l: Json) => l.target?.id ?? l.url), [fx.target.id, 'https://www.example.org/background'], 'related links to hidden targets are dropped (case 3)');
});

t.test('scheduled and unpublished articles (cases 4, 5)', async (t) => {
  const ctx = await build(t, WALK_CONFIG);
  const { req, editor, clock } = ctx;
  const fx = await seed(ctx);
  const total = async () => (await req({ method: 'GET', url: '/v1/articles' })).body.page.total as number;
  const visible = async (id: string) => (await req({ method: 'GET', url: `/v1/articles/${id}` })).status;
  t.equal(await visible(fx.scheduled.id), 404, 'scheduled: invisible before its time');
  t.equal(await total(), 2);
  clock.set(new Date(Date.parse(fx.publishAt) - 1).toISOString());
  t.equal(await visible(fx.scheduled.id), 404, 'still invisible one millisecond before');
  clock.set(fx.publishAt);
  t.equal(await visible(fx.scheduled.id), 200, 'visible at the instant, with no job running');
  t.equal(await total(), 3, 'and counted');
  const related = (await req({ method: 'GET', url: `/v1/articles/${fx.live.id}/related-links` })).body.data;
  t.ok(related.some((l: Json) => l.target?.id === fx.scheduled.id), 'and its related link appears');

  const before = await req({ method: 'GET', url: `/v1/articles/${fx.target.id}` });
  t.equal(before.status, 200);
  const etag = String(before.headers.etag);
  t.equal((await req({ method: 'POST', url: `/v1/articles/${fx.target.id}/unpublish`, headers: editor })).status, 200);
  const after = await req({ method: 'GET', url: `/v1/articles/${fx.target.id}`, headers: { 'if-none-match': etag } });
  t.equal(after.status, 404, 'unpublished: 404 at once, even with the old ETag (never 304)');
  t.equal(await total(), 2, 'the total drops');
  const list = await req({ method: 'GET', url: '/v1/articles', headers: { 'if-none-match': String((await req({ method: 'GET', url: '/v1/articles' })).headers.etag) } });
  t.equal(list.status, 304, 'the list ETag is stable while nothing changes');
});

t.test('credentials: malformed, unknown, revoked, in the query string, path variants (cases 14-17)', async (t) => {
  const ctx = await build(t, WALK_CONFIG);
  const { app, req, editor, admin } = ctx;
  const fx = await seed(ctx);
  await app.ready();
  const doc = app.swagger() as Json;
  const ops = operations(doc);
  const fixtureSecret = fx.fixtureKey.secret as string;
  const bad = ['Bearer', 'Bearer ', 'Bearer nope', `Bearer ${fixtureSecret}x`, `Bearer ${fixtureSecret.slice(0, -1)}`, `Basic ${Buffer.from('admin:admin').toString('base64')}`, `Token ${fixtureSecret}`, `Bearer ${fixtureSecret} extra`];
  const failures: string[] = [];
  for (const o of ops) {
    const url = o.path.replace(/\{[^}]+\}/g, NONEXISTENT_ID);
    for (const authorization of bad) {
      const res = await req({ method: o.method as 'GET', url, headers: { authorization } });
      if (res.status !== 401 || !/^Bearer /.test(String(res.headers['www-authenticate']))) failures.push(`${o.method} ${url} with "${authorization.slice(0, 12)}…": ${res.status}`);
    }
    if (securedOnly(o)) {
      for (const name of ['access_token', 'api_key', 'apiKey', 'token', 'key']) {
        const res = await req({ method: o.method as 'GET', url: `${url}?${name}=${encodeURIComponent(fixtureSecret)}` });
        if (res.status !== 401) failures.push(`${o.method} ${url}?${name}=<secret>: ${res.status} (keys are never read from the query string)`);
      }
    }
  }
  t.same(failures, [], 'every malformed or unknown credential is a 401 with WWW-Authenticate, on every operation');

  // Revocation takes effect on the very next request.
  const mine = { authorization: `Bearer ${fixtureSecret}` };
  t.equal((await req({ method: 'GET', url: '/v1/media', headers: mine })).status, 200, 'the fixture key works');
  t.equal((await req({ method: 'DELETE', url: `/v1/api-keys/${fx.fixtureKey.id}`, headers: admin })).status, 204);
  t.equal((await req({ method: 'GET', url: '/v1/media', headers: mine })).status, 401, 'revoked: 401 on the next request');
  t.equal((await req({ method: 'GET', url: '/v1/articles', headers: mine })).status, 401, 'also on public routes (a bad key is never downgraded to anonymous)');

  // Keys are stored as digests, never as the secret.
  const rows = await app.db.query('select * from api_keys');
  const stored = JSON.stringify(rows);
  for (const s of fx.keySecrets.slice(0, 3)) t.notOk(stored.includes(s), 'no key secret is stored in clear');
  const { createHash } = await import('node:crypto');
  const digest = createHash('sha256').update(fixtureSecret).digest();
  t.ok(rows.some((r) => Object.values(r).some((v) => v === digest.toString('hex') || v === digest.toString('base64url') || v === digest.toString('base64'))), 'a key is found by its SHA-256 digest');

  // Path variants of admin-only and editor-only routes: never a 2xx for a lesser principal.
  const variants = (p: string) => [p, `${p}/`, p.toUpperCase(), `/${p}`, p.replace('/v1/', '/v1/./'), p.replace('/v1/', '/v1//'), `${p}%2F`, p.replace(/\/([^/]+)$/, '/%2e/$1'), p.replace('/v1/', '/v1/x/../'), `${p};x`];
  const pathFailures: string[] = [];
  for (const o of ops.filter((x) => x.method === 'GET' && !x.path.includes('{'))) {
    const admins = adminOnly(doc, o);
    const callers = admins ? [{ role: 'editor', headers: editor }, { role: 'anon', headers: {} }] : securedOnly(o) ? [{ role: 'anon', headers: {} }] : [];
    for (const { role, headers } of callers) {
      for (const url of variants(o.path)) {
        const res = await req({ method: 'GET', url, headers });
        if (res.status < 300) pathFailures.push(`GET ${url} as ${role}: ${res.status}`);
        if (res.status >= 500) pathFailures.push(`GET ${url} as ${role}: ${res.status}`);
      }
    }
  }
  t.same(pathFailures, [], 'no spelling of a protected path lets a lesser principal in');
});

t.test('CORS: only listed origins, never a wildcard with credentials, no header widens it (case 19)', async (t) => {
  const { app, req, editor, admin } = await build(t, { ...WALK_CONFIG, corsOrigins: ['https://front.example'] });
  await app.ready();
  const ops = operations(app.swagger() as Json).filter((o) => !o.path.includes('{'));
  const unreadable: string[] = [];
  const evil = ['null', 'https://front.example.evil.com', 'https://evil.com/https://front.example', 'https://evil.com', 'http://front.example', 'https://front.example:8443', 'https://front.example.', 'https://xfront.example', ' https://front.example'];
  const failures: string[] = [];
  for (const o of ops) {
    for (const origin of evil) {
      for (const headers of [{ origin }, { origin, 'x-forwarded-host': 'front.example', 'x-forwarded-proto': 'https', host: 'front.example' }, { origin, ...editor }]) {
        const res = await req({ method: o.method as 'GET', url: o.path, headers });
        if (res.headers['access-control-allow-origin'] !== undefined) failures.push(`${o.method} ${o.path} from ${origin}: allow-origin ${String(res.headers['access-control-allow-origin'])}`);
        const pre = await req({ method: 'OPTIONS', url: o.path, headers: { ...headers, 'access-control-request-method': o.method, 'access-control-request-headers': 'authorization' } });
        if (pre.headers['access-control-allow-origin'] !== undefined) failures.push(`OPTIONS ${o.path} from ${origin}: allow-origin ${String(pre.headers['access-control-allow-origin'])}`);
      }
    }
    const ok = await req({ method: o.method as 'GET', url: o.path, headers: { origin: 'https://front.example', ...admin } });
    if (ok.headers['access-control-allow-origin'] !== 'https://front.example') failures.push(`${o.method} ${o.path}: the listed origin is not echoed exactly (${String(ok.headers['access-control-allow-origin'])})`);
    if (ok.headers['access-control-allow-credentials'] !== undefined) failures.push(`${o.method} ${o.path}: allow-credentials is set`);
    const refused = await req({ method: o.method as 'GET', url: o.path, headers: { origin: 'https://front.example' } });
    if (refused.status === 401 && refused.headers['access-control-allow-origin'] !== 'https://front.example') unreadable.push(`${o.method} ${o.path}`);
  }
  t.same(failures, [], 'no unlisted origin, look-alike or forwarded header gets a CORS grant; the listed one gets exactly itself');
  t.same(unreadable, [], 'a listed origin can read a 401 (so a browser tool sees "log in", not a network error)');
});
