/**
 * The example front end: a small server-rendered news site on node:http that reads Broadsheet through the typed
 * client (clients/typescript) only.
 *
 *   API_URL=http://127.0.0.1:3000 PORT=3001 npm run example:frontend
 *
 * `startFrontend` is what the browser test (test/browser/frontend.browser.ts) starts in-process.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BroadsheetError, createBroadsheetClient } from '../../../clients/typescript/src/index.js';
import { articlePage, errorPage, homePage, sectionPage, type PageResult, type Site } from './pages.js';

export type FrontendOptions = {
  /** Base URL of the Broadsheet API, e.g. http://127.0.0.1:3000. */
  apiUrl: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Only for a private preview: with a key the API also shows what that key may see. Anonymous by default. */
  apiKey?: string;
  siteName?: string;
  /** Articles per list page (home and sections). */
  pageSize?: number;
  /** Each API request is abandoned after this long (then the page is a 502). */
  apiTimeoutMs?: number;
  /** How long the masthead's section list is reused. */
  navTtlMs?: number;
  /** One line per request and per API failure; silent by default. */
  log?: (line: string) => void;
  fetch?: typeof fetch;
};

export type Frontend = { url: string; close(): Promise<void> };

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_CURSOR = 512;

/** Starts the site; resolves once it listens. */
export async function startFrontend(opts: FrontendOptions): Promise<Frontend> {
  const log = opts.log ?? (() => {});
  const timeoutMs = opts.apiTimeoutMs ?? 10_000;
  const baseFetch = opts.fetch ?? globalThis.fetch;
  // A bounded wait for every API call: a hung API becomes a 502 page, not a hung reader.
  const boundedFetch: typeof fetch = (input, init) => {
    const signal = AbortSignal.timeout(timeoutMs);
    return baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
  };
  const bs = createBroadsheetClient({ baseUrl: opts.apiUrl.replace(/\/+$/, ''), apiKey: opts.apiKey, fetch: boundedFetch });

  let navCache: { at: number; items: { name: string; href: string }[] } | undefined;
  const navTtl = opts.navTtlMs ?? 60_000;
  const site: Site = {
    bs,
    siteName: opts.siteName ?? 'The Broadsheet',
    pageSize: opts.pageSize ?? 10,
    // The masthead is a nicety: when the section list cannot be read, the page renders without it.
    nav: async () => {
      if (navCache && Date.now() - navCache.at < navTtl) return navCache.items;
      try {
        const sections = await bs.sections.list();
        const items = sections.map((s) => ({ name: s.name, href: `/sections/${encodeURIComponent(s.slug)}` }));
        navCache = { at: Date.now(), items };
        return items;
      } catch (e) {
        log(`section list unavailable: ${describe(e)}`);
        return navCache?.items ?? [];
      }
    },
  };

  async function route(path: string, query: URLSearchParams): Promise<PageResult> {
    const cursor = query.get('cursor') || undefined;
    if (cursor && cursor.length > MAX_CURSOR) return errorPage(site, 400);
    if (path === '/') return homePage(site, cursor);
    const m = /^\/(articles|sections)\/([^/]+)\/?$/.exec(path);
    if (!m) return errorPage(site, 404);
    let slug: string;
    try {
      slug = decodeURIComponent(m[2]!);
    } catch {
      return errorPage(site, 404);
    }
    if (!SLUG.test(slug) || slug.length > 120) return errorPage(site, 404);
    return m[1] === 'articles' ? articlePage(site, slug) : sectionPage(site, slug, cursor);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://frontend.invalid');
    let result: PageResult;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(404, { 'cache-control': 'public, max-age=86400' }).end();
      return;
    }
    try {
      result = await route(url.pathname, url.searchParams);
    } catch (e) {
      const status = e instanceof BroadsheetError && (e.status === 404 || e.status === 410) ? 404
        : e instanceof BroadsheetError && e.status === 400 ? 400
        : 502;
      if (status === 502) log(`API failure for ${url.pathname}: ${describe(e)}`);
      result = await errorPage(site, status).catch(() => ({ status, html: `<!doctype html><title>${status}</title><h1>${status}</h1>` }));
    }
    if ('location' in result) {
      res.writeHead(result.status, { location: result.location, 'cache-control': 'public, max-age=300' }).end();
    } else {
      const body = Buffer.from(result.html);
      res.writeHead(result.status, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': body.length,
        // A preview with a key may show drafts: never cached by anyone.
        'cache-control': result.status === 200 && !opts.apiKey ? 'public, max-age=60' : 'no-store',
        // Pictures come from the API (or an external media URL); nothing else loads, no script runs.
        'content-security-policy': "default-src 'none'; img-src 'self' http: https: data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'strict-origin-when-cross-origin',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    }
    log(`${req.method} ${url.pathname}${url.search} ${result.status} ${Date.now() - started} ms`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`unexpected error: ${describe(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('Internal Server Error\n');
    });
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, host, () => { server.off('error', fail); ok(); });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

function describe(e: unknown): string {
  if (e instanceof BroadsheetError) return `${e.status} ${e.problem.code ?? ''} ${e.problem.detail ?? e.problem.title ?? ''}`.trim();
  if (e instanceof Error) return `${e.name}: ${e.message}${e.cause instanceof Error ? ` (${e.cause.message})` : ''}`;
  return String(e);
}

// Standalone: `npm run example:frontend` (tsx examples/frontend/src/server.ts).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const apiUrl = process.env.API_URL ?? 'http://127.0.0.1:3000';
  const port = Number(process.env.PORT ?? 3001);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    process.stderr.write(`PORT must be a port number, not ${process.env.PORT}\n`);
    process.exit(1);
  }
  const frontend = await startFrontend({
    apiUrl, port, host: process.env.HOST ?? '127.0.0.1', apiKey: process.env.API_KEY || undefined,
    siteName: process.env.SITE_NAME || undefined,
    log: (line) => process.stdout.write(`${new Date().toISOString()} ${line}\n`),
  });
  process.stdout.write(`Example front end on ${frontend.url} (reading ${apiUrl})\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => { void frontend.close().then(() => process.exit(0)); });
  }
}
