import Database from 'better-sqlite3';
import { getTableName, is } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { migrationsFolder } from '../db/migrate.js';
import { runPgMigrations } from '../db/migrate.pg.js';
import * as pgSchema from '../db/schema.pg.js';
import { storable } from '../http/validator.js';

/**
 * `npm run migrate:sqlite-to-postgres -- <sqlite file> <postgres url>`: copies a whole site (content, media
 * metadata, keys, revisions, audit log, webhooks and their outbox, idempotency records) from a Broadsheet
 * SQLite file into a PostgreSQL database, then compares the row counts table by table.
 *
 * - The SQLite file is opened read-only and read in one transaction: a server still writing to it does not
 *   tear the copy. It must be at this version's latest migration (start Broadsheet on it once first).
 * - The PostgreSQL migrations are run (migrations-pg/); the copy goes into the first schema of the URL's
 *   search_path (`?options=-c%20search_path%3Dname`, default public). The target must be empty.
 * - Tables go in foreign-key order, 500 rows per INSERT (`--batch-rows=N`), all in one transaction: a failure
 *   leaves the target empty. JSON text becomes jsonb (the server parses it; jsonb keeps neither key order nor
 *   duplicate keys), SQLite's 0/1 flags become booleans; the search column fills itself.
 * - Text PostgreSQL cannot hold (NUL in text and JSON, lone UTF-16 surrogates in JSON; the API now refuses the
 *   one and replaces the other, src/http/validator.ts) was stored by older versions: each becomes U+FFFD (the
 *   validator's `storable`), and the summary says how many values of which column changed.
 * - Exit 0 only when every table has as many rows in PostgreSQL as in SQLite (counted before COMMIT; on a
 *   difference nothing is committed). Media bytes are files under MEDIA_DIR, not rows: copy them too.
 */

const USAGE = 'usage: npm run migrate:sqlite-to-postgres -- [--batch-rows=N] <sqlite file> <postgres url>';
/** Tables only SQLite has: its FTS5 index and shadow tables (PostgreSQL: the articles.search column), drizzle's bookkeeping, SQLite's own. */
const SQLITE_ONLY = /^(sqlite_|articles_fts(_|$)|__drizzle_migrations$)/;
/**
 * Tables PostgreSQL's triggers fill as the rows they follow arrive (the article counters): not copied; their
 * rows with a count other than 0 are compared instead (SQLite keeps a counter that fell to 0).
 */
const DERIVED = new Set(['article_counts']);
const countRows = (name: string) => `SELECT count(*) FROM ${q(name)}${DERIVED.has(name) ? ' WHERE n <> 0' : ''}`;
/** PostgreSQL's limit of bind parameters per statement. */
const MAX_PARAMS = 65_535;

class Refusal extends Error {}

function complain(message: string) {
  process.stderr.write(`migrate:sqlite-to-postgres: ${message}\n`);
}

function fail(message: string, code = 1): never {
  complain(message);
  process.exit(code);
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
// Rows per INSERT (default 500): smaller for very large rows.
const batchOption = args.find((a) => a.startsWith('--batch-rows='));
const batchRows = batchOption ? Number(batchOption.slice('--batch-rows='.length)) : 500;
if (!Number.isInteger(batchRows) || batchRows < 1 || batchRows > 10_000) fail(`--batch-rows must be an integer from 1 to 10000\n${USAGE}`, 2);
const positional = args.filter((a) => a !== batchOption);
if (positional.length !== 2 || positional.some((a) => a.startsWith('-'))) fail(USAGE, 2);
const [sqliteArg = '', pgUrl = ''] = positional;
const sqliteFile = sqliteArg.replace(/^file:/, '');
if (!/^postgres(ql)?:\/\//.test(pgUrl)) fail(`${pgUrl} is not a postgres:// URL\n${USAGE}`, 2);

type Column = { name: string; boolean: boolean; json: boolean };
type Table = { name: string; columns: Column[]; dependsOn: string[]; selfReference?: { column: string; target: string } };

/** The tables to copy, from the PostgreSQL schema, each after the tables its foreign keys name. */
function tablesInDependencyOrder(): Table[] {
  const tables = new Map<string, Table>();
  for (const value of Object.values(pgSchema)) {
    if (!is(value, PgTable)) continue;
    const config = getTableConfig(value);
    const columns = config.columns
      .filter((c) => !c.generated)
      .map((c): Column => ({ name: c.name, boolean: c.columnType === 'PgBoolean', json: c.columnType === 'PgJsonb' }));
    const table: Table = { name: config.name, columns, dependsOn: [] };
    for (const fk of config.foreignKeys) {
      const ref = fk.reference();
      const target = getTableName(ref.foreignTable);
      if (target === config.name) {
        // sections.parent_id: parents must be inserted before their children.
        table.selfReference = { column: ref.columns[0]!.name, target: ref.foreignColumns[0]!.name };
      } else {
        table.dependsOn.push(target);
      }
    }
    tables.set(config.name, table);
  }
  const ordered: Table[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (table: Table) => {
    if (state.get(table.name) === 'done') return;
    if (state.get(table.name) === 'visiting') throw new Error(`foreign-key cycle through ${table.name}`);
    state.set(table.name, 'visiting');
    for (const dep of table.dependsOn) visit(tables.get(dep)!);
    state.set(table.name, 'done');
    ordered.push(table);
  };
  for (const table of tables.values()) visit(table);
  return ordered;
}

function openSqlite(file: string): Database.Database {
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new Refusal(`cannot open ${file} read-only: ${(e as Error).message}`);
  }
}

/** Refuses a file that is not at this version's latest SQLite migration (the copy maps today's columns only). */
function checkMigrationLevel(sqlite: Database.Database, file: string) {
  const has = sqlite.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!has) throw new Refusal(`${file} is not a Broadsheet database (no __drizzle_migrations table)`);
  const migrations = readMigrationFiles({ migrationsFolder });
  const latest = migrations.at(-1)!.folderMillis;
  const row = sqlite.prepare('SELECT count(*) AS n, max(created_at) AS last FROM __drizzle_migrations').get() as { n: number; last: number | string | null };
  const last = Number(row.last ?? 0);
  if (last < latest) {
    throw new Refusal(
      `${file} is not at the latest migration (it has ${row.n} of ${migrations.length} applied): ` +
      'start this version of Broadsheet on it once (it migrates at start), stop it, and run the copy again',
    );
  }
  if (last > latest) throw new Refusal(`${file} was migrated by a newer Broadsheet than this one: copy it with that version`);
}

function checkTables(sqlite: Database.Database, tables: Table[]) {
  const present = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]).filter((n) => !SQLITE_ONLY.test(n));
  const known = new Set(tables.map((t) => t.name));
  const unknown = present.filter((n) => !known.has(n));
  if (unknown.length) throw new Refusal(`the SQLite file has tables the PostgreSQL schema does not know: ${unknown.join(', ')}`);
  const missing = tables.filter((t) => !present.includes(t.name)).map((t) => t.name);
  if (missing.length) throw new Refusal(`the SQLite file lacks tables: ${missing.join(', ')}`);
}

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Rows of a self-referencing table, parents first (rows whose parent is absent keep their place at the end). */
function parentsFirst(rows: unknown[][], idIndex: number, parentIndex: number): unknown[][] {
  const placed = new Set<unknown>();
  const out: unknown[][] = [];
  let pending = rows;
  while (pending.length) {
    const next = pending.filter((r) => {
      const parent = r[parentIndex];
      if (parent === null || placed.has(parent)) {
        out.push(r);
        placed.add(r[idIndex]);
        return false;
      }
      return true;
    });
    if (next.length === pending.length) return [...out, ...next]; // a dangling parent: let the foreign key report it
    pending = next;
  }
  return out;
}

/** A progress bar on stderr: redrawn in place on a terminal, one line per table otherwise. */
function progress(total: number) {
  const tty = process.stderr.isTTY;
  let done = 0;
  let drawnAt = 0;
  const bar = (label: string) => {
    const share = total ? done / total : 1;
    const width = 30;
    const filled = Math.round(share * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${done}/${total} rows  ${label}`;
  };
  return {
    advance(n: number, table: string) {
      done += n;
      const now = Date.now();
      if (tty && now - drawnAt > 100) {
        drawnAt = now;
        process.stderr.write(`\r\x1b[K${bar(table)}`);
      }
    },
    tableDone(table: string) {
      process.stderr.write(tty ? `\r\x1b[K${bar(table)}` : `${bar(`${table} done`)}\n`);
    },
    end() {
      if (tty) process.stderr.write('\n');
    },
  };
}

/**
 * JSON text that may hold a NUL or a lone surrogate: only as `\u` escapes, since JSON.stringify wrote it (a raw
 * NUL is invalid JSON, and SQLite's UTF-8 cannot hold a lone surrogate). A false alarm (`\\u0000`, a valid
 * pair) costs a parse.
 */
const SUSPECT_JSON = /\\u(?:0000|d[89a-f])/i;

/** `value` as PostgreSQL can store it (see `storable`), counting in `changed` each value that differs. */
function storableValue(json: boolean, changed: () => void) {
  return (v: unknown) => {
    if (typeof v !== 'string') return v;
    if (!json) {
      const out = storable(v);
      if (out !== v) changed();
      return out;
    }
    if (!SUSPECT_JSON.test(v)) return v;
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      return v; // PostgreSQL reports invalid JSON, naming the table
    }
    const out = storable(parsed);
    if (out === parsed) return v;
    changed();
    // Every number in these columns was written by JSON.stringify, so the round trip keeps them exactly.
    return JSON.stringify(out);
  };
}

/** Counts of values replaced by `storable`, by `table.column`. */
type Replaced = Map<string, number>;

async function copyTable(client: pg.ClientBase, sqlite: Database.Database, table: Table, replaced: Replaced, onRows: (n: number) => void) {
  const names = table.columns.map((c) => c.name);
  const select = sqlite.prepare(`SELECT ${names.map(q).join(', ')} FROM ${q(table.name)} ORDER BY rowid`).raw();
  // JSON text goes as it is (unless it needs `storable`): the server parses it into jsonb.
  const convert = table.columns.map((c) => {
    if (c.boolean) return (v: unknown) => (v === null ? null : v !== 0);
    const key = `${table.name}.${c.name}`;
    return storableValue(c.json, () => replaced.set(key, (replaced.get(key) ?? 0) + 1));
  });
  const batch = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMS / names.length)));
  const head = `INSERT INTO ${q(table.name)} (${names.map(q).join(', ')}) VALUES `;
  const insert = async (rows: unknown[][]) => {
    const values: unknown[] = [];
    const tuples = rows.map((row) => `(${row.map((v, i) => {
      values.push(convert[i]!(v));
      return `$${values.length}`;
    }).join(', ')})`);
    await client.query(head + tuples.join(', '), values);
    onRows(rows.length);
  };

  let rows: Iterable<unknown[]> = select.iterate() as IterableIterator<unknown[]>;
  if (table.selfReference) {
    rows = parentsFirst([...rows], names.indexOf(table.selfReference.target), names.indexOf(table.selfReference.column));
  }
  let pending: unknown[][] = [];
  for (const row of rows) {
    pending.push(row);
    if (pending.length === batch) {
      await insert(pending);
      pending = [];
    }
  }
  if (pending.length) await insert(pending);
}

/** Exit status: 0 when every table matched and the copy is committed. */
async function main(): Promise<number> {
  const started = Date.now();
  const tables = tablesInDependencyOrder();
  let sqlite: Database.Database | undefined;
  let client: pg.Client | undefined;
  let inTransaction = false;
  try {
    sqlite = openSqlite(sqliteFile);
    checkMigrationLevel(sqlite, sqliteFile);
    checkTables(sqlite, tables);

    client = new pg.Client({ connectionString: pgUrl });
    await client.connect().catch((e: Error) => {
      throw new Refusal(`cannot connect to PostgreSQL: ${e.message}`);
    });
    await runPgMigrations(client);

    // One snapshot of the SQLite file for the counts and the copy (a server may be writing to it).
    sqlite.exec('BEGIN');
    const db = sqlite;
    const sqliteCounts = new Map(tables.map((t) => [t.name, (db.prepare(countRows(t.name)).pluck().get() as number)]));

    await client.query('BEGIN');
    inTransaction = true;
    const occupied: string[] = [];
    for (const t of tables) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(t.name)}`);
      if (Number(rows[0]!.n) > 0) occupied.push(`${t.name}: ${rows[0]!.n} rows`);
    }
    if (occupied.length) throw new Refusal(`the target is not empty (${occupied.join(', ')}): copy into an empty database or schema`);

    const { rows: [where] } = await client.query<{ schema: string; db: string }>('SELECT current_schema() AS schema, current_database() AS db');
    const total = [...sqliteCounts].filter(([name]) => !DERIVED.has(name)).reduce((a, [, n]) => a + n, 0);
    process.stderr.write(`copying ${total} rows in ${tables.length} tables from ${sqliteFile} into ${where!.db}, schema ${where!.schema}\n`);
    const bar = progress(total);
    const replaced: Replaced = new Map();
    for (const t of tables) {
      if (DERIVED.has(t.name)) continue;
      try {
        await copyTable(client, sqlite, t, replaced, (n) => bar.advance(n, t.name));
      } catch (e) {
        bar.end();
        throw new Error(`copying ${t.name}: ${(e as Error).message}`);
      }
      bar.tableDone(t.name);
    }
    bar.end();

    const report: { table: string; sqlite: number; postgres: number }[] = [];
    for (const t of tables) {
      const { rows } = await client.query<{ count: string }>(countRows(t.name));
      report.push({ table: t.name, sqlite: sqliteCounts.get(t.name)!, postgres: Number(rows[0]!.count) });
    }
    const differ = report.filter((r) => r.sqlite !== r.postgres);
    if (differ.length) {
      await client.query('ROLLBACK');
    } else {
      await client.query('COMMIT');
    }
    inTransaction = false;
    sqlite.exec('COMMIT');

    const width = Math.max(...report.map((r) => r.table.length), 'table'.length);
    const line = (a: string, b: string, c: string, d: string) => `${`${a.padEnd(width)}  ${b.padStart(9)}  ${c.padStart(9)}  ${d}`.trimEnd()}\n`;
    let out = line('table', 'sqlite', 'postgres', '');
    for (const r of report) out += line(r.table, String(r.sqlite), String(r.postgres), r.sqlite === r.postgres ? 'ok' : 'DIFFERENT');
    for (const column of tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`))) {
      const n = replaced.get(column);
      if (n) out += `${column}: ${n} ${n === 1 ? 'value' : 'values'} had NUL or lone surrogates, replaced by U+FFFD\n`;
    }
    process.stdout.write(out);
    if (differ.length) {
      complain(`row counts differ in ${differ.map((r) => r.table).join(', ')}: nothing was committed`);
      return 1;
    }
    process.stdout.write(
      `all ${report.length} tables match: ${total} rows copied in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
      'Media bytes are not rows: copy the MEDIA_DIR files (named by their sha256) to the new deployment as well.\n',
    );
    return 0;
  } catch (e) {
    if (inTransaction) await client?.query('ROLLBACK').catch(() => undefined);
    complain(e instanceof Refusal ? e.message : `${(e as Error).message}; nothing was copied`);
    return 1;
  } finally {
    await client?.end().catch(() => undefined);
    sqlite?.close();
  }
}

process.exitCode = await main();
