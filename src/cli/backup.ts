import Database from 'better-sqlite3';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../config.js';

/**
 * `npm run backup -- <file>`: an online copy of the database named by DATABASE_URL, taken with SQLite's
 * backup API while the server keeps writing, then checked. Exit 0 only when the copy passes
 * `PRAGMA integrity_check`. Media bytes live in MEDIA_DIR and are not in the copy.
 */

function fail(message: string, code = 1): never {
  process.stderr.write(`backup: ${message}\n`);
  process.exit(code);
}

const target = process.argv[2];
if (!target || process.argv.length > 3 || target.startsWith('-')) fail('usage: npm run backup -- <file>', 2);

function config() {
  try {
    return loadConfig();
  } catch (e) {
    return fail(e instanceof ConfigError ? e.message : String(e), 2);
  }
}
const { databaseFile: source, mediaDir } = config();
if (source === ':memory:') fail('DATABASE_URL is :memory:; there is nothing on disk to back up', 2);
if (!existsSync(source)) fail(`no database at ${source} (DATABASE_URL)`, 2);
const out = resolve(target);
// Never write over anything, least of all the live database or its -wal/-shm files.
if (existsSync(out)) fail(`${out} already exists; choose a new file name`, 2);
if (!existsSync(dirname(out))) fail(`directory ${dirname(out)} does not exist`, 2);
const live = realpathSync(source);
if (['', '-wal', '-shm', '-journal'].some((suffix) => out === `${live}${suffix}`)) fail('the backup must not be the database or its journal', 2);

// A second connection beside the server's: WAL lets it read while the server writes. busy_timeout covers
// the moments a checkpoint holds a lock.
const db = new Database(source, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const started = Date.now();
// The first step only sizes the copy; after it, all remaining pages go in one step inside one read
// transaction, so the copy is one consistent snapshot and a write landing mid-way cannot restart it.
await db.backup(out, { progress: () => 0x7fffffff });
db.close();

const copy = new Database(out, { fileMustExist: true });
// A self-contained file: no -wal/-shm beside the copy, whatever the source's journal mode.
copy.pragma('journal_mode = DELETE');
const integrity = (copy.pragma('integrity_check', { simple: false }) as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
const count = (sql: string) => (copy.prepare(sql).pluck().get() as number | undefined) ?? 0;
const tables = new Set(copy.prepare("select name from sqlite_master where type = 'table'").pluck().all() as string[]);
const articles = tables.has('articles') ? count('select count(*) from articles') : 0;
const published = tables.has('articles') ? count("select count(*) from articles where status = 'published' and deleted_at is null") : 0;
const media = tables.has('media') ? count('select count(*) from media') : 0;
copy.close();

if (integrity.length !== 1 || integrity[0] !== 'ok') fail(`the copy at ${out} failed integrity_check: ${integrity.slice(0, 5).join('; ')}`);
process.stdout.write(
  `backup written to ${out} (${statSync(out).size} bytes, ${Date.now() - started} ms)\n` +
    'integrity_check: ok\n' +
    `articles: ${articles} (${published} published, not in the trash)\n` +
    `media: ${media}\n` +
    `Media bytes are not in this file: copy ${resolve(mediaDir)} (MEDIA_DIR) as well.\n`,
);
