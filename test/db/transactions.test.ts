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
  let written!: () => void;
  const hasWritten = new Promise<void>((resolve) => (written = resolve));
  const write = txs.tx(async () => {
    await repo.add('uncommitted');
    order.push('written');
    written();
    await sleep(30);
    throw new Error('changed my mind');
  });
  await hasWritten; // the write holds the connection (writes first gather for one turn)
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
  t.same(seen, [1, 2, 2], 'the second began after the first ended, and saw its two rows');
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

/** Counts the COMMITs the layer runs on the connection. */
function countCommits(sqlite: Database.Database) {
  const exec = sqlite.exec.bind(sqlite);
  const seen = { commits: 0 };
  sqlite.exec = ((source: string) => {
    if (source === 'COMMIT') seen.commits++;
    return exec(source);
  }) as typeof sqlite.exec;
  return seen;
}

t.test('group commit: writes waiting when one ends commit together; each resolves only once committed', async (t) => {
  const { t: txs, repo, sqlite } = setup();
  const seen = countCommits(sqlite);
  const settled: string[] = [];
  // Ten writes started in one turn, as ten requests received together: the first begins, nine wait.
  const writes = Array.from({ length: 10 }, (_, i) => txs.tx(async () => {
    await repo.add(`w${i}`);
    return i;
  }).then((i) => {
    settled.push(`w${i}`);
    t.notOk(sqlite.inTransaction, `w${i} resolved after the COMMIT`);
    return i;
  }));
  t.same(await Promise.all(writes), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  t.equal(seen.commits, 1, 'one COMMIT for the ten');
  t.same(await repo.all(), ['w0', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6', 'w7', 'w8', 'w9'], 'in the order they began');
  t.equal(settled.length, 10);
});

t.test('group commit: a member that fails rolls back alone; the others commit', async (t) => {
  const { t: txs, repo, sqlite } = setup();
  const seen = countCommits(sqlite);
  const ok1 = txs.tx(async () => repo.add('kept 1'));
  const bad = txs.tx(async () => {
    await repo.add('rolled back');
    throw new Error('refused');
  });
  const ok2 = txs.tx(async () => repo.add('kept 2'));
  await t.rejects(bad, /refused/);
  t.equal(await ok1, 1);
  t.equal(await ok2, 1);
  t.equal(seen.commits, 1);
  t.same(await repo.all(), ['kept 1', 'kept 2']);
  t.notOk(sqlite.inTransaction);
});

t.test('group commit: a read waiting behind a group sees all of it or none of it', async (t) => {
  const { t: txs, repo } = setup();
  // The first write's body holds its group open until both the read and the second write queue, the read
  // first. (Timers did this before: under load the read's timer could fire before the first write had the
  // connection, and the read then ran first; seen once in a run with six test files at a time on two cores.)
  let started!: () => void;
  let release!: () => void;
  const inFirst = new Promise<void>((resolve) => (started = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const first = txs.tx(async () => {
    await repo.add('a');
    started();
    await released;
  });
  await inFirst;
  const read = repo.all();
  const second = txs.tx(async () => repo.add('b'));
  // The second write gathers for one turn (setImmediate), then queues for the connection.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await Promise.all([first, second]);
  t.same(await read, ['a', 'b'], 'the read ran after the group (writes first while it is open), never between its members');
  t.same(await repo.all(), ['a', 'b']);
});

t.test('group commit: writes gather for one turn without holding the connection; a group holds at most maxGroup', async (t) => {
  const sqlite = new Database(':memory:');
  sqlite.exec('create table notes (id integer primary key, text text not null)');
  const txs = createTransactions(sqlite, { maxGroup: 3 });
  const seen = countCommits(sqlite);
  const repo = txs.repository({
    add: (text: string) => sqlite.prepare('insert into notes (text) values (?)').run(text).changes,
    count: () => (sqlite.prepare('select count(*) as n from notes').get() as { n: number }).n,
  });
  const writes = Array.from({ length: 7 }, (_, i) => txs.tx(async () => repo.add(`w${i}`)));
  const read = repo.count();
  t.equal(await read, 0, 'a read asked in the same turn ran while the writes gathered, before any began');
  await Promise.all(writes);
  t.equal(seen.commits, 3, 'groups of 3, 3 and 1');
  t.same(await repo.count(), 7);
});

t.test('group commit: a group grows to maxGroup while only writes wait, to maxGroupWithReaders once a read waits', async (t) => {
  const sqlite = new Database(':memory:');
  sqlite.exec('create table notes (id integer primary key, text text not null)');
  const txs = createTransactions(sqlite, { maxGroup: 8, maxGroupWithReaders: 2 });
  const seen = countCommits(sqlite);
  const repo = txs.repository({
    add: (text: string) => sqlite.prepare('insert into notes (text) values (?)').run(text).changes,
    count: () => (sqlite.prepare('select count(*) as n from notes').get() as { n: number }).n,
  });
  await Promise.all(Array.from({ length: 7 }, (_, i) => txs.tx(async () => repo.add(`alone ${i}`))));
  t.equal(seen.commits, 1, 'seven writes and no read waiting: one group');

  // The first write holds its group open (awaiting a timer) while a read arrives behind the six other writes.
  let readAt = -1;
  const writes = Array.from({ length: 7 }, (_, i) => txs.tx(async () => {
    if (i === 0) await new Promise((resolve) => setTimeout(resolve, 30));
    return repo.add(`with a reader ${i}`);
  }));
  await new Promise((resolve) => setTimeout(resolve, 10));
  const read = repo.count().then((n) => (readAt = seen.commits, n));
  await Promise.all([...writes, read]);
  t.equal(seen.commits, 1 + 4, 'groups of 2, 2, 2 and 1 while the read waited');
  t.equal(await read, 14, 'the read came after the writes queued before it');
  t.equal(readAt, 5);
});

t.test('group commit: when SQLite abandons the transaction, every member of the group fails', async (t) => {
  const { t: txs, repo, sqlite } = setup();
  const first = txs.tx(async () => repo.add('lost with the group'));
  const breaking = txs.tx(async () => {
    await repo.add('also lost');
    // What SQLite does on an I/O error or a full disk: the whole transaction is rolled back.
    sqlite.exec('ROLLBACK');
    throw new Error('disk I/O error');
  });
  await t.rejects(first, /disk I\/O error/, 'the earlier member was not committed and says so');
  await t.rejects(breaking, /disk I\/O error/);
  t.same(await repo.all(), []);
  t.equal(await txs.tx(async () => repo.add('after')), 1, 'the next write starts a new transaction');
  t.same(await repo.all(), ['after']);
});
