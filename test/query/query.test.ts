// Queries over the whole case (docs/queries.md): every question of the bench suite
// gives the same rows as a JSON.parse reference on real fixtures and a
// synthetic case; writes and escapes are refused; cancel works; every run and
// build is on the custody record; the search bar compiles to the same engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CaseStore } from '../../electron/case/store.ts';
import { EvidenceReader } from '../../electron/case/evidence.ts';
import { canonicalJson } from '../../electron/case/canonical.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { generateTrail } from '../../electron/demo/synth.ts';
import type { DuckDBConnection, Json } from '@duckdb/node-api';
import { canonicalValue, jsonConverter, rowTexts, runQuery, ResultHasher, spillPrefix } from '../../electron/query/engine.ts';
import { duck } from '../../electron/query/duckdb.ts';
import { derivedPath, ensureDerived, leafRangeSha256 } from '../../electron/query/derived.ts';
import { closeHeld } from '../../electron/query/readonly-db.ts';
import { caselessPattern, compileSearch } from '../../shared/query/search.ts';
import { DERIVED_VERSION } from '../../shared/query/schema.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { QUESTIONS, pickValues, rawRecordsTableSql, str, type Rec } from '../bench/query-suite.ts';
import { tempCase, tempDir } from '../support/case.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const DATASETS: Record<string, string[]> = {
  stratus: [join(FIX, 'stratus-red-team', 'detonation-logs')],
  panther: [join(FIX, 'panther-analysis', 'test_scenarios')],
  otrf: [join(FIX, 'otrf-security-datasets', 'ec2_proxy_s3_exfiltration.normalized.Records.json')],
};

function records(store: CaseStore): Rec[] {
  const reader = new EvidenceReader(store);
  const out: Rec[] = [];
  for (const [leaf, t, ev, pos, len, enc] of store.db.prepare('SELECT leaf, time_ms, evidence_id, pos, len, enc FROM events ORDER BY leaf').raw().iterate() as Iterable<number[]>) {
    const text = reader.record(ev, pos, len, enc).toString('utf8');
    out.push({ leaf, timeMs: t, text, r: JSON.parse(text) });
  }
  return out;
}

const sorted = (rows: unknown[][]) => rows.map((r) => canonicalJson(r)).sort();

/** DuckDB over the fixture's raw records, as the bench loads a trail (test/bench/query.ts): a table ev(rec JSON). */
async function rawRecords(dir: string, recs: Rec[]): Promise<{ con: DuckDBConnection; closeSync(): void }> {
  const file = join(dir, 'raw-records.json');
  writeFileSync(file, `{"Records":[${recs.map((x) => x.text).join(',')}]}`);
  const inst = await duck().DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await inst.connect();
  await con.run(rawRecordsTableSql(file));
  return {
    con,
    closeSync: () => {
      con.closeSync();
      inst.closeSync();
    },
  };
}

async function rawRows(con: DuckDBConnection, sql: string): Promise<unknown[][]> {
  const r = await con.runAndReadAll(sql);
  const types = Array.from({ length: r.columnCount }, (_, i) => r.columnTypeId(i));
  return r.convertRows(jsonConverter()).map((row) => row.map((v, i) => canonicalValue(v as Json, types[i])));
}

async function caseFrom(sources: string[] | 'synthetic') {
  const c = tempCase();
  let src = sources;
  if (sources === 'synthetic') {
    const dir = join(c.dir, 'trail');
    generateTrail({ outDir: dir, totalEvents: 3000, eventsPerFile: 500, days: 3, regions: ['us-east-1', 'eu-west-1'], seed: 7, compromise: true });
    src = [dir];
  }
  await importPaths(c.store, c.signer, { sources: src as string[] }, { workers: 1 });
  return c;
}

for (const [name, sources] of [...Object.entries(DATASETS), ['synthetic', 'synthetic'] as const]) {
  test(`every bench question gives the reference's rows: ${name}`, async () => {
    if (sources !== 'synthetic' && !sources.every((s) => existsSync(s))) {
      console.log(`skipped: fixture ${sources.join(', ')} missing`);
      return;
    }
    const c = await caseFrom(sources as string[] | 'synthetic');
    try {
      const recs = records(c.store);
      assert.ok(recs.length > 0, 'the fixture imported events');
      const picks = pickValues(recs);
      let nonEmpty = 0;
      for (const q of QUESTIONS) {
        const r = await runQuery(c.store, { text: q.sql(picks), source: 'sql', actor: 'tester', keepRows: 1_000_000 });
        const want = q.reference(recs, picks);
        assert.deepEqual(sorted(r.rows), sorted(want), `${name}: ${q.id}`);
        assert.equal(r.rowCount, want.length, `${name}: ${q.id} row count`);
        if (want.length) nonEmpty++;
      }
      // The suite must actually test something on every dataset.
      assert.ok(nonEmpty >= 5, `${name}: only ${nonEmpty} questions had answers`);
      // The bench's baseline asks the same questions: DuckDB over the raw records, loaded as the bench loads them.
      const raw = await rawRecords(c.dir, recs);
      try {
        const ids = new Map(recs.map((x) => [x.leaf, str(x.r.eventID)]));
        for (const q of QUESTIONS) {
          const want = q.reference(recs, picks);
          const got = await rawRows(raw.con, q.raw(picks));
          assert.deepEqual(sorted(got), sorted(q.events ? want.map(([leaf]) => [ids.get(leaf as number)]) : want), `${name}: ${q.id} on the raw records`);
        }
      } finally {
        raw.closeSync();
      }
    } finally {
      c.cleanup();
    }
  });
}

test('the derived form is built once, custody-logged with its leaf range and hash, extended incrementally, and not part of verify', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const n = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    const b1 = await ensureDerived(c.store, { actor: 'tester' });
    assert.deepEqual([b1.built?.fromLeaf, b1.built?.toLeaf], [0, n]);
    const b2 = await ensureDerived(c.store, { actor: 'tester' });
    assert.equal(b2.built, null, 'already current: nothing rebuilt');
    const logs = c.store.db.prepare("SELECT details FROM custody WHERE action = 'query.derived-built'").all() as { details: string }[];
    assert.equal(logs.length, 1);
    const d = JSON.parse(logs[0].details);
    assert.equal(d.fromLeaf, 0);
    assert.equal(d.toLeaf, n);
    assert.equal(d.leafHashesSha256, leafRangeSha256(c.store, 0, n));
    // More events: only the new leaves are built.
    await importPaths(c.store, c.signer, { sources: DATASETS.otrf }, { workers: 1 });
    const n2 = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    const b3 = await ensureDerived(c.store, { actor: 'tester' });
    assert.deepEqual([b3.built?.fromLeaf, b3.built?.toLeaf, b3.rebuilt], [n, n2, false]);
    const r = await runQuery(c.store, { text: 'SELECT count(*) AS n, max(leaf) AS m FROM events', source: 'sql', actor: 'tester' });
    assert.deepEqual(r.rows, [[n2, n2 - 1]]);
    const rep = verifyCase(c.store);
    assert.equal(rep.ok, true, JSON.stringify(rep.problems.slice(0, 3)));
  } finally {
    c.cleanup();
  }
});

test('the read-only instance is kept between queries while the file is unchanged, replaced when it changes, and closed with the process', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const derived = derivedPath(c.path);
    const own = () => readdirSync(c.dir).filter((f) => f.startsWith(`${spillPrefix(derived)}${process.pid}-`));
    const count = async () => (await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' })).rows[0][0];
    const n = await count();
    const first = own();
    assert.equal(first.length, 1, 'one kept instance, one directory');
    assert.equal(await count(), n);
    assert.deepEqual(own(), first, 'the next query used the same instance');
    // The case grows: the build closes the kept instance before it writes, and the next query opens the new file.
    await importPaths(c.store, c.signer, { sources: DATASETS.otrf }, { workers: 1 });
    const n2 = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    assert.ok(n2 > Number(n));
    assert.equal(await count(), n2);
    assert.equal(own().length, 1);
    assert.notDeepEqual(own(), first, 'a new instance after the build');
    // Another process replaces the file while this one keeps it open: the next query here opens the new one.
    const store = JSON.stringify(join(import.meta.dirname, '../../electron/case/store.ts'));
    const derivedTs = JSON.stringify(join(import.meta.dirname, '../../electron/query/derived.ts'));
    const kept = own();
    const rebuild = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      const { rmSync } = await import('node:fs');
      const { CaseStore } = await import(${store});
      const { ensureDerived, derivedPath } = await import(${derivedTs});
      const s = CaseStore.open(${JSON.stringify(c.path)});
      rmSync(derivedPath(s.path));
      const b = await ensureDerived(s, { actor: 'other' });
      console.log(b.built.toLeaf);
      s.close();`], { encoding: 'utf8' });
    assert.equal(rebuild.status, 0, rebuild.stderr);
    assert.equal(Number(rebuild.stdout.trim()), n2);
    assert.equal(await count(), n2);
    assert.equal(own().length, 1);
    assert.notDeepEqual(own(), kept, 'a new instance for the new file');
    // A query in another process keeps nothing once that process ends.
    assert.ok(closeHeld(derived));
    assert.deepEqual(own(), []);
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', `
      const { CaseStore } = await import(${store});
      const { runQuery } = await import(${JSON.stringify(join(import.meta.dirname, '../../electron/query/engine.ts'))});
      const s = CaseStore.open(${JSON.stringify(c.path)});
      const r = await runQuery(s, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 'child' });
      console.log(JSON.stringify(r.rows));
      s.close();`], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), JSON.stringify([[n2]]));
    assert.deepEqual(readdirSync(c.dir).filter((f) => f.includes('.spill-')), [], 'no spill directory left by the process that ended');
  } finally {
    c.cleanup();
  }
});

test('a derived file another process keeps open is not replaced: extending it waits for that process, with a clear message, then goes on from where it was', async () => {
  const c = await caseFrom(DATASETS.stratus);
  const { spawn } = await import('node:child_process');
  const { statSync } = await import('node:fs');
  let holder: ReturnType<typeof spawn> | undefined;
  try {
    const derived = derivedPath(c.path);
    const n = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    await ensureDerived(c.store, { actor: 't' });
    const ino = statSync(derived).ino;
    // Another process queries the case and keeps the file open read-only, as the app does for a minute.
    holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { CaseStore } = await import(${JSON.stringify(join(import.meta.dirname, '../../electron/case/store.ts'))});
      const { runQuery } = await import(${JSON.stringify(join(import.meta.dirname, '../../electron/query/engine.ts'))});
      const s = CaseStore.open(${JSON.stringify(c.path)});
      const r = await runQuery(s, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 'other' });
      console.log('ready ' + r.rows[0][0]);
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await new Promise<string>((res, rej) => {
      let out = '';
      holder!.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('\n')) res(out.trim());
      });
      holder!.once('exit', (code) => rej(new Error(`the holder exited (${code})`)));
    });
    assert.equal(ready, `ready ${n}`);
    // Reading beside it works (both read-only).
    assert.deepEqual((await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' })).rows, [[n]]);
    // The case grows: extending the form needs the file to itself.
    await importPaths(c.store, c.signer, { sources: DATASETS.otrf }, { workers: 1 });
    const n2 = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    await assert.rejects(ensureDerived(c.store, { actor: 't' }), (e: Error) => {
      assert.match(e.message, /^the query database case\.trailcase-query is open in another process \(PID \d+\); TrailCase lets go of it a minute after that process's last query: try again then$/);
      return true;
    });
    assert.equal(statSync(derived).ino, ino, 'the file was not replaced');
    holder.kill();
    await new Promise((res) => (holder!.exitCode !== null ? res(null) : holder!.once('exit', res)));
    const b = await ensureDerived(c.store, { actor: 't' });
    assert.deepEqual([b.built?.fromLeaf, b.built?.toLeaf, b.rebuilt], [n, n2, false], 'extended from where it was, not rebuilt');
    assert.deepEqual((await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' })).rows, [[n2]]);
    // Another process writing the file (a build): a query here says so instead of failing with DuckDB's lock error.
    assert.ok(closeHeld(derived));
    holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { duck } = await import(${JSON.stringify(join(import.meta.dirname, '../../electron/query/duckdb.ts'))});
      const i = await duck().DuckDBInstance.create(${JSON.stringify(derived)});
      console.log('ready');
      setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((res, rej) => {
      holder!.stdout!.once('data', () => res());
      holder!.once('exit', (code) => rej(new Error(`the writer exited (${code})`)));
    });
    await assert.rejects(runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' }), /^UserError: the query database case\.trailcase-query is (being written by|open in) another process \(PID \d+\)/);
  } finally {
    holder?.kill();
    c.cleanup();
  }
});

test('a derived form from another case, or a deleted one, is rebuilt rather than trusted', async () => {
  const a = await caseFrom(DATASETS.stratus);
  const b = await caseFrom(DATASETS.otrf);
  try {
    await ensureDerived(a.store, { actor: 't' });
    const { copyFileSync, rmSync } = await import('node:fs');
    copyFileSync(derivedPath(a.path), derivedPath(b.path));
    const r = await ensureDerived(b.store, { actor: 't' });
    assert.equal(r.rebuilt, true);
    const q = await runQuery(b.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' });
    assert.deepEqual(q.rows, [[(b.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n]]);
    rmSync(derivedPath(b.path));
    const q2 = await runQuery(b.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' });
    assert.equal(q2.resultSha256, q.resultSha256);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test('a damaged derived file (not a DuckDB database) is replaced by a rebuild', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(derivedPath(c.path), Buffer.alloc(64 * 1024, 0x5a));
    const r = await ensureDerived(c.store, { actor: 't' });
    const n = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    assert.deepEqual([r.built?.fromLeaf, r.built?.toLeaf, r.rebuilt], [0, n, true]);
    const q = await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' });
    assert.deepEqual(q.rows, [[n]]);
  } finally {
    c.cleanup();
  }
});

test('a derived form of an older layout version is rebuilt, on the record', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const n = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    await ensureDerived(c.store, { actor: 't' });
    // Mark the file as written by the previous layout, as a file from an older TrailCase would be.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(derivedPath(c.path));
    const con = await inst.connect();
    await con.run(`UPDATE derived_meta SET v = json_object('caseId', v->>'caseId', 'version', ${DERIVED_VERSION - 1}, 'engine', v->>'engine', 'builtThrough', CAST(v->>'builtThrough' AS INTEGER), 'lastLeafHash', v->>'lastLeafHash', 'loggedThrough', CAST(v->>'loggedThrough' AS INTEGER)) WHERE k = 'state'`);
    con.closeSync();
    inst.closeSync();
    const r = await ensureDerived(c.store, { actor: 't' });
    assert.deepEqual([r.built?.fromLeaf, r.built?.toLeaf, r.rebuilt], [0, n, true]);
    const logs = (c.store.db.prepare("SELECT details FROM custody WHERE action = 'query.derived-built' ORDER BY seq").all() as { details: string }[]).map((l) => JSON.parse(l.details));
    assert.deepEqual(logs.map((d) => [d.derivedVersion, d.fromLeaf, d.toLeaf, d.rebuilt]), [
      [DERIVED_VERSION, 0, n, false],
      [DERIVED_VERSION, 0, n, true],
    ]);
    const q = await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' });
    assert.deepEqual(q.rows, [[n]]);
  } finally {
    c.cleanup();
  }
});

test('writes, escapes and extension loading are refused; a bad query is one line with its position', async () => {
  const c = await caseFrom(DATASETS.stratus);
  const outside = join(tempDir(), 'leak.csv');
  try {
    const refuse = async (sql: string, re: RegExp) => {
      await assert.rejects(runQuery(c.store, { text: sql, source: 'sql', actor: 't' }), re, sql);
    };
    await refuse(`ATTACH '${outside}.db' AS x`, /only reading queries|disabled by configuration/);
    await refuse(`COPY events TO '${outside}'`, /only reading queries|disabled by configuration/);
    await refuse(`COPY (SELECT * FROM events) TO '${outside}' (FORMAT csv)`, /only reading queries|disabled by configuration/);
    await refuse(`SELECT * FROM read_csv('/etc/passwd')`, /disabled by configuration/);
    await refuse(`SELECT * FROM read_text('/etc/hostname')`, /disabled by configuration/);
    await refuse(`INSTALL httpfs`, /only reading queries/);
    await refuse(`LOAD json`, /only reading queries/);
    await refuse(`PRAGMA version`, /only reading queries run here: PRAGMA statements are refused/);
    await refuse(`SET threads = 8`, /only reading queries/);
    await refuse(`CREATE TEMP TABLE t AS SELECT 1`, /only reading queries/);
    await refuse(`INSERT INTO events(leaf) VALUES (1)`, /only reading queries/);
    await refuse(`DELETE FROM events`, /only reading queries/);
    await refuse(`SELECT 1; DROP TABLE events`, /one statement at a time/);
    await refuse(`CALL pragma_version()`, /only reading queries/);
    assert.equal(existsSync(outside), false, 'nothing was written outside');
    await refuse(`SELEC eventName FROM events`, /Parser Error: syntax error at or near "SELEC" \(line 1, column 1\)$/);
    await assert.rejects(runQuery(c.store, { text: 'SELECT eventName,\n  nope FROM events', source: 'sql', actor: 't' }), (e: Error) => {
      assert.match(e.message, /nope/);
      assert.match(e.message, /\(line 2, column 3\)$/);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    });
    // The case is untouched and no refused query is on the record as run.
    assert.equal((c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.run'").get() as { n: number }).n, 0);
  } finally {
    c.cleanup();
  }
});

test('a running query is cancelled through its signal', async () => {
  const c = await caseFrom('synthetic');
  try {
    await ensureDerived(c.store, { actor: 't' });
    const ac = new AbortController();
    // A cross join large enough to run for a long time; cancelled as soon as its first rows arrive.
    const p = runQuery(c.store, {
      text: 'SELECT a.leaf, b.leaf FROM events a, events b, events d WHERE a.record::VARCHAR || b.record::VARCHAR LIKE \'%never-there%\'',
      source: 'sql',
      actor: 't',
      signal: ac.signal,
    });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(p, /cancelled|interrupt/i);
    assert.equal((c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.run'").get() as { n: number }).n, 0);
  } finally {
    c.cleanup();
  }
});

test('a query larger than its memory cap spills to a private directory and completes; the directory goes with the query', async () => {
  const c = await caseFrom('synthetic');
  const spills = () => readdirSync(c.dir).filter((f) => f.includes('.spill-'));
  try {
    await ensureDerived(c.store, { actor: 't' });
    const recs = records(c.store);
    // Every event 400 times with its user agent, in time order: 1.2M rows, ~140 MB to sort under a
    // 64 MB cap, which DuckDB finishes only by spilling (without a spill directory it fails with
    // its out-of-memory error; measured).
    const sql = 'SELECT a.leaf, b.n, a.userAgent FROM events a, range(400) b(n) ORDER BY a.eventTime DESC, a.leaf DESC, b.n';
    const order = recs.slice().sort((x, y) => (y.timeMs ?? 0) - (x.timeMs ?? 0) || y.leaf - x.leaf);
    let at = 0;
    let wrong = 0;
    const r = await runQuery(c.store, {
      text: sql,
      source: 'sql',
      actor: 't',
      keepRows: 0,
      memoryLimit: '64MB',
      onRows: (rows) => {
        for (const x of rows) {
          const e = order[Math.floor(at / 400)];
          if (x[0] !== e.leaf || x[1] !== at % 400 || x[2] !== (e.r.userAgent ?? null)) wrong++;
          at++;
        }
      },
    });
    assert.equal(r.rowCount, recs.length * 400);
    assert.equal(at, r.rowCount);
    assert.equal(wrong, 0, 'every row in its place');
    assert.deepEqual(spills(), [], 'the spill directory is removed after the query');
    // A failing query removes it too.
    await assert.rejects(runQuery(c.store, { text: "SELECT CAST('x' AS INTEGER) FROM events", source: 'sql', actor: 't', memoryLimit: '64MB' }));
    assert.deepEqual(spills(), []);
    // A process killed mid-query leaves its directory behind; the next query removes it, but not
    // the directory of a process still running, nor one whose name says no owner.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(gone && !spills().length);
    const derived = derivedPath(c.store.path);
    const stale = `${spillPrefix(derived)}${gone}-AbC123`;
    const live = `${spillPrefix(derived)}${process.ppid}-XyZ789`;
    const old = `${basename(derived)}.spill-Qw12Er`;
    for (const n of [stale, live, old]) {
      mkdirSync(join(dirname(derived), n));
      writeFileSync(join(dirname(derived), n, 'duckdb_temp_block-1.block'), 'x');
    }
    await runQuery(c.store, { text: 'SELECT count(*) FROM events', source: 'sql', actor: 't' });
    // This process's kept instance has its own directory until it is closed (readonly-db.ts).
    assert.equal(spills().filter((n) => n.startsWith(`${spillPrefix(derived)}${process.pid}-`)).length, 1, 'the kept instance has one directory');
    assert.ok(closeHeld(derived));
    assert.deepEqual(spills().sort(), [live, old].sort(), "the dead process's directory is removed, the others kept");
  } finally {
    c.cleanup();
  }
});

test('every query run is a custody entry with its text, engine, checkpoint, row count and result hash', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const r = await runQuery(c.store, { text: 'SELECT eventName, count(*) n FROM events GROUP BY 1', source: 'sql', actor: 'Dana' });
    const e = c.store.db.prepare("SELECT seq, actor, details FROM custody WHERE action = 'query.run'").get() as { seq: number; actor: string; details: string };
    const d = JSON.parse(e.details);
    assert.equal(e.seq, r.custodySeq);
    assert.equal(e.actor, 'Dana');
    assert.equal(d.text, 'SELECT eventName, count(*) n FROM events GROUP BY 1');
    assert.match(d.engine, /^DuckDB v\d/);
    const cp = c.store.lastCheckpoint()!;
    assert.deepEqual(d.checkpoint, { treeSize: cp.treeSize, root: cp.root });
    assert.equal(d.rows, r.rowCount);
    assert.equal(d.resultSha256, r.resultSha256);
    // The documented hash, recomputed from the rows.
    const h = new ResultHasher(r.columns.map((x) => x.name));
    for (const row of r.rows) h.add(row);
    assert.equal(h.digest(), r.resultSha256);
    // Order-independent: the same rows sorted differently hash the same; different rows do not.
    const r2 = await runQuery(c.store, { text: 'SELECT eventName, count(*) n FROM events GROUP BY 1 ORDER BY 2 DESC', source: 'sql', actor: 'Dana' });
    assert.equal(r2.resultSha256, r.resultSha256);
    const r3 = await runQuery(c.store, { text: "SELECT eventName, count(*) n FROM events WHERE eventName <> 'StopLogging' GROUP BY 1", source: 'sql', actor: 'Dana' });
    assert.notEqual(r3.resultSha256, r.resultSha256);
  } finally {
    c.cleanup();
  }
});

test('the result hash is the documented one for results of any size (rows across blocks, duplicates, any order)', async () => {
  const { createHash } = await import('node:crypto');
  // The definition in docs/queries.md, written out plainly.
  const documented = (cols: string[], rows: unknown[][]) => {
    const hex = rows.map((r) => createHash('sha256').update(canonicalJson(r)).digest('hex')).sort();
    const h = createHash('sha256').update(canonicalJson(cols) + '\n');
    for (const x of hex) h.update(x + '\n');
    return h.digest('hex');
  };
  const rows: unknown[][] = [];
  for (let i = 0; i < 150_000; i++) rows.push([i % 97_003, i % 3 === 0 ? null : `k${i % 5}`, i % 7 === 0]);
  const a = new ResultHasher(['n', 'k', 'b']);
  for (const r of rows) a.add(r as never);
  const want = documented(['n', 'k', 'b'], rows);
  assert.equal(a.digest(), want);
  const b = new ResultHasher(['n', 'k', 'b']);
  for (const r of [...rows].reverse()) b.add(r as never);
  assert.equal(b.digest(), want, 'independent of row order');
  const c = new ResultHasher(['n', 'k', 'b']);
  for (const r of rows.slice(1)) c.add(r as never);
  assert.notEqual(c.digest(), want, 'a missing row changes it');
  assert.equal(new ResultHasher(['x']).digest(), documented(['x'], []), 'no rows');
  // Past its memory budget the hasher writes sorted runs to a temporary file and merges them:
  // the same hash, for a budget that divides the rows evenly, one that does not, and one row.
  for (const budget of [50_000, 7_919, 1]) {
    const s = new ResultHasher(['n', 'k', 'b'], { memoryRows: budget });
    for (const r of budget === 1 ? rows.slice(0, 5_000) : rows) s.add(r as never);
    assert.equal(s.digest(), budget === 1 ? documented(['n', 'k', 'b'], rows.slice(0, 5_000)) : want, `spilled every ${budget} rows`);
  }
  const d = new ResultHasher(['n', 'k', 'b'], { memoryRows: 10_000 });
  for (const r of rows.slice(1)) d.add(r as never);
  assert.notEqual(d.digest(), want, 'a missing row changes the spilled hash too');
});

test("each row's canonical text written from the vectors is the converted row's canonicalJson, for every kind of value", async () => {
  const inst = await duck().DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    // Integers at and past the safe range, text with quotes, controls and
    // non-ASCII, booleans, NULL in each column, timestamps, doubles, decimals, lists, structs, JSON.
    const sql = `SELECT * FROM (VALUES
      (1::BIGINT, 9007199254740993::BIGINT, -5::HUGEINT, 42::INTEGER, 7::TINYINT, 'a"b\\c'::VARCHAR, true, TIMESTAMP '2024-01-02 03:04:05.678', 1.5::DOUBLE, 12.34::DECIMAL(9,2), [1, 2]::BIGINT[], {'a': 'x', 'b': 3}, '{"k":[1,"v"]}'::JSON, 18446744073709551615::UBIGINT, TIMESTAMPTZ '2024-01-02 03:04:05.678+00', [TIMESTAMPTZ '2024-01-02 12:00:00+00']),
      (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
      (-9007199254740991::BIGINT, 170141183460469231731687303715884105727::HUGEINT, 0::HUGEINT, (-2147483647)::INTEGER, (-127)::TINYINT, chr(1) || chr(10) || 'ü€' || chr(128512), false, TIMESTAMP '1970-01-01 00:00:00', -0.0::DOUBLE, -0.01::DECIMAL(9,2), []::BIGINT[], {'a': NULL, 'b': NULL}, 'null'::JSON, 0::UBIGINT, TIMESTAMPTZ '1970-01-01 00:00:00+00', [])
    ) t(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p)`;
    const res = await con.stream(sql);
    const types = Array.from({ length: res.columnCount }, (_, i) => res.columnTypeId(i));
    let seen = 0;
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const want = chunk.convertRows(jsonConverter()).map((r) => canonicalJson(r.map((v, i) => canonicalValue(v as Json, types[i]))));
      assert.deepEqual(rowTexts(chunk), want);
      // A TIMESTAMP WITH TIME ZONE is the UTC instant, in a column and nested, whatever the process's zone.
      if (seen === 0) assert.ok(want[0].endsWith(',"2024-01-02T03:04:05.678Z",["2024-01-02 12:00:00+00"]]'), want[0]);
      seen += chunk.rowCount;
    }
    assert.equal(seen, 3);
    // Nested values as the derived table holds them (userIdentity: structs in structs; resources: a
    // list of structs): keys out of order and of both cases, NULL struct against a struct of NULLs,
    // NULL list against an empty one, timestamps and big integers inside, hostile text in a list.
    const nested = await con.stream(`SELECT * FROM (VALUES
      ({'zeta': 1, 'Alpha': {'b': 'x', 'a': NULL, 'ä': TIMESTAMP '2024-01-02 03:04:05'}, 'mid': [9007199254740993::BIGINT]}, [{'ARN': 'arn:a', 'type': NULL}, NULL, {'ARN': '\u202Eexe', 'type': 'T'}], [['a b', NULL], []]),
      (NULL, NULL, NULL),
      ({'zeta': NULL, 'Alpha': NULL, 'mid': NULL}, [], [NULL])
    ) t(s, l, ll)`);
    const nTypes = [nested.columnTypeId(0), nested.columnTypeId(1), nested.columnTypeId(2)];
    let nestedRows = 0;
    for (;;) {
      const chunk = await nested.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      assert.deepEqual(rowTexts(chunk), chunk.convertRows(jsonConverter()).map((r) => canonicalJson(r.map((v, i) => canonicalValue(v as Json, nTypes[i])))));
      nestedRows += chunk.rowCount;
    }
    assert.equal(nestedRows, 3);
    // Text an attacker chose, as the records carry it: bidi and zero-width controls, a BOM, line and
    // paragraph separators, a formula prefix, HTML, SQL, escapes and a megabyte-long value. Each row's
    // text is the converter's, and is JSON that reads back to exactly the stored values.
    const hostile = ['\u202Eexe.txt', 'a\u200Bb\u200Dc\uFEFF', 'line\u2028para\u2029end', '=HYPERLINK("http://x","y")', '+cmd|/c calc', '<script>alert(1)</script><img src=x onerror=alert(2)>', "'; DROP TABLE events; --", '\\u0041 \\" \\n', 'x'.repeat(1 << 20)];
    const values = hostile.map((h) => `('${h.replace(/'/g, "''")}'::VARCHAR, to_json('${h.replace(/'/g, "''")}'::VARCHAR))`).join(', ');
    const hr = await con.stream(`SELECT * FROM (VALUES ${values}) t(s, j)`);
    const hTypes = [hr.columnTypeId(0), hr.columnTypeId(1)];
    const got: string[] = [];
    for (;;) {
      const chunk = await hr.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const texts = rowTexts(chunk);
      assert.deepEqual(texts, chunk.convertRows(jsonConverter()).map((r) => canonicalJson(r.map((v, i) => canonicalValue(v as Json, hTypes[i])))));
      got.push(...texts);
    }
    assert.deepEqual(got.map((t) => JSON.parse(t)), hostile.map((h) => [h, JSON.stringify(h)]));
  } finally {
    con.closeSync();
    inst.closeSync();
  }
});

test('the search bar compiles to parameterised SQL on the same engine and agrees with the reference', async () => {
  const c = await caseFrom('synthetic');
  try {
    const recs = records(c.store);
    const cases: [string, (x: Rec) => boolean][] = [
      ['eventName:AssumeRole', (x) => String(x.r.eventName).toLowerCase() === 'assumerole'],
      ['eventName:Get* -eventSource:s3.amazonaws.com', (x) => /^get/i.test(x.r.eventName) && x.r.eventSource !== 's3.amazonaws.com'],
      ['"exploit-kit" OR userIdentity.type:Root', (x) => x.text.toLowerCase().includes('exploit-kit') || x.r.userIdentity?.type === 'Root'],
      ['requestParameters.bucketName:acme-*', (x) => typeof x.r.requestParameters?.bucketName === 'string' && /^acme-/i.test(x.r.requestParameters.bucketName)],
      ['NOT (readOnly:true OR errorCode:*)', (x) => !(x.r.readOnly === true || x.r.errorCode != null)],
    ];
    const t0 = recs[Math.floor(recs.length / 2)].timeMs!;
    const iso = new Date(t0).toISOString();
    cases.push([`after:${iso} eventSource:iam.amazonaws.com`, (x) => x.timeMs! >= t0 && x.r.eventSource === 'iam.amazonaws.com']);
    // Free text without a letter (an address, an account id) is searched as stored, with the same answer.
    const addr = recs.find((x) => typeof x.r.sourceIPAddress === 'string' && /^[0-9.]+$/.test(x.r.sourceIPAddress))!.r.sourceIPAddress as string;
    const acct = recs.find((x) => typeof x.r.recipientAccountId === 'string')!.r.recipientAccountId as string;
    for (const v of [addr, acct]) {
      cases.push([`"${v}"`, (x) => x.text.toLowerCase().includes(v)]);
      assert.match(compileSearch(`"${v}"`).sql, /contains\(CAST\(record AS VARCHAR\), \?\)/, `${v} is searched without lower()`);
    }
    assert.match(compileSearch('"Exploit-Kit"').sql, /regexp_matches\(CAST\(record AS VARCHAR\), \?\)/, 'ASCII text with letters is a pattern of both cases');
    assert.match(compileSearch('"Exploit-Kit\u00e9"').sql, /contains\(lower\(CAST\(record AS VARCHAR\)\), \?\)/, 'other text is compared lower-cased');
    // Hostile caseless text (a formula prefix, quotes and comment marks, a bidi control) stays a parameter on either path.
    const odd = compileSearch(`"=1+1" OR "'); --" OR "\u202e1"`);
    assert.ok(!odd.sql.includes('=1+1') && !odd.sql.includes("');") && !odd.sql.includes('\u202e'), odd.sql);
    assert.deepEqual(odd.params, ['=1+1', "'); --", '\u202e1']);
    for (const [q, pred] of cases) {
      const comp = compileSearch(q);
      const r = await runQuery(c.store, { text: q, sql: comp.sql, params: comp.params, source: 'search', actor: 't', keepRows: 1_000_000 });
      const want = recs.filter(pred).map((x) => x.leaf);
      assert.deepEqual(r.rows.map((row) => row[0]).sort((a, b) => Number(a) - Number(b)), want, q);
      assert.ok(want.length > 0, `${q} matches something`);
    }
    // An ARN typed as free text is not mistaken for a field named "arn".
    const arn = recs.find((x) => typeof x.r.userIdentity?.arn === 'string')!.r.userIdentity.arn as string;
    const asText = compileSearch(arn);
    const rt = await runQuery(c.store, { text: arn, sql: asText.sql, params: asText.params, source: 'search', actor: 't', keepRows: 1_000_000 });
    assert.equal(rt.rowCount, recs.filter((x) => x.text.toLowerCase().includes(arn.toLowerCase())).length);
    assert.ok(rt.rowCount > 0);
    // A hostile value never enters the SQL text.
    const hostile = compileSearch(`eventName:"x') OR 1=1 --" userAgent:'; DROP TABLE events;`);
    assert.ok(!hostile.sql.includes('OR 1=1') && !hostile.sql.includes('DROP'), hostile.sql);
    const r = await runQuery(c.store, { text: 'x', sql: hostile.sql, params: hostile.params, source: 'search', actor: 't' });
    assert.equal(r.rowCount, 0);
  } finally {
    c.cleanup();
  }
});

test('free text as a pattern of both cases gives exactly what lower-casing the record gives, hostile text included', async () => {
  const { duck } = await import('../../electron/query/duckdb.ts');
  // The pattern counts on DuckDB's lower() turning no character but these two into an ASCII letter: ask it.
  const inst = await duck().DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const into = (await con.runAndReadAll(`SELECT c FROM (SELECT CAST(range AS INTEGER) AS c FROM range(128, 1114112)) WHERE (c < 55296 OR c > 57343) AND ascii(lower(chr(c))) < 128`)).getRows();
  con.closeSync();
  inst.closeSync();
  assert.deepEqual(into.map((r) => Number(r[0])), [0x130, 0x212a]);

  const c = tempCase();
  try {
    // Records whose text folds in every awkward way: the two non-ASCII letters that lower-case into ASCII,
    // letters that only look alike (Cyrillic, fullwidth), regex syntax, a line break inside a value.
    const names = ['AdminKey', 'ADMINKEY', 'adm\u0130n\u212aey', 'adm\u0131nkey', 'a\u0434minkey', '\uff21dminkey', 'admin.*key', 'admin[k]ey', 'a(d)m|in$key^', 'x\\yKEY', 'admin\nkey', 'AdMiN-KeY-2', 'nothing'];
    const recs = names.map((n, i) => ({ eventVersion: '1.08', eventTime: `2026-03-04T00:00:${String(i).padStart(2, '0')}Z`, eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, awsRegion: 'us-east-1', requestParameters: { userName: n } }));
    writeFileSync(join(c.dir, 'fold.json'), JSON.stringify({ Records: recs }));
    await importPaths(c.store, c.signer, { sources: [join(c.dir, 'fold.json')] }, { workers: 1 });
    const terms = ['adminkey', 'AdminKey', 'admin*key', 'adm?nkey', 'admin.*key', 'admin[k]ey', '"a(d)m|in$key^"', '"x\\\\ykey"', '"admin-key-2"', 'i', 'k', 'n*k'];
    let matched = 0;
    for (const q of terms) {
      const comp = compileSearch(q);
      assert.match(comp.sql, /regexp_matches/, `${q} is compiled to a pattern`);
      const got = await runQuery(c.store, { text: q, sql: comp.sql, params: comp.params, source: 'search', actor: 't', keepRows: 1000 });
      // The definition: lower-case the record and look for the text (ILIKE for wildcards), in the same engine.
      const value = q.startsWith('"') ? JSON.parse(q) as string : q;
      const wild = !q.startsWith('"') && /[*?]/.test(q);
      const def = wild ? 'CAST(record AS VARCHAR) ILIKE ? ESCAPE \'\\\'' : 'contains(lower(CAST(record AS VARCHAR)), ?)';
      const arg = wild ? `%${value.replace(/[%_\\]/g, (m) => '\\' + m).replace(/\*/g, '%').replace(/\?/g, '_')}%` : value.toLowerCase();
      const want = await runQuery(c.store, { text: q, sql: `SELECT leaf FROM events WHERE ${def}`, params: [arg], source: 'sql', actor: 't', keepRows: 1000 });
      assert.deepEqual(got.rows.map((r) => Number(r[0])).sort((a, b) => a - b), want.rows.map((r) => Number(r[0])).sort((a, b) => a - b), q);
      if (got.rowCount > 0) matched++;
    }
    assert.ok(matched >= 10, `most terms match something (${matched})`);
    // Hostile text typed into the search bar: only printable ASCII becomes a pattern, and every character of it
    // that is not a letter or a wildcard is written \x{..}; anything else stays lower()'s parameter. Never in the SQL text.
    const SHAPE = /^(?:\[[a-zA-Z]{2}(?:\\x\{(?:130|212A)\})?\]|\\x\{[0-9a-f]{2}\}|\(\?s:\.\*?\))+$/;
    for (const v of ['=HYPERLINK("http://x")', '<img src=x onerror=alert(1)>', "'); DROP TABLE events; --", '+cmd|calc', '@SUM(1)', 'a\\b\\n']) {
      const p = caselessPattern(v, false);
      assert.ok(p && SHAPE.test(p), `${v} -> ${p}`);
      const comp = compileSearch(JSON.stringify(v));
      assert.ok(!comp.sql.includes(v) && comp.params.includes(p!), comp.sql);
      await runQuery(c.store, { text: v, sql: comp.sql, params: comp.params, source: 'search', actor: 't' });
    }
    assert.throws(() => compileSearch(`"${'x'.repeat(1_000_000)}"`), /the search is longer than 10,000 characters/);
    assert.equal(caselessPattern('x'.repeat(1_000), false), null, 'long text is no pattern');
    for (const v of ['\u202eadmin', 'adm\u200bin', '\ufeffadmin', 'x'.repeat(1_000)]) {
      assert.equal(caselessPattern(v, false), null, `${v.slice(0, 20)} is no pattern`);
      const comp = compileSearch(JSON.stringify(v));
      assert.match(comp.sql, /contains\(lower\(CAST\(record AS VARCHAR\)\), \?\)/);
      assert.ok(!comp.sql.includes(v));
    }
    // The two folding letters are found through the pattern, as lower() finds them.
    const folded = await runQuery(c.store, { text: 'adminkey', ...compileSearch('adminkey'), source: 'search', actor: 't', keepRows: 1000 });
    assert.equal(folded.rowCount, 3, 'AdminKey, ADMINKEY and the İ/Kelvin spelling; not the dotless ı, Cyrillic or fullwidth ones');
  } finally {
    c.cleanup();
  }
});

test('search parse errors name what is wrong and where', () => {
  const err = (q: string) => {
    try {
      compileSearch(q);
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(err('eventName:A AND'), 'AND needs a term after it (at column 13)');
  assert.equal(err('(eventName:A OR b'), 'this parenthesis is never closed (at column 1)');
  assert.equal(err('a )'), 'a closing parenthesis without an opening one (at column 3)');
  assert.equal(err('"unterminated'), 'unterminated quoted phrase (at column 1)');
  assert.equal(err('eventName:'), 'eventName: needs a value (at column 1)');
  assert.equal(err('x after:yesterday'), '"yesterday" is not a time (use 2026-03-04 or 2026-03-04T02:10:00Z) (at column 3)');
  assert.equal(err('bytes>lots'), 'bytes> compares numbers; "lots" is not one (at column 1)');
  assert.equal(err('OR x'), 'OR needs a term before it (at column 1)');
  assert.equal(err('eventName:A'), 'no error');
});

test('an interrupted build resumes where it stopped and the custody entry covers the whole range', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const n = (c.store.db.prepare('SELECT count(*) n FROM events').get() as { n: number }).n;
    const ac = new AbortController();
    await assert.rejects(
      ensureDerived(c.store, { actor: 't', batchSize: 100, signal: ac.signal, onProgress: () => ac.abort() }),
      /cancelled; it resumes from here/,
    );
    assert.equal((c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.derived-built'").get() as { n: number }).n, 0);
    const r = await ensureDerived(c.store, { actor: 't', batchSize: 100 });
    // It resumed after the last batch committed before the cancel took effect (batches of 100).
    const resumedAt = r.built!.fromLeaf;
    assert.ok(resumedAt > 0 && resumedAt < n && resumedAt % 100 === 0, `resumed at ${resumedAt}`);
    assert.deepEqual([r.built?.toLeaf, r.rebuilt], [n, false]);
    const d = JSON.parse((c.store.db.prepare("SELECT details FROM custody WHERE action = 'query.derived-built'").get() as { details: string }).details);
    assert.deepEqual([d.fromLeaf, d.toLeaf], [0, n]);
    const q = await runQuery(c.store, { text: 'SELECT count(*) AS c, count(DISTINCT leaf) AS n, min(leaf) AS a, max(leaf) AS b FROM events', source: 'sql', actor: 't' });
    assert.deepEqual(q.rows, [[n, n, 0, n - 1]], 'every leaf exactly once');
  } finally {
    c.cleanup();
  }
});

test("field completion offers the case's own nested keys once the query database is built", async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const { caseFields } = await import('../../electron/query/engine.ts');
    const before = await caseFields(c.store);
    assert.ok(before.some((f) => f.path === 'userIdentity.sessionContext.sessionIssuer.arn'));
    assert.ok(!before.some((f) => f.kind === 'json' && f.events !== undefined));
    await ensureDerived(c.store, { actor: 't' });
    const after = await caseFields(c.store);
    const recs = records(c.store);
    const n = recs.filter((x) => x.r.requestParameters && typeof x.r.requestParameters === 'object' && 'instanceId' in x.r.requestParameters).length;
    const f = after.find((x) => x.path === 'requestParameters.instanceId');
    assert.ok(n > 0 && f, 'a key of the case is offered');
    assert.equal(f!.events, n);
  } finally {
    c.cleanup();
  }
});

test('a query job is cancelled through the API (cancelJob), like every other job', async () => {
  const c = await caseFrom('synthetic');
  try {
    const { makeContext } = await import('../../electron/api/context.ts');
    const { dispatch } = await import('../../electron/api/handlers.ts');
    await ensureDerived(c.store, { actor: 't' });
    const ctx = makeContext(c.store, { signer: c.signer });
    const { jobId } = await dispatch(ctx, 'runQuery', {
      text: "SELECT count(*) FROM events a, events b, events d WHERE a.record || b.record LIKE '%never-there%'",
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await dispatch(ctx, 'cancelJob', { id: jobId }), { ok: true });
    const st = await ctx.jobs.wait(jobId);
    assert.equal(st.state, 'cancelled');
    assert.match(st.error ?? '', /cancelled/);
  } finally {
    c.cleanup();
  }
});

test('queries, field listings and builds asked at once take turns on the query database', async () => {
  const c = await caseFrom(DATASETS.stratus);
  try {
    const { caseFields } = await import('../../electron/query/engine.ts');
    // Two first queries at once: one builds, the other finds it built (never two writers on one file).
    const all = await Promise.all([
      runQuery(c.store, { text: 'SELECT count(*), count(DISTINCT leaf) FROM events', source: 'sql', actor: 't' }),
      runQuery(c.store, { text: 'SELECT count(*), count(DISTINCT leaf) FROM events', source: 'sql', actor: 't' }),
      caseFields(c.store),
    ]);
    assert.deepEqual(all[0].rows, [[310, 310]]);
    assert.deepEqual(all[1].rows, [[310, 310]]);
    assert.ok(all[2].some((f) => f.events !== undefined), 'the field listing waited for the build');
    assert.equal((c.store.db.prepare("SELECT count(*) n FROM custody WHERE action = 'query.derived-built'").get() as { n: number }).n, 1);
  } finally {
    c.cleanup();
  }
});

test('one event id column: eventID is TrailCase\'s id (sha256:… without one), record.eventID the record\'s own; SELECT * has no eventID_1', async () => {
  const c = tempCase();
  try {
    const dir = join(c.dir, 'in');
    mkdirSync(dir);
    const base = { eventVersion: '1.08', eventTime: '2026-03-04T02:10:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', awsRegion: 'us-east-1', sourceIPAddress: '203.0.113.7', userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/a' } };
    writeFileSync(join(dir, 'two.json'), JSON.stringify({ Records: [{ ...base, eventID: 'e-1', requestID: 'r-1' }, { ...base, eventTime: '2026-03-04T02:11:00Z' }] }));
    await importPaths(c.store, c.signer, { sources: [dir] }, { workers: 1 });
    const star = await runQuery(c.store, { text: 'SELECT * FROM events ORDER BY leaf', source: 'sql', actor: 't' });
    const names = star.columns.map((x) => x.name);
    assert.deepEqual(names.filter((n) => n.toLowerCase().startsWith('eventid')), ['eventid']);
    assert.ok(names.includes('requestID') && names.includes('record'));
    const r = await runQuery(c.store, { text: 'SELECT eventID, record.eventID AS own, requestID FROM events ORDER BY leaf', source: 'sql', actor: 't' });
    assert.equal(r.rows[0][0], 'e-1');
    assert.equal(r.rows[0][1], 'e-1');
    assert.equal(r.rows[0][2], 'r-1');
    assert.match(String(r.rows[1][0]), /^sha256:[0-9a-f]{64}$/);
    assert.equal(r.rows[1][1], null);
    assert.equal(r.rows[1][2], null);
  } finally {
    c.cleanup();
  }
});
