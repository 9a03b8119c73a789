import type { FastifyInstance, InjectOptions } from 'fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A fresh app on an in-memory database with an injectable clock, closed when the test ends. */
export async function build(t: Test, overrides: Partial<Config> = {}): Promise<TestApp> {
  const clock = {
    now: new Date('2026-01-15T12:00:00.000Z'),
    set(iso: string) { this.now = new Date(iso); },
    advance(ms: number) { this.now = new Date(this.now.getTime() + ms); },
  };
  const mediaDir = mkdtempSync(join(tmpdir(), 'bs-media-'));
  const app = await buildApp(testConfig({ mediaDir, ...overrides }), { now: () => clock.now });
  t.teardown(async () => {
    await app.close();
    rmSync(mediaDir, { recursive: true, force: true });
  });
  const adminKey = app.services.apiKeys.create('test admin', 'admin').secret;
  const editorKey = app.services.apiKeys.create('test editor', 'editor').secret;
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

/** A paragraph block. */
export const para = (id: string, text: string) => ({ type: 'paragraph', id, children: [{ type: 'text', text }] });
