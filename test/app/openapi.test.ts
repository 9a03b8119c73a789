import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { generateOpenApi, openapiPath } from '../../src/cli/openapi.js';

const run = promisify(execFile);

t.test('the committed OpenAPI document matches the code', async (t) => {
  const generated = await generateOpenApi();
  const committed = readFileSync(openapiPath, 'utf8');
  t.ok(generated === committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it');
  const doc = JSON.parse(generated);
  t.equal(doc.openapi, '3.1.0');
  for (const [path, ops] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(ops)) {
      t.ok(op.operationId && op.summary && op.description && op.tags?.length, `${method} ${path} has operationId, summary, description, tags`);
      t.ok(op.security, `${method} ${path} declares its security`);
      for (const [status, res] of Object.entries<any>(op.responses)) {
        if (Number(status) >= 400) t.ok(res.content?.['application/json']?.schema, `${method} ${path} ${status} has a schema`);
      }
    }
  }
});

t.test('the document passes redocly lint (strict config)', async (t) => {
  const { stdout, stderr } = await run('npx', ['redocly', 'lint', openapiPath, '--format', 'stylish'], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    timeout: 60_000,
  }).catch((e: { stdout: string; stderr: string }) => e);
  const out = `${stdout}\n${stderr}`;
  t.match(out, /valid/i, 'redocly says the document is valid');
  t.notMatch(out, /You have \d+ warning|\d+ errors?\b|Validation failed/i, `no warnings or errors:\n${out}`);
});

t.test('/openapi.json serves the same document and /docs renders', async (t) => {
  const { buildApp } = await import('../../src/app.js');
  const { testConfig } = await import('../../src/config.js');
  const app = await buildApp(testConfig());
  t.teardown(() => app.close());
  const res = await app.inject('/openapi.json');
  t.equal(res.statusCode, 200);
  t.same(res.json(), JSON.parse(readFileSync(openapiPath, 'utf8')));
  const docs = await app.inject('/docs/');
  t.equal(docs.statusCode, 200);
  t.match(docs.body, /swagger/i);
});
