/** Target checks and the results table (Markdown, so it pastes into a note as is). */
import type { Aggregate } from './load.js';

export type Check = { what: string; target: string; actual: string; met: boolean };

export type ScenarioResult = {
  name: string;
  title: string;
  /** What the reference column is: the baseline server, or Broadsheet on another URL (cursor pages). */
  referenceLabel: string | null;
  urls: number;
  broadsheet: Aggregate;
  reference: Aggregate | null;
  /** Broadsheet req/s ÷ reference req/s. */
  ratio: number | null;
  checks: Check[];
  /** Set when the row repeats another scenario's measurement instead of measuring again. */
  sameMeasurementAs?: string;
  note?: string;
};

export const checks = {
  ratioAtLeast: (ratio: number | null, min: number, what = 'ratio to baseline'): Check => ({
    what, target: `≥ ${min.toFixed(2)}×`, actual: ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`, met: ratio !== null && ratio >= min,
  }),
  p99Below: (p99: number, ms: number): Check => ({ what: 'p99', target: `< ${ms} ms`, actual: `${p99.toFixed(1)} ms`, met: p99 < ms }),
  rpsAtLeast: (rps: number, min: number): Check => ({ what: 'req/s', target: `≥ ${min}`, actual: String(rps), met: rps >= min }),
  rssBelow: (mb: number, max: number): Check => ({ what: 'RSS', target: `< ${max} MB`, actual: `${mb.toFixed(0)} MB`, met: mb < max }),
};

const fmt = (x: number | undefined | null, digits = 0) => (x === undefined || x === null || Number.isNaN(x) ? '–' : x.toFixed(digits));

const rps = (x: number) => fmt(x, x < 100 ? 1 : 0);

export function formatTable(rows: ScenarioResult[]): string {
  const head = ['scenario', 'Broadsheet req/s', 'p50 ms', 'p99 ms', 'ref req/s', 'ref p50', 'ref p99', 'ratio', 'RSS MB', 'CPU µs/req (BS / ref)', 'client µs/req (BS / ref)', 'errors', 'targets'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const b = r.broadsheet;
    const ref = r.reference;
    const name = r.sameMeasurementAs ? `${r.name} (= ${r.sameMeasurementAs})` : r.name;
    lines.push(`| ${[
      name, rps(b.rps), fmt(b.p50, 2), fmt(b.p99, 2),
      ref ? rps(ref.rps) : 'n/a', ref ? fmt(ref.p50, 2) : '', ref ? fmt(ref.p99, 2) : '',
      r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)}×`,
      fmt(b.rssPeakMB), `${b.cpuUsPerRequest}${ref ? ` / ${ref.cpuUsPerRequest}` : ''}`,
      `${b.clientUsPerRequest}${ref ? ` / ${ref.clientUsPerRequest}` : ''}`,
      String(b.errors + (ref?.errors ?? 0)),
      r.checks.map((c) => `${c.what} ${c.target} ${c.met ? '✓' : '✗'}`).join('; '),
    ].join(' | ')} |`);
  }
  return lines.join('\n');
}

export function formatLegend(rows: ScenarioResult[]): string {
  return rows.map((r) => `- ${r.name}: ${r.title}${r.referenceLabel ? ` (ref = ${r.referenceLabel})` : ''}${r.note ? `. ${r.note}` : ''}`).join('\n');
}
