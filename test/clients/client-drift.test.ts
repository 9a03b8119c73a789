import { readFileSync } from 'node:fs';
import t from 'tap';
import { clientTypesPath, generateClientTypes, specPath } from '../../scripts/client.js';

// clients/typescript/src/api.ts is generated from openapi/openapi.json; the committed file must be exactly
// what `npm run client` writes now, or the typed client lies about the API.
t.test('the committed client types match openapi/openapi.json', async (t) => {
  const expected = await generateClientTypes();
  const committed = readFileSync(clientTypesPath, 'utf8');
  t.ok(committed === expected, 'clients/typescript/src/api.ts is out of date with openapi/openapi.json: run `npm run client` and commit the result');
  t.match(committed, /export interface paths \{/, 'it declares the paths');
  t.match(committed, /export interface components \{/, 'and the components');
});

t.test('generation is deterministic and follows the document', async (t) => {
  const spec = readFileSync(specPath, 'utf8');
  const a = await generateClientTypes(spec);
  t.equal(await generateClientTypes(spec), a, 'same document, same bytes');

  // A change in the document shows up in the generated types (so the drift check above can fail).
  const doc = JSON.parse(spec) as { components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> } };
  doc.components.schemas.Section!.properties.driftProbe = { type: 'string' };
  doc.components.schemas.Section!.required.push('driftProbe');
  const changed = await generateClientTypes(JSON.stringify(doc));
  t.not(changed, a);
  t.match(changed, /driftProbe: string;/);

  // Request fields with a server-side default stay optional; binary parts are Blobs.
  t.match(a, /NewArticleInput: \{[^]*?\n {12}body\?: components\["schemas"\]\["BodyInput"\];/, 'defaulted request fields are optional');
  t.match(a, /file: Blob;/, 'the upload part is a Blob');
});
