/**
 * The scale comparison: two result files of npm run bench (a small and a large archive), side by side
 * for every read scenario, against the target "within 1.25× of the small archive's figure".
 *
 *   tsx bench/compare.ts bench/results/latest.json bench/results/articles-100000.json
 *
 * Runs at different times see different machine load, so req/s of two runs are not comparable on a
 * shared machine: the verdict uses the server's CPU time per request (user + system, measured in each
 * run), which load moves much less. req/s and the ratio to the baseline are shown beside it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from './report.js';

type Results = { settings: { articles: number; seconds: number; rounds: number }; scenarios: ScenarioResult[]; machine: { loadAverageAtStart: number[] } };

const MAX_SLOWDOWN = 1.25;

export function compare(small: Results, large: Results): string {
  const a = small.settings.articles;
  const b = large.settings.articles;
  const head = ['scenario', `req/s ${a}`, `req/s ${b}`, 'req/s slowdown', `p99 ms ${a}`, `p99 ms ${b}`, `CPU µs/req ${a}`, `CPU µs/req ${b}`, 'CPU growth', `ratio ${a}`, `ratio ${b}`, `RSS MB ${b}`, `within ${MAX_SLOWDOWN}×`];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of small.scenarios) {
    if (s.name === 'write') continue;
    const l = large.scenarios.find((x) => x.name === s.name);
    if (!l) continue;
    const slowdown = s.broadsheet.rps / l.broadsheet.rps;
    const growth = l.broadsheet.cpuUsPerRequest / s.broadsheet.cpuUsPerRequest;
    const r = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)}×`);
    lines.push(`| ${[
      l.sameMeasurementAs ? `${s.name} (= ${l.sameMeasurementAs})` : s.name,
      s.broadsheet.rps, l.broadsheet.rps, `${slowdown.toFixed(2)}×`,
      s.broadsheet.p99.toFixed(1), l.broadsheet.p99.toFixed(1),
      s.broadsheet.cpuUsPerRequest, l.broadsheet.cpuUsPerRequest, `${growth.toFixed(2)}×`,
      r(s.ratio), r(l.ratio), l.broadsheet.rssPeakMB.toFixed(0), growth <= MAX_SLOWDOWN ? '✓' : '✗',
    ].join(' | ')} |`);
  }
  const run = (x: Results) => `${x.settings.articles} articles: ${x.settings.rounds} × ${x.settings.seconds} s, load average at start ${x.machine.loadAverageAtStart.join(' ')}`;
  return [`${run(small)}\n${run(large)}`, '', ...lines, '', `CPU growth = CPU time per request at ${b} ÷ at ${a}, the verdict (target ≤ ${MAX_SLOWDOWN}×); req/s slowdown = req/s at ${a} ÷ req/s at ${b}, for information (load differs between runs).`].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [smallFile, largeFile] = process.argv.slice(2);
  if (!smallFile || !largeFile) {
    process.stderr.write('usage: tsx bench/compare.ts <small.json> <large.json>\n');
    process.exit(2);
  }
  const read = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Results;
  process.stdout.write(`${compare(read(smallFile), read(largeFile))}\n`);
}
