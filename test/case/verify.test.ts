import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, copyFileSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CaseStore } from '../../electron/case/store.ts';
import { verifyCase, verifyCaseParallel, verifyExitCode } from '../../electron/case/verify.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { tempCase, type TempCase } from '../support/case.ts';

const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';

let base: TempCase;
let pristine: string;

test.before(async () => {
  base = tempCase('tamper base');
  await importPaths(base.store, base.signer, { sources: [STRATUS] });
  base.store.appendCustody('Test Examiner', 'note', { text: 'a note' });
  base.store.close();
  pristine = base.path;
});
test.after(() => base.cleanup());

/** Copy the pristine case, let `mutate` loose on it with a raw connection (triggers dropped where asked), verify. */
function tamper(name: string, mutate: (db: Database.Database) => void, dropTriggers = true) {
  const p = join(base.dir, `${name}.trailcase`);
  copyFileSync(pristine, p);
  const db = new Database(p);
  if (dropTriggers) {
    for (const { name: t } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t}`);
  }
  mutate(db);
  db.close();
  const s = CaseStore.open(p, { readonly: true });
  try {
    return verifyCase(s);
  } finally {
    s.close();
  }
}

const where = (r: ReturnType<typeof verifyCase>) => r.problems.map((p) => p.where).filter((w) => !w.startsWith('schema:trigger:'));

test('the untouched case verifies', () => {
  const r = tamper('clean', () => {}, false);
  assert.equal(r.ok, true, JSON.stringify(r.problems));
  assert.equal(verifyExitCode(r), 0);
  assert.equal(r.counts.events, 310);
});

test('append-only: the triggers refuse updates and deletes', () => {
  const s = CaseStore.open(pristine);
  try {
    for (const sql of ['UPDATE events SET time_ms = 0 WHERE leaf = 3', 'DELETE FROM evidence WHERE id = 1', 'UPDATE custody SET actor = ? WHERE seq = 1', 'DELETE FROM checkpoints']) {
      assert.throws(() => s.db.prepare(sql).run(...(sql.includes('?') ? ['mallory'] : [])), /append-only/);
    }
  } finally {
    s.close();
  }
});

test('one flipped byte in an evidence blob is found and named', () => {
  const r = tamper('evidence-byte', (db) => {
    const row = db.prepare('SELECT id, data FROM evidence_chunks WHERE evidence_id = 7').get() as { id: number; data: Buffer };
    const d = Buffer.from(row.data);
    d[100] ^= 0x01;
    db.prepare('UPDATE evidence_chunks SET data = ? WHERE id = ?').run(d, row.id);
  });
  assert.equal(r.ok, false);
  assert.ok(where(r).includes('evidence:7'), JSON.stringify(r.problems.slice(0, 3)));
  assert.ok(r.problems.some((p) => /SHA-256 of the preserved bytes/.test(p.message)));
  assert.equal(verifyExitCode(r), 1);
});

test('one changed value in an event row is found (derived column re-checked against the record)', () => {
  const r = tamper('event-column', (db) => {
    const other = db.prepare("SELECT id FROM ips WHERE text != (SELECT text FROM ips JOIN events ON events.ip = ips.id WHERE leaf = 42)").get() as { id: number };
    db.prepare('UPDATE events SET ip = ? WHERE leaf = 42').run(other.id);
  });
  assert.deepEqual(where(r), ['event:42']);
  assert.match(r.problems.find((p) => p.where === 'event:42')!.message, /sourceIPAddress column/);
});

test('one flipped byte in an event leaf hash is found', () => {
  const r = tamper('event-hash', (db) => {
    const row = db.prepare('SELECT leaf_hash FROM events WHERE leaf = 9').get() as { leaf_hash: Buffer };
    const h = Buffer.from(row.leaf_hash);
    h[0] ^= 0x80;
    db.prepare('UPDATE events SET leaf_hash = ? WHERE leaf = 9').run(h);
  });
  assert.ok(where(r).includes('event:9'));
  assert.ok(where(r).some((w) => w.startsWith('checkpoint:')), 'and the signed root no longer matches');
});

test('one flipped byte in a checkpoint signature, or in its root, is found', () => {
  const r1 = tamper('cp-sig', (db) => {
    const row = db.prepare('SELECT signature FROM checkpoints WHERE seq = 2').get() as { signature: string };
    const sig = Buffer.from(row.signature, 'base64');
    sig[5] ^= 0x01;
    db.prepare('UPDATE checkpoints SET signature = ? WHERE seq = 2').run(sig.toString('base64'));
  });
  assert.deepEqual(where(r1), ['checkpoint:2']);
  assert.match(r1.problems.find((p) => p.where === 'checkpoint:2')!.message, /signature does not verify/);
  const r2 = tamper('cp-root', (db) => {
    db.prepare("UPDATE checkpoints SET root = '0' || substr(root, 2) WHERE seq = 2").run();
  });
  assert.ok(where(r2).includes('checkpoint:2'));
});

test('a deleted event row is found', () => {
  const r = tamper('deleted', (db) => db.prepare('DELETE FROM events WHERE leaf = 100').run());
  assert.ok(where(r).includes('event:100'), JSON.stringify(r.problems.slice(0, 4)));
  assert.ok(r.problems.some((p) => /missing/.test(p.message)));
});

test('reordered rows are found', () => {
  const r = tamper('reordered', (db) => {
    // Swap events 10 and 11 wholesale (every column but the leaf number).
    const cols = (db.prepare('PRAGMA table_info(events)').all() as { name: string }[]).map((c) => c.name).filter((c) => c !== 'leaf');
    const a = db.prepare('SELECT * FROM events WHERE leaf = 10').get() as Record<string, unknown>;
    const b = db.prepare('SELECT * FROM events WHERE leaf = 11').get() as Record<string, unknown>;
    db.prepare("UPDATE events SET event_id = event_id || '-tmp' WHERE leaf IN (10, 11)").run();
    const set = cols.map((c) => `${c} = @${c}`).join(', ');
    db.prepare(`UPDATE events SET ${set} WHERE leaf = 10`).run(b);
    db.prepare(`UPDATE events SET ${set} WHERE leaf = 11`).run(a);
  });
  assert.equal(r.ok, false);
  assert.ok(where(r).some((w) => w.startsWith('checkpoint:')), 'the Merkle root over the new order differs from the signed one');
});

test('reordered evidence rows are found', () => {
  const r = tamper('evidence-reordered', (db) => {
    db.exec('UPDATE evidence SET id = -1 WHERE id = 3; UPDATE evidence SET id = 3 WHERE id = 4; UPDATE evidence SET id = 4 WHERE id = -1');
  });
  assert.equal(r.ok, false);
  assert.ok(where(r).some((w) => w.startsWith('evidence:') || w.startsWith('checkpoint:')));
});

test('dropped triggers are named even when no data changed', () => {
  const r = tamper('no-triggers', () => {});
  assert.equal(r.ok, false);
  assert.deepEqual(where(r), [], 'nothing else is wrong');
  assert.ok(r.problems.some((p) => p.where === 'schema:trigger:events_no_update'));
});

test('an altered custody entry and altered case metadata are found', () => {
  const r = tamper('custody', (db) => db.prepare("UPDATE custody SET actor = 'mallory' WHERE seq = 2").run());
  assert.ok(where(r).includes('custody:2'));
  const m = tamper('meta', (db) => db.prepare("UPDATE case_meta SET value = 'Another title' WHERE key = 'title'").run());
  assert.ok(where(m).includes('meta:title'));
});

test('a damaged database file is reported by integrity_check', () => {
  const p = join(base.dir, 'pages.trailcase');
  copyFileSync(pristine, p);
  // Overwrite the middle of an index page behind SQLite's back.
  const db = new Database(p, { readonly: true });
  const page = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'events_time'").get() as { rootpage: number }).rootpage;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const fd = openSync(p, 'r+');
  writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (page - 1) * pageSize + (page === 1 ? 100 : 0)); // the b-tree page header
  closeSync(fd);
  let r;
  try {
    const s = CaseStore.open(p, { readonly: true });
    try {
      r = verifyCase(s);
    } finally {
      s.close();
    }
  } catch (e) {
    assert.match((e as Error).message, /malformed|corrupt/i);
    return;
  }
  assert.equal(r.ok, false);
  assert.notEqual(r.integrityCheck, 'ok');
});

test('verify in worker threads (leaf ranges) gives the same report as in one thread, damaged or not', async () => {
  const scenarios: [string, (db: Database.Database) => void][] = [
    ['clean', () => {}],
    ['column', (db) => db.prepare('UPDATE events SET name = (SELECT id FROM strings WHERE s = ?) WHERE leaf IN (5, 150, 299)').run('ListUsers')],
    ['hash', (db) => db.prepare('UPDATE events SET leaf_hash = zeroblob(32) WHERE leaf IN (36, 37, 200)').run()],
    ['deleted', (db) => db.prepare('DELETE FROM events WHERE leaf BETWEEN 70 AND 80').run()],
    ['evidence', (db) => {
      const row = db.prepare('SELECT id, data FROM evidence_chunks WHERE evidence_id = 2').get() as { id: number; data: Buffer };
      db.prepare('UPDATE evidence_chunks SET data = ? WHERE id = ?').run(Buffer.concat([row.data, Buffer.from('x')]), row.id);
    }],
  ];
  for (const [name, mutate] of scenarios) {
    const p = join(base.dir, `parallel-${name}.trailcase`);
    copyFileSync(pristine, p);
    const db = new Database(p);
    for (const { name: t } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as { name: string }[]) db.exec(`DROP TRIGGER ${t}`);
    mutate(db);
    db.close();
    const s = CaseStore.open(p, { readonly: true });
    try {
      const progress: number[] = [];
      const one = verifyCase(s);
      // Ranges of 37 leaves: an evidence item spans several, and the problems come from several threads.
      const many = await verifyCaseParallel(s, { workers: 2, minEvents: 0, rangeLeaves: 37, onProgress: (done) => progress.push(done) });
      // The triggers are dropped in every copy (named); anything else is the mutation's doing.
      assert.equal(where(one).length === 0, name === 'clean', `${name}: ${JSON.stringify(where(one))}`);
      assert.deepEqual({ ...many, checkedAt: '' }, { ...one, checkedAt: '' }, name);
      assert.equal(progress.at(-1), name === 'deleted' ? 299 : 310, `${name}: progress reaches every event`);
    } finally {
      s.close();
    }
  }
});

test("the export's check of the file it wrote: quick_check, and the entries of partial indexes, which neither quick_check nor integrity_check counts", async () => {
  const { copyCheck } = await import('../../electron/case/data/meta.ts');
  const { asReadable } = await import('../../electron/case/data/db.ts');
  const c = tempCase();
  try {
    // A real case passes (events_user and ips_v4/ips_v6 are partial indexes).
    await importPaths(c.store, c.signer, { sources: [STRATUS] });
    assert.equal(copyCheck(c.store.reader), 'ok');

    // A small file whose index keeps an entry for a row that is gone: SQLite is made to forget the index while
    // the row is deleted, then given it back with its pages (every page still in one B-tree: quick_check's
    // structure checks pass).
    const damaged = (index: string) => {
      const path = join(c.dir, `${index}.db`);
      let db = new Database(path);
      db.exec('CREATE TABLE t(a INTEGER, b INTEGER); CREATE INDEX t_a ON t(a); CREATE INDEX t_b ON t(b) WHERE b IS NOT NULL');
      const ins = db.prepare('INSERT INTO t(a, b) VALUES (?, ?)');
      db.transaction(() => {
        for (let i = 0; i < 1000; i++) ins.run(i, i % 10 === 0 ? i : null);
      })();
      assert.equal(copyCheck(asReadable(db)), 'ok');
      const row = db.prepare('SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master WHERE name = ?').get(index) as Record<string, unknown>;
      db.unsafeMode(true); // lets writable_schema edit sqlite_master (better-sqlite3 opens in SQLite's defensive mode)
      db.pragma('writable_schema = ON');
      db.prepare('DELETE FROM sqlite_master WHERE name = ?').run(index);
      db.close();
      db = new Database(path);
      db.prepare('DELETE FROM t WHERE a = 500').run(); // b = 500: covered by both indexes
      db.unsafeMode(true);
      db.pragma('writable_schema = ON');
      db.prepare('INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES (@type, @name, @tbl_name, @rootpage, @sql)').run(row);
      db.close();
      return new Database(path, { readonly: true });
    };
    let db = damaged('t_a');
    try {
      assert.equal(copyCheck(asReadable(db)), 'wrong # of entries in index t_a', "a full index: quick_check's own count");
    } finally {
      db.close();
    }
    db = damaged('t_b');
    try {
      assert.equal(db.pragma('quick_check', { simple: true }), 'ok', 'quick_check does not count a partial index');
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'nor does integrity_check');
      assert.equal(copyCheck(asReadable(db)), 'index t_b holds 100 entries for 99 rows of t');
    } finally {
      db.close();
    }

    // A damaged page is quick_check's: its answer is returned as it is.
    const broken = join(c.dir, 'page-damage.db');
    db = new Database(broken);
    db.exec('CREATE TABLE t(a TEXT); CREATE INDEX t_a ON t(a)');
    const ins = db.prepare('INSERT INTO t(a) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) ins.run(`value ${i} `.repeat(5));
    })();
    const pages = db.pragma('page_count', { simple: true }) as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const fd = openSync(broken, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, (pages - 2) * pageSize + 8);
    closeSync(fd);
    db = new Database(broken, { readonly: true });
    try {
      const r = copyCheck(asReadable(db));
      assert.notEqual(r, 'ok');
      assert.equal(r, (db.pragma('quick_check') as { quick_check: string }[]).map((x) => x.quick_check).join('; '));
    } finally {
      db.close();
    }
  } finally {
    c.cleanup();
  }
});
