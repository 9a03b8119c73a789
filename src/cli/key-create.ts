import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { createTransactions, openDb } from '../db/client.js';
import { sqliteDialect } from '../db/dialect.js';
import { runMigrations } from '../db/migrate.js';
import { createApiKeyRepository } from '../modules/api-keys/repository.js';
import { createApiKeyService, type Role } from '../modules/api-keys/service.js';

/** `npm run key:create -- --role admin [--name "..."]`: prints the new secret once. */
const { values } = parseArgs({ options: { role: { type: 'string', default: 'editor' }, name: { type: 'string' } } });
if (values.role !== 'editor' && values.role !== 'admin') {
  process.stderr.write('--role must be editor or admin\n');
  process.exit(2);
}
const config = loadConfig();
const handle = openDb(config.databaseFile, config.dbSynchronous);
runMigrations(handle.db);
const repo = createTransactions(handle.sqlite).repository(createApiKeyRepository(sqliteDialect(handle.db)));
const { row, secret } = await createApiKeyService(repo, () => new Date()).create(values.name ?? `${values.role} key (cli)`, values.role as Role);
handle.sqlite.close();
process.stdout.write(`Created ${row.role} key ${row.id} (${row.prefix}…). Secret, shown once:\n${secret}\n`);
