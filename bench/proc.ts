/** Child processes (always killed on exit), free ports, /proc readings and a tiny HTTP client. */
import { type ChildProcess, execSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Proc = { name: string; child: ChildProcess; pid: number; port: number; logFile: string; exited: Promise<number | null> };

const running = new Set<ChildProcess>();

/** Kills every child still running (synchronous: safe in an 'exit' handler). */
export function killAll(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

let hooked = false;
/** Children die with the runner: on normal exit, on Ctrl-C / SIGTERM / SIGHUP and on a crash. */
/**
 * A temp directory for one run (database, media, logs), removed when the process exits unless `keep`; child
 * processes are killed on exit and on Ctrl-C / SIGTERM (killChildrenOnExit).
 */
export function runDirectory(prefix: string, keep: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  killChildrenOnExit(() => {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function killChildrenOnExit(cleanup: () => void = () => {}): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    killAll('SIGKILL');
    cleanup();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the servers\n`);
      killAll('SIGTERM');
      process.exit(130);
    });
  }
}

export function startProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, port: number, logFile: string, cwd?: string): Proc {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return { name, child, pid: child.pid, port, logFile, exited };
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(p: Proc, graceMs = 20_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

export function logTail(p: Proc, lines = 30): string {
  try {
    return readFileSync(p.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type HttpResponse = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** One request to 127.0.0.1, no keep-alive and no Accept-Encoding (identity bytes, as autocannon sends). */
export function http(port: number, method: string, path: string, options: { headers?: Record<string, string>; body?: string } = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.end(options.body);
  });
}

/** Polls `path` until `ok(status)`; fails early with the log tail if the process exits. */
export async function waitReady(p: Proc, path: string, ok: (status: number) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${p.name} exited before it was ready (exit code ${p.child.exitCode}). Log tail:\n${logTail(p)}`);
    try {
      const res = await http(p.port, 'GET', path);
      if (ok(res.status)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.name} was not ready after ${timeoutMs} ms. Log tail:\n${logTail(p)}`);
}

const statusField = (pid: number, field: string): number => {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
};

/** Resident set size now (VmRSS), in bytes; 0 when unavailable (not Linux, process gone). */
export const rssBytes = (pid: number) => statusField(pid, 'VmRSS');
/** The process's peak resident set size so far (VmHWM), in bytes. */
export const peakRssBytes = (pid: number) => statusField(pid, 'VmHWM');

let clockTicks: number | undefined;
/** CPU time (user + system, all threads) the process has used, in milliseconds. */
export function cpuMs(pid: number): number {
  clockTicks ??= (() => {
    try {
      return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
    } catch {
      return 100;
    }
  })();
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
  } catch {
    return 0;
  }
}

/** `npm run build` (compiled JavaScript, as production runs), unless skipped; returns dist/config.js's text. */
export function buildProduction(root: string, skip: boolean, info: (line: string) => void): string {
  if (!skip) {
    const t = performance.now();
    info('npm run build');
    const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: ['ignore', 2, 2] });
    if (built.status !== 0) throw new Error('npm run build failed');
    info(`built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return readFileSync(`${root}/dist/config.js`, 'utf8');
}
