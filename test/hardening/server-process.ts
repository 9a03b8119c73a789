/**
 * The real-server-process harness shared by test/hardening/crash.test.ts, test/hardening/shutdown.test.ts and
 * scripts/load-test.ts: bounded waits, a free port, a server process (`SERVER_ARGS`) started in a clean
 * environment on a given SQLite file (or PostgreSQL URL) and media directory (resolved once /ready answers
 * 200), a stop with a SIGKILL fallback, and a registry that kills leftover processes on teardown.
 *
 * Not a *.test.ts file: tap (include test/**\/*.test.ts) does not run it on its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The repository root (where src/server.ts is resolved from). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Node's arguments to run one of our TypeScript entry points (a path from the root, e.g. `src/server.ts`): its .js
 * when this file runs compiled (`npm test` runs the tests from the compiled mirror, scripts/run-tests.ts, where
 * every .ts has its .js), else `--import tsx` and the .ts, as `npm start` does. The crash test starts dozens of
 * servers: tsx's loader costs each of them about a second of CPU.
 */
export const entryArgs = (tsPath: string): string[] =>
  import.meta.url.endsWith('.js') ? [tsPath.replace(/\.ts$/, '.js')] : ['--import', 'tsx', tsPath];
const SERVER_ARGS = entryArgs('src/server.ts');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Rejects after `ms` with a message naming what was awaited (every wait in the hardening tests is bounded). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms); }),
  ]);
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type ServerProcess = {
  child: ChildProcess;
  base: string;
  exit: Promise<Exit>;
  output: () => string;
};

/** The server processes a test file started; `killAll` on teardown kills any still running. */
export class ServerRegistry {
  readonly running = new Set<ChildProcess>();

  add(child: ChildProcess): void {
    this.running.add(child);
    child.once('exit', () => { this.running.delete(child); });
  }

  killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
    for (const child of this.running) child.kill(signal);
  }
}

/**
 * Rate limits and load shedding off. They are tested elsewhere (test/http/protections.test.ts); in the hardening
 * tests they would throttle one client's burst (per key/address), or shed it with 503 when a busy CI machine
 * starves the process: neither is what these tests are about.
 */
export const NO_PROTECTIONS: Record<string, string> = {
  RATE_LIMIT_KEY_PER_MINUTE: '0', RATE_LIMIT_ANON_PER_MINUTE: '0', MAX_EVENT_LOOP_DELAY_MS: '0',
};

export type StartOptions = {
  /** The SQLite file; or `databaseUrl`. */
  dbFile?: string;
  /** A DATABASE_URL instead of `dbFile` (postgres://…, test/postgres.ts). */
  databaseUrl?: string;
  mediaDir: string;
  adminKey: string;
  /** Added to (and overriding) the clean environment. */
  env?: Record<string, string>;
  /** Extra node flags, before the entry point. */
  nodeArgs?: string[];
  /** How much of the server's stdout/stderr to keep (the tail), in characters. */
  outputLimit?: number;
  /** Tracks the spawned process, so a teardown can kill it. */
  registry?: ServerRegistry;
  /** Called with each spawned process before it is ready. */
  onSpawn?: (proc: ServerProcess) => void;
};

/**
 * A server process (`SERVER_ARGS`) on the given files, LOG_LEVEL=warn, in a clean environment (not the parent's
 * NODE_OPTIONS loaders or coverage hooks); resolves once /ready answers 200. Retries on another port (up to three
 * attempts) if the free port was taken in between; a server not ready within 30 s is killed.
 */
export async function startServer(opts: StartOptions): Promise<ServerProcess> {
  const databaseUrl = opts.databaseUrl ?? (opts.dbFile === undefined ? undefined : `file:${opts.dbFile}`);
  if (!databaseUrl) throw new Error('startServer: give dbFile or databaseUrl');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...SERVER_ARGS], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, TMPDIR: tmpdir(),
        PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, MEDIA_DIR: opts.mediaDir,
        SEED_DEMO: 'false', ADMIN_API_KEY: opts.adminKey, LOG_LEVEL: 'warn',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    opts.registry?.add(child);
    const limit = opts.outputLimit ?? 20_000;
    let out = '';
    const keep = (d: Buffer) => { out = (out + d.toString()).slice(-limit); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const exit = new Promise<Exit>((resolve) => { child.once('exit', (code, signal) => resolve({ code, signal })); });
    let exited = false;
    void exit.then(() => { exited = true; });
    const proc: ServerProcess = { child, base: `http://127.0.0.1:${port}`, exit, output: () => out };
    opts.onSpawn?.(proc);
    const deadline = Date.now() + 30_000;
    while (!exited && Date.now() < deadline) {
      try {
        const res = await fetch(`${proc.base}/ready`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status === 200) return proc;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    if (!exited) {
      child.kill('SIGKILL');
      await exit;
      throw new Error(`the server did not become ready within 30 s\n${out}`);
    }
    if (attempt < 3 && /EADDRINUSE/.test(out)) continue; // the free port was taken in between: try another
    throw new Error(`the server exited before it was ready\n${out}`);
  }
}

/**
 * SIGTERM, then SIGKILL if the process has not exited after `killAfterMs`; resolves with how it exited, or
 * undefined if there was no process or it had already exited.
 */
export async function stopServer(proc: ServerProcess | undefined, killAfterMs = 15_000): Promise<Exit | undefined> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return undefined;
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), killAfterMs);
  const result = await proc.exit;
  clearTimeout(timer);
  return result;
}
