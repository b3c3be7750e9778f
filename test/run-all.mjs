// `npm test`: type check, layering lint, typescript-eslint, then every test file under test/ with
// node's test runner (unit, integration, browser). One command, one exit code.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const args = process.argv.slice(2);
const only = args.filter((a) => !a.startsWith('--'));

function find(dir, out = []) {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (n === 'fixtures' || n === 'node_modules') continue;
    if (statSync(p).isDirectory()) find(p, out);
    else if (n.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

function run(label, cmd, cmdArgs) {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

let failed = 0;
if (!args.includes('--no-static')) {
  failed |= run('type check (tsc --noEmit)', process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--noEmit']) !== 0;
  failed |= run('layering lint', process.execPath, ['--import', 'tsx', 'test/lint/layering.ts']) !== 0;
  failed |= run('typescript-eslint', process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), 'electron', 'shared', 'renderer', 'build', 'test']) !== 0;
}
let files = find(join(root, 'test'));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
const conc = process.env.TEST_CONCURRENCY ?? '2';
// A per-test timeout turns a hang (e.g. assert.ok's message lookup under a loader) into a failure, within CI's budget.
failed |= run(`tests (${files.length} files)`, process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${conc}`, '--test-timeout=600000', ...files]) !== 0;
process.exit(failed ? 1 : 0);
