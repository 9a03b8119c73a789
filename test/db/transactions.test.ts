import Database from 'better-sqlite3';
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransactions } from '../../src/db/client.js';

// The transaction layer over the one SQLite connection (src/db/client.ts): statements outside a transaction
// never see or join one that is open, whatever its body awaits.
function setup() {
  const sqlite = new Database(':memory:');
  sqlite.exec('create table notes (id integer primary key, text text not null)');
  const t = createTransactions(sqlite);
  const repo = t.repository({
    add: (text: string) => sqlite.prepare('insert into notes (text) values (?)').run(text).changes,
    all: () => (sqlite.prepare('select text from notes order by id').all() as { text: string }[]).map((r) => r.text),
  });
  return { sqlite, t, repo };
}

t.test('a read outside waits for the open transaction and never sees what it rolls back', async (t) => {
  const { t: txs, repo } = setup();
  const order: string[] = [];
  const write = txs.tx(async () => {
    await repo.add('uncommitted');
    order.push('written');
    await sleep(30);
    throw new Error('changed my mind');
  });
  const read = repo.all().then((rows) => (order.push('read'), rows));
  await t.rejects(write, /changed my mind/);
  t.same(await read, [], 'the rolled-back row was never visible');
  t.same(order, ['written', 'read'], 'the read ran after the transaction ended');
});

t.test('a write outside a transaction does not join the open one', async (t) => {
  const { t: txs, repo } = setup();
  const write = txs.tx(async () => {
    await repo.add('rolled back');
    await sleep(20);
    throw new Error('no');
  });
  const outside = repo.add('kept');
  await t.rejects(write);
  t.equal(await outside, 1);
  t.same(await repo.all(), ['kept']);
});

t.test('transactions run one at a time; nested calls join the outer one', async (t) => {
  const { t: txs, repo, sqlite } = setup();
  const seen: number[] = [];
  const one = txs.tx(async () => {
    await repo.add('a');
    await sleep(20);
    seen.push((await repo.all()).length);
    await txs.tx(async () => repo.add('b'));
    seen.push((await repo.all()).length);
  });
  const two = txs.tx(async () => {
    seen.push((await repo.all()).length);
    await repo.add('c');
  });
  await Promise.all([one, two]);
  t.same(seen, [1, 2, 2], 'the second began after the first committed, and saw its two rows');
  t.same(await repo.all(), ['a', 'b', 'c']);
  t.notOk(sqlite.inTransaction);
});

t.test('work scheduled inside a transaction that outlives it is outside the next one', async (t) => {
  const { t: txs, repo } = setup();
  let late: Promise<string[]> | undefined;
  await txs.tx(async () => {
    await repo.add('first');
    // Starts after this transaction has committed, while the next one is open.
    late = new Promise((resolve) => setTimeout(() => resolve(repo.all()), 10));
  });
  await txs.tx(async () => {
    await repo.add('second (uncommitted)');
    await sleep(40);
    throw new Error('roll back');
  }).catch(() => undefined);
  t.same(await late, ['first'], 'the late read waited for the second transaction and did not see its row');
});

t.test('a repository call that awaits between its statements is not entered by a transaction', async (t) => {
  const { t: txs, sqlite } = setup();
  const repo = txs.repository({
    async twice() {
      const count = () => (sqlite.prepare('select count(*) as n from notes').get() as { n: number }).n;
      const first = count();
      await sleep(20);
      return [first, count()];
    },
  });
  const reading = repo.twice();
  const writing = txs.tx(async () => {
    sqlite.prepare("insert into notes (text) values ('x')").run();
  });
  t.same(await reading, [0, 0], 'both statements saw the same state');
  await writing;
  t.same(await repo.twice(), [1, 1]);
});
