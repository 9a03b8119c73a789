import fastJson from 'fast-json-stringify';
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { $ZodType } from 'zod/v4/core';

/**
 * Response serialization without Zod on the hot path (issue 7).
 *
 * fastify-type-provider-zod's serializer encodes every response with Zod (a full validation and copy) and then
 * JSON.stringifies the copy. This compiler turns each response schema, once (when it is first used), into a
 * fast-json-stringify schema and writes the handler's object directly, with the same bytes: keys in the schema's
 * order, unknown keys dropped, `undefined` left out, dates as ISO strings. It reads the Zod schema itself rather than the OpenAPI conversion
 * (`z.toJSONSchema`), because a serializer has to copy what Zod's encoder does, and the document loses that: a
 * stripping and a strict object both become `additionalProperties: false`, a union becomes an `anyOf` that
 * fast-json-stringify would settle with Ajv against the whole branch (slow, and not Zod's checks), and `.trim()`
 * is invisible although Zod applies it on the way out. What it does instead:
 *
 * - keys follow the shape; `required` is kept only for the leading required keys, because fast-json-stringify
 *   writes required keys before optional ones;
 * - a union is dispatched the way Zod picks its first valid branch, by a condition decided here from the options'
 *   shapes: a literal property (`type: 'image'`), or a key one option requires and a strict option cannot have.
 *   Options that no such condition separates are not compiled. A value that matches no option throws (a 500, as
 *   Zod's error did);
 * - string overwrites (`.trim()`, `.toLowerCase()`…) run before writing, on the paths that have them, copying only
 *   the objects they change.
 *
 * Anything else (transforms, pipes, codecs, `catch`, tuples, intersections, coercion, records with enumerated
 * keys, optional values outside an object, unions of objects with other things…) keeps the Zod serializer for that
 * response: the choice is made once per schema, here, never per request. Not a validator: a handler that returns
 * the wrong type gets it written (coerced where fast-json-stringify coerces) where Zod answered 500.
 * test/http/serializer.test.ts compares the bytes with the Zod serializer's over the whole API.
 */

type Json = Record<string, unknown>;
type Zod = $ZodType;
// The definition of a Zod schema, read structurally (the fields depend on `type`).
type Def = {
  type: string;
  innerType?: Zod; element?: Zod; options?: Zod[]; shape?: Record<string, Zod>; catchall?: Zod;
  keyType?: Zod; valueType?: Zod; values?: unknown[]; entries?: Record<string, unknown>;
  checks?: { _zod: { def: { check: string; tx?: (v: unknown) => unknown } } }[]; coerce?: boolean; mode?: string;
};
type Normalize = (value: unknown) => unknown;
/** Writes a response as UTF-8 bytes. */
export type Serialize = (data: unknown) => Buffer;

class Unsupported extends Error {}

const defOf = (s: Zod) => s._zod.def as unknown as Def;
const optionalOut = (s: Zod) => s._zod.optout === 'optional';

/** Wrappers that do not change what is written: `readonly`, `default` (not applied when encoding) and `lazy`. */
function peel(s: Zod): Zod {
  for (;;) {
    const d = defOf(s);
    if (d.type === 'readonly' || d.type === 'default') s = d.innerType!;
    else if (d.type === 'lazy') s = (s._zod as unknown as { innerType: Zod }).innerType; // resolved once, as Zod does
    else return s;
  }
}

/** `optional` and `nullable` around a value, in any order, with the wrappers of `peel`. */
function unwrap(s: Zod): { schema: Zod; optional: boolean; nullable: boolean } {
  let optional = false;
  let nullable = false;
  for (;;) {
    s = peel(s);
    const d = defOf(s);
    if (d.type === 'optional') optional = true;
    else if (d.type === 'nullable') nullable = true;
    else return { schema: s, optional, nullable };
    s = d.innerType!;
  }
}

const overwrites = (s: Zod) => (defOf(s).checks ?? []).filter((c) => c._zod.def.check === 'overwrite').map((c) => c._zod.def.tx!);
const isAny = (s: Zod) => ['unknown', 'any'].includes(defOf(s).type);

/** The JSON types of a primitive schema, or undefined when it is not one. */
function primitiveTypes(s: Zod): string[] | undefined {
  const d = defOf(s);
  const typeOfValue = (v: unknown) => {
    if (v === null) return 'null';
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return typeof v;
    throw new Unsupported(`literal ${String(v)}`);
  };
  switch (d.type) {
    case 'string':
    case 'template_literal':
      if (d.coerce) throw new Unsupported('coerced string');
      return ['string'];
    case 'number':
    case 'boolean':
      if (d.coerce) throw new Unsupported(`coerced ${d.type}`);
      return [d.type];
    case 'null':
      return ['null'];
    case 'literal':
      return [...new Set(d.values!.map(typeOfValue))];
    case 'enum':
      return [...new Set(Object.values(d.entries!).map(typeOfValue))];
    default:
      return undefined;
  }
}

/** The values a property can take when it is a literal or an enum (after `peel`), else undefined. */
function literalValues(s: Zod): Set<unknown> | undefined {
  const d = defOf(peel(s));
  if (d.type === 'literal') return new Set(d.values);
  if (d.type === 'enum') return new Set(Object.values(d.entries!));
  return undefined;
}

type ObjectInfo = { shape: Record<string, Zod>; strict: boolean; required: Set<string>; literals: Map<string, Set<unknown>> };

function objectInfo(s: Zod): ObjectInfo {
  const d = defOf(s);
  const shape = d.shape!;
  const required = new Set<string>();
  const literals = new Map<string, Set<unknown>>();
  for (const key of Object.keys(shape)) {
    const prop = shape[key]!;
    if (optionalOut(prop)) continue;
    required.add(key);
    const values = unwrap(prop).nullable ? undefined : literalValues(prop);
    if (values) literals.set(key, values);
  }
  return { shape, strict: d.catchall !== undefined && defOf(d.catchall).type === 'never', required, literals };
}

/** A condition on one object: literal properties, keys it must have, keys it must not have. */
type Condition = { equals: Map<string, Set<unknown>>; has: Set<string>; lacks: Set<string> };

/**
 * What tells option `a` from a later option `b` for every value valid under one of them: a literal property
 * `a` requires with values `b` never takes, a key `a` requires that strict `b` cannot have, or a key `b`
 * requires that strict `a` cannot have.
 */
function separate(a: ObjectInfo, b: ObjectInfo, into: Condition): void {
  for (const [key, values] of a.literals) {
    // `a`'s literal properties are always part of its condition: nothing to add when one of them separates.
    if (!(key in b.shape)) {
      if (b.strict) return;
      continue;
    }
    const other = unwrap(b.shape[key]!);
    const taken = literalValues(other.schema);
    if (taken && [...values].every((v) => !taken.has(v) && !(v === null && other.nullable))) return;
  }
  for (const key of a.required) {
    if (b.strict && !(key in b.shape)) {
      into.has.add(key);
      return;
    }
  }
  for (const key of b.required) {
    if (a.strict && !(key in a.shape)) {
      into.lacks.add(key);
      return;
    }
  }
  throw new Unsupported('union options that no property tells apart');
}

type UnionPlan = { nullable: boolean; options: Zod[]; conditions: Condition[] } | { nullable: boolean; primitive: string[] };

/** The options of a union, nested unions flattened, `null` taken out as `nullable`. */
function planUnion(s: Zod): UnionPlan {
  let nullable = false;
  const options: Zod[] = [];
  const collect = (o: Zod) => {
    const { schema, nullable: n, optional } = unwrap(o);
    if (optional) throw new Unsupported('optional union option');
    nullable ||= n;
    const d = defOf(schema);
    if (d.type === 'union') d.options!.forEach(collect);
    else if (d.type === 'null' || (d.type === 'literal' && d.values!.every((v) => v === null))) nullable = true;
    else options.push(schema);
  };
  defOf(s).options!.forEach(collect);
  if (options.every((o) => primitiveTypes(o))) {
    return { nullable, primitive: [...new Set(options.flatMap((o) => primitiveTypes(o)!))] };
  }
  if (!options.every((o) => defOf(o).type === 'object')) throw new Unsupported('union of objects and other types');
  const infos = options.map(objectInfo);
  const conditions = infos.map((info, i) => {
    const c: Condition = { equals: info.literals, has: new Set(), lacks: new Set() };
    for (const later of infos.slice(i + 1)) separate(info, later, c);
    return c;
  });
  return { nullable, options, conditions };
}

function conditionSchema(c: Condition): Json {
  const schema: Json = { type: 'object' };
  if (c.equals.size) schema.properties = Object.fromEntries([...c.equals].map(([k, v]) => [k, { enum: [...v] }]));
  const required = [...new Set([...c.equals.keys(), ...c.has])];
  if (required.length) schema.required = required;
  if (c.lacks.size) schema.not = { anyOf: [...c.lacks].map((k) => ({ required: [k] })) };
  return schema;
}

function conditionTest(c: Condition): (v: unknown) => boolean {
  const equals = [...c.equals];
  const has = [...c.has];
  const lacks = [...c.lacks];
  return (v) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    for (let i = 0; i < equals.length; i++) {
      const x = o[equals[i]![0]];
      if (x === undefined || !equals[i]![1].has(x)) return false;
    }
    for (let i = 0; i < has.length; i++) if (o[has[i]!] === undefined) return false;
    for (let i = 0; i < lacks.length; i++) if (o[lacks[i]!] !== undefined) return false;
    return true;
  };
}

/** Matches nothing: fast-json-stringify throws "does not match schema definition". */
const NEVER = { anyOf: [{ not: {} }] };

/** Builds the fast-json-stringify schema of one Zod schema; objects and unions become definitions. */
class Converter {
  readonly definitions: Record<string, Json> = {};
  private readonly names = new Map<unknown, string>();
  private readonly unions = new Map<Def, UnionPlan>();

  value(s: Zod, nullable = false): Json {
    const { schema, nullable: n, optional } = unwrap(s);
    if (optional) throw new Unsupported('optional value outside an object');
    nullable ||= n;
    const d = defOf(schema);
    if (overwrites(schema).length && d.type !== 'string') throw new Unsupported(`overwrite on ${d.type}`);
    const orNull = (json: Json): Json => (nullable ? { ...json, nullable: true } : json);
    const primitive = primitiveTypes(schema);
    if (primitive) return orNull(primitive.length === 1 ? { type: primitive[0] } : { type: primitive });
    switch (d.type) {
      case 'unknown':
      case 'any':
        return {};
      case 'date':
        if (d.coerce) throw new Unsupported('coerced date');
        return orNull({ type: 'string', format: 'date-time' });
      case 'array': {
        const element = unwrap(d.element!);
        // JSON.stringify writes the array as Zod's copy would be written (fast-json-stringify would write `undefined`).
        if (!element.optional && !element.nullable && isAny(element.schema)) return {};
        return orNull({ type: 'array', items: this.value(d.element!) });
      }
      case 'record': {
        const key = peel(d.keyType!);
        if (!['string', 'template_literal'].includes(defOf(key).type) || defOf(key).coerce || overwrites(key).length || d.mode) {
          throw new Unsupported('record keys other than strings');
        }
        const value = unwrap(d.valueType!);
        if (value.optional) throw new Unsupported('optional record values');
        if (!value.nullable && isAny(value.schema)) return {};
        return orNull({ type: 'object', additionalProperties: this.value(d.valueType!) });
      }
      case 'object':
        return this.ref(d, nullable, () => this.object(d, nullable));
      case 'union':
        return this.ref(d, nullable, () => this.union(schema, nullable));
      default:
        throw new Unsupported(d.type);
    }
  }

  plan(s: Zod): UnionPlan {
    const d = defOf(s);
    let plan = this.unions.get(d);
    if (!plan) this.unions.set(d, (plan = planUnion(s)));
    return plan;
  }

  /** A definition per Zod definition (and nullability), made once: recursive schemas refer to themselves. */
  private ref(d: Def, nullable: boolean, make: () => Json): Json {
    const key = nullable ? this.nullableKey(d) : d;
    let name = this.names.get(key);
    if (!name) {
      name = `s${this.names.size}`;
      this.names.set(key, name);
      this.definitions[name] = make();
    }
    return { $ref: `#/definitions/${name}` };
  }

  private readonly nullables = new WeakMap<Def, object>();
  private nullableKey(d: Def): object {
    let k = this.nullables.get(d);
    if (!k) this.nullables.set(d, (k = {}));
    return k;
  }

  private object(d: Def, nullable: boolean): Json {
    const catchall = d.catchall ? defOf(d.catchall).type : 'never';
    if (!['never', 'unknown', 'any'].includes(catchall)) throw new Unsupported('object catchall');
    const properties: Record<string, Json> = {};
    const required: string[] = [];
    let leading = true;
    for (const key of Object.keys(d.shape!)) {
      if (key === '__proto__') throw new Unsupported('a __proto__ key');
      const prop = d.shape![key]!;
      const { schema, optional, nullable: n } = unwrap(prop);
      properties[key] = this.value(schema, n);
      if (optional || optionalOut(prop)) leading = false;
      else if (leading) required.push(key);
    }
    return {
      type: 'object', properties, ...(required.length ? { required } : {}),
      // Zod's loose objects copy unknown keys as they are, after the declared ones.
      additionalProperties: catchall !== 'never', ...(nullable ? { nullable: true } : {}),
    };
  }

  private union(s: Zod, nullable: boolean): Json {
    const plan = this.plan(s);
    nullable ||= plan.nullable;
    if ('primitive' in plan) {
      const types = nullable ? [...new Set([...plan.primitive, 'null'])] : plan.primitive;
      return { type: types.length === 1 ? types[0] : types };
    }
    if (plan.options.length === 1) return this.value(plan.options[0]!, nullable);
    let chain: Json = NEVER;
    for (let i = plan.options.length - 1; i >= 0; i--) {
      chain = { if: conditionSchema(plan.conditions[i]!), then: this.value(plan.options[i]!), else: chain };
    }
    return nullable ? { if: { type: 'null' }, then: { type: 'null' }, else: chain } : chain;
  }
}

/** The schemas under one, by definition: what an overwrite can hide in. */
function children(d: Def): Zod[] {
  switch (d.type) {
    case 'object':
      return Object.values(d.shape!);
    case 'array':
      return [d.element!];
    case 'record':
      return [d.valueType!];
    case 'union':
      return d.options!;
    default:
      return [];
  }
}

/**
 * The definitions from which a string overwrite (`.trim()`…) can be reached. An overwrite inside a union of
 * primitives cannot be dispatched: such a schema keeps the Zod serializer.
 */
function overwritePaths(root: Zod): Set<Def> {
  const edges = new Map<Def, Def[]>();
  const reach = new Set<Def>();
  const visit = (s: Zod): Def => {
    s = unwrap(s).schema;
    const d = defOf(s);
    if (edges.has(d)) return d;
    edges.set(d, []);
    if (d.type === 'string' && overwrites(s).length) reach.add(d);
    edges.set(d, children(d).map(visit));
    return d;
  };
  visit(root);
  for (let changed = true; changed;) {
    changed = false;
    for (const [d, next] of edges) {
      if (!reach.has(d) && next.some((n) => reach.has(n))) {
        reach.add(d);
        changed = true;
      }
    }
  }
  for (const d of edges.keys()) {
    if (d.type === 'union' && d.options!.some((o) => reach.has(defOf(unwrap(o).schema)) && defOf(unwrap(o).schema).type !== 'object')) {
      throw new Unsupported('string overwrite in a union');
    }
  }
  return reach;
}

/**
 * What Zod's encoder changes in a value: the string overwrites, applied where the schema has them. Returns the
 * value itself when nothing changes (nothing is copied then), undefined when the schema has no overwrite.
 */
function normalizer(s: Zod, converter: Converter, reach: Set<Def>, memo = new Map<Def, Normalize>()): Normalize | undefined {
  s = unwrap(s).schema;
  const d = defOf(s);
  if (!reach.has(d)) return undefined;
  const known = memo.get(d);
  if (known) return known;
  let impl: Normalize = (v) => v;
  const normalize: Normalize = (v) => impl(v);
  memo.set(d, normalize);
  const child = (c: Zod) => normalizer(c, converter, reach, memo);
  switch (d.type) {
    case 'string': {
      const txs = overwrites(s);
      impl = (v) => (typeof v === 'string' ? txs.reduce((x, tx) => tx(x), v as unknown) : v);
      break;
    }
    case 'object': {
      const fields = Object.keys(d.shape!).flatMap((k) => {
        const f = child(d.shape![k]!);
        return f ? [[k, f] as const] : [];
      });
      impl = (v) => {
        if (v === null || typeof v !== 'object') return v;
        const o = v as Record<string, unknown>;
        let out = o;
        for (let i = 0; i < fields.length; i++) {
          const [k, f] = fields[i]!;
          const x = o[k];
          if (x === undefined || x === null) continue;
          const y = f(x);
          if (y !== x) {
            if (out === o) out = { ...o };
            out[k] = y;
          }
        }
        return out;
      };
      break;
    }
    case 'array': {
      const f = child(d.element!)!;
      impl = (v) => {
        if (!Array.isArray(v)) return v;
        let out: unknown[] | undefined;
        for (let i = 0; i < v.length; i++) {
          const x: unknown = v[i];
          if (x === undefined || x === null) continue;
          const y = f(x);
          if (y !== x) (out ??= v.slice())[i] = y;
        }
        return out ?? v;
      };
      break;
    }
    case 'record': {
      const f = child(d.valueType!)!;
      impl = (v) => {
        if (v === null || typeof v !== 'object') return v;
        const o = v as Record<string, unknown>;
        let out: Record<string, unknown> | undefined;
        for (const k of Object.keys(o)) {
          const x = o[k];
          if (x === undefined || x === null) continue;
          const y = f(x);
          if (y !== x) (out ??= { ...o })[k] = y;
        }
        return out ?? o;
      };
      break;
    }
    case 'union': {
      const plan = converter.plan(s);
      if ('primitive' in plan) break; // refused by overwritePaths
      const branches = plan.options.map((o, i) => [conditionTest(plan.conditions[i]!), child(o)] as const);
      impl = (v) => {
        for (let i = 0; i < branches.length; i++) {
          const [test, f] = branches[i]!;
          if (test(v)) return f ? f(v) : v;
        }
        return v;
      };
      break;
    }
  }
  return normalize;
}

/** The fast-json-stringify schema and normalizer for a Zod schema, or why it keeps the Zod serializer. */
function planSerializer(schema: Zod): { schema: Json; normalize?: Normalize } | { unsupported: string } {
  try {
    const converter = new Converter();
    let root = converter.value(schema);
    // The root itself, not a reference with siblings (fast-json-stringify would merge them into a copy).
    while (typeof root.$ref === 'string') root = converter.definitions[root.$ref.replace('#/definitions/', '')]!;
    const normalize = normalizer(schema, converter, overwritePaths(schema));
    return { schema: { ...root, definitions: converter.definitions }, ...(normalize ? { normalize } : {}) };
  } catch (err) {
    if (err instanceof Unsupported) return { unsupported: err.message };
    throw err;
  }
}

type Text = (data: unknown) => string;
type Compiled = { kind: 'fast-json-stringify'; serialize: Serialize; text: Text } | { serialize?: undefined; kind: 'zod'; reason: string };
const compiled = new WeakMap<Zod, Compiled>();

/**
 * UTF-8 bytes of the strings `add`ed since `start`, written into one buffer kept between calls (writing is
 * synchronous) and copied out at their exact size by `done`. `Buffer.from(string)` costs several times as
 * much for a response-sized string: it measures, allocates and encodes each one on its own, and a string of
 * more than 128 KB is first flattened into V8's large-object space, fresh memory at every call
 * (bench/README.md, issue 7).
 */
class Utf8Writer {
  private static readonly FIRST = 1 << 18;
  private static readonly KEEP = 8 << 20;
  private buf = Buffer.allocUnsafeSlow(Utf8Writer.FIRST);
  private n = 0;

  start(): this {
    this.n = 0;
    return this;
  }

  add(s: string): this {
    // A UTF-16 unit is at most 3 bytes of UTF-8: with that much room, `write` never cuts a character.
    if (this.n + s.length * 3 > this.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.n + s.length * 3));
      this.buf.copy(bigger, 0, 0, this.n);
      this.buf = bigger;
    }
    this.n += this.buf.write(s, this.n);
    return this;
  }

  done(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.n));
    if (this.buf.length > Utf8Writer.KEEP) this.buf = Buffer.allocUnsafeSlow(Utf8Writer.FIRST);
    return out;
  }
}
const writer = new Utf8Writer();

/** A string's UTF-8 bytes (the same as `Buffer.from(s)`), through the shared writer. */
export const utf8 = (s: string): Buffer => writer.start().add(s).done();

/**
 * Writes a page (`{ data: [...], ... }`: the first key a required array of objects) one item at a time.
 * Written whole, the 150 KB of a list of 20 articles is one string of thousands of pieces that must be
 * flattened before it can be encoded, and that took three times as long as writing the page; each item's
 * string is small. Same bytes as `text` (the rest of the object is written by `text` with an empty array and
 * spliced after the items); anything else is written by `text`.
 */
function pageWriter(schema: Zod, text: Text): Serialize | undefined {
  const d = defOf(schema);
  if (d.type !== 'object') return undefined;
  const key = Object.keys(d.shape!)[0];
  if (key === undefined) return undefined;
  const prop = unwrap(d.shape![key]!);
  if (prop.optional || prop.nullable || optionalOut(d.shape![key]!) || defOf(prop.schema).type !== 'array') return undefined;
  const element = unwrap(defOf(prop.schema).element!);
  if (element.optional || element.nullable || defOf(element.schema).type !== 'object') return undefined;
  const item = compileSerializer(element.schema);
  if (!item.serialize) return undefined;
  const open = `{${JSON.stringify(key)}:[`;
  return (data) => {
    const items = (data as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(items) || items.length < 2) return utf8(text(data));
    const shell = text({ ...(data as object), [key]: [] });
    if (!shell.startsWith(`${open}]`)) return utf8(text(data));
    writer.start().add(open);
    for (let i = 0; i < items.length; i++) writer.add(i ? `,${item.text(items[i])}` : item.text(items[i]));
    return writer.add(shell.slice(open.length)).done();
  };
}

/**
 * The compiled serializer of a Zod schema, made once and shared by every route and app that uses the schema
 * (ArticleSchema answers ten routes), or the reason it keeps the Zod serializer. `serialize` writes UTF-8
 * bytes (what Fastify, the ETag, the compressor and the response cache take), `text` the same as a string.
 */
export function compileSerializer(schema: Zod): Compiled {
  let result = compiled.get(schema);
  if (result) return result;
  try {
    const plan = planSerializer(schema);
    if ('unsupported' in plan) {
      result = { kind: 'zod', reason: plan.unsupported };
    } else {
      const write = fastJson(plan.schema as never) as Text;
      const normalize = plan.normalize;
      const text: Text = normalize ? (data) => write(normalize(data)) : write;
      const whole: Serialize = (data) => utf8(text(data));
      // Registered before pageWriter, which compiles the items' schema: a recursive schema finds itself here.
      const self: Compiled = { kind: 'fast-json-stringify', serialize: whole, text };
      compiled.set(schema, self);
      self.serialize = pageWriter(schema, text) ?? whole;
      result = self;
    }
  } catch (err) {
    // A schema this file does not expect (or fast-json-stringify refuses): the Zod serializer, as before.
    result = { kind: 'zod', reason: `cannot compile: ${(err as Error).message}` };
  }
  compiled.set(schema, result);
  return result;
}

function resolveSchema(maybe: unknown): Zod | undefined {
  if (maybe instanceof $ZodType) return maybe;
  const properties = (maybe as { properties?: unknown } | null)?.properties;
  return properties instanceof $ZodType ? properties : undefined;
}

/**
 * Fastify's serializer compiler: fast-json-stringify where the schema allows it, else the Zod serializer. A
 * schema is compiled when a response first uses it (once per process: the cache is shared by every route and
 * app), not when the routes are registered: compiling them all costs about 0.2 s of CPU at every start, and
 * most starts (tests) send few kinds of responses.
 */
export const serializerCompiler: FastifySerializerCompiler<$ZodType | { properties: $ZodType }> = (route) => {
  const schema = resolveSchema(route.schema);
  if (!schema) return zodSerializerCompiler(route);
  let serialize: ((data: unknown) => Buffer | string) | undefined;
  // Typed as a string by Fastify, which sends a Buffer as it is (Content-Length from its length).
  return (data) => (serialize ??= compileSerializer(schema).serialize ?? zodSerializerCompiler(route))(data) as string;
};
