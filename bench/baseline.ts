/**
 * The baseline: a bare Fastify server that answers every URL Broadsheet answered during the run with
 * the exact bytes Broadsheet returned (body, content type, ETag), from a Map in memory, and 304 on a
 * matching If-None-Match. It is the ceiling a Node.js HTTP server reaches for the same responses on
 * this machine; Broadsheet's numbers are read as a ratio to it.
 *
 * Plain JavaScript (no type syntax): bench/run.ts copies it to bench/.out/baseline.mjs and starts it
 * with `node`, as Broadsheet runs compiled JavaScript.
 *
 *   node baseline.mjs <responses.json> <port>
 *   responses.json: [{ "url": "/v1/...", "contentType": "...", "etag": "\"...\"", "body": "...", "headers"?: [[name, value], ...] }]
 *   (headers: only with `npm run bench -- --baseline-headers`, a diagnostic: Broadsheet's other representation headers)
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? '';
const port = Number(process.argv[3] ?? 0);

const routes = new Map();
for (const entry of JSON.parse(readFileSync(file, 'utf8'))) {
  routes.set(entry.url, { body: Buffer.from(entry.body, 'utf8'), contentType: entry.contentType, etag: entry.etag, headers: entry.headers ? Object.fromEntries(entry.headers) : undefined });
}

const app = Fastify({ logger: false });

app.get('/*', (request, reply) => {
  const hit = routes.get(request.url);
  if (!hit) return reply.code(404).send();
  if (hit.etag) {
    void reply.header('etag', hit.etag);
    if (request.headers['if-none-match'] === hit.etag) return reply.code(304).send();
  }
  if (hit.headers) void reply.headers(hit.headers);
  return reply.header('content-type', hit.contentType).send(hit.body);
});

await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`baseline listening on ${port} with ${routes.size} responses\n`);

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
