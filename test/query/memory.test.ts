// A query wider than DuckDB's memory cap on two threads (docs/queries.md "Read-only and
// bounded"): `SELECT *` with a JSON filter over a case of several row groups needs more
// than the 128 MB cap on two threads and less on one. It runs again on one thread, from the
// start, and gives the same rows and hash as a run with room to spare; the columns go out
// once; kept rows are the second run's only. Where rows had already gone out, or one thread
// is not enough either, the error says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeContext } from '../../electron/api/context.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { generateTrail } from '../../electron/demo/synth.ts';
import { importPaths } from '../../electron/ingest/import-files.ts';
import { derivedPath, ensureDerived } from '../../electron/query/derived.ts';
import { runQuery } from '../../electron/query/engine.ts';
import { dropKept } from '../../electron/query/kept-results.ts';
import { leaseReadOnly, QUERY_MEMORY_LIMIT } from '../../electron/query/readonly-db.ts';
import type { QueryRunResult } from '../../shared/api/query.ts';
import { tempCase } from '../support/case.ts';

const WIDE = 'SELECT * FROM events WHERE requestParameters.bucketName IS NOT NULL';

test('a query over the cap on two threads runs again on one: same rows and hash, columns once, kept rows once', { timeout: 300_000 }, async () => {
  const c = tempCase('wide query');
  try {
    const trail = join(c.dir, 'trail');
    generateTrail({ outDir: trail, totalEvents: 140_000, eventsPerFile: 2000, days: 3, regions: ['us-east-1', 'eu-west-1'], seed: 7, compromise: true });
    await importPaths(c.store, c.signer, { sources: [trail] });
    await ensureDerived(c.store, { actor: 't' });

    // The premise: on two threads at the cap DuckDB itself runs out of memory.
    const lease = await leaseReadOnly(derivedPath(c.store.path), QUERY_MEMORY_LIMIT, 2);
    try {
      await assert.rejects(
        (async () => {
          const res = await (await lease.con.prepare("SELECT * FROM events WHERE json_extract_string(requestParameters, '$.bucketName') IS NOT NULL")).stream();
          while ((await res.fetchChunk())?.rowCount) globalThis.gc?.();
        })(),
        /Out of Memory Error/,
      );
    } finally {
      lease.release();
    }

    const want = (await runQuery(c.store, { text: 'SELECT count(*) FROM events WHERE requestParameters.bucketName IS NOT NULL', source: 'sql', actor: 't' })).rows[0][0];
    assert.ok(Number(want) > 10_000);
    const roomy = await runQuery(c.store, { text: WIDE, source: 'sql', actor: 't', keepRows: 0, memoryLimit: '1GB' });
    assert.equal(roomy.rowCount, Number(want));

    let announced = 0;
    let streamed = 0;
    const r = await runQuery(c.store, {
      text: WIDE,
      source: 'sql',
      actor: 't',
      keepRows: 0,
      onColumns: () => announced++,
      onRows: (rows) => {
        streamed += rows.length;
      },
    });
    assert.equal(r.rowCount, roomy.rowCount);
    assert.equal(r.resultSha256, roomy.resultSha256);
    assert.equal(announced, 1, 'the columns went out once');
    assert.equal(streamed, r.rowCount, 'every row went out once');

    // Through the app's job: the kept rows are the second run's, not the first's and the second's.
    const ctx = makeContext(c.store, { signer: c.signer });
    const { jobId } = await dispatch(ctx, 'runQuery', { mode: 'sql', text: WIDE, limit: 5 });
    const st = await ctx.jobs.wait(jobId);
    assert.equal(st.state, 'done', st.error);
    const job = st.result as QueryRunResult;
    assert.equal(job.resultSha256, roomy.resultSha256);
    assert.equal(job.keptRows, job.rowCount);
    const last = await dispatch(ctx, 'queryResultPage', { custodySeq: job.custodySeq, offset: job.rowCount - 1, limit: 5 });
    assert.equal(last.rows.length, 1);
    assert.equal((await dispatch(ctx, 'queryResultPage', { custodySeq: job.custodySeq, offset: job.rowCount, limit: 5 })).rows.length, 0, 'no row kept twice');
    dropKept(derivedPath(c.store.path));

    // One thread with too little memory as well: the error says what to do.
    await assert.rejects(runQuery(c.store, { text: WIDE, source: 'sql', actor: 't', keepRows: 0, memoryLimit: '48MB' }), /Out of Memory Error.*A query has 48MB of memory \(this one was also run on one thread\): name fewer columns/);
  } finally {
    c.cleanup();
  }
});
