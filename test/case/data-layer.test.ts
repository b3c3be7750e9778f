// The data layer's shared pieces (electron/case/data/): the sql tag, the one
// likeEscape, the store's transaction and savepoint API, the read view that
// dispatch hands read methods, and the one mapper per row type.
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { all, join as joinSql, likeEscape, raw, sql } from '../../electron/case/data/db.ts';
import { custodyEntry, custodyPage, custodyUpTo, type CustodyRow } from '../../electron/case/data/custody.ts';
import { insertImport } from '../../electron/case/data/imports.ts';
import { insertWarning, warningsAtRecord, warningsOfImports, warningsPage } from '../../electron/case/data/warnings.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch, handlers } from '../../electron/api/handlers.ts';
import { tempCase } from '../support/case.ts';

test('sql: values become parameters, pieces splice with theirs, raw text stays text', () => {
  const hostile = "x'); DROP TABLE custody; --";
  const where = joinSql([sql`actor = ${hostile}`, sql`seq > ${2}`], ' AND ');
  const q = sql`SELECT * FROM custody WHERE ${where} ORDER BY ${raw('seq')} LIMIT ${5}`;
  assert.equal(q.text, 'SELECT * FROM custody WHERE actor = ? AND seq > ? ORDER BY seq LIMIT ?');
  assert.deepEqual(q.params, [hostile, 2, 5]);
  assert.equal(joinSql([], ' AND ', '1').text, '1');
});

test('likeEscape: % _ and \\ match only themselves in a LIKE … ESCAPE pattern', () => {
  assert.equal(likeEscape('a%b_c\\d'), 'a\\%b\\_c\\\\d');
  const c = tempCase();
  try {
    const db = c.store.reader;
    const like = (s: string, v: string) => all<{ m: number }>(db, sql`SELECT ${s} LIKE ${'%' + likeEscape(v) + '%'} ESCAPE '\\' AS m`)[0].m;
    assert.equal(like('100% sure', '0%'), 1);
    assert.equal(like('1000 sure', '0%'), 0, 'an escaped % is not a wildcard');
    assert.equal(like('user_name', 'r_n'), 1);
    assert.equal(like('userXname', 'r_n'), 0, 'an escaped _ is not a wildcard');
    assert.equal(like('a\\b', 'a\\b'), 1);
  } finally {
    c.cleanup();
  }
});

test('transactions: a savepoint undoes only its own part; rollback undoes the group; transaction() commits or rolls back', () => {
  const c = tempCase();
  try {
    const s = c.store;
    const n = () => custodyPage(s.reader, 0, 1000).length;
    const before = n();
    s.begin();
    s.appendCustody('t', 'kept', {});
    s.savepoint('source');
    s.appendCustody('t', 'undone', {});
    s.rollbackTo('source');
    s.savepoint('source');
    s.appendCustody('t', 'released', {});
    s.release('source');
    s.commit();
    assert.deepEqual(custodyPage(s.reader, before, 10).map((e) => e.action), ['kept', 'released']);
    s.begin();
    s.appendCustody('t', 'rolled-back', {});
    s.rollback();
    assert.equal(n(), before + 2);
    assert.throws(() => s.transaction(() => {
      s.appendCustody('t', 'in-failed-tx', {});
      throw new Error('boom');
    }), /boom/);
    assert.equal(n(), before + 2);
    assert.equal(s.transaction(() => s.appendCustody('t', 'committed', {})), before + 3);
  } finally {
    c.cleanup();
  }
});

test('the read view is a read-only connection: it sees commits and cannot write', () => {
  const c = tempCase();
  try {
    const r = c.store.readView();
    assert.notEqual(r, c.store);
    assert.equal(r.readonly, true);
    assert.equal(c.store.readView(), r, 'opened once');
    const seq = c.store.appendCustody('t', 'seen-by-reader', {});
    assert.equal(custodyUpTo(r.reader, seq).at(-1)?.action, 'seen-by-reader');
    assert.throws(() => r.appendCustody('t', 'x', {}), /read-only/);
    assert.throws(() => r.db.prepare("INSERT INTO case_meta(key, value) VALUES ('k', 'v')").run(), /readonly|read-only/);
    c.store.close();
    assert.equal(existsSync(`${c.path}-wal`), false, 'closing the store closes its read view first, so the case is one file again');
  } finally {
    c.cleanup();
  }
});

test('dispatch: a read method gets the read view (a write from it fails); a write method gets the store', async () => {
  const c = tempCase();
  const original = handlers.listTags;
  try {
    const ctx = makeContext(c.store, { signer: c.signer });
    let seen: CaseStore | null = null;
    (handlers as Record<string, unknown>).listTags = (x: { store: CaseStore }) => {
      seen = x.store;
      x.store.appendCustody('t', 'written-by-a-read-method', {});
      return { items: [] };
    };
    await assert.rejects(dispatch(ctx, 'listTags', {}), /read-only|readonly/);
    assert.equal(seen!.readonly, true);
    assert.equal(custodyPage(c.store.reader, 0, 1000).some((e) => e.action === 'written-by-a-read-method'), false);
    (handlers as Record<string, unknown>).listTags = original;
    const r = await dispatch(ctx, 'addNote', { text: 'a write method writes' });
    assert.equal(custodyPage(c.store.reader, r.seq - 1, 1)[0].action, 'note');
    // And a read method reads what was just written.
    const log = await dispatch(ctx, 'custodyLog', { offset: 0, limit: 1000 });
    assert.equal(log.items.at(-1)?.seq, r.seq);
  } finally {
    (handlers as Record<string, unknown>).listTags = original;
    c.cleanup();
  }
});

test('a store opened read-only has no writer, and is its own read view', () => {
  const c = tempCase();
  try {
    c.store.close();
    const s = CaseStore.open(c.path, { readonly: true });
    try {
      assert.equal(s.readView(), s);
      assert.throws(() => s.writer, /read-only/);
    } finally {
      s.close();
    }
  } finally {
    c.cleanup();
  }
});

test('one mapper per row: custody and warnings rows map the same wherever they are read', async () => {
  const c = tempCase();
  try {
    const s = c.store;
    s.appendCustody('t', 'note', { text: 'x' });
    const raw = s.reader.prepare('SELECT * FROM custody ORDER BY seq').all() as CustodyRow[];
    const log = await dispatch(makeContext(s, { signer: c.signer }), 'custodyLog', { offset: 0, limit: 1000 });
    assert.deepEqual(log.items, raw.map(custodyEntry));
    assert.deepEqual(custodyUpTo(s.reader, raw.length), raw.map(custodyEntry));
    const importId = s.transaction(() => insertImport(s.writer, 't', 'a', '{}', 'v'));
    s.transaction(() => {
      insertWarning(s.writer, { importId, evidenceId: 1, origin: 'o1', recordIndex: 3, pos: 40, code: 'bad-json', message: 'm1' });
      insertWarning(s.writer, { importId, evidenceId: null, origin: 'o2', recordIndex: null, pos: null, code: 'unreadable', message: 'm2' });
    });
    const page = warningsPage(s.reader, { importId, offset: 0, limit: 10 });
    assert.equal(page.total, 2);
    assert.deepEqual(page.items[0], { id: page.items[0].id, importId, evidenceId: 1, origin: 'o1', recordIndex: 3, code: 'bad-json', message: 'm1' });
    assert.deepEqual(warningsOfImports(s.reader, [importId], 1), [page.items[0]]);
    assert.deepEqual(warningsAtRecord(s.reader, 1, 40), [page.items[0]]);
    const api = await dispatch(makeContext(s, { signer: c.signer }), 'listWarnings', { importId, offset: 0, limit: 10 });
    assert.deepEqual(api, page);
  } finally {
    c.cleanup();
  }
});

