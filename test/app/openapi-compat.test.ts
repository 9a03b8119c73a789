import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { baselinePath, checkContractHistory, contractOptions, generateOpenApi, openapiPath, planOpenApiWrite } from '../../src/cli/openapi.js';
import { compatibility, formatChanges, majorOf, versionOf } from '../../src/cli/openapi-diff.js';
import { hasRole } from '../../src/http/auth.js';
import type { Principal } from '../../src/modules/api-keys/service.js';
import { RoleSchema } from '../../src/modules/api-keys/schemas.js';

// The contract guard (docs/DEVELOPING.md, "Changing the API contract"). Drift itself (generated !== committed)
// is openapi.test.ts's assertion; this file only fails on BREAKING changes that come without a major bump.

const read = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

t.test('the code does not break the committed contract (or bumps the major)', async (t) => {
  const generated = await generateOpenApi();
  const committed = read(openapiPath);
  const plan = planOpenApiWrite(generated, committed, read(baselinePath));
  if (!plan.ok) {
    t.comment(plan.report);
    t.fail(`BREAKING changes in the code without a major bump (${plan.refused.length}, listed above): \`npm run openapi\` refuses to write them`);
    return;
  }
  if (committed === generated) {
    t.pass('no contract change: the generated document is the committed one');
    return;
  }
  const c = compatibility(JSON.parse(committed ?? '{}'), JSON.parse(generated), contractOptions);
  if (c.diff.breaking.length) {
    t.pass(`${c.diff.breaking.length} breaking change(s), allowed by the new major ${c.to}: run \`npm run openapi\` (it also refreshes openapi/baseline.json)`);
  } else {
    t.pass(`not breaking: the code differs from openapi/openapi.json additively (${c.diff.additive.length} contract addition(s), the rest documentation); run \`npm run openapi\` (openapi.test.ts reports the drift)`);
  }
  if (c.diff.additive.length) t.comment(`additive changes:\n${formatChanges(c.diff.additive, 30)}`);
});

t.test('the committed document keeps the contract frozen in openapi/baseline.json', async (t) => {
  const baselineText = read(baselinePath);
  const committedText = read(openapiPath);
  if (!t.ok(baselineText !== undefined, 'openapi/baseline.json exists (restore it from git; only `npm run openapi` writes it)')) return;
  const baseline = JSON.parse(baselineText!) as unknown;
  const committed = JSON.parse(committedText!) as unknown;
  const b = versionOf(baseline);
  const c = versionOf(committed);
  t.equal(
    majorOf(c),
    majorOf(b),
    `openapi/baseline.json is the contract of the current major: committed info.version ${c}, baseline ${b}` +
      ((majorOf(c) ?? 0) > (majorOf(b) ?? 0) ? ' (a new major: run `npm run openapi` to refresh the baseline)' : ' (the baseline was edited by hand, or the version went backwards)'),
  );
  const compat = compatibility(baseline, committed, contractOptions);
  if (compat.refused.length) t.comment(`breaking changes from openapi/baseline.json (${b}) to openapi/openapi.json (${c}):\n${formatChanges(compat.refused)}`);
  t.ok(
    compat.refused.length === 0,
    compat.refused.length
      ? `BREAKING: openapi/openapi.json breaks the contract of ${b} frozen in openapi/baseline.json without a major bump ` +
          '(listed above): was it written by hand instead of by `npm run openapi`?'
      : `openapi/openapi.json keeps the contract of ${b} (${compat.diff.additive.length} addition(s) since)`,
  );
});

t.test('git: the contract files were not rewritten by hand', async (t) => {
  const h = checkContractHistory();
  if (!h.available) {
    t.pass(`git history not checked: ${h.reason}`);
    return;
  }
  for (const line of h.checked) t.comment(line);
  if (h.reason) t.comment(h.reason);
  if (h.problems.length) t.comment(h.problems.join('\n'));
  t.ok(h.problems.length === 0, h.problems.length ? `BREAKING contract changes found with git (${h.problems.length}, listed above)` : 'working tree and history keep the contract');
});

t.test('the role ranking the diff uses is the one the server enforces', async (t) => {
  const rank = contractOptions.roleRank!;
  t.same(Object.keys(rank).sort(), [...RoleSchema.options].sort(), 'contractOptions.roleRank names every role');
  for (const have of RoleSchema.options) {
    for (const need of RoleSchema.options) {
      t.equal(rank[have]! >= rank[need]!, hasRole({ role: have } as Principal, need), `a ${have} key ${hasRole({ role: have } as Principal, need) ? 'may' : 'may not'} call an operation that needs ${need}`);
    }
  }
});

// ---------------------------------------------------------------- the mechanism itself, on small documents

const docText = (version: string, props: Record<string, unknown> = { id: { type: 'string' }, name: { type: 'string' } }) =>
  `${JSON.stringify(
    {
      openapi: '3.1.0',
      info: { title: 't', version },
      paths: { '/x': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: props } } } } } } } },
    },
    null,
    2,
  )}\n`;
const V1 = docText('1.0.0');
const V1_ADDED = docText('1.1.0', { id: { type: 'string' }, name: { type: 'string' }, slug: { type: 'string' } });
const V1_BROKEN = docText('1.1.0', { id: { type: 'string' } });
const V2_BROKEN = docText('2.0.0', { id: { type: 'string' } });

t.test('npm run openapi: what it writes and what it refuses', async (t) => {
  const additive = planOpenApiWrite(V1_ADDED, V1, V1);
  t.ok(additive.ok, 'an additive change is written');
  t.equal(additive.baseline, undefined, 'the baseline stays');
  t.match(additive.report, /1 additive change\(s\):[\s\S]*`slug`: new property/);

  const refused = planOpenApiWrite(V1_BROKEN, V1, V1);
  t.notOk(refused.ok, 'a breaking change without a major bump is refused');
  t.match(refused.report, /Refusing to write openapi\/openapi\.json: 1 breaking change\(s\) without a major version bump/);
  t.match(refused.report, /GET \/x response 200 \(application\/json\) `name`: property removed/);
  t.match(refused.report, /bump the major of "version" in package\.json \(src\/http\/openapi\.ts copies it into info\.version\)/);

  // the committed file was overwritten by hand with the broken document: the baseline still refuses
  const handEdited = planOpenApiWrite(V1_BROKEN, V1_BROKEN, V1);
  t.notOk(handEdited.ok, 'the baseline catches a committed document written by hand');
  t.match(handEdited.report, /`name`: property removed/);

  const bumped = planOpenApiWrite(V2_BROKEN, V1, V1);
  t.ok(bumped.ok, 'a breaking change with a new major is written');
  t.equal(bumped.baseline, V2_BROKEN, 'and the new major becomes the baseline');
  t.match(bumped.report, /1 breaking change\(s\), allowed by the new major 2\.0\.0/);

  t.notOk(planOpenApiWrite(V1, V2_BROKEN, V2_BROKEN).ok, 'a major going backwards is refused');

  const first = planOpenApiWrite(V1_ADDED, V1, undefined);
  t.ok(first.ok);
  t.equal(first.baseline, V1, 'without a baseline, the committed document becomes it');
  t.notOk(planOpenApiWrite(V1_BROKEN, V1, undefined).ok, 'and is kept already');
});

t.test('the git guard catches hand edits (in a scratch repository)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'broadsheet-contract-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: root, stdio: 'pipe', encoding: 'utf8' });
  try {
    git('init', '-q');
  } catch {
    t.pass('git is not available: skipped');
    return;
  }
  mkdirSync(join(root, 'openapi'));
  const put = (file: string, text: string) => writeFileSync(join(root, 'openapi', file), text);
  const commit = (msg: string) => {
    git('add', '-A');
    git('commit', '-q', '-m', msg);
  };
  const problems = () => checkContractHistory({ root }).problems;

  put('openapi.json', V1);
  commit('an API without a baseline');
  t.same(problems(), [], 'no baseline committed yet: nothing to hold the history to');
  put('baseline.json', V1);
  commit('v1: the baseline');
  put('openapi.json', V1_ADDED);
  commit('v1.1: additive');
  t.same(problems(), [], 'additive commits pass');

  put('openapi.json', V1_BROKEN);
  t.match(problems().join('\n'), /openapi\/openapi\.json in the working tree breaks the contract of HEAD \(1\.1\.0\) without a major bump[\s\S]*`name`: property removed/, 'a hand-edited working tree is caught');
  put('openapi.json', V1_ADDED);

  put('baseline.json', V1_BROKEN);
  t.match(problems().join('\n'), /openapi\/baseline\.json differs from HEAD without a new major/, 'a hand-edited baseline is caught');
  put('baseline.json', V1);

  put('openapi.json', V1_BROKEN);
  commit('sneaky: drop name');
  t.match(problems().join('\n'), /commit [0-9a-f]{10} "sneaky: drop name" made breaking changes to openapi\/openapi\.json without a major bump \(1\.1\.0 → 1\.1\.0\)/, 'a committed breaking change is caught');

  put('openapi.json', V1_ADDED);
  put('baseline.json', V1_ADDED);
  commit('sneaky: a new baseline without a new major');
  t.match(problems().join('\n'), /commit [0-9a-f]{10} "sneaky: a new baseline without a new major" changed openapi\/baseline\.json without a new major/, 'a committed baseline edit is caught');

  put('openapi.json', V2_BROKEN);
  put('baseline.json', V2_BROKEN);
  commit('v2: drop name');
  const after = problems();
  t.notMatch(after.join('\n'), /v2: drop name/, 'a major bump that refreshes the baseline is accepted');
});
