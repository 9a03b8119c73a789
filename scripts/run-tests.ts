/**
 * The test runner behind `npm test` (scripts/test.sh): runs test/**\/*.test.ts (or the files given) as compiled
 * JavaScript, each in its own `node` process with no module loaders, N at a time, and prints what tap's runner
 * prints with `-R tap` (each file's TAP as a subtest, `ok N - file # time=…`, then the summed
 * `# { total, pass, fail, skip }`), so scripts/test.sh reads it as before.
 *
 * Why not `tap`'s runner: on Node 20 every module loader runs off the main thread, and tap's runner starts each
 * file with three of them (tsx, @tapjs/mock, @tapjs/processinfo). A typical file cost 7.0 s of CPU that way and
 * 3.7 s as plain JavaScript under `node` (test/http/cache.test.ts, four runs each), and the suite is bound by CPU on
 * 2 cores. The files are unchanged tap tests (`import t from 'tap'`): `npx tap test/x.test.ts` still runs one.
 *
 * The build: `.test-build/` is a copy of the repository's files (git's tracked and untracked, not ignored ones;
 * node_modules is a symlink), and every .ts in src, test, scripts and clients gets its .js beside it (esbuild,
 * transpile only: `npm run typecheck` is the type check), with source maps. Paths computed from `import.meta.url`
 * therefore land where they do in the repository, a test that spawns `tsx src/…` from the mirror still finds the
 * TypeScript, and a test that writes where it should not (into migrations/, say) cannot change the repository.
 *
 * Scheduling: the slowest files first (durations of earlier runs in node_modules/.cache/broadsheet-tests; without
 * them, the largest files first), so the run does not end with one long file on one core.
 *
 * Env: TAP_JOBS (parallel files; default package.json `tap.jobs`), TAP_TIMEOUT (seconds; default `tap.timeout`:
 * each file's own tap fails its open tests after it, as under tap's runner; a file still running 10 minutes later
 * is killed).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const OUT = join(ROOT, '.test-build');
const COMPILED = ['src', 'test', 'scripts', 'clients'];
const DURATIONS = join(ROOT, 'node_modules', '.cache', 'broadsheet-tests', 'durations.json');
const KILL_AFTER_MS = 10 * 60_000;

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { tap?: { jobs?: number; timeout?: number } };
const jobs = Math.max(1, Number(process.env.TAP_JOBS ?? pkg.tap?.jobs ?? 2));
const timeoutSeconds = String(process.env.TAP_TIMEOUT ?? pkg.tap?.timeout ?? 30);

function walk(dir: string, keep: (file: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) { if (entry.name !== 'node_modules') walk(path, keep, out); } else if (keep(path)) out.push(path);
  }
  return out;
}

/** The repository's files: tracked and untracked-but-not-ignored (git), or every file outside these directories. */
function repositoryFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  if (git.status === 0) return git.stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)));
  const outside = /^(\.git|\.test-build|\.tap|dist|data|tmp|coverage)([\\/]|$)/;
  return walk(ROOT, () => true).map((f) => relative(ROOT, f)).filter((f) => !outside.test(f));
}

/** `.test-build/`: the compiled mirror of the repository (see the header). */
async function buildMirror(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  for (const file of repositoryFiles()) {
    mkdirSync(dirname(join(OUT, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(OUT, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(OUT, 'node_modules'));
  const entryPoints = COMPILED.flatMap((d) => walk(join(OUT, d), (f) => f.endsWith('.ts') && !f.endsWith('.d.ts')));
  await build({
    entryPoints, outdir: OUT, outbase: OUT, format: 'esm', platform: 'node', target: 'node20', sourcemap: 'linked',
    tsconfig: join(ROOT, 'tsconfig.json'), logLevel: 'warning',
  });
}

type Result = { file: string; ok: boolean; ms: number; counts: Record<string, number>; output: string };

/** One file in its own process; resolves with its output and its own closing counts. */
function runFile(file: string): Promise<Result> {
  const started = performance.now();
  const js = join(OUT, file.replace(/\.ts$/, '.js'));
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--enable-source-maps', js], {
      cwd: OUT,
      env: { ...process.env, TAP_TIMEOUT: timeoutSeconds },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d: Buffer) => { output += d.toString(); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const guard = setTimeout(() => { output += `\n# killed by the runner after ${KILL_AFTER_MS / 1000} s\n`; child.kill('SIGKILL'); }, KILL_AFTER_MS);
    // A process the file started and left running (with our stderr, say) would keep 'close' from coming: once the
    // file's own process has exited, its output gets two seconds to drain.
    let drain: NodeJS.Timeout | undefined;
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      clearTimeout(drain);
      child.stdout.destroy();
      child.stderr.destroy();
      const summary = [...output.matchAll(/^# \{ (total: .*) \}$/gm)].at(-1)?.[1] ?? '';
      const counts: Record<string, number> = {};
      for (const [, k, v] of summary.matchAll(/(\w+): (\d+)/g)) counts[k!] = Number(v);
      const ok = code === 0 && !counts.fail && summary !== '';
      if (!ok && !counts.fail) counts.fail = 1; // it crashed, hung or exited early: one failure for the file
      if (!ok) output += `\n# exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''}\n`;
      done({ file, ok, ms: performance.now() - started, counts, output });
    };
    child.on('close', finish);
    child.on('exit', (code, signal) => { drain = setTimeout(() => finish(code, signal), 2_000); });
  });
}

function readDurations(): Record<string, number> {
  try { return JSON.parse(readFileSync(DURATIONS, 'utf8')) as Record<string, number>; } catch { return {}; }
}

async function main(): Promise<number> {
  if (process.env.UPDATE_EXAMPLES) {
    console.error('UPDATE_EXAMPLES: the tests run from a copy (.test-build/) and would update the copy; run the file with `npx tap` instead');
    return 1;
  }
  const started = performance.now();
  const given = process.argv.slice(2);
  const files = (given.length ? given.map((f) => relative(ROOT, resolve(f))) : walk(join(ROOT, 'test'), (f) => f.endsWith('.test.ts')).map((f) => relative(ROOT, f))).sort();
  const missing = files.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) { console.error(`no such test file: ${missing.join(', ')}`); return 1; }
  await buildMirror();

  const db = process.env.DB ?? 'sqlite';
  const durations = readDurations();
  const cost = (f: string) => durations[`${db}:${f}`] ?? durations[`sqlite:${f}`] ?? statSync(join(ROOT, f)).size;
  const queue = [...files].sort((a, b) => cost(b) - cost(a));

  console.log('TAP version 14');
  const results: Result[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    while (next < queue.length) {
      const file = queue[next++]!;
      const r = await runFile(file);
      results.push(r);
      const body = r.output.replace(/^TAP version \d+\n/, '').replace(/\n$/, '').replace(/^(?=.)/gm, '    ');
      console.log(`# Subtest: ${file}\n${body}\n${r.ok ? 'ok' : 'not ok'} ${results.length} - ${file} # time=${r.ms.toFixed(3)}ms`);
    }
  }));

  const total: Record<string, number> = { total: 0, pass: 0, fail: 0, skip: 0 };
  for (const r of results) for (const [k, v] of Object.entries(r.counts)) total[k] = (total[k] ?? 0) + v;
  for (const k of Object.keys(total)) if (k !== 'total' && k !== 'pass' && k !== 'fail' && !total[k]) delete total[k];
  console.log(`1..${results.length}\n# { ${Object.entries(total).map(([k, v]) => `${k}: ${v}`).join(', ')} }\n# time=${(performance.now() - started).toFixed(3)}ms`);

  for (const r of results) if (r.ok) durations[`${db}:${r.file}`] = Math.round(r.ms);
  mkdirSync(dirname(DURATIONS), { recursive: true });
  writeFileSync(DURATIONS, JSON.stringify(durations, null, 1));
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main();
