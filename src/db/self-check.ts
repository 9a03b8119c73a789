import type Database from 'better-sqlite3';

/**
 * Startup self-check (reliability-anchors T45): reads back the pragmas the durability promise in the
 * README rests on, from the connection that will serve, and refuses to start when any differs. A pragma
 * can be silently ignored: `journal_mode = WAL` answers `delete` on a file system without shared memory,
 * and a handle opened elsewhere may never have set them. File databases also get `PRAGMA quick_check`
 * (a full scan, but no index cross-checks: `integrity_check` is left to the backup CLI).
 */

const SYNCHRONOUS = { OFF: 0, NORMAL: 1, FULL: 2, EXTRA: 3 } as const;
const SYNCHRONOUS_NAME = Object.fromEntries(Object.entries(SYNCHRONOUS).map(([k, v]) => [v, k])) as Record<number, string>;

export class DatabaseSelfCheckError extends Error {
  constructor(readonly problems: string[], file: string) {
    super(`Database self-check failed for ${file}; refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'DatabaseSelfCheckError';
  }
}

export type SelfCheckReport = { journalMode: string; synchronous: number; foreignKeys: number; busyTimeoutMs: number; quickCheck: string | null };

export function checkDatabase(sqlite: Database.Database, synchronous: 'NORMAL' | 'FULL'): SelfCheckReport {
  const read = (pragma: string) => sqlite.pragma(pragma, { simple: true });
  const report: SelfCheckReport = {
    journalMode: String(read('journal_mode')).toLowerCase(),
    synchronous: Number(read('synchronous')),
    foreignKeys: Number(read('foreign_keys')),
    busyTimeoutMs: Number(read('busy_timeout')),
    quickCheck: null,
  };
  const problems: string[] = [];
  const expectedJournal = sqlite.memory ? 'memory' : 'wal';
  if (report.journalMode !== expectedJournal) {
    problems.push(`journal_mode is ${report.journalMode}, expected ${expectedJournal} (does the file system support WAL's shared memory?)`);
  }
  if (report.synchronous !== SYNCHRONOUS[synchronous]) {
    const actual = SYNCHRONOUS_NAME[report.synchronous] ?? 'unknown';
    problems.push(`synchronous is ${report.synchronous} (${actual}), expected ${SYNCHRONOUS[synchronous]} (${synchronous}, from DB_SYNCHRONOUS)`);
  }
  if (report.foreignKeys !== 1) problems.push(`foreign_keys is ${report.foreignKeys}, expected 1`);
  if (!(report.busyTimeoutMs > 0)) problems.push(`busy_timeout is ${report.busyTimeoutMs}, expected more than 0`);
  if (!sqlite.memory) {
    const rows = sqlite.pragma('quick_check', { simple: false }) as Array<{ quick_check: string }>;
    // One row per finding, and a finding may span lines: the first few are enough to name the damage.
    const lines = rows.flatMap((r) => r.quick_check.split('\n'));
    report.quickCheck = lines.length === 1 ? lines[0]! : `${lines.length} findings`;
    if (report.quickCheck !== 'ok') {
      const more = lines.length > 4 ? ` (and ${lines.length - 4} more lines)` : '';
      problems.push(`quick_check found damage: ${lines.slice(0, 4).join('; ')}${more}`);
    }
  }
  if (problems.length) throw new DatabaseSelfCheckError(problems, sqlite.name);
  return report;
}
