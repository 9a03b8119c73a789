/**
 * Breaking-change detection between two OpenAPI 3.x documents (no Fastify, no I/O: plain JSON in, a list out).
 *
 * `diffOpenApi(old, new)` resolves `$ref`s inside each document (any `#/...` pointer, chains, siblings next to a
 * `$ref`, `allOf` merged, `anyOf`/`oneOf` flattened into alternatives; recursive schemas are compared once per
 * pair of schemas, so cycles end) and sorts every difference it understands into `breaking` and `additive`.
 *
 * The direction decides. A REQUEST schema (parameters, bodies) is what the server accepts: anything the old
 * document accepted must still be accepted. A RESPONSE schema is what clients read: what they may rely on must
 * still be there and nothing of a shape they do not expect may appear.
 *
 * Breaking:
 * - a path, an operation or a 2xx (or 2XX) response status removed;
 * - a request body or response media type removed (or changed: removed + added), a request body that became
 *   required or removed;
 * - a new required parameter or request property, an optional one made required, a query parameter removed
 *   (unknown query parameters are rejected with 400 here: `strictQuery`), a request property removed from an
 *   object that rejects unknown properties (`additionalProperties: false`), `additionalProperties: false` added;
 * - in requests: an enum (or const) value removed or an enum introduced, a narrowed type (a type removed from the
 *   set; `number` → `integer`), a lower `maxLength`/`maximum`/`maxItems`/`maxProperties`, a higher
 *   `minLength`/`minimum`/`minItems`/`minProperties`, a new or changed `pattern`/`format`/`multipleOf`, a union
 *   alternative no longer accepted;
 * - in responses: a property removed, a required property made optional (it may now be absent), an enum value
 *   removed or the enum dropped, a widened type (a new type, `null` included, whether through `type` or a new
 *   `{ "type": "null" }` alternative), a union alternative removed, a response header removed;
 * - security: a requirement set of the old operation that no new alternative is satisfied by (an anonymous
 *   operation, `security: [{}]`, now needing a key; a new scheme; a new OAuth scope; a higher role where the old
 *   requirement already stated one, ranked by `roleRank`), a security scheme removed or changed in type.
 *   A non-OAuth requirement that stated no role and now states one is additive (`security-roles-stated`): the
 *   old document promised nothing about roles, so the change documents the server rather than changing it.
 *
 * Additive (listed for the message, never refused): new paths, operations, statuses, media types, optional
 * parameters and request properties, response properties, request enum values and alternatives.
 * Additive with a note, by convention: a new enum value or a new (non-null) union alternative in a RESPONSE
 * (clients must tolerate values they do not know), a relaxed limit, pattern or format in a response, a request
 * property removed from an object that still tolerates unknown properties (it is ignored now).
 *
 * Not examined: descriptions, examples, defaults, `deprecated`, servers, tags, `not`/`if`/`then`/`else`,
 * webhooks and callbacks, parameter `style`/`explode`, and roles (this API documents them in prose, not scopes).
 */

export type Severity = 'breaking' | 'additive';

export interface Change {
  severity: Severity;
  /** A stable rule id such as `response-property-removed`. */
  rule: string;
  /** A JSON Pointer into the document where the change is (the new document, or the old one for removals). */
  location: string;
  /** One line for humans: the operation, the place in it and what changed. */
  message: string;
  /** What changed, without the place (`property removed`, `value "x" is no longer accepted`). */
  detail: string;
  /** For a change inside a named schema: its pointer (`#/components/schemas/Article/properties/headline`). */
  schema?: string;
}

export interface DiffResult {
  breaking: Change[];
  additive: Change[];
}

export interface DiffOptions {
  /** Unknown query parameters are rejected (this server's contract), so removing one breaks its callers. Default true. */
  strictQuery?: boolean;
  /**
   * Roles named in non-OAuth security requirements (`bearerAuth: ['editor']`), by privilege: a caller with a role
   * ranked at least as high satisfies a requirement (`admin` does what `editor` does). Without it roles must match.
   */
  roleRank?: Record<string, number>;
}

type Obj = Record<string, unknown>;
type Dir = 'request' | 'response';

interface Raw {
  severity: Severity;
  rule: string;
  /** Path of the change relative to the compared node, in schema keywords (`properties`, `x`, `items`...). */
  rel: string[];
  text: string;
  comp?: { ref: string; rel: string[] };
}

interface Resolved {
  schema: Obj;
  ref?: string;
}

interface Alt extends Resolved {
  seg: string[];
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const ANY: Obj = Object.freeze({}) as Obj;
const NONE: Obj = Object.freeze({ enum: [] }) as Obj;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Keywords that say something about a value without constraining it. */
const ANNOTATIONS = new Set([
  'description', 'title', 'example', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly', '$comment',
  'externalDocs', 'xml', 'discriminator', '$id', '$schema', '$anchor', 'contentMediaType', 'contentEncoding',
]);
const UPPER = ['maxLength', 'maximum', 'exclusiveMaximum', 'maxItems', 'maxProperties'] as const;
const LOWER = ['minLength', 'minimum', 'exclusiveMinimum', 'minItems', 'minProperties'] as const;
const FAMILY: Record<string, string[]> = {
  maxLength: ['string'], minLength: ['string'], pattern: ['string'], format: ['string'],
  maximum: ['number', 'integer'], minimum: ['number', 'integer'], exclusiveMaximum: ['number', 'integer'],
  exclusiveMinimum: ['number', 'integer'], multipleOf: ['number', 'integer'],
  maxItems: ['array'], minItems: ['array'], uniqueItems: ['array'],
  maxProperties: ['object'], minProperties: ['object'], additionalProperties: ['object'],
};

const show = (v: unknown) => JSON.stringify(v);
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (segs: string[]) => `/${segs.map(escapePointer).join('/')}`;

/** `data[].author.name`: a schema path in words. */
function humanPath(rel: string[]): string {
  let out = '';
  for (let i = 0; i < rel.length; i++) {
    const seg = rel[i]!;
    if (seg === 'properties') out += `${out ? '.' : ''}${rel[++i]}`;
    else if (seg === 'items') out += '[]';
    else if (seg === 'prefixItems') out += `[${rel[++i]}]`;
    else if (seg === 'additionalProperties') out += '{*}';
    else if (seg === 'propertyNames') out += '{key}';
    else if (seg === 'anyOf' || seg === 'oneOf') out += `<${seg} ${rel[++i]}>`;
    else out += `/${seg}`;
  }
  return out;
}

function typesOf(s: Obj): Set<string> | undefined {
  const t = s.type;
  const set = typeof t === 'string' ? new Set([t]) : Array.isArray(t) ? new Set(t.filter((x): x is string => typeof x === 'string')) : undefined;
  if (set && s.nullable === true) set.add('null'); // OpenAPI 3.0
  return set;
}

const covers = (set: Set<string> | undefined, t: string) => !set || set.has(t) || (t === 'integer' && set.has('number'));
const applies = (keyword: string, o: Obj, n: Obj) => {
  const family = FAMILY[keyword];
  if (!family) return true;
  const ot = typesOf(o);
  const nt = typesOf(n);
  return family.some((t) => covers(ot, t) && covers(nt, t));
};

function enumOf(s: Obj): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum;
  if ('const' in s) return [s.const];
  return undefined;
}

function mergeSchemas(parts: Obj[]): Obj {
  const out: Obj = {};
  const props: Record<string, Obj[]> = {};
  const required = new Set<string>();
  const unions: unknown[][] = [];
  const addl: unknown[] = [];
  const items: unknown[] = [];
  let types: Set<string> | undefined;
  let values: unknown[] | undefined;
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'properties' && isObj(v)) for (const [name, s] of Object.entries(v)) (props[name] ??= []).push(s as Obj);
      else if (k === 'required' && Array.isArray(v)) v.forEach((r) => required.add(String(r)));
      else if ((k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) unions.push(v);
      else if (k === 'additionalProperties') addl.push(v);
      else if (k === 'items') items.push(v);
      else if (k === 'type' || k === 'nullable' || k === 'enum' || k === 'const') continue;
      else if ((UPPER as readonly string[]).includes(k) && typeof v === 'number') out[k] = typeof out[k] === 'number' ? Math.min(out[k] as number, v) : v;
      else if ((LOWER as readonly string[]).includes(k) && typeof v === 'number') out[k] = typeof out[k] === 'number' ? Math.max(out[k] as number, v) : v;
      else if (!(k in out)) out[k] = v;
    }
    const t = typesOf(p);
    if (t) types = types ? new Set([...types].filter((x) => covers(t, x))) : t;
    const e = enumOf(p);
    if (e) values = values ? values.filter((x) => e.some((y) => show(y) === show(x))) : e;
  }
  if (types) out.type = [...types].length === 1 ? [...types][0] : [...types];
  if (values) out.enum = values;
  if (Object.keys(props).length) out.properties = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, v.length === 1 ? v[0]! : { allOf: v }]));
  if (required.size) out.required = [...required];
  if (addl.length) out.additionalProperties = addl.includes(false) ? false : addl.length === 1 ? addl[0] : { allOf: addl };
  if (items.length) out.items = items.length === 1 ? items[0] : { allOf: items };
  if (unions.length === 1) out.anyOf = unions[0];
  else if (unions.length > 1) {
    // (A|B) and (C|D): every combination is an alternative.
    let combos: unknown[][] = [[]];
    for (const u of unions) combos = combos.flatMap((c) => u.map((x) => [...c, x]));
    out.anyOf = combos.map((c) => ({ allOf: c }));
  }
  return out;
}

/** One document: pointer resolution, `$ref`/`allOf` resolution and union flattening, memoised by object. */
class Doc {
  private readonly resolved = new WeakMap<object, Resolved>();
  private readonly alts = new WeakMap<object, Alt[]>();
  private readonly resolving = new Set<object>();

  constructor(readonly root: Obj) {}

  at(ref: string): unknown {
    if (!ref.startsWith('#')) return undefined; // external references are not followed
    let cur: unknown = this.root;
    for (const raw of ref.slice(1).split('/').slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      cur = isObj(cur) || Array.isArray(cur) ? (cur as Record<string, unknown>)[key] : undefined;
    }
    return cur;
  }

  /** Parameters, request bodies, responses, headers: follow `$ref` chains. */
  deref(v: unknown): Obj | undefined {
    const seen = new Set<string>();
    let cur = v;
    while (isObj(cur) && typeof cur.$ref === 'string' && !seen.has(cur.$ref)) {
      seen.add(cur.$ref);
      cur = this.at(cur.$ref);
    }
    return isObj(cur) && typeof cur.$ref !== 'string' ? cur : undefined;
  }

  schema(s: unknown): Resolved {
    if (s === undefined || s === true) return { schema: ANY };
    if (s === false) return { schema: NONE };
    if (!isObj(s)) return { schema: ANY };
    const hit = this.resolved.get(s);
    if (hit) return hit;
    if (this.resolving.has(s)) return { schema: ANY }; // `A: allOf [A]`
    this.resolving.add(s);
    let ref: string | undefined;
    let cur: Obj = s;
    const siblings: Obj[] = [];
    const seen = new Set<string>();
    while (typeof cur.$ref === 'string') {
      const r = cur.$ref;
      if (seen.has(r)) {
        cur = ANY;
        break;
      }
      seen.add(r);
      ref ??= r;
      const { $ref: _, ...rest } = cur;
      if (Object.keys(rest).some((k) => !ANNOTATIONS.has(k))) siblings.push(rest);
      const target = this.at(r);
      cur = isObj(target) ? target : target === false ? NONE : ANY;
    }
    let out = siblings.length ? mergeSchemas([cur, ...siblings]) : cur;
    if (Array.isArray(out.allOf)) {
      const { allOf, ...base } = out;
      out = mergeSchemas([base, ...(allOf as unknown[]).map((x) => this.schema(x).schema)]);
    }
    this.resolving.delete(s);
    const result: Resolved = ref ? { schema: out, ref } : { schema: out };
    this.resolved.set(s, result);
    return result;
  }

  /** A schema's alternatives: itself, or its `anyOf`/`oneOf` branches flattened (with its own keywords merged in). */
  alternatives(s: Obj): Alt[] {
    const hit = this.alts.get(s);
    if (hit) return hit;
    const kw = Array.isArray(s.anyOf) ? 'anyOf' : Array.isArray(s.oneOf) ? 'oneOf' : undefined;
    let out: Alt[];
    if (!kw) out = [{ schema: s, seg: [] }];
    else {
      const { [kw]: branches, ...base } = s;
      const hasBase = Object.keys(base).some((k) => !ANNOTATIONS.has(k));
      out = [];
      this.alts.set(s, out); // a union that contains itself ends here
      (branches as unknown[]).forEach((b, i) => {
        const r = this.schema(b);
        const merged = hasBase ? this.schema(mergeSchemas([base, r.schema])) : r;
        for (const sub of [...this.alternatives(merged.schema)]) { // a copy: for `U: anyOf [X, U]` it is `out` itself
          const ref = sub.ref ?? r.ref;
          out.push({ schema: sub.schema, seg: [kw, String(i), ...sub.seg], ...(ref ? { ref } : {}) });
        }
      });
    }
    this.alts.set(s, out);
    return out;
  }
}

class Differ {
  private readonly memo: Record<Dir, WeakMap<object, WeakMap<object, Raw[]>>> = { request: new WeakMap(), response: new WeakMap() };
  private readonly active: Record<Dir, WeakMap<object, WeakSet<object>>> = { request: new WeakMap(), response: new WeakMap() };
  readonly breaking: Change[] = [];
  readonly additive: Change[] = [];

  constructor(
    readonly o: Doc,
    readonly n: Doc,
    readonly options: Required<DiffOptions>,
  ) {}

  add(severity: Severity, rule: string, location: string[], where: string, detail: string, schema?: string) {
    const change: Change = { severity, rule, location: pointer(location), message: `${where}: ${detail}`, detail, ...(schema ? { schema } : {}) };
    (severity === 'breaking' ? this.breaking : this.additive).push(change);
  }

  // ---------------------------------------------------------------- schemas

  /** Compares two schemas; the result is relative to them and memoised per pair (which also ends cycles). */
  schemas(oRaw: unknown, nRaw: unknown, dir: Dir): Raw[] {
    return this.resolvedPair(this.o.schema(oRaw), this.n.schema(nRaw), dir);
  }

  private resolvedPair(o: Resolved, n: Resolved, dir: Dir): Raw[] {
    const raws = this.pair(o.schema, n.schema, dir);
    const ref = n.ref ?? o.ref;
    return ref ? raws.map((r) => (r.comp ? r : { ...r, comp: { ref, rel: r.rel } })) : raws;
  }

  private pair(os: Obj, ns: Obj, dir: Dir): Raw[] {
    const memo = this.memo[dir];
    const hit = memo.get(os)?.get(ns);
    if (hit) return hit;
    const active = this.active[dir];
    if (active.get(os)?.has(ns)) return []; // a cycle: this pair is being compared further up
    if (!active.has(os)) active.set(os, new WeakSet());
    active.get(os)!.add(ns);
    const A = this.o.alternatives(os);
    const B = this.n.alternatives(ns);
    const out = A.length === 1 && B.length === 1 && !A[0]!.seg.length && !B[0]!.seg.length ? this.single(os, ns, dir) : this.union(A, B, dir);
    active.get(os)!.delete(ns);
    if (!memo.has(os)) memo.set(os, new WeakMap());
    memo.get(os)!.set(ns, out);
    return out;
  }

  private union(A: Alt[], B: Alt[], dir: Dir): Raw[] {
    const out: Raw[] = [];
    const restA = new Set(A);
    const restB = new Set(B);
    const pairs: [Alt, Alt][] = [];
    const take = (a: Alt, b: Alt) => {
      pairs.push([a, b]);
      restA.delete(a);
      restB.delete(b);
    };
    const name = (x: Alt) => x.ref?.split('/').pop();
    const discriminator = (x: Alt) => {
      const own = enumOf(x.schema);
      if (own?.length === 1) return `=${show(own[0])}`;
      if (!isObj(x.schema.properties)) return undefined;
      const doc = A.includes(x) ? this.o : this.n;
      const parts = Object.entries(x.schema.properties)
        .map(([k, v]) => [k, enumOf(doc.schema(v).schema)] as const)
        .filter(([, e]) => e?.length === 1)
        .map(([k, e]) => `${k}=${show(e![0])}`);
      return parts.length ? parts.sort().join('&') : undefined;
    };
    const typeKey = (x: Alt) => [...(typesOf(x.schema) ?? ['*'])].sort().join('|');
    const byKey = (key: (x: Alt) => string | undefined) => {
      for (const a of [...restA]) {
        const k = key(a);
        if (k === undefined) continue;
        const matches = [...restB].filter((b) => key(b) === k);
        if (matches.length === 1 && [...restA].filter((x) => key(x) === k).length === 1) take(a, matches[0]!);
      }
    };
    byKey(name);
    byKey(discriminator);
    for (const a of [...restA]) {
      const b = [...restB].find((b) => !this.resolvedPair(a, b, dir).some((r) => r.severity === 'breaking'));
      if (b) take(a, b);
    }
    byKey(typeKey);
    if (restA.size === restB.size) [...restA].forEach((a, i) => take(a, [...restB][i]!));

    for (const [a, b] of pairs) {
      for (const r of this.resolvedPair(a, b, dir)) out.push({ ...r, rel: [...b.seg, ...r.rel] });
    }
    const describe = (x: Alt) => name(x) ?? discriminator(x) ?? typeKey(x);
    for (const a of restA) {
      const isNull = typeKey(a) === 'null';
      if (dir === 'request') out.push({ severity: 'breaking', rule: 'request-alternative-removed', rel: a.seg, text: `alternative ${describe(a)} is no longer accepted` });
      else if (!isNull) out.push({ severity: 'breaking', rule: 'response-alternative-removed', rel: a.seg, text: `alternative ${describe(a)} was removed (clients may rely on it)` });
    }
    for (const b of restB) {
      const isNull = typeKey(b) === 'null';
      if (dir === 'request') out.push({ severity: 'additive', rule: 'request-alternative-added', rel: b.seg, text: `alternative ${describe(b)} is now accepted` });
      else if (isNull) out.push({ severity: 'breaking', rule: 'response-became-nullable', rel: b.seg, text: 'may now be null' });
      else out.push({ severity: 'additive', rule: 'response-alternative-added', rel: b.seg, text: `new alternative ${describe(b)} (note: clients must tolerate variants they do not know)` });
    }
    return out;
  }

  private single(o: Obj, n: Obj, dir: Dir): Raw[] {
    const out: Raw[] = [];
    const push = (severity: Severity, rule: string, rel: string[], text: string) => out.push({ severity, rule, rel, text });
    const req = dir === 'request';

    // types
    const ot = typesOf(o);
    const nt = typesOf(n);
    if (req) {
      const lost = nt && ot ? [...ot].filter((t) => !covers(nt, t)) : [];
      if (nt && !ot) push('breaking', 'request-type-narrowed', [], `type restricted to ${[...nt].join('|')} (any type was accepted)`);
      else if (lost.length) push('breaking', 'request-type-narrowed', [], `type narrowed from ${[...ot!].join('|')} to ${[...nt!].join('|')}: ${lost.join(', ')} no longer accepted`);
      else if (ot && nt) {
        const gained = [...nt].filter((t) => !covers(ot, t));
        if (gained.length) push('additive', 'request-type-widened', [], `now also accepts ${gained.join(', ')}`);
      }
    } else if (ot) {
      if (!nt) push('breaking', 'response-type-widened', [], `type constraint ${[...ot].join('|')} removed: any type may be returned`);
      else {
        const gained = [...nt].filter((t) => !covers(ot, t));
        if (gained.includes('null')) push('breaking', 'response-became-nullable', [], 'may now be null');
        const other = gained.filter((t) => t !== 'null');
        if (other.length) push('breaking', 'response-type-changed', [], `type changed from ${[...ot].join('|')} to ${[...nt].join('|')}: clients may now get ${other.join(', ')}`);
      }
    }

    // enum / const
    const oe = enumOf(o);
    const ne = enumOf(n);
    const missing = (from: unknown[], to: unknown[]) => from.filter((x) => !to.some((y) => show(y) === show(x)));
    if (req) {
      if (ne && !oe) push('breaking', 'request-enum-added', [], `value restricted to ${ne.map(show).join(', ')}`);
      if (ne && oe) {
        for (const v of missing(oe, ne)) push('breaking', 'request-enum-value-removed', [], `value ${show(v)} is no longer accepted`);
        for (const v of missing(ne, oe)) push('additive', 'request-enum-value-added', [], `value ${show(v)} is now accepted`);
      }
    } else if (oe) {
      if (!ne) push('breaking', 'response-enum-removed', [], `enum ${oe.map(show).join(', ')} dropped: any value may be returned`);
      else {
        for (const v of missing(oe, ne)) push('breaking', 'response-enum-value-removed', [], `value ${show(v)} was removed (clients may rely on it)`);
        for (const v of missing(ne, oe)) push('additive', 'response-enum-value-added', [], `new value ${show(v)} (note: clients must tolerate values they do not know)`);
      }
    }

    // limits
    for (const [keys, upper] of [[UPPER, true], [LOWER, false]] as const) {
      for (const k of keys) {
        if (!applies(k, o, n)) continue;
        const ov = o[k];
        const nv = n[k];
        if (typeof ov === 'boolean' || typeof nv === 'boolean') {
          // OpenAPI 3.0 exclusiveMaximum/exclusiveMinimum: true makes the bound exclusive
          if (req && nv === true && ov !== true) push('breaking', 'request-limit-narrowed', [], `${k} became exclusive`);
          continue;
        }
        const narrower = typeof nv === 'number' && (typeof ov !== 'number' || (upper ? nv < ov : nv > ov));
        const wider = typeof ov === 'number' && (typeof nv !== 'number' || (upper ? nv > ov : nv < ov));
        const what = typeof ov !== 'number' ? `${k} ${nv} added` : typeof nv !== 'number' ? `${k} ${ov} removed` : `${k} ${upper ? (nv < ov ? 'lowered' : 'raised') : nv > ov ? 'raised' : 'lowered'} from ${ov} to ${nv}`;
        if (req && narrower) push('breaking', 'request-limit-narrowed', [], `${what}: values the old limit accepted are rejected`);
        if (!req && wider) push('additive', 'response-limit-relaxed', [], `${what} (note: clients validating responses may need the new limit)`);
      }
    }
    for (const k of ['pattern', 'format', 'multipleOf'] as const) {
      if (!applies(k, o, n)) continue;
      const ov = o[k];
      const nv = n[k];
      if (show(ov) === show(nv)) continue;
      const what = ov === undefined ? `${k} ${show(nv)} added` : nv === undefined ? `${k} ${show(ov)} removed` : `${k} changed from ${show(ov)} to ${show(nv)}`;
      if (req && nv !== undefined) push('breaking', `request-${k}-changed`, [], `${what}: values the old schema accepted may be rejected`);
      if (!req && ov !== undefined) push('additive', `response-${k}-changed`, [], `${what} (note: clients may rely on the old one)`);
    }
    if (req && applies('uniqueItems', o, n) && n.uniqueItems === true && o.uniqueItems !== true) push('breaking', 'request-limit-narrowed', [], 'uniqueItems added');

    // objects
    const op = isObj(o.properties) ? o.properties : {};
    const np = isObj(n.properties) ? n.properties : {};
    const or = new Set(Array.isArray(o.required) ? o.required.map(String) : []);
    const nr = new Set(Array.isArray(n.required) ? n.required.map(String) : []);
    const closed = n.additionalProperties === false;
    for (const [name, os] of Object.entries(op)) {
      const rel = ['properties', name];
      if (!(name in np)) {
        if (!req) push('breaking', 'response-property-removed', rel, 'property removed (clients may rely on it)');
        else if (closed) push('breaking', 'request-property-removed', rel, 'property no longer accepted (unknown properties are rejected)');
        else push('additive', 'request-property-removed', rel, 'property removed from the schema (note: now ignored)');
        continue;
      }
      for (const r of this.schemas(os, np[name], dir)) out.push({ ...r, rel: [...rel, ...r.rel] });
    }
    for (const name of Object.keys(np)) {
      if (name in op) continue;
      if (!req) push('additive', 'response-property-added', ['properties', name], 'new property');
      else if (!nr.has(name)) push('additive', 'request-property-added', ['properties', name], 'new optional property');
    }
    if (req) {
      for (const name of nr) {
        if (or.has(name)) continue;
        if (name in op) push('breaking', 'request-property-became-required', ['properties', name], 'property became required');
        else push('breaking', 'request-property-added-required', ['properties', name], 'new required property');
      }
    } else {
      for (const name of or) if (!nr.has(name) && name in np) push('breaking', 'response-property-became-optional', ['properties', name], 'property is no longer required: it may now be absent');
    }
    const oa = o.additionalProperties;
    const na = n.additionalProperties;
    if (req && na === false && oa !== false && applies('additionalProperties', o, n)) {
      push('breaking', 'request-additional-properties-disallowed', [], 'unknown properties are now rejected');
    }
    if (isObj(oa) || isObj(na)) {
      if (na !== false && oa !== false) for (const r of this.schemas(oa, na, dir)) out.push({ ...r, rel: ['additionalProperties', ...r.rel] });
    }
    if (o.propertyNames !== undefined || n.propertyNames !== undefined) {
      for (const r of this.schemas(o.propertyNames, n.propertyNames, dir)) out.push({ ...r, rel: ['propertyNames', ...r.rel] });
    }

    // arrays
    if (o.items !== undefined || n.items !== undefined) {
      if (Array.isArray(o.items) || Array.isArray(n.items)) {
        const oi = Array.isArray(o.items) ? o.items : [];
        const ni = Array.isArray(n.items) ? n.items : [];
        for (let i = 0; i < Math.max(oi.length, ni.length); i++) for (const r of this.schemas(oi[i], ni[i], dir)) out.push({ ...r, rel: ['items', String(i), ...r.rel] });
      } else for (const r of this.schemas(o.items, n.items, dir)) out.push({ ...r, rel: ['items', ...r.rel] });
    }
    if (Array.isArray(o.prefixItems) || Array.isArray(n.prefixItems)) {
      const oi = Array.isArray(o.prefixItems) ? o.prefixItems : [];
      const ni = Array.isArray(n.prefixItems) ? n.prefixItems : [];
      for (let i = 0; i < Math.max(oi.length, ni.length); i++) for (const r of this.schemas(oi[i], ni[i], dir)) out.push({ ...r, rel: ['prefixItems', String(i), ...r.rel] });
    }
    return out;
  }

  /** Reports the changes between two schemas at an operation's place. */
  report(where: string, location: string[], oRaw: unknown, nRaw: unknown, dir: Dir) {
    for (const r of this.schemas(oRaw, nRaw, dir)) {
      const path = humanPath(r.rel);
      const schema = r.comp ? `${r.comp.ref}${r.comp.rel.length ? pointer(r.comp.rel) : ''}` : undefined;
      this.add(r.severity, r.rule, [...location, ...r.rel], `${where}${path ? ` \`${path}\`` : ''}`, r.text, schema);
    }
  }

  // ---------------------------------------------------------------- operations

  run() {
    const oPaths = isObj(this.o.root.paths) ? this.o.root.paths : {};
    const nPaths = isObj(this.n.root.paths) ? this.n.root.paths : {};
    const template = (p: string) => p.replace(/\{[^}]*\}/g, '{}');
    const nByTemplate = new Map(Object.keys(nPaths).map((p) => [template(p), p]));
    const oTemplates = new Set(Object.keys(oPaths).map(template));
    for (const [oPath, oItemRaw] of Object.entries(oPaths)) {
      const nPath = nByTemplate.get(template(oPath));
      const oItem = this.o.deref(oItemRaw) ?? {};
      if (nPath === undefined) {
        this.add('breaking', 'path-removed', ['paths', oPath], oPath, `path removed`);
        continue;
      }
      const nItem = this.n.deref(nPaths[nPath]) ?? {};
      for (const m of METHODS) {
        const where = `${m.toUpperCase()} ${nPath}`;
        if (!isObj(oItem[m])) {
          if (isObj(nItem[m])) this.add('additive', 'operation-added', ['paths', nPath, m], where, `new operation`);
          continue;
        }
        if (!isObj(nItem[m])) {
          this.add('breaking', 'operation-removed', ['paths', oPath, m], `${m.toUpperCase()} ${oPath}`, `operation removed`);
          continue;
        }
        this.operation(where, ['paths', nPath, m], oPath, nPath, oItem, nItem, oItem[m] as Obj, nItem[m] as Obj);
      }
    }
    for (const nPath of Object.keys(nPaths)) {
      if (!oTemplates.has(template(nPath))) this.add('additive', 'path-added', ['paths', nPath], nPath, `new path`);
    }
    this.securitySchemes();
  }

  private operation(where: string, loc: string[], oPath: string, nPath: string, oItem: Obj, nItem: Obj, o: Obj, n: Obj) {
    this.security(where, loc, o, n);
    this.parameters(where, loc, [oPath, nPath], oItem, nItem, o, n);
    this.requestBody(where, loc, o, n);
    this.responses(where, loc, o, n);
  }

  private security(where: string, loc: string[], o: Obj, n: Obj) {
    type Requirement = Map<string, Set<string>>;
    const reqs = (doc: Doc, op: Obj): Requirement[] => {
      const list = Array.isArray(op.security) ? op.security : Array.isArray(doc.root.security) ? doc.root.security : [];
      const sets = list.filter(isObj).map((r) => new Map(Object.entries(r).map(([k, v]) => [k, new Set(Array.isArray(v) ? v.map(String) : [])])));
      return sets.length ? sets : [new Map()];
    };
    const schemeType = (name: string) => {
      for (const d of [this.n, this.o]) {
        const c = isObj(d.root.components) && isObj(d.root.components.securitySchemes) ? d.root.components.securitySchemes : {};
        const type = d.deref(c[name])?.type;
        if (typeof type === 'string') return type;
      }
      return undefined;
    };
    const oauth = (name: string) => ['oauth2', 'openIdConnect'].includes(schemeType(name) ?? '');
    const rank = this.options.roleRank;
    const hasRole = (roles: Set<string>, need: string) => roles.has(need) || (need in rank && [...roles].some((r) => r in rank && rank[r]! >= rank[need]!));
    /**
     * Does a caller that met `have` meet `need`? OAuth scopes must all be held. For other schemes the list names
     * roles (OpenAPI 3.1): an empty one states none (so it says nothing a caller could have relied on), and a
     * stated one is met by the same or a higher-ranked role.
     */
    const satisfies = (have: Requirement, need: Requirement) =>
      [...need].every(([scheme, scopes]) => {
        const held = have.get(scheme);
        if (!held) return false;
        if (oauth(scheme)) return [...scopes].every((s) => held.has(s));
        return held.size === 0 || [...scopes].every((s) => hasRole(held, s));
      });
    const label = (r: Requirement) => (r.size ? [...r].map(([k, v]) => (v.size ? `${k}[${[...v].join(',')}]` : k)).join(' + ') : 'anonymous');
    const oReqs = reqs(this.o, o);
    const nReqs = reqs(this.n, n);
    for (const a of oReqs) {
      const met = nReqs.find((b) => satisfies(a, b));
      if (!met) {
        if (!a.size) this.add('breaking', 'security-added', [...loc, 'security'], where, 'anonymous callers are now refused (authentication is required)');
        else this.add('breaking', 'security-changed', [...loc, 'security'], where, `callers with ${label(a)} are no longer accepted (now: ${nReqs.map(label).join(' or ')})`);
        continue;
      }
      for (const [scheme, roles] of met) {
        if (!oauth(scheme) && roles.size && a.get(scheme)?.size === 0) this.add('additive', 'security-roles-stated', [...loc, 'security'], where, `the document now states the role it needs: ${label(met)} (it stated none before)`);
      }
    }
    for (const b of nReqs) {
      if (!oReqs.some((a) => satisfies(b, a))) this.add('additive', 'security-relaxed', [...loc, 'security'], where, `now also accepts ${label(b)}`);
    }
  }

  private securitySchemes() {
    const schemes = (d: Doc) => {
      const c = isObj(d.root.components) ? d.root.components : {};
      return isObj(c.securitySchemes) ? c.securitySchemes : {};
    };
    const os = schemes(this.o);
    const ns = schemes(this.n);
    for (const [name, raw] of Object.entries(os)) {
      const loc = ['components', 'securitySchemes', name];
      const a = this.o.deref(raw) ?? {};
      const b = this.n.deref(ns[name]);
      if (!b) this.add('breaking', 'security-scheme-removed', loc, `security scheme ${name}`, 'removed');
      else {
        const changed = ['type', 'scheme', 'in', 'name'].filter((k) => show(a[k]) !== show(b[k]));
        if (changed.length) this.add('breaking', 'security-scheme-changed', loc, `security scheme ${name}`, `changed (${changed.map((k) => `${k}: ${show(a[k])} → ${show(b[k])}`).join(', ')})`);
      }
    }
  }

  private parameters(where: string, loc: string[], [oPath, nPath]: [string, string], oItem: Obj, nItem: Obj, o: Obj, n: Obj) {
    const collect = (doc: Doc, item: Obj, op: Obj, path: string) => {
      const map = new Map<string, { p: Obj; i: number; fromPath: boolean }>();
      // path parameters are matched by their place in the template, so renaming `{id}` to `{articleId}` is no change
      const slots = [...path.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
      const add = (list: unknown, fromPath: boolean) =>
        (Array.isArray(list) ? list : []).forEach((raw, i) => {
          const p = doc.deref(raw);
          if (!p || typeof p.name !== 'string' || typeof p.in !== 'string') return;
          const slot = p.in === 'path' ? slots.indexOf(p.name) : -1;
          const key = slot >= 0 ? `path:#${slot}` : `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
          map.set(key, { p, i, fromPath });
        });
      add(item.parameters, true);
      add(op.parameters, false);
      return map;
    };
    const schemaOf = (p: Obj) => (p.schema !== undefined ? p.schema : isObj(p.content) ? (Object.values(p.content).find(isObj) as Obj | undefined)?.schema : undefined);
    const oParams = collect(this.o, oItem, o, oPath);
    const nParams = collect(this.n, nItem, n, nPath);
    const ploc = (x: { i: number; fromPath: boolean }) => (x.fromPath ? [...loc.slice(0, -1), 'parameters', String(x.i)] : [...loc, 'parameters', String(x.i)]);
    for (const [key, a] of oParams) {
      const name = `${a.p.in} parameter \`${a.p.name}\``;
      const b = nParams.get(key);
      if (!b) {
        if (a.p.in === 'query' && this.options.strictQuery) this.add('breaking', 'request-parameter-removed', ploc(a), where, `${name} removed (unknown query parameters are rejected with 400)`);
        else if (a.p.in !== 'path') this.add('additive', 'request-parameter-removed', ploc(a), where, `${name} removed (note: now ignored)`);
        continue;
      }
      if (b.p.required === true && a.p.required !== true) this.add('breaking', 'request-parameter-became-required', ploc(b), where, `${name} became required`);
      this.report(`${where} ${name}`, [...ploc(b), 'schema'], schemaOf(a.p), schemaOf(b.p), 'request');
    }
    for (const [key, b] of nParams) {
      if (oParams.has(key)) continue;
      const name = `${b.p.in} parameter \`${b.p.name}\``;
      if (b.p.in === 'path') continue; // a new path parameter is a new path
      if (b.p.required === true) this.add('breaking', 'request-parameter-added-required', ploc(b), where, `new required ${name}`);
      else this.add('additive', 'request-parameter-added', ploc(b), where, `new optional ${name}`);
    }
  }

  private requestBody(where: string, loc: string[], o: Obj, n: Obj) {
    const a = this.o.deref(o.requestBody);
    const b = this.n.deref(n.requestBody);
    const bloc = [...loc, 'requestBody'];
    if (!a && !b) return;
    if (!b) {
      this.add('breaking', 'request-body-removed', bloc, where, `request body removed`);
      return;
    }
    if (!a) {
      if (b.required === true) this.add('breaking', 'request-body-added-required', bloc, where, `new required request body`);
      else this.add('additive', 'request-body-added', bloc, where, `new optional request body`);
      return;
    }
    if (b.required === true && a.required !== true) this.add('breaking', 'request-body-became-required', bloc, where, `request body became required`);
    const oc = isObj(a.content) ? a.content : {};
    const nc = isObj(b.content) ? b.content : {};
    for (const [type, media] of Object.entries(oc)) {
      const match = mediaMatch(type, Object.keys(nc));
      if (!match) {
        this.add('breaking', 'request-media-type-removed', [...bloc, 'content', type], where, `request body media type ${type} is no longer accepted (now: ${Object.keys(nc).join(', ') || 'none'})`);
        continue;
      }
      this.report(`${where} request body (${type})`, [...bloc, 'content', match, 'schema'], isObj(media) ? media.schema : undefined, (nc[match] as Obj | undefined)?.schema, 'request');
    }
    for (const type of Object.keys(nc)) if (!(type in oc)) this.add('additive', 'request-media-type-added', [...bloc, 'content', type], where, `request body media type ${type} now accepted`);
  }

  private responses(where: string, loc: string[], o: Obj, n: Obj) {
    const or = isObj(o.responses) ? o.responses : {};
    const nr = isObj(n.responses) ? n.responses : {};
    for (const [status, raw] of Object.entries(or)) {
      const rloc = [...loc, 'responses', status];
      const a = this.o.deref(raw) ?? {};
      const b = this.n.deref(nr[status]);
      if (!b) {
        if (/^2/.test(status)) this.add('breaking', 'response-status-removed', rloc, where, `response ${status} removed`);
        continue;
      }
      const oc = isObj(a.content) ? a.content : {};
      const nc = isObj(b.content) ? b.content : {};
      for (const [type, media] of Object.entries(oc)) {
        if (!(type in nc)) {
          this.add('breaking', 'response-media-type-removed', [...rloc, 'content', type], where, `response ${status} no longer has media type ${type} (now: ${Object.keys(nc).join(', ') || 'no body'})`);
          continue;
        }
        this.report(`${where} response ${status} (${type})`, [...rloc, 'content', type, 'schema'], isObj(media) ? media.schema : undefined, (nc[type] as Obj | undefined)?.schema, 'response');
      }
      for (const type of Object.keys(nc)) if (!(type in oc)) this.add('additive', 'response-media-type-added', [...rloc, 'content', type], where, `response ${status} may now be ${type}`);
      const oh = isObj(a.headers) ? a.headers : {};
      const nh = isObj(b.headers) ? b.headers : {};
      const lower = new Map(Object.keys(nh).map((k) => [k.toLowerCase(), k]));
      for (const [h, hraw] of Object.entries(oh)) {
        const nk = lower.get(h.toLowerCase());
        if (nk === undefined) {
          this.add('breaking', 'response-header-removed', [...rloc, 'headers', h], where, `response ${status} header ${h} removed`);
          continue;
        }
        this.report(`${where} response ${status} header ${h}`, [...rloc, 'headers', nk, 'schema'], this.o.deref(hraw)?.schema, this.n.deref(nh[nk])?.schema, 'response');
      }
      for (const h of Object.keys(nh)) if (!Object.keys(oh).some((k) => k.toLowerCase() === h.toLowerCase())) this.add('additive', 'response-header-added', [...rloc, 'headers', h], where, `response ${status} has a new header ${h}`);
    }
    for (const status of Object.keys(nr)) if (!(status in or)) this.add('additive', 'response-status-added', [...loc, 'responses', status], where, `new response ${status}`);
  }
}

/** The new media type (exact, or a wildcard that covers it) that accepts what `type` accepted. */
function mediaMatch(type: string, candidates: string[]): string | undefined {
  const base = type.split(';')[0]!.trim().toLowerCase();
  const exact = candidates.find((c) => c.split(';')[0]!.trim().toLowerCase() === base);
  if (exact) return exact;
  const [major] = base.split('/');
  return candidates.find((c) => c === '*/*' || c.toLowerCase() === `${major}/*`);
}

/** Every difference between two OpenAPI documents, sorted into breaking and additive (see the rules above). */
export function diffOpenApi(oldDoc: unknown, newDoc: unknown, options: DiffOptions = {}): DiffResult {
  if (!isObj(oldDoc) || !isObj(newDoc)) throw new TypeError('diffOpenApi: both documents must be JSON objects');
  const differ = new Differ(new Doc(oldDoc), new Doc(newDoc), { strictQuery: options.strictQuery ?? true, roleRank: options.roleRank ?? {} });
  differ.run();
  return { breaking: differ.breaking, additive: differ.additive };
}

/** The breaking changes from `oldDoc` to `newDoc`. */
export function breakingChanges(oldDoc: unknown, newDoc: unknown, options?: DiffOptions): Change[] {
  return diffOpenApi(oldDoc, newDoc, options).breaking;
}

// ---------------------------------------------------------------- versions and verdicts

export function versionOf(doc: unknown): string | undefined {
  const info = isObj(doc) && isObj(doc.info) ? doc.info : undefined;
  return typeof info?.version === 'string' ? info.version : undefined;
}

/** The major of a semver-ish version (`1.2.3`, `v2`), or undefined. */
export function majorOf(version: string | undefined): number | undefined {
  const m = version === undefined ? null : /^v?(\d+)(?:[.\-+]|$)/.exec(version.trim());
  return m ? Number(m[1]) : undefined;
}

/** Where info.version comes from, and what to do about a breaking change. */
export const BUMP_HINT =
  'bump the major of "version" in package.json (src/http/openapi.ts copies it into info.version), ' +
  'then run `npm run openapi` (it also refreshes openapi/baseline.json)';

export interface Compatibility {
  diff: DiffResult;
  from?: string;
  to?: string;
  /** `to`'s major is greater than `from`'s: breaking changes are allowed. */
  majorBumped: boolean;
  /** Breaking changes without a major bump. */
  refused: Change[];
}

/** Compares two documents and says which breaking changes are not covered by a major bump. */
export function compatibility(from: unknown, to: unknown, options?: DiffOptions): Compatibility {
  const diff = diffOpenApi(from, to, options);
  const a = majorOf(versionOf(from));
  const b = majorOf(versionOf(to));
  const majorBumped = a !== undefined && b !== undefined && b > a;
  const fromV = versionOf(from);
  const toV = versionOf(to);
  return { diff, ...(fromV ? { from: fromV } : {}), ...(toV ? { to: toV } : {}), majorBumped, refused: majorBumped ? [] : diff.breaking };
}

/**
 * The changes as lines. The same change reached from several places (a named schema used by many operations, the
 * same status changed on every route) is one line naming the first place and the operations of the others.
 */
export function formatChanges(changes: Change[], limit = 60): string {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const key = `${c.rule} ${c.schema ?? ''} ${c.detail}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const operation = (c: Change) => {
    const where = c.message.slice(0, Math.max(0, c.message.length - c.detail.length - 2));
    const m = /^([A-Z]+ \S+)/.exec(where);
    return m ? m[1]! : where;
  };
  const lines = [...groups.values()].map((group) => {
    const first = group[0]!;
    const others = [...new Set(group.slice(1).map(operation))];
    const also = group.length > 1 ? ` (and ${group.length - 1} more: ${others.slice(0, 4).join(', ')}${others.length > 4 ? ', …' : ''})` : '';
    const schema = first.schema ? ` [${first.schema}]` : '';
    return `  - ${first.message}${schema}${also}\n      at ${first.location}`;
  });
  const shown = lines.slice(0, limit);
  if (lines.length > limit) shown.push(`  … and ${lines.length - limit} more`);
  return shown.join('\n');
}
