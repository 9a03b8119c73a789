import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { migrationsFolder } from '../../src/db/migrate.js';

const run = promisify(execFile);

t.test('the migrations match the drizzle schema', async (t) => {
  // drizzle-kit generate against a copy (it wants a path relative to the project): any schema change without a committed migration writes a file.
  const out = join(mkdtempSync(join(tmpdir(), 'bs-mig-')), 'migrations');
  cpSync(migrationsFolder, out, { recursive: true });
  const before = readdirSync(out).sort();
  const { stdout } = await run('npx', ['drizzle-kit', 'generate'], { env: { ...process.env, DRIZZLE_OUT: relative(process.cwd(), out) }, timeout: 60_000 });
  t.same(readdirSync(out).sort(), before, 'no new migration was needed');
  t.match(stdout, /No schema changes/, 'drizzle-kit reports no schema changes; run `npm run db:generate` and commit');
});
