import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../app.js';
import { testConfig } from '../config.js';
import { BUMP_HINT, type Change, compatibility, type DiffOptions, formatChanges, majorOf, versionOf } from './openapi-diff.js';

/**
 * `npm run openapi`: writes the document generated from the Zod schemas to openapi/openapi.json, unless it
 * breaks the contract (see "Changing the API contract" in docs/DEVELOPING.md): breaking changes against the
 * committed document or against openapi/baseline.json (the contract frozen when the current major started)
 * are refused unless info.version's major is greater. A new major also rewrites the baseline.
 */
export async function generateOpenApi(): Promise<string> {
  const app = await buildApp(testConfig());
  await app.ready();
  const text = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  await app.close();
  return text;
}

export const openapiPath = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));
export const baselinePath = fileURLToPath(new URL('../../openapi/baseline.json', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const OPENAPI_FILE = 'openapi/openapi.json';

/**
 * How this API is compared: unknown query parameters are rejected (strict), and the roles that
 * `bearerAuth: [role]` requirements name rank as `RANK` in src/http/auth.ts (an admin key does what an editor
 * key does; test/app/openapi-compat.test.ts checks this copy against `hasRole`).
 */
export const contractOptions: DiffOptions = { strictQuery: true, roleRank: { editor: 1, admin: 2 } };
const BASELINE_FILE = 'openapi/baseline.json';

const parse = (text: string | undefined): unknown => {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export interface WritePlan {
  /** false: refuse (breaking changes without a major bump, or a version going backwards). */
  ok: boolean;
  /** The baseline to write (a new major, or none existed yet), if any. */
  baseline?: string;
  /** What to print. */
  report: string;
  refused: Change[];
}

/**
 * What `npm run openapi` may do with a freshly generated document, given the committed one and the baseline
 * (texts; undefined when the file is missing). Pure, so the compatibility test asks the same question.
 */
export function planOpenApiWrite(generatedText: string, committedText: string | undefined, baselineText: string | undefined): WritePlan {
  const generated = JSON.parse(generatedText) as unknown;
  const committed = parse(committedText);
  // No baseline yet: the contract to keep is the committed document (or, on the very first run, the new one).
  const baselineSource = baselineText ?? committedText ?? generatedText;
  const baseline = parse(baselineSource);
  const gen = versionOf(generated);
  const lines: string[] = [];
  const notes: string[] = [];
  if (committedText !== undefined && committed === undefined) notes.push(`${OPENAPI_FILE} is not valid JSON: compared with ${BASELINE_FILE} only`);
  if (baseline === undefined) throw new Error(`${BASELINE_FILE} is not valid JSON: restore it from git`);

  const vsCommitted = committed === undefined ? undefined : compatibility(committed, generated, contractOptions);
  const vsBaseline = compatibility(baseline, generated, contractOptions);
  const seen = new Set<string>();
  const refused = [...(vsCommitted?.refused ?? []), ...vsBaseline.refused].filter((c) => {
    const key = `${c.rule} ${c.location} ${c.detail}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const backwards = (majorOf(gen) ?? -1) < (majorOf(versionOf(baseline)) ?? -1);

  if (backwards) {
    lines.push(`Refusing to write ${OPENAPI_FILE}: info.version ${gen} has a lower major than ${BASELINE_FILE} (${versionOf(baseline)}).`);
    return { ok: false, report: `${lines.join('\n')}\n`, refused };
  }
  if (refused.length) {
    lines.push(
      `Refusing to write ${OPENAPI_FILE}: ${refused.length} breaking change(s) without a major version bump ` +
        `(info.version ${gen}; committed ${versionOf(committed) ?? 'none'}; baseline ${versionOf(baseline)}):`,
      formatChanges(refused),
      '',
      `Either keep the API compatible (make the change additive), or ${BUMP_HINT}.`,
    );
    return { ok: false, report: `${lines.join('\n')}\n`, refused };
  }

  const newMajor = vsBaseline.majorBumped;
  const additive = vsCommitted?.diff.additive ?? vsBaseline.diff.additive;
  const allowed = vsCommitted?.diff.breaking ?? [];
  const docsOnly = committedText !== generatedText && vsCommitted && !additive.length && !allowed.length;
  lines.push(`wrote ${openapiPath}${committedText === generatedText ? ' (unchanged)' : docsOnly ? ' (documentation only: no contract change)' : ''}`);
  if (allowed.length) lines.push(`${allowed.length} breaking change(s), allowed by the new major ${gen}:`, formatChanges(allowed, 20));
  if (additive.length) lines.push(`${additive.length} additive change(s):`, formatChanges(additive, 20));
  lines.push(...notes);
  let baselineOut: string | undefined;
  if (baselineText === undefined) {
    baselineOut = baselineSource;
    lines.push(`wrote ${baselinePath}: the contract of major ${majorOf(versionOf(baseline))} (from ${committedText !== undefined ? OPENAPI_FILE : 'the generated document'})`);
  } else if (newMajor) {
    baselineOut = generatedText;
    lines.push(`wrote ${baselinePath}: major ${majorOf(gen)} starts here (was ${versionOf(baseline)})`);
  }
  return { ok: true, report: `${lines.join('\n')}\n`, refused: [], ...(baselineOut !== undefined ? { baseline: baselineOut } : {}) };
}

// ---------------------------------------------------------------- git history guard

export interface HistoryCheck {
  /** false: no git, not a repository, no HEAD; `reason` says which. Nothing was checked. */
  available: boolean;
  reason?: string;
  /** Contract violations found in the working tree or in the history since the current baseline. */
  problems: string[];
  /** What was looked at, for the test log. */
  checked: string[];
}

function gitIn(cwd: string, args: string[], input?: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'ignore'], ...(input !== undefined ? { input } : {}) });
  } catch {
    return undefined;
  }
}

/**
 * Guards the two contract files against hand edits, using git when it is there:
 * - working tree against HEAD: `openapi.json` must not break HEAD's contract and `baseline.json` must not change
 *   unless the major grows;
 * - history (first-parent chain, not in a shallow clone): every commit that changed `baseline.json` raised its
 *   major, and every commit since the current baseline that changed `openapi.json` broke nothing without a bump.
 */
export function checkContractHistory({ root = repoRoot, maxCommits = 2000 }: { root?: string; maxCommits?: number } = {}): HistoryCheck {
  const git = (args: string[], input?: string) => gitIn(root, args, input);
  const docPath = join(root, OPENAPI_FILE);
  const basePath = join(root, BASELINE_FILE);
  const problems: string[] = [];
  const checked: string[] = [];
  if (git(['rev-parse', '--is-inside-work-tree'])?.trim() !== 'true') return { available: false, reason: 'not a git work tree (or git is missing)', problems, checked };
  if (git(['rev-parse', '--verify', '--quiet', 'HEAD']) === undefined) return { available: false, reason: 'no HEAD commit yet', problems, checked };
  const show = (rev: string, file: string) => git(['show', `${rev}:${file}`]);
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  const same = (a: string, b: string) => JSON.stringify(parse(a)) === JSON.stringify(parse(b));
  const describe = (changes: Change[]) => formatChanges(changes, 20);

  // Working tree against HEAD.
  const headDoc = show('HEAD', OPENAPI_FILE);
  const workDoc = read(docPath);
  if (headDoc !== undefined && workDoc !== undefined && !same(headDoc, workDoc)) {
    const c = compatibility(parse(headDoc), parse(workDoc), contractOptions);
    checked.push(`${OPENAPI_FILE}: working tree against HEAD`);
    if (c.refused.length) problems.push(`${OPENAPI_FILE} in the working tree breaks the contract of HEAD (${c.from}) without a major bump (now ${c.to}):\n${describe(c.refused)}`);
  }
  const headBase = show('HEAD', BASELINE_FILE);
  const workBase = read(basePath);
  if (headBase !== undefined && workBase !== undefined && !same(headBase, workBase)) {
    checked.push(`${BASELINE_FILE}: working tree against HEAD`);
    const a = majorOf(versionOf(parse(headBase)));
    const b = majorOf(versionOf(parse(workBase)));
    if (a === undefined || b === undefined || b <= a) problems.push(`${BASELINE_FILE} differs from HEAD without a new major (HEAD ${versionOf(parse(headBase))}, working tree ${versionOf(parse(workBase))}): the baseline only changes when \`npm run openapi\` starts a new major; restore it with \`git checkout ${BASELINE_FILE}\``);
  }

  // History.
  if (git(['rev-parse', '--is-shallow-repository'])?.trim() === 'true') return { available: true, reason: 'shallow clone: history not checked', problems, checked };
  const commits = (git(['rev-list', '--first-parent', `--max-count=${maxCommits}`, 'HEAD']) ?? '').split('\n').filter(Boolean);
  const query = commits.flatMap((c) => [`${c}:${OPENAPI_FILE}`, `${c}:${BASELINE_FILE}`]).join('\n');
  const blobs = (git(['cat-file', '--batch-check=%(objectname)'], `${query}\n`) ?? '').split('\n');
  const blob = (i: number, k: 0 | 1) => {
    const v = blobs[i * 2 + k]?.trim();
    return v && /^[0-9a-f]{40,64}$/.test(v) ? v : undefined;
  };
  const cache = new Map<string, unknown>();
  const load = (sha: string) => {
    if (!cache.has(sha)) cache.set(sha, parse(git(['cat-file', 'blob', sha])));
    return cache.get(sha);
  };
  const subject = (c: string) => `${c.slice(0, 10)} "${git(['log', '-1', '--format=%s', c])?.trim() ?? ''}"`;
  // commits[i]'s first parent is commits[i + 1].
  const start = commits.findIndex((_, i) => blob(i, 1) !== undefined && blob(i, 1) !== blob(i + 1, 1));
  if (start === -1) {
    checked.push(`history: ${BASELINE_FILE} is not committed yet; the history check starts with the commit that adds it`);
    return { available: true, problems, checked };
  }
  for (let i = 0; i < commits.length - 1; i++) {
    const [now, before] = [blob(i, 1), blob(i + 1, 1)];
    if (!now || !before || now === before) continue;
    const a = majorOf(versionOf(load(before)));
    const b = majorOf(versionOf(load(now)));
    if (a === undefined || b === undefined || b <= a) problems.push(`commit ${subject(commits[i]!)} changed ${BASELINE_FILE} without a new major (${versionOf(load(before))} → ${versionOf(load(now))})`);
  }
  let steps = 0;
  for (let i = start; i >= 0; i--) {
    const [now, before] = [blob(i, 0), blob(i + 1, 0)];
    if (!now || !before || now === before) continue;
    steps++;
    const c = compatibility(load(before), load(now), contractOptions);
    if (c.refused.length) problems.push(`commit ${subject(commits[i]!)} made breaking changes to ${OPENAPI_FILE} without a major bump (${c.from} → ${c.to}):\n${describe(c.refused)}`);
  }
  checked.push(`history: ${steps} change(s) of ${OPENAPI_FILE} since the baseline commit ${commits[start]!.slice(0, 10)}`);
  return { available: true, problems, checked };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);
  const generated = await generateOpenApi();
  const plan = planOpenApiWrite(generated, read(openapiPath), read(baselinePath));
  if (!plan.ok) {
    process.stderr.write(plan.report);
    process.exitCode = 1;
  } else {
    writeFileSync(openapiPath, generated);
    if (plan.baseline !== undefined) writeFileSync(baselinePath, plan.baseline);
    process.stdout.write(plan.report);
  }
}
