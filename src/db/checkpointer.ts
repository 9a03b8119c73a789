import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own (issue 7). SQLite's automatic checkpoint runs inside the COMMIT
 * that crosses `wal_autocheckpoint` pages: the write that happens to cross it copies the whole WAL into the
 * database file (and, with `synchronous=NORMAL`, syncs both) on the event loop, while every other request
 * waits. Measured on the bench archive: 3 % of commits took 1–34 ms and held a third of all commit time.
 *
 * Here a worker thread with its own connection runs `PRAGMA wal_checkpoint(PASSIVE)` every `everyMs` (PASSIVE
 * never waits for, nor blocks, readers and the writer; it repeats while the writer keeps appending), and the main
 * connection's own automatic checkpoint is pushed out to `CHECKPOINT_BACKSTOP_PAGES`. The WAL starts over only
 * when a checkpoint has copied everything before the writer's next transaction begins; under sustained writes
 * the worker rarely finds that moment, so the WAL grows to the backstop and the backstop checkpoint runs in a
 * COMMIT, as before but once per ~40 MB instead of 4 MB, copying only the frames since the worker's last pass
 * (then syncing both files): the shorter `everyMs`, the smaller that tail. Measured (6,000 creates through
 * `app.inject`, 32 at a time, 10,000-article archive): every 200 ms, slow COMMITs (> 2 ms) added up to 262–277 ms,
 * the longest 28–33 ms, write p99 45–49 ms; every 50 ms (the default), 147–156 ms, 14–15 ms, p99 36–37 ms; every
 * 20 ms, no better.
 * Durability is unchanged in kind: with NORMAL, what power loss can take is what was committed since the last
 * checkpoint, now at most about `everyMs` of writes instead of up to 1,000 pages.
 */
export type Checkpointer = { stop(): Promise<void> };

export const CHECKPOINT_BACKSTOP_PAGES = 10_000;

// CommonJS, evaluated as the worker's script: better-sqlite3 is loaded from the path the main thread resolved.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    // Frames the writer appends meanwhile are left for the next pass; each pass has fewer. When one copies
    // everything before the writer's next transaction, that transaction starts the WAL over.
    for (let pass = 0; pass < 8; pass++) {
      const [r] = db.pragma('wal_checkpoint(PASSIVE)');
      if (r.busy || r.checkpointed >= r.log) break;
    }
  } catch (err) {
    // Another process's checkpoint is running: it does the work.
    if (err && err.code === 'SQLITE_BUSY') return;
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  process.exit(0);
});
`;

export function startCheckpointer(file: string, options: { everyMs: number; onError?: (message: string) => void }): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, everyMs: options.everyMs } });
  worker.unref();
  worker.on('message', (m: { error?: string }) => {
    if (m.error) options.onError?.(m.error);
  });
  worker.on('error', (err) => options.onError?.(err.message));
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        // Held while it finishes: the last checkpoint, then the worker's own exit.
        worker.ref();
        const late = setTimeout(() => void worker.terminate(), 1000);
        worker.once('exit', () => {
          clearTimeout(late);
          resolve();
        });
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
