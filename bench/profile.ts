/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, inclusive time of the
 * application's own functions, and self time by package. Idle time is left out of the percentages.
 *
 *   tsx bench/profile.ts <file.cpuprofile> [--top N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };
type ProfileNode = { id: number; callFrame: CallFrame; children?: number[] };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };

export type Row = { name: string; ms: number; pct: number };
export type ProfileSummary = { totalMs: number; busyMs: number; idleMs: number; self: Row[]; inclusiveApp: Row[]; byPackage: Row[] };

/** "dist/modules/articles/present.js", "node_modules/zod/…" or the last path parts. */
function shortUrl(url: string): string {
  if (!url) return '';
  const path = url.replace(/^file:\/\//, '');
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) return path.slice(nm);
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) return path.slice(dist + 1);
  return path.split('/').slice(-3).join('/');
}

/** The package a frame belongs to: an npm package, "broadsheet" (dist/), "node:" internals, or a V8 pseudo frame. */
function packageOf(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node: internals';
  if (isApp(url)) return 'broadsheet (dist/)';
  return shortUrl(url);
}

/** Broadsheet's compiled code: dist/, outside node_modules. */
const isApp = (url: string) => url.includes('/dist/') && !url.includes('node_modules/');

const label = (f: CallFrame) => {
  const name = f.functionName || '(anonymous)';
  const where = shortUrl(f.url);
  return where ? `${name} ${where}:${f.lineNumber + 1}` : name;
};

export function summarise(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    const node = byId.get(id)!;
    total += dt;
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      return;
    }
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + dt);
    const p = packageOf(node.callFrame);
    pkg.set(p, (pkg.get(p) ?? 0) + dt);
    // Inclusive time of Broadsheet's own functions: each function once per sample, however deep the recursion.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (!isApp(f.url)) continue;
      const k = label(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + dt);
    }
  });
  const busy = total - idle;
  const rows = (m: Map<string, number>, n: number): Row[] =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([name, ms]) => ({ name, ms: Math.round(ms), pct: busy ? Math.round((ms / busy) * 1000) / 10 : 0 }));
  return { totalMs: Math.round(total), busyMs: Math.round(busy), idleMs: Math.round(idle), self: rows(self, top), inclusiveApp: rows(inclusive, top), byPackage: rows(pkg, top) };
}

export function formatSummary(s: ProfileSummary): string {
  const table = (title: string, rows: Row[]) =>
    [`${title}`, ...rows.map((r) => `  ${r.pct.toFixed(1).padStart(5)}%  ${String(r.ms).padStart(7)} ms  ${r.name}`)].join('\n');
  return [
    `profile: ${s.totalMs} ms sampled, ${s.busyMs} ms busy, ${s.idleMs} ms idle (percentages are of busy time)`,
    table('self time by package', s.byPackage),
    table('self time by function', s.self),
    table('inclusive time, Broadsheet functions (dist/)', s.inclusiveApp),
  ].join('\n\n');
}

export function summariseFile(file: string, top = 25): ProfileSummary {
  return summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (!positionals.length) {
    process.stderr.write('usage: tsx bench/profile.ts <file.cpuprofile>... [--top N]\n');
    process.exit(2);
  }
  for (const file of positionals) process.stdout.write(`${file}\n${formatSummary(summariseFile(file, Number(values.top)))}\n\n`);
}
