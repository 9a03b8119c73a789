import type { FastifyInstance, InjectOptions } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Test } from 'tap';
import { buildApp } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';

export type TestApp = {
  app: FastifyInstance;
  /** Bearer headers for a fresh admin and a fresh editor key. */
  admin: Record<string, string>;
  editor: Record<string, string>;
  clock: { now: Date; set(iso: string): void; advance(ms: number): void };
  /** inject() returning the status, headers and parsed JSON body. */
  req: (opts: InjectOptions) => Promise<{ status: number; headers: Record<string, unknown>; body: any; raw: string }>;
};

/** Whether this run is on PostgreSQL (`DB=postgres npm test`): each app then gets a fresh schema of its own. */
export const onPostgres = process.env.DB === 'postgres';

/**
 * The database settings of a fresh test app: an in-memory SQLite database, or under `DB=postgres` a fresh
 * schema on the local PostgreSQL (test/postgres.ts) and how to drop it once the app has closed.
 */
export async function testDatabase(): Promise<{ settings: Partial<Config>; drop(): Promise<void> }> {
  if (!onPostgres) return { settings: {}, drop: async () => undefined };
  const { createSchema } = await import('./postgres.js');
  const schema = await createSchema();
  return { settings: { databaseUrl: schema.url, databaseFile: '' }, drop: schema.drop };
}

/**
 * A fresh app on a fresh database with an injectable clock, closed when the test ends. An explicit
 * `databaseUrl` in `overrides` (a schema from testDatabase() shared by two apps, or `undefined` for SQLite
 * on either run) is used as given: no fresh schema is made.
 */
export async function build(t: Test, overrides: Partial<Config> = {}): Promise<TestApp> {
  const clock = {
    now: new Date('2026-01-15T12:00:00.000Z'),
    set(iso: string) { this.now = new Date(iso); },
    advance(ms: number) { this.now = new Date(this.now.getTime() + ms); },
  };
  const mediaDir = mkdtempSync(join(tmpdir(), 'bs-media-'));
  const database = 'databaseUrl' in overrides ? { settings: {}, drop: async () => undefined } : await testDatabase();
  const app = await buildApp(testConfig({ mediaDir, ...database.settings, ...overrides }), { now: () => clock.now })
    .catch(async (err: unknown) => {
      await database.drop();
      throw err;
    });
  t.teardown(async () => {
    await app.close();
    await database.drop();
    rmSync(mediaDir, { recursive: true, force: true });
  });
  const adminKey = (await app.services.apiKeys.create('test admin', 'admin')).secret;
  const editorKey = (await app.services.apiKeys.create('test editor', 'editor')).secret;
  const req: TestApp['req'] = async (opts) => {
    const res = await app.inject(opts);
    let body: unknown;
    try { body = res.body ? JSON.parse(res.body) : undefined; } catch { body = undefined; }
    return { status: res.statusCode, headers: res.headers, body, raw: res.body };
  };
  return {
    app,
    admin: { authorization: `Bearer ${adminKey}` },
    editor: { authorization: `Bearer ${editorKey}` },
    clock,
    req,
  };
}

/** A request for building fixtures (as the editor unless told): the body, or a throw naming what failed. */
export function fixtureCaller({ req, editor }: TestApp) {
  return async (method: string, url: string, payload?: unknown, headers: Record<string, string> = editor) => {
    const r = await req({ method: method as 'POST', url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (r.status >= 300) throw new Error(`fixture ${method} ${url}: ${r.status} ${r.raw}`);
    return r.body;
  };
}

/** A paragraph block. */
export const para = (id: string, text: string) => ({ type: 'paragraph', id, children: [{ type: 'text', text }] });

/** Statements of background work that a count of one request's statements leaves out (see countStatements). */
const BACKGROUND = /^\s*(pragma|select 1 from "webhook_deliveries")/i;

/**
 * Counts the SQL statements the app runs (every all/get/run/iterate of a statement of this database;
 * statements are prepared once and reused, so counting prepares would miss them), until the test ends.
 * PRAGMAs are not counted: the response cache's cross-process check runs one now and then. Nor is the webhook
 * dispatcher's due check: a write wakes the dispatcher, and on PostgreSQL its query may go out while the next
 * request is being counted (a flaky +1 on a loaded machine).
 */
export function countStatements(t: Test, app: FastifyInstance) {
  let n = 0;
  // The SQL text of each counted statement, in order (since the last reset).
  let texts: string[] = [];
  const sqlite = app.db.sqlite;
  if (sqlite) {
    type Run = (this: { database: unknown; source: string }, ...args: unknown[]) => unknown;
    const proto = Object.getPrototypeOf(sqlite.prepare('select 1')) as Record<string, Run>;
    const methods = ['all', 'get', 'run', 'iterate'] as const;
    const originals = methods.map((m) => proto[m]!);
    methods.forEach((m, i) => {
      const original = originals[i]!;
      proto[m] = function (...args) {
        if (this.database === sqlite && !BACKGROUND.test(this.source)) {
          n++;
          texts.push(this.source);
        }
        return original.apply(this, args);
      };
    });
    t.teardown(() => {
      methods.forEach((m, i) => { proto[m] = originals[i]!; });
    });
  } else {
    // PostgreSQL: every query a connection sends, but transaction control and the cross-process write signal.
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const first = args[0];
      const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text ?? '';
      if (!/^\s*(begin|commit|rollback|select pg_notify|listen|set )/i.test(text) && !BACKGROUND.test(text)) {
        n++;
        texts.push(text);
      }
      return original.apply(this, args);
    };
    t.teardown(() => {
      proto.query = original;
    });
  }
  return {
    get n() { return n; },
    /** The statements counted since the last reset (SQL text). */
    get texts(): readonly string[] { return texts; },
    reset() {
      n = 0;
      texts = [];
    },
    /** Statements one GET costs, with its (200) answer. */
    async get(req: TestApp['req'], url: string) {
      n = 0;
      texts = [];
      const res = await req({ method: 'GET', url });
      t.equal(res.status, 200, url);
      return { queries: n, res };
    },
  };
}

export type Part = { name: string; value: string } | { name: string; filename: string; type: string; data: Buffer };

/** A multipart/form-data body, built by hand so the test controls every byte the server sees. */
export function multipart(parts: Part[]) {
  const boundary = `----bs${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ('data' in p) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\nContent-Type: ${p.type}\r\n\r\n`), p.data, Buffer.from('\r\n'));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n${p.value}\r\n`));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
