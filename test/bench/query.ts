// Bench of the queries (docs/queries.md): the fixed suite of examiner questions (query-suite.ts) on
// TrailCase's query engine (derived DuckDB form, read-only, hashed and
// custody-logged) and on DuckDB over the same raw JSON records in the same run;
// the derived form's build time (against the import time), its size, and the
// build's peak RSS. test/bench/run.ts runs the build, the suite alone and the
// comparison with DuckDB as three processes, each sampled for memory.
//   node --import tsx test/bench/query.ts --build CASE       (child: build from scratch, print JSON)
//   node --import tsx test/bench/query.ts --questions CASE   (child: the suite once on TrailCase alone, print its peak RSS)
import { rmSync, statSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { CaseStore } from '../../electron/case/store.ts';
import { derivedPath, ensureDerived } from '../../electron/query/derived.ts';
import { runQuery } from '../../electron/query/engine.ts';
import { QUESTIONS, rawRecordsTableSql, type Picks } from './query-suite.ts';

if (process.argv[2] === '--build') {
  const store = CaseStore.open(process.argv[3]);
  rmSync(derivedPath(store.path), { force: true });
  const t = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await ensureDerived(store, { actor: 'bench' });
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  store.close();
  console.log(JSON.stringify({ events: r.events, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes: statSync(derivedPath(process.argv[3])).size, rssMB: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

if (process.argv[2] === '--questions') {
  // The queries' own memory: the parent also holds DuckDB over the raw records, so it cannot tell.
  const store = CaseStore.open(process.argv[3]);
  const picks = await picksFrom(store);
  // Each question once, in a process that has asked nothing before but the picks: the first
  // question pays for opening the derived file, each one for reading its own columns' blocks first.
  const once: Record<string, number> = {};
  for (const q of QUESTIONS) {
    const t = performance.now();
    await runQuery(store, { text: q.sql(picks), source: 'sql', actor: 'bench', keepRows: 0 });
    once[q.id] = performance.now() - t;
  }
  store.close();
  console.log(JSON.stringify({ rssMB: process.resourceUsage().maxRSS / 1024, once }));
  process.exit(0);
}

async function picksFrom(store: CaseStore): Promise<Picks> {
  const one = async (sql: string, fallback: string) => {
    const r = await runQuery(store, { text: sql, source: 'sql', actor: 'bench' });
    return (r.rows[0]?.[0] as string | undefined) ?? fallback;
  };
  const arn = await one(`SELECT r.ARN FROM (SELECT unnest(resources) AS r FROM events) WHERE r.ARN IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, 'arn:aws:');
  return {
    bucket: await one(`SELECT requestParameters.bucketName FROM events WHERE requestParameters.bucketName IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, 'no-bucket'),
    principal: await one(`SELECT userIdentity.arn FROM events WHERE userIdentity.arn IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, 'no-principal'),
    key: await one(`SELECT userIdentity.accessKeyId FROM events WHERE errorCode IS NOT NULL AND userIdentity.accessKeyId IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1`, 'no-key'),
    text: 'AccessDenied',
    arnPart: arn.slice(Math.max(0, arn.length - 12)),
  };
}

export interface QueryBench {
  build: { events: number; seconds: number; cpuSeconds: number; bytes: number; rssMB: number };
  /** Peak RSS of a process running the whole suite on TrailCase alone. */
  queriesRssMB: number;
  /** Each question's time when the suite ran once in its own process (ms). */
  onceMs: Record<string, number>;
  importSeconds: number | null;
  buildToImport: number | null;
  caseBytes: number;
  gzipBytes: number;
  caseWithDerivedToGzip: number;
  questions: { id: string; title: string; trailcaseMs: number; trailcaseFirstMs: number; duckdbRawMs: number; duckdbRawFirstMs: number; ratio: number; rows: number }[];
}

/** The suite timed on TrailCase and on DuckDB over the raw records; `build` and `queriesRssMB` come from the --build and --questions processes run before. */
export async function benchQuery(casePath: string, trailGlob: string, gzipBytes: number, importSeconds: number | null, build: QueryBench['build'], queriesRssMB: number, onceMs: Record<string, number>): Promise<QueryBench> {
  const store = CaseStore.open(casePath);
  const raw = await DuckDBInstance.create(':memory:', { threads: '2' });
  const con = await raw.connect();
  await con.run(rawRecordsTableSql(trailGlob));
  const questions: QueryBench['questions'] = [];
  try {
    const picks = await picksFrom(store);
    // Best of three, and the first of the three (this question's columns read for the first time).
    const best = async (f: () => Promise<unknown>) => {
      const ms: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        await f();
        ms.push(performance.now() - t);
      }
      return { best: Math.min(...ms), first: ms[0] };
    };
    for (const q of QUESTIONS) {
      let rows = 0;
      const tc = await best(async () => {
        rows = (await runQuery(store, { text: q.sql(picks), source: 'sql', actor: 'bench', keepRows: 0 })).rowCount;
      });
      const dr = await best(() => con.runAndReadAll(q.raw(picks)));
      questions.push({ id: q.id, title: q.title, trailcaseMs: tc.best, trailcaseFirstMs: tc.first, duckdbRawMs: dr.best, duckdbRawFirstMs: dr.first, ratio: tc.best / dr.best, rows });
    }
  } finally {
    con.closeSync();
    raw.closeSync();
    store.close();
  }
  const caseBytes = statSync(casePath).size;
  return {
    build,
    queriesRssMB,
    onceMs,
    importSeconds,
    buildToImport: importSeconds ? build.seconds / importSeconds : null,
    caseBytes,
    gzipBytes,
    caseWithDerivedToGzip: (caseBytes + build.bytes) / gzipBytes,
    questions,
  };
}
