// Recent cases (electron/main/recent.ts): newest first, capped, persisted in
// userData; the custody head recorded at a clean close is expected back only
// while the file is untouched, so anything else is verified on open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RecentCases, RECENT_MAX } from '../../electron/main/recent.ts';

const dir = mkdtempSync(join(tmpdir(), 'trailcase-recent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const head = (n: number) => ({ caseId: 'c-' + n, title: 'Case ' + n, custodySeq: n, custodyHash: 'h' + n });

test('newest first, deduplicated, capped, persisted', () => {
  const userData = join(dir, 'ud1');
  const r = new RecentCases(userData);
  for (let i = 0; i < RECENT_MAX + 5; i++) {
    const p = join(dir, `c${i}.trailcase`);
    writeFileSync(p, 'x');
    r.opened(p, head(i));
  }
  r.opened(join(dir, 'c3.trailcase'), head(3));
  const list = new RecentCases(userData).list();
  assert.equal(list.length, RECENT_MAX);
  assert.equal(list[0].path, join(dir, 'c3.trailcase'));
  assert.equal(list[1].path, join(dir, `c${RECENT_MAX + 4}.trailcase`));
  assert.equal(list.filter((e) => e.path.endsWith('c3.trailcase')).length, 1);
  assert.ok(list.every((e) => e.exists));
  rmSync(join(dir, 'c3.trailcase'));
  assert.equal(new RecentCases(userData).list()[0].exists, false);
});

test('expected custody head only after a clean close and while the file is untouched', () => {
  const r = new RecentCases(join(dir, 'ud2'));
  const p = join(dir, 'k.trailcase');
  writeFileSync(p, 'case bytes');
  r.opened(p, head(7));
  assert.equal(r.expectedHead(p), null, 'open (or crashed): not known clean');
  r.closed(p, head(8));
  assert.deepEqual(r.expectedHead(p), { caseId: 'c-8', custodySeq: 8, custodyHash: 'h8' });
  assert.deepEqual(new RecentCases(join(dir, 'ud2')).expectedHead(p), { caseId: 'c-8', custodySeq: 8, custodyHash: 'h8' });
  appendFileSync(p, 'x'); // someone changed it
  assert.equal(r.expectedHead(p), null);
  r.closed(p, head(9));
  assert.ok(r.expectedHead(p));
  utimesSync(p, new Date(), new Date(Date.now() + 5000)); // touched, same size
  assert.equal(r.expectedHead(p), null);
  assert.equal(r.expectedHead(join(dir, 'never-seen.trailcase')), null);
});

test('a damaged list is reported and replaced, never fatal', () => {
  const userData = join(dir, 'ud3');
  new RecentCases(userData).opened(join(dir, 'z.trailcase'), head(1));
  writeFileSync(join(userData, 'recent-cases.json'), '{not json');
  const r = new RecentCases(userData);
  assert.deepEqual(r.list(), []);
  assert.match(r.problems[0], /recent-cases\.json: .*starting with an empty recent-cases list/);
});
