import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { openapiPath } from '../../src/cli/openapi.js';
import { breakingChanges, type Change, diffOpenApi, formatChanges, majorOf } from '../../src/cli/openapi-diff.js';

type Doc = Record<string, any>;

const json = (schema: unknown) => ({ 'application/json': { schema } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A small API with the shapes the rules care about: refs, arrays, unions, allOf, cycles, strict request bodies. */
function base(): Doc {
  return {
    openapi: '3.1.0',
    info: { title: 'test', version: '1.2.0' },
    paths: {
      '/items': {
        get: {
          security: [{}, { bearerAuth: [] }],
          parameters: [
            { in: 'query', name: 'limit', required: false, schema: { type: 'integer', minimum: 1, maximum: 100 } },
            { in: 'query', name: 'status', required: false, schema: ref('StatusInput') },
            { in: 'header', name: 'x-trace', required: false, schema: { type: 'string' } },
          ],
          responses: {
            200: { description: 'ok', content: json(ref('ItemList')), headers: { ETag: { schema: { type: 'string' } } } },
          },
        },
        post: {
          security: [{ bearerAuth: [] }],
          requestBody: { required: true, content: json(ref('NewItem')) },
          responses: { 201: { description: 'created', content: json(ref('Item')) }, 400: { description: 'bad', content: json(ref('Problem')) } },
        },
      },
      '/items/{id}': {
        parameters: [{ in: 'path', name: 'id', required: true, schema: { type: 'string' } }],
        get: {
          security: [{}, { bearerAuth: [] }],
          responses: { 200: { description: 'ok', content: json(ref('Item')) }, 404: { description: 'missing', content: json(ref('Problem')) } },
        },
        patch: {
          security: [{ bearerAuth: [] }],
          requestBody: { required: false, content: json(ref('ItemPatch')) },
          responses: { 200: { description: 'ok', content: json(ref('Item')) } },
        },
      },
    },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Status: { type: 'string', enum: ['draft', 'live'] },
        StatusInput: { type: 'string', enum: ['draft', 'live'] },
        Problem: { type: 'object', required: ['title'], properties: { title: { type: 'string' }, detail: { type: 'string' } } },
        Block: { oneOf: [ref('TextBlock'), ref('ImageBlock')] },
        TextBlock: { type: 'object', required: ['type', 'text'], properties: { type: { type: 'string', const: 'text' }, text: { type: 'string' } } },
        ImageBlock: { type: 'object', required: ['type', 'src'], properties: { type: { type: 'string', const: 'image' }, src: { type: 'string' } } },
        Base: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        Item: {
          allOf: [
            ref('Base'),
            {
              type: 'object',
              required: ['name', 'status'],
              properties: {
                name: { type: 'string', maxLength: 100, description: 'The name.' },
                status: ref('Status'),
                count: { type: 'integer' },
                blocks: { type: 'array', items: ref('Block') },
                parent: { anyOf: [ref('Item'), { type: 'null' }] }, // a cycle through a nullable union
                children: { type: 'array', items: ref('Item') }, // a cycle through an array
              },
            },
          ],
        },
        ItemList: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: ref('Item') }, total: { type: 'integer' } } },
        NewItem: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 100 },
            status: ref('StatusInput'),
            note: { type: 'string' },
            code: { type: ['string', 'integer'] },
            amount: { type: 'number', minimum: 0, maximum: 10 },
            tags: { type: 'array', items: { type: 'string' }, maxItems: 5 },
            body: { type: 'array', items: ref('BlockInput') },
            children: { type: 'array', items: ref('NewItem') }, // a request-side cycle
          },
        },
        BlockInput: { oneOf: [ref('TextBlock'), ref('ImageBlock')] },
        ItemPatch: { type: 'object', properties: { name: { type: 'string' }, note: { type: 'string' } } }, // open: unknown properties tolerated
      },
    },
  };
}

const mutate = (f: (d: Doc) => void) => {
  const d = base();
  f(d);
  return d;
};
const S = (d: Doc) => d.components.schemas;
const ptr = (...segs: string[]) => `/${segs.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/** Asserts a breaking change with this rule at exactly this location (and returns it). */
function breaks(t: Test, d: Doc, rule: string, location: string): Change | undefined {
  const found = breakingChanges(base(), d);
  const hit = found.find((c) => c.rule === rule && c.location === location);
  t.ok(hit, `${rule} at ${location}\nfound:\n${formatChanges(found) || '  (none)'}`);
  return hit;
}

/** Asserts no breaking change and an additive change with this rule. */
function additive(t: Test, d: Doc, rule: string, location?: string) {
  const { breaking, additive } = diffOpenApi(base(), d);
  t.same(breaking, [], `not breaking:\n${formatChanges(breaking)}`);
  t.ok(additive.some((c) => c.rule === rule && (location === undefined || c.location === location)), `additive ${rule}${location ? ` at ${location}` : ''}\nfound:\n${formatChanges(additive) || '  (none)'}`);
}

const GET_ITEMS_200 = ['paths', '/items', 'get', 'responses', '200', 'content', 'application/json', 'schema'];
const GET_ITEM_200 = ['paths', '/items/{id}', 'get', 'responses', '200', 'content', 'application/json', 'schema'];
const POST_BODY = ['paths', '/items', 'post', 'requestBody', 'content', 'application/json', 'schema'];

t.test('identical documents (and documentation-only edits) have no changes; cycles end', async (t) => {
  t.same(diffOpenApi(base(), base()), { breaking: [], additive: [] });
  const documented = mutate((d) => {
    S(d).Item.allOf[1].properties.name.description = 'Another description.';
    S(d).NewItem.properties.note.example = 'an example';
    S(d).NewItem.description = 'A new item.';
    d.paths['/items'].get.summary = 'List items';
    d.info.description = 'changed';
  });
  t.same(diffOpenApi(base(), documented), { breaking: [], additive: [] });
});

t.test('paths and operations', async (t) => {
  breaks(t, mutate((d) => delete d.paths['/items/{id}']), 'path-removed', ptr('paths', '/items/{id}'));
  breaks(t, mutate((d) => delete d.paths['/items'].post), 'operation-removed', ptr('paths', '/items', 'post'));
  additive(t, mutate((d) => (d.paths['/other'] = { get: { responses: { 200: { description: 'ok' } } } })), 'path-added', ptr('paths', '/other'));
  additive(t, mutate((d) => (d.paths['/items/{id}'].delete = { security: [{ bearerAuth: [] }], responses: { 204: { description: 'gone' } } })), 'operation-added', ptr('paths', '/items/{id}', 'delete'));
  // a renamed path parameter is the same path
  const renamed = mutate((d) => {
    d.paths['/items/{itemId}'] = d.paths['/items/{id}'];
    delete d.paths['/items/{id}'];
    d.paths['/items/{itemId}'].parameters[0].name = 'itemId';
  });
  t.same(breakingChanges(base(), renamed), [], 'a renamed path template parameter is no change (matched by its place in the template)');
});

t.test('response statuses and media types', async (t) => {
  const d = mutate((d) => {
    d.paths['/items'].post.responses[200] = d.paths['/items'].post.responses[201];
    delete d.paths['/items'].post.responses[201];
  });
  breaks(t, d, 'response-status-removed', ptr('paths', '/items', 'post', 'responses', '201'));
  t.ok(diffOpenApi(base(), d).additive.some((c) => c.rule === 'response-status-added'), 'the new status is additive');
  t.same(breakingChanges(base(), mutate((d) => delete d.paths['/items/{id}'].get.responses[404])), [], 'removing an error status is not breaking');
  breaks(
    t,
    mutate((d) => (d.paths['/items/{id}'].get.responses[200].content = { 'application/xml': { schema: ref('Item') } })),
    'response-media-type-removed',
    ptr('paths', '/items/{id}', 'get', 'responses', '200', 'content', 'application/json'),
  );
  breaks(
    t,
    mutate((d) => (d.paths['/items'].post.requestBody.content = { 'application/x-www-form-urlencoded': { schema: ref('NewItem') } })),
    'request-media-type-removed',
    ptr('paths', '/items', 'post', 'requestBody', 'content', 'application/json'),
  );
  additive(t, mutate((d) => (d.paths['/items/{id}'].get.responses[200].content['application/xml'] = { schema: ref('Item') })), 'response-media-type-added');
  breaks(t, mutate((d) => delete d.paths['/items'].get.responses[200].headers.ETag), 'response-header-removed', ptr('paths', '/items', 'get', 'responses', '200', 'headers', 'ETag'));
});

t.test('response schemas: removed fields, recursively (objects, arrays, allOf, oneOf, $ref)', async (t) => {
  // through allOf (Item = Base + ...): `id` lives in Base
  const noId = mutate((d) => {
    delete S(d).Base.properties.id;
    S(d).Base.required = [];
  });
  const c = breaks(t, noId, 'response-property-removed', ptr(...GET_ITEM_200, 'properties', 'id'));
  t.equal(c?.schema, '#/components/schemas/Item/properties/id', 'names the schema it is in');
  breaks(t, noId, 'response-property-removed', ptr(...GET_ITEMS_200, 'properties', 'data', 'items', 'properties', 'id'));
  // through an array and a oneOf branch
  const noSrc = mutate((d) => {
    delete S(d).ImageBlock.properties.src;
    S(d).ImageBlock.required = ['type'];
  });
  const src = breaks(t, noSrc, 'response-property-removed', ptr(...GET_ITEM_200, 'properties', 'blocks', 'items', 'oneOf', '1', 'properties', 'src'));
  t.match(src?.message, /GET \/items\/\{id\} response 200 \(application\/json\) `blocks\[\]<oneOf 1>\.src`: property removed/);
  // inside the cycle: children[].name
  breaks(
    t,
    mutate((d) => delete S(d).Item.allOf[1].properties.name),
    'response-property-removed',
    ptr(...GET_ITEM_200, 'properties', 'name'),
  );
  breaks(t, mutate((d) => (S(d).Item.allOf[1].required = ['status'])), 'response-property-became-optional', ptr(...GET_ITEM_200, 'properties', 'name'));
  // a removed field of the error body is breaking too (clients read problems)
  breaks(t, mutate((d) => delete S(d).Problem.properties.detail), 'response-property-removed', ptr('paths', '/items/{id}', 'get', 'responses', '404', 'content', 'application/json', 'schema', 'properties', 'detail'));
  additive(t, mutate((d) => (S(d).Item.allOf[1].properties.slug = { type: 'string' })), 'response-property-added', ptr(...GET_ITEM_200, 'properties', 'slug'));
});

t.test('response enums, types and alternatives', async (t) => {
  breaks(t, mutate((d) => (S(d).Status.enum = ['draft'])), 'response-enum-value-removed', ptr(...GET_ITEM_200, 'properties', 'status'));
  // a new value in a response is additive (with a note): clients must tolerate unknown values
  const added = diffOpenApi(base(), mutate((d) => S(d).Status.enum.push('archived')));
  t.same(added.breaking, []);
  t.match(added.additive.find((c) => c.rule === 'response-enum-value-added')?.message, /new value "archived" \(note: clients must tolerate/);
  breaks(t, mutate((d) => delete S(d).Status.enum), 'response-enum-removed', ptr(...GET_ITEM_200, 'properties', 'status'));
  breaks(t, mutate((d) => (S(d).TextBlock.properties.type.const = 'paragraph')), 'response-enum-value-removed', ptr(...GET_ITEM_200, 'properties', 'blocks', 'items', 'oneOf', '0', 'properties', 'type'));
  breaks(t, mutate((d) => (S(d).Item.allOf[1].properties.name.type = ['string', 'null'])), 'response-became-nullable', ptr(...GET_ITEM_200, 'properties', 'name'));
  breaks(t, mutate((d) => (S(d).Item.allOf[1].properties.name = { anyOf: [{ type: 'string' }, { type: 'null' }] })), 'response-became-nullable', ptr(...GET_ITEM_200, 'properties', 'name', 'anyOf', '1'));
  breaks(t, mutate((d) => (S(d).Item.allOf[1].properties.count.type = 'string')), 'response-type-changed', ptr(...GET_ITEM_200, 'properties', 'count'));
  breaks(t, mutate((d) => (S(d).Item.allOf[1].properties.count.type = 'number')), 'response-type-changed', ptr(...GET_ITEM_200, 'properties', 'count'));
  breaks(t, mutate((d) => (S(d).Block.oneOf = [ref('TextBlock')])), 'response-alternative-removed', ptr(...GET_ITEM_200, 'properties', 'blocks', 'items', 'oneOf', '1'));
  // narrowing a response is fine: no longer nullable, integer instead of number, a new alternative (noted)
  t.same(breakingChanges(base(), mutate((d) => (S(d).Item.allOf[1].properties.parent = ref('Item')))), [], 'a response that is no longer nullable is not breaking');
  additive(t, mutate((d) => S(d).Block.oneOf.push({ type: 'object', properties: { type: { const: 'video' } } })), 'response-alternative-added');
});

t.test('request bodies: new or newly required fields, enums, narrowed types and limits', async (t) => {
  breaks(t, mutate((d) => (S(d).NewItem.required = ['name', 'note'])), 'request-property-became-required', ptr(...POST_BODY, 'properties', 'note'));
  const slug = mutate((d) => {
    S(d).NewItem.properties.slug = { type: 'string' };
    S(d).NewItem.required.push('slug');
  });
  breaks(t, slug, 'request-property-added-required', ptr(...POST_BODY, 'properties', 'slug'));
  breaks(t, mutate((d) => (S(d).StatusInput.enum = ['draft'])), 'request-enum-value-removed', ptr(...POST_BODY, 'properties', 'status'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.note.enum = ['a', 'b'])), 'request-enum-added', ptr(...POST_BODY, 'properties', 'note'));
  additive(t, mutate((d) => S(d).StatusInput.enum.push('archived')), 'request-enum-value-added', ptr(...POST_BODY, 'properties', 'status'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.note.type = 'integer')), 'request-type-narrowed', ptr(...POST_BODY, 'properties', 'note'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.code.type = 'string')), 'request-type-narrowed', ptr(...POST_BODY, 'properties', 'code'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.amount.type = 'integer')), 'request-type-narrowed', ptr(...POST_BODY, 'properties', 'amount'));
  const limits: [string, (d: Doc) => void, string][] = [
    ['lower maxLength', (d) => (S(d).NewItem.properties.name.maxLength = 50), 'name'],
    ['higher minLength', (d) => (S(d).NewItem.properties.name.minLength = 3), 'name'],
    ['lower maximum', (d) => (S(d).NewItem.properties.amount.maximum = 5), 'amount'],
    ['higher minimum', (d) => (S(d).NewItem.properties.amount.minimum = 1), 'amount'],
    ['new exclusiveMaximum', (d) => (S(d).NewItem.properties.amount.exclusiveMaximum = 10), 'amount'],
    ['lower maxItems', (d) => (S(d).NewItem.properties.tags.maxItems = 2), 'tags'],
    ['new maxLength', (d) => (S(d).NewItem.properties.note.maxLength = 10), 'note'],
  ];
  for (const [what, f, prop] of limits) {
    const c = breaks(t, mutate(f), 'request-limit-narrowed', ptr(...POST_BODY, 'properties', prop));
    t.ok(c, what);
  }
  breaks(t, mutate((d) => (S(d).NewItem.properties.note.pattern = '^[a-z]+$')), 'request-pattern-changed', ptr(...POST_BODY, 'properties', 'note'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.note.format = 'uri')), 'request-format-changed', ptr(...POST_BODY, 'properties', 'note'));
  breaks(t, mutate((d) => (S(d).NewItem.properties.tags.items.maxLength = 20)), 'request-limit-narrowed', ptr(...POST_BODY, 'properties', 'tags', 'items'));
  breaks(t, mutate((d) => (S(d).BlockInput.oneOf = [ref('TextBlock')])), 'request-alternative-removed', ptr(...POST_BODY, 'properties', 'body', 'items', 'oneOf', '1'));
  // a request-side cycle: children[] is NewItem again
  breaks(t, mutate((d) => (S(d).NewItem.properties.name.maxLength = 99)), 'request-limit-narrowed', ptr(...POST_BODY, 'properties', 'name'));
  // removed from a strict object: clients sending it now get 400; from an open one it is only ignored
  breaks(t, mutate((d) => delete S(d).NewItem.properties.note), 'request-property-removed', ptr(...POST_BODY, 'properties', 'note'));
  additive(t, mutate((d) => delete S(d).ItemPatch.properties.note), 'request-property-removed');
  breaks(t, mutate((d) => (S(d).ItemPatch.additionalProperties = false)), 'request-additional-properties-disallowed', ptr('paths', '/items/{id}', 'patch', 'requestBody', 'content', 'application/json', 'schema'));
  breaks(t, mutate((d) => (d.paths['/items/{id}'].patch.requestBody.required = true)), 'request-body-became-required', ptr('paths', '/items/{id}', 'patch', 'requestBody'));
  breaks(t, mutate((d) => (d.paths['/items/{id}'].get.requestBody = { required: true, content: json(ref('ItemPatch')) })), 'request-body-added-required', ptr('paths', '/items/{id}', 'get', 'requestBody'));
});

t.test('request bodies: additive changes are not breaking', async (t) => {
  additive(t, mutate((d) => (S(d).NewItem.properties.slug = { type: 'string' })), 'request-property-added', ptr(...POST_BODY, 'properties', 'slug'));
  // relaxing a request is fine
  const relaxed = mutate((d) => {
    S(d).NewItem.properties.name.maxLength = 200;
    S(d).NewItem.properties.name.minLength = 0;
    S(d).NewItem.properties.amount.type = ['number', 'null'];
    S(d).NewItem.required = [];
    delete S(d).NewItem.properties.tags.maxItems;
  });
  t.same(breakingChanges(base(), relaxed), [], 'wider request limits, a nullable field and an optional field break nothing');
  additive(t, mutate((d) => S(d).BlockInput.oneOf.push({ type: 'object', properties: { type: { const: 'video' } } })), 'request-alternative-added');
});

t.test('parameters', async (t) => {
  const q = (i: number) => ptr('paths', '/items', 'get', 'parameters', String(i));
  breaks(t, mutate((d) => d.paths['/items'].get.parameters.splice(1, 1)), 'request-parameter-removed', q(1));
  const lenient = diffOpenApi(base(), mutate((d) => d.paths['/items'].get.parameters.splice(1, 1)), { strictQuery: false });
  t.same(lenient.breaking, [], 'with lenient query parsing a removed query parameter is only noted');
  t.same(breakingChanges(base(), mutate((d) => d.paths['/items'].get.parameters.splice(2, 1))), [], 'a removed header parameter is ignored, not breaking');
  breaks(t, mutate((d) => (d.paths['/items'].get.parameters[0].required = true)), 'request-parameter-became-required', q(0));
  breaks(t, mutate((d) => d.paths['/items'].get.parameters.push({ in: 'query', name: 'q', required: true, schema: { type: 'string' } })), 'request-parameter-added-required', q(3));
  additive(t, mutate((d) => d.paths['/items'].get.parameters.push({ in: 'query', name: 'q', required: false, schema: { type: 'string' } })), 'request-parameter-added', q(3));
  breaks(t, mutate((d) => (d.paths['/items'].get.parameters[0].schema.maximum = 50)), 'request-limit-narrowed', `${q(0)}/schema`);
  breaks(t, mutate((d) => (S(d).StatusInput.enum = ['live'])), 'request-enum-value-removed', `${q(1)}/schema`);
  breaks(t, mutate((d) => (d.paths['/items/{id}'].parameters[0].schema.pattern = '^[0-9]+$')), 'request-pattern-changed', ptr('paths', '/items/{id}', 'parameters', '0', 'schema'));
});

t.test('security', async (t) => {
  const c = breaks(t, mutate((d) => (d.paths['/items'].get.security = [{ bearerAuth: [] }])), 'security-added', ptr('paths', '/items', 'get', 'security'));
  t.match(c?.message, /GET \/items: anonymous callers are now refused/);
  // an operation without its own security inherits the document's
  const inherited = mutate((d) => {
    delete d.paths['/items/{id}'].get.security;
    d.security = [{ bearerAuth: [] }];
  });
  breaks(t, inherited, 'security-added', ptr('paths', '/items/{id}', 'get', 'security'));
  const otherScheme = mutate((d) => {
    d.components.securitySchemes.apiKey = { type: 'apiKey', in: 'header', name: 'X-Key' };
    d.paths['/items'].post.security = [{ apiKey: [] }];
  });
  breaks(t, otherScheme, 'security-changed', ptr('paths', '/items', 'post', 'security'));
  breaks(t, mutate((d) => (d.components.securitySchemes.bearerAuth = { type: 'apiKey', in: 'header', name: 'X-Key' })), 'security-scheme-changed', ptr('components', 'securitySchemes', 'bearerAuth'));
  additive(t, mutate((d) => (d.paths['/items'].post.security = [{}, { bearerAuth: [] }])), 'security-relaxed');
});

t.test('security: roles of a bearer scheme and OAuth scopes', async (t) => {
  const post = ptr('paths', '/items', 'post', 'security');
  const roles = (old: string[], now: string[]) => {
    const o = mutate((d) => (d.paths['/items'].post.security = [{ bearerAuth: old }]));
    const n = mutate((d) => (d.paths['/items'].post.security = [{ bearerAuth: now }]));
    return [o, n] as const;
  };
  const rank = { roleRank: { editor: 1, admin: 2 } };
  // stating the role for the first time documents the server, it does not change it
  const [unstated, stated] = roles([], ['editor']);
  const first = diffOpenApi(unstated, stated, rank);
  t.same(first.breaking, [], 'a role stated for the first time is not breaking');
  t.ok(first.additive.some((c) => c.rule === 'security-roles-stated' && c.location === post), 'but it is noted');
  const [editor, admin] = roles(['editor'], ['admin']);
  const raised = diffOpenApi(editor, admin, rank).breaking;
  t.ok(raised.some((c) => c.rule === 'security-changed' && c.location === post), 'editor → admin is breaking');
  t.match(raised[0]?.message, /POST \/items: callers with bearerAuth\[editor\] are no longer accepted \(now: bearerAuth\[admin\]\)/);
  t.same(diffOpenApi(admin, editor, rank).breaking, [], 'admin → editor is not (an admin key does what an editor key does)');
  t.ok(diffOpenApi(admin, editor).breaking.length, 'without a ranking, roles must match');
  // OAuth scopes are held by the token: a new one is breaking even where none was listed
  const oauth = (scopes: string[]) =>
    mutate((d) => {
      d.components.securitySchemes.oauth = { type: 'oauth2', flows: { clientCredentials: { tokenUrl: '/token', scopes: { write: 'w' } } } };
      d.paths['/items'].post.security = [{ oauth: scopes }];
    });
  t.ok(breakingChanges(oauth([]), oauth(['write'])).some((c) => c.rule === 'security-changed' && c.location === post), 'a new OAuth scope is breaking');
});

t.test('cyclic and odd $refs end', async (t) => {
  const cyclic = (extra: (d: Doc) => void) =>
    mutate((d) => {
      S(d).A = { type: 'object', properties: { b: ref('B'), name: { type: 'string' } } };
      S(d).B = { type: 'object', properties: { a: ref('A'), list: { type: 'array', items: ref('B') } } };
      S(d).Loop1 = ref('Loop2'); // a pure reference cycle
      S(d).Loop2 = ref('Loop1');
      S(d).Self = { allOf: [ref('Self'), { type: 'object', properties: { x: { type: 'string' } } }] };
      S(d).U = { anyOf: [ref('U'), { type: 'string' }] };
      S(d).V = { anyOf: [{ type: 'string' }, ref('V')] };
      d.paths['/cycle'] = {
        post: {
          requestBody: { content: json(ref('A')) },
          responses: { 200: { description: 'ok', content: json({ type: 'object', properties: { a: ref('A'), l: ref('Loop1'), s: ref('Self'), u: ref('U'), v: ref('V') } }) } },
        },
      };
      extra(d);
    });
  const old = cyclic(() => {});
  t.same(diffOpenApi(old, cyclic(() => {})), { breaking: [], additive: [] }, 'terminates with no changes');
  const removed = diffOpenApi(old, cyclic((d) => delete S(d).A.properties.name));
  const resp = ptr('paths', '/cycle', 'post', 'responses', '200', 'content', 'application/json', 'schema', 'properties', 'a', 'properties', 'name');
  t.ok(removed.breaking.some((c) => c.rule === 'response-property-removed' && c.location === resp), `found through the cycle:\n${formatChanges(removed.breaking)}`);
  const narrowed = breakingChanges(old, cyclic((d) => (S(d).A.properties.name.maxLength = 3)));
  t.ok(narrowed.some((c) => c.rule === 'request-limit-narrowed' && c.location === ptr('paths', '/cycle', 'post', 'requestBody', 'content', 'application/json', 'schema', 'properties', 'name')));
});

t.test('the real committed document', async (t) => {
  const real = JSON.parse(readFileSync(openapiPath, 'utf8')) as Doc;
  t.same(diffOpenApi(real, structuredClone(real)), { breaking: [], additive: [] }, 'no changes against itself');

  const broken = structuredClone(real);
  const article = broken.components.schemas.Article;
  t.ok(article?.properties?.headline && article.required.includes('headline'), 'Article.headline exists and is required');
  delete article.properties.headline;
  article.required = article.required.filter((r: string) => r !== 'headline');
  const input = broken.components.schemas.NewArticleInput;
  t.ok(input?.properties?.kicker && !input.required.includes('kicker'), 'NewArticleInput.kicker exists and is optional');
  input.required.push('kicker');

  const found = breakingChanges(real, broken);
  const ok = (rule: string, location: string) => t.ok(found.some((c) => c.rule === rule && c.location === location), `${rule} at ${location}`);
  ok('response-property-removed', ptr('paths', '/v1/articles/{id}', 'get', 'responses', '200', 'content', 'application/json', 'schema', 'properties', 'headline'));
  ok('response-property-removed', ptr('paths', '/v1/articles', 'get', 'responses', '200', 'content', 'application/json', 'schema', 'properties', 'data', 'items', 'properties', 'headline'));
  ok('request-property-became-required', ptr('paths', '/v1/articles', 'post', 'requestBody', 'content', 'application/json', 'schema', 'properties', 'kicker'));
  t.same([...new Set(found.map((c) => c.rule))].sort(), ['request-property-became-required', 'response-property-removed'], 'nothing else is reported');
  t.ok(found.every((c) => c.schema === '#/components/schemas/Article/properties/headline' || c.schema === '#/components/schemas/NewArticleInput/properties/kicker'), 'each change names its schema');
  t.match(formatChanges(found), /`data\[\]\.headline`: property removed \(clients may rely on it\) \[#\/components\/schemas\/Article\/properties\/headline\] \(and \d+ more: (GET|POST|PATCH) \/v1\/articles[^)]*\)/, 'shared schemas are reported once, with the other operations');

  const grown = structuredClone(real);
  grown.components.schemas.Article.properties.lede = { type: 'string' };
  grown.components.schemas.NewArticleInput.properties.lede = { type: 'string', maxLength: 500 };
  const d = diffOpenApi(real, grown);
  t.same(d.breaking, [], 'a new response field and a new optional request field are additive');
  t.ok(d.additive.some((c) => c.rule === 'response-property-added') && d.additive.some((c) => c.rule === 'request-property-added'));
});

t.test('majorOf', async (t) => {
  t.equal(majorOf('1.2.3'), 1);
  t.equal(majorOf('v2'), 2);
  t.equal(majorOf('0.1.0'), 0);
  t.equal(majorOf('10.0.0-beta.1'), 10);
  t.equal(majorOf('x'), undefined);
  t.equal(majorOf(undefined), undefined);
});
