/**
 * What the hardening tests (route walk, injection, fuzz) read from the OpenAPI document: its operations,
 * their parameters and the smallest request a schema accepts. One copy, so the three walk the same way.
 */
export type Json = any;
export type Op = { method: string; path: string; op: Json; name: string };

/** The discard port: URLs a test must not reach anywhere point here. */
export const SINK = 'http://127.0.0.1:9';
export const API_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

export function operations(doc: Json, methods: readonly string[] = API_METHODS): Op[] {
  const ops: Op[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const method of methods) {
      const op = item[method];
      if (op) ops.push({ method: method.toUpperCase(), path, op, name: op.operationId ?? `${method} ${path}` });
    }
  }
  return ops;
}

export const resolveRef = (doc: Json, ref: string): Json =>
  ref.replace(/^#\//, '').split('/').reduce((o: Json, k: string) => o?.[decodeURIComponent(k).replace(/~1/g, '/').replace(/~0/g, '~')], doc);

/** A schema with its `$ref` chain followed (sibling keywords kept). */
export function deref(doc: Json, s: Json): Json {
  let schema = s;
  for (let i = 0; schema && typeof schema === 'object' && typeof schema.$ref === 'string' && i < 32; i++) {
    const { $ref, ...rest } = schema;
    schema = { ...resolveRef(doc, $ref), ...rest };
  }
  return schema ?? {};
}

export const params = (op: Op, where: string): Json[] => (op.op.parameters ?? []).filter((p: Json) => p.in === where);
export const securedOnly = (op: Op) => Array.isArray(op.op.security) && op.op.security.length > 0 && op.op.security.every((s: Json) => Object.keys(s).length > 0);
export const jsonBody = (op: Op) => op.op.requestBody?.content?.['application/json']?.schema;

/**
 * The smallest instance a schema accepts, preferring its documented example (URLs are pointed at the sink so
 * nothing leaves the machine).
 */
export function minimal(doc: Json, s: Json, depth = 0): Json {
  const schema = deref(doc, s);
  if (depth > 12) return null;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return minimal(doc, alternatives.find((a: Json) => deref(doc, a).type !== 'null') ?? alternatives[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((x: string) => x !== 'null') : schema.type;
  const example = schema.example;
  switch (type) {
    case 'string':
      if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
      if (typeof example === 'string') return /^https?:\/\//.test(example) ? `${SINK}/x` : example;
      return schema.pattern ? 'a' : 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    case 'integer':
    case 'number':
      return typeof example === 'number' ? example : (schema.minimum ?? 1);
    case 'boolean':
      return typeof example === 'boolean' ? example : false;
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => minimal(doc, schema.items ?? {}, depth + 1));
    default: {
      if (!schema.properties) return {};
      return Object.fromEntries((schema.required ?? []).map((k: string) => [k, minimal(doc, schema.properties[k] ?? {}, depth + 1)]));
    }
  }
}
