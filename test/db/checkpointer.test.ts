import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { build, para } from '../helper.js';

// WAL checkpoints run on a worker thread (src/db/checkpointer.ts): written pages reach the database file without
// any request's COMMIT copying them there. A few writes stay far below both SQLite's automatic checkpoint (1,000
// pages) and the backstop, so only the worker can move them.
async function writeThenWatch(t: Test, dbCheckpointMs: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bs-ckpt-'));
  const file = join(dir, 'db.sqlite');
  const ctx = await build(t, { databaseUrl: '', databaseFile: file, dbCheckpointMs });
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const before = statSync(file).size;
  for (let i = 0; i < 5; i++) {
    const res = await ctx.req({ method: 'POST', url: '/v1/articles', headers: ctx.editor, payload: { headline: `Checkpoint ${i}`, type: 'news', body: [para('p1', 'word '.repeat(400))] } });
    t.equal(res.status, 201);
  }
  const wal = statSync(`${file}-wal`).size;
  let after = statSync(file).size;
  for (let waited = 0; after === before && waited < 1000; waited += 50) {
    await sleep(50);
    after = statSync(file).size;
  }
  return { ctx, before, after, wal, file };
}

t.test('the worker copies committed pages into the database file', async (t) => {
  const { before, after, wal } = await writeThenWatch(t, 50);
  t.ok(wal > 0, 'the writes went to the WAL');
  t.ok(after > before, `the database file grew (${before} → ${after} bytes) with no checkpoint on the event loop`);
});

t.test('without it (DB_CHECKPOINT_MS=0) the same writes stay in the WAL until SQLite checkpoints at commit', async (t) => {
  const { before, after } = await writeThenWatch(t, 0);
  t.equal(after, before, 'nothing moved them: the test above measures the worker');
});

t.test('closing the app stops the worker and leaves a clean file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bs-ckpt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'db.sqlite');
  const app = await buildApp(testConfig({ databaseUrl: '', databaseFile: file, dbCheckpointMs: 50 }));
  const key = (await app.services.apiKeys.create('editor', 'editor')).secret;
  const res = await app.inject({ method: 'POST', url: '/v1/articles', headers: { authorization: `Bearer ${key}` }, payload: { headline: 'Closing', type: 'news', body: [para('p1', 'Text.')] } });
  t.equal(res.statusCode, 201);
  await app.close();
  t.throws(() => statSync(`${file}-wal`), 'the last connection closed checkpointed and removed the WAL');
});
