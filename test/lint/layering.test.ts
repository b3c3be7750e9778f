// The layering lint itself (test/lint/layering.ts): the inner order of
// electron/ refuses an import upward or sideways, names the rule's doc, and
// leaves the allowed directions alone; the whole tree is at 0 violations.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ELECTRON_LAYERS, innerViolations, sourceFiles } from './layering.ts';
import { ROOT } from '../../electron/version.ts';

const at = (p: string) => join(ROOT, 'electron', p);

test('electron/: an import into a higher or equal folder is refused, with a pointer to the map', () => {
  const up = innerViolations(at('case/evidence.ts'), "import { x } from '../ingest/parse.ts';");
  assert.equal(up.length, 1);
  assert.match(up[0], /electron\/case is below electron\/ingest: see docs\/architecture\.md/);
  assert.equal(innerViolations(at('cli/main.ts'), "import '../main/main.ts';").length, 1, 'cli and main are peers');
  assert.equal(innerViolations(at('ingest/parse.ts'), "const m = await import('../api/handlers.ts');").length, 1, 'dynamic imports count');
  assert.match(innerViolations(at('main/x.ts'), "import { b } from '../../build/bundle-app.ts';")[0], /build\/ is not shipped/);
  assert.match(innerViolations(at('nowhere/x.ts'), "import { s } from '../case/store.ts';")[0], /has no rank/);
});

test('electron/: imports downward, within a folder, to the root files and to shared/ pass', () => {
  assert.deepEqual(innerViolations(at('api/handlers.ts'), "import { a } from '../case/store.ts';\nimport { b } from './context.ts';\nimport { c } from '../errors.ts';\nimport { d } from '../../shared/ip.ts';"), []);
  assert.deepEqual(innerViolations(at('ingest/aws/s3.ts'), "import { e } from '../../case/encodings.ts';\nimport { f } from '../parse.ts';"), []);
  assert.ok(ELECTRON_LAYERS.case < ELECTRON_LAYERS.ingest && ELECTRON_LAYERS.report < ELECTRON_LAYERS.api);
});

test('the tree has no inner layering violation', () => {
  const bad = sourceFiles(join(ROOT, 'electron'), new Set(['node_modules', 'dist', 'rules'])).flatMap((f) => innerViolations(f, readFileSync(f, 'utf8')).map((v) => `${f}: ${v}`));
  assert.deepEqual(bad, []);
});
