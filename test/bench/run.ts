// `npm run bench`: speed and memory of TrailCase against baselines measured in
// the same run on the same machine (never timed assertions in tests).
//   import of N events (default 1M) in events/s and MB/s, against
//     - this machine's floor: read + gunzip + JSON.parse + SHA-256 per record, one thread
//     - DuckDB read_json ingest of the same files keeping whole records (npm package fetched on demand into .bench/)
//   peak RSS of the import process; case size against the gzip input; search latency;
//   then the acquisition, analysis and UI benchmarks where their modules exist.
//   Every step that starts a process is measured as a process tree (test/bench/rss.ts): time, and the
//   peak RSS of each process (the import, verify, the analysis, the host serving the UI and its Chromium,
//   the report and its Chromium, export and receive, DuckDB). One run writes .bench/results-<N>.json;
//   the closing table sets every results-*.json present side by side (1M against 10M: README.md, "Speed and size").
// Options: --events N, --import-runs N (default 3), --skip-duckdb (no DuckDB ingest baseline, and the query step without
//   the DuckDB comparison), --reuse-case (keep an existing case:
//   no import runs), --home DIR (the examiner keys; default .bench/home), --skip-floor (no one-thread floor runs around the import: a 10M run's floors alone take
//   minutes; the import's ratio to the floor is then not printed), --only import,verify,search,acquire,analysis,enrich,ui,report,handoff,query, --table (print the table only)
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateTrail } from '../../electron/demo/synth.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { searchEvents } from '../../electron/case/queries.ts';
import { runSampled, type ProcessPeak } from './rss.ts';
import { rawRecordsTableSql } from './query-suite.ts';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const EVENTS = Number(opt('events', '1000000'));
const IMPORT_RUNS = Math.max(1, Number(opt('import-runs', '3')));
const ONLY = new Set(opt('only', 'import,verify,search,acquire,analysis,enrich,ui,report,handoff,query').split(','));
const REUSE = args.includes('--reuse-case');
const SKIP_FLOOR = args.includes('--skip-floor');
const ROOT = resolve('.bench');
const TRAIL = join(ROOT, `trail-${EVENTS}-v2`);
// The examiner home (keys) of the run; another size's case may have been made with another home (--home DIR).
const HOME = resolve(opt('home', join(ROOT, 'home')));
const CASE = join(ROOT, `bench-${EVENTS}.trailcase`);
const PASS = 'bench-passphrase';
const results: Record<string, unknown> = { events: EVENTS, machine: `${process.platform} ${process.arch}, ${readCpus()} cores, node ${process.version}` };

function readCpus(): number {
  return availableParallelism();
}

function files(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, out);
    else out.push(p);
  }
  return out;
}

function line(label: string, value: string) {
  console.log(`${label.padEnd(48)} ${value}`);
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

// A bench module run as its own process (`--child NAME CASE [JSON args]`), so that its memory is its own:
// the parent samples the process tree and reads the result from the line starting with CHILD_MARK.
const CHILD_MARK = 'BENCH-CHILD-RESULT ';
if (args[0] === '--child') {
  const [, name, casePath, extra] = args;
  const x = extra ? JSON.parse(extra) : {};
  let r: unknown;
  if (name === 'analysis' || name === 'enrich') {
    const store = CaseStore.open(casePath);
    try {
      const m = await import(`./${name}.ts`);
      r = name === 'analysis' ? await m.benchAnalysis(store) : await m.benchEnrich(store);
    } finally {
      store.close();
    }
  } else if (name === 'ui') r = await (await import('./ui.ts')).benchUi(casePath);
  else if (name === 'ui-raw') r = await (await import('./ui.ts')).benchUiRaw(casePath);
  else if (name === 'query') r = await (await import('./query.ts')).benchQuery(casePath, x.glob, x.gzBytes, x.importSeconds, x.build, x.queriesRssMB, x.onceMs);
  else throw new Error(`no child bench ${name}`);
  process.stdout.write(`\n${CHILD_MARK}${JSON.stringify(r)}\n`);
  process.exit(0);
}

/** Time and memory of every process a step started, by step (the closing table reads these). */
interface StepMeasure extends ProcessPeak {
  seconds: number;
  events: number;
  /** When the step was measured (ISO time; a results file merges steps of several runs). */
  at?: string;
}
const steps: Record<string, StepMeasure> = {};
results.steps = steps;
const CLI_ENV = () => ({ ...process.env, TRAILCASE_HOME: HOME, TRAILCASE_PASSPHRASE: PASS, TRAILCASE_REPORT_RSS: '1' });

/** A CLI command as a sampled process; throws with its stderr when it fails (unless allowed). */
async function cliStep(step: string | null, cliArgs: string[], okStatus = [0]) {
  const r = await runSampled(process.execPath, ['electron/cli/trailcase.js', ...cliArgs], { env: CLI_ENV() });
  if (r.status === null || !okStatus.includes(r.status)) throw new Error(`${cliArgs[0]} failed (${r.status}): ${r.stderr.slice(-800)}`);
  if (step) steps[step] = { seconds: r.seconds, events: EVENTS, maxProcessMB: r.maxProcessMB, treeMB: r.treeMB, byProgram: r.byProgram, mainMB: r.mainMB };
  return r;
}

/** A bench module in its own process (see --child). */
async function childStep(step: string, name: string, extra?: unknown): Promise<any> {
  const r = await runSampled(process.execPath, ['--import', 'tsx', 'test/bench/run.ts', '--child', name, CASE, ...(extra ? [JSON.stringify(extra)] : [])], { env: CLI_ENV() });
  const line = r.stdout.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (r.status !== 0 || !line) throw new Error(`${name} bench failed (${r.status}): ${r.stderr.slice(-800)}`);
  steps[step] = { seconds: r.seconds, events: EVENTS, maxProcessMB: r.maxProcessMB, treeMB: r.treeMB, byProgram: r.byProgram, mainMB: r.mainMB };
  return JSON.parse(line.slice(CHILD_MARK.length));
}

const mb = (n: number | null | undefined) => (n === null || n === undefined ? '-' : fmt(n));
function peakLine(label: string, m: StepMeasure) {
  const progs = Object.entries(m.byProgram)
    .sort((a, b) => b[1].mb - a[1].mb)
    .map(([k, v]) => `${k} ${fmt(v.mb)} MB${v.processes > 1 ? ` (${v.processes} processes)` : ''}`)
    .join(', ');
  line(`  ${label}: peak RSS (largest process / tree)`, `${mb(m.maxProcessMB)} / ${mb(m.treeMB)} MB; ${progs}`);
}

if (args.includes('--table')) {
  printTable();
  process.exit(0);
}

// 1. The trail
mkdirSync(ROOT, { recursive: true });
// A reused case needs its trail only for the steps that read the trail (the import, the query baseline).
const needTrail = !(REUSE && existsSync(CASE)) || ONLY.has('query');
if (needTrail && !existsSync(join(TRAIL, '.complete'))) {
  rmSync(TRAIL, { recursive: true, force: true });
  const t = performance.now();
  const g = generateTrail({ outDir: TRAIL, totalEvents: EVENTS, eventsPerFile: 1000, days: 30, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2'], seed: 42, compromise: true });
  writeFileSync(join(TRAIL, '.complete'), JSON.stringify(g));
  line('generated synthetic trail', `${fmt(g.events)} events in ${fmt(g.files)} gzip files, ${fmt(g.bytes / 1e6, 1)} MB, ${fmt((performance.now() - t) / 1000, 1)} s`);
}
const trailFiles = existsSync(TRAIL) ? files(TRAIL).filter((f) => f.endsWith('.json.gz')) : [];
const gzBytes = trailFiles.reduce((a, f) => a + statSync(f).size, 0);
line('input', `${fmt(EVENTS)} events, ${fmt(trailFiles.length)} files, ${fmt(gzBytes / 1e6, 1)} MB gzip`);
console.log('');

if (REUSE && existsSync(CASE)) {
  line('case', `${CASE} reused (--reuse-case): no import runs`);
  if (!existsSync(HOME)) spawnSync(process.execPath, ['electron/cli/trailcase.js', 'keygen', '--examiner', 'Bench'], { env: CLI_ENV() });
}
if (ONLY.has('import') && !(REUSE && existsSync(CASE))) {
  // 2. Floor: read + gunzip + JSON.parse + SHA-256 per record (record bytes via JSON.stringify),
  // in worker threads, files dealt round-robin. One thread is the floor the import is held to,
  // measured before, between and after the import runs and the fastest kept (this machine's
  // speed drifts; a conservative floor never flatters the ratio). Every core is the most any
  // importer in JavaScript that parses and hashes every record could reach here (for scale).
  const FLOOR_WORKER = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { readFileSync } = require('node:fs');
    const { gunzipSync } = require('node:zlib');
    const { createHash } = require('node:crypto');
    let n = 0;
    let raw = 0;
    for (const f of workerData) {
      const d = gunzipSync(readFileSync(f));
      raw += d.length;
      for (const r of JSON.parse(d.toString('utf8')).Records) {
        createHash('sha256').update(JSON.stringify(r)).digest();
        n++;
      }
    }
    parentPort.postMessage({ n, raw });`;
  const floorOn = async (threads: number) => {
    const t = performance.now();
    const parts = await Promise.all(
      Array.from({ length: threads }, (_, k) =>
        new Promise<{ n: number; raw: number }>((res, rej) => {
          const w = new Worker(FLOOR_WORKER, { eval: true, workerData: trailFiles.filter((_, i) => i % threads === k) });
          w.once('message', res);
          w.once('error', rej);
        }),
      ),
    );
    const s = (performance.now() - t) / 1000;
    const n = parts.reduce((a, p) => a + p.n, 0);
    return { threads, eventsPerSec: n / s, mbPerSec: gzBytes / 1e6 / s, seconds: s, decodedMB: parts.reduce((a, p) => a + p.raw, 0) / 1e6 };
  };
  const measureFloor = () => floorOn(1);
  const measureFloorAllCores = () => floorOn(readCpus());
  if (!SKIP_FLOOR) {
    const f = await measureFloor();
    results.floor = f;
    line('floor, before (1 thread: read+gunzip+parse+sha256)', `${fmt(f.eventsPerSec)} events/s, ${fmt(f.mbPerSec, 1)} MB/s gzip, ${fmt(f.seconds, 2)} s`);
  }

  // 3. TrailCase import, in its own process (peak RSS of all its threads), three times, each into a
  // new case, with the floor measured again between and after: best of each is compared
  // (this host's speed drifts by a quarter within minutes, so one run against one floor is
  // mostly noise). The last case stays for the search, analysis and UI benchmarks.
  {
    rmSync(HOME, { recursive: true, force: true });
    const env = CLI_ENV();
    const run = (...a: string[]) => spawnSync(process.execPath, ['electron/cli/trailcase.js', ...a], { env, encoding: 'utf8', maxBuffer: 1 << 26 });
    run('keygen', '--examiner', 'Bench');
    const runs: { events: number; seconds: number; wall: number; rss: number }[] = [];
    for (let k = 0; k < IMPORT_RUNS; k++) {
      rmSync(CASE, { force: true });
      run('new', CASE, '--title', 'bench');
      const r = await cliStep(null, ['import', CASE, TRAIL, '--json']);
      const wall = r.seconds;
      const sum = JSON.parse(r.stdout);
      runs.push({ events: sum.events, seconds: sum.seconds, wall, rss: r.maxProcessMB ?? 0 });
      const prev = steps.import;
      if (!prev || r.seconds < prev.seconds) steps.import = { seconds: r.seconds, events: EVENTS, maxProcessMB: r.maxProcessMB, treeMB: r.treeMB, byProgram: r.byProgram, mainMB: r.mainMB };
      if (prev) steps.import.maxProcessMB = Math.max(prev.maxProcessMB ?? 0, steps.import.maxProcessMB ?? 0);
      line(`TrailCase import, run ${k + 1}`, `${fmt(sum.events / sum.seconds)} events/s, ${fmt(sum.seconds, 2)} s (process ${fmt(wall, 2)} s)`);
      if (SKIP_FLOOR) continue;
      const f = await measureFloor();
      line(k + 1 < IMPORT_RUNS ? 'floor, between' : 'floor, after', `${fmt(f.eventsPerSec)} events/s, ${fmt(f.seconds, 2)} s`);
      if (f.eventsPerSec > (results.floor as { eventsPerSec: number }).eventsPerSec) results.floor = f;
    }
    const best = runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const sum = best;
    const wall = best.wall;
    const rss = Math.max(...runs.map((r) => r.rss));
    const size = statSync(CASE).size;
    const floor = results.floor as { eventsPerSec: number } | undefined;
    const ratioToFloor = floor ? sum.events / sum.seconds / floor.eventsPerSec : null;
    results.import = { runs, events: sum.events, seconds: sum.seconds, wallSeconds: wall, eventsPerSec: sum.events / sum.seconds, mbPerSec: gzBytes / 1e6 / sum.seconds, peakRssMB: rss, caseBytes: size, caseToGzip: size / gzBytes, ratioToFloor };
    line(`TrailCase import, best of ${IMPORT_RUNS}`, `${fmt(sum.events / sum.seconds)} events/s, ${fmt(gzBytes / 1e6 / sum.seconds, 1)} MB/s, ${fmt(sum.seconds, 2)} s`);
    if (ratioToFloor !== null) line(`  ratio to the best floor of ${IMPORT_RUNS + 1} (target >= 0.70)`, fmt(ratioToFloor, 2));
    line('  peak RSS, whole process (target < 500 MB)', `${fmt(rss)} MB`);
    line('  case size / gzip input (target < 3)', `${fmt(size / 1e6, 1)} MB / ${fmt(gzBytes / 1e6, 1)} MB = ${fmt(size / gzBytes, 2)}`);
  }

  if (!SKIP_FLOOR) {
    const fa = await measureFloorAllCores();
    results.floorAllCores = fa;
    line(`floor on all cores (${fa.threads} threads, for scale)`, `${fmt(fa.eventsPerSec)} events/s, ${fmt(fa.seconds, 2)} s`);
  }

  // 4. DuckDB keeping whole records.
  if (!args.includes('--skip-duckdb')) {
    const dir = join(ROOT, 'duckdb');
    try {
      if (!existsSync(join(dir, 'node_modules/@duckdb/node-api'))) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'package.json'), '{"name":"trailcase-bench-duckdb","private":true}');
        execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', '@duckdb/node-api'], { cwd: dir, stdio: 'ignore' });
      }
      const script = join(dir, 'ingest.mjs');
      writeFileSync(
        script,
        `import { DuckDBInstance } from '@duckdb/node-api';
const db = process.argv[2]; const createTable = process.argv[3];
const inst = await DuckDBInstance.create(db); const con = await inst.connect();
const t = performance.now();
await con.run(createTable);
const n = (await con.runAndReadAll('SELECT count(*) FROM ev')).getRows()[0][0];
console.log(JSON.stringify({ n: Number(n), seconds: (performance.now() - t) / 1000 }));
`,
      );
      const dbPath = join(ROOT, 'duck.db');
      // Best of as many runs as TrailCase's import had.
      let d = { n: 0, seconds: Infinity };
      for (let k = 0; k < IMPORT_RUNS; k++) {
        rmSync(dbPath, { force: true });
        rmSync(dbPath + '.wal', { force: true });
        const run = await runSampled(process.execPath, [script, dbPath, rawRecordsTableSql(join(TRAIL, '**/*.json.gz'))], { cwd: dir });
        if (run.status !== 0) throw new Error(run.stderr.slice(-500));
        const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as { n: number; seconds: number };
        if (r.seconds < d.seconds) {
          d = r;
          steps.duckdb = { seconds: run.seconds, events: EVENTS, maxProcessMB: run.maxProcessMB, treeMB: run.treeMB, byProgram: run.byProgram, mainMB: run.mainMB };
        }
      }
      const imp = results.import as { eventsPerSec: number };
      results.duckdb = { eventsPerSec: d.n / d.seconds, seconds: d.seconds, events: d.n, dbBytes: statSync(dbPath).size, ratioTrailCaseToDuckdb: imp.eventsPerSec / (d.n / d.seconds) };
      const fa = results.floorAllCores as { eventsPerSec: number } | undefined;
      line(`DuckDB read_json keeping whole records, best of ${IMPORT_RUNS}`, `${fmt(d.n / d.seconds)} events/s, ${fmt(d.seconds, 2)} s, db ${fmt(statSync(dbPath).size / 1e6, 1)} MB`);
      line('  TrailCase / DuckDB (target >= 1.0)', fmt(imp.eventsPerSec / (d.n / d.seconds), 2));
      // --skip-floor: no floor to compare.
      if (fa) {
        line('  floor on all cores / DuckDB', fmt(fa.eventsPerSec / (d.n / d.seconds), 2));
        (results.duckdb as Record<string, number>).ratioFloorAllCoresToDuckdb = fa.eventsPerSec / (d.n / d.seconds);
      }
    } catch (e) {
      line('DuckDB', `skipped: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  console.log('');
}

// Verify: everything recomputed from the preserved bytes, on every core (README.md, "Speed and size").
if (ONLY.has('verify') && existsSync(CASE)) {
  const r = await cliStep('verify', ['verify', CASE, '--json'], [0, 3]);
  const v = JSON.parse(r.stdout) as { ok: boolean; counts: { events: number } };
  results.verify = { ok: v.ok, seconds: r.seconds, peakRssMB: r.maxProcessMB };
  line('verify (recompute everything, worker threads)', `${v.ok ? 'intact' : 'FAILED'} in ${fmt(r.seconds, 1)} s = ${fmt(r.seconds / (EVENTS / 1e6), 1)} s per million events`);
  peakLine('verify', steps.verify);
  console.log('');
}

if (ONLY.has('search') && existsSync(CASE)) {
  const store = CaseStore.open(CASE, { readonly: true });
  const median = (f: () => void) => {
    f();
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      f();
      ts.push(performance.now() - t);
    }
    return ts.sort((a, b) => a - b)[3];
  };
  const first = store.db.prepare('SELECT min(time_ms) a FROM events').get() as { a: number };
  const hourStart = new Date(first.a + 5 * 86_400_000).toISOString();
  const hourEnd = new Date(first.a + 5 * 86_400_000 + 3_600_000).toISOString();
  const ip = searchEvents(store, { ips: ['203.0.113.40'] }, { limit: 100 });
  const range = searchEvents(store, { since: hourStart, until: hourEnd }, { limit: 100 });
  const s = {
    ipMs: median(() => searchEvents(store, { ips: ['203.0.113.40'] }, { limit: 100 })),
    cidrMs: median(() => searchEvents(store, { ips: ['203.0.113.0/24'] }, { limit: 100 })),
    hourMs: median(() => searchEvents(store, { since: hourStart, until: hourEnd }, { limit: 100 })),
    ipHourMs: median(() => searchEvents(store, { ips: ['203.0.113.40'], since: hourStart, until: hourEnd }, { limit: 100 })),
    ipMatches: ip.total,
    hourMatches: range.total,
  };
  results.search = s;
  line('search: one IP (first 100 of all matches, with count)', `${fmt(s.ipMs, 1)} ms (${fmt(ip.total)} matches)`);
  line('search: a /24 CIDR', `${fmt(s.cidrMs, 1)} ms`);
  line('search: one-hour range', `${fmt(s.hourMs, 1)} ms (${fmt(range.total)} matches)`);
  line('search: IP and one-hour range (target < 100 ms)', `${fmt(s.ipHourMs, 1)} ms`);
  store.close();
  console.log('');
}

async function optional(name: string, file: string, fn: (m: any) => Promise<void>) {
  if (!ONLY.has(name)) return;
  if (!existsSync(file)) {
    line(name, `skipped: ${file} not present`);
    return;
  }
  try {
    await fn(await import(resolve(file)));
  } catch (e) {
    line(name, `failed: ${(e as Error).message.split('\n')[0]}`);
    results[name] = { error: (e as Error).message };
  }
  console.log('');
}

await optional('acquire', 'test/bench/acquire.ts', async (m) => {
  const r = await m.benchS3VsFiles({ events: 100_000 });
  results.acquire = r;
  line('S3 import (loopback s3rver) of 100k events', `${fmt(r.s3EventsPerSec)} events/s (pool ${r.poolSize})`);
  line('file import of the same data', `${fmt(r.fileEventsPerSec)} events/s`);
  line('  S3 / files (target >= 0.7)', fmt(r.ratio, 2));
});

// Enrichment first, as an examiner (and `trailcase check`) does: the analysis then runs the address checks, and the
// report step finds the stored run still current (a database added after a run makes it stale).
await optional('enrich', 'test/bench/enrich.ts', async () => {
  {
    const r = await childStep('enrich', 'enrich');
    results.enrich = r;
    line('enrichment databases: load', `${fmt(r.loadSeconds, 2)} s, +${fmt(r.loadRssMB)} MB RSS (hash of the files ${fmt(r.hashSeconds, 2)} s)`);
    line(`answer every distinct address (${fmt(r.distinctAddresses)})`, `${fmt(r.lookupAllSeconds, 3)} s; recorded in the case ${fmt(r.enrichSeconds, 2)} s (${fmt(r.enriched)} new)`);
    line('lookups of random public IPv4 addresses', `${fmt(r.randomLookupsPerSec)} /s`);
    line(`profile of the busiest principal (${fmt(r.principalEvents)} events)`, `${fmt(r.profilePrincipalSeconds, 3)} s (target < 1 s)`);
    line(`profile of the busiest key (${fmt(r.keyEvents)} events)`, `${fmt(r.profileKeySeconds, 3)} s (target < 1 s)`);
    peakLine('enrichment process', steps.enrich);
  }
});

await optional('analysis', 'test/bench/analysis.ts', async () => {
  {
    const r = await childStep('analysis', 'analysis');
    results.analysis = r;
    line('one full scan of the case (read+parse every record)', `${fmt(r.scanSeconds, 2)} s`);
    line('all checks and Sigma rules', `${fmt(r.analyseSeconds, 2)} s = ${fmt(r.ratio, 2)} scans (target < 5), ${fmt(r.cpuRatio, 2)} by CPU; peak RSS of the analysis alone ${r.peakRssMB === null ? 'not measured' : `${fmt(r.peakRssMB)} MB`}`);
    line('pivot from one access key (target < 1 s)', `${fmt(r.pivotSeconds, 3)} s first, ${fmt(r.pivotWarmSeconds, 3)} s again (pages cached)`);
    for (const p of r.pivots) line(`pivot: ${p.label}`, `${fmt(p.seconds, 3)} s, ${p.events} events${p.truncated ? ' (capped)' : ''}`);
    peakLine('analysis process', steps.analysis);
  }
});

await optional('ui', 'test/bench/ui.ts', async () => {
  // The host serving the UI is the child's own process; headless Chromium and its helpers are its children.
  const r = await childStep('ui', 'ui');
  results.ui = r;
  for (const [k, v] of Object.entries(r)) line(`ui: ${k}`, typeof v === 'number' ? fmt(v, 1) : String(v));
  peakLine('ui (host + Chromium)', steps.ui);
  // The raw vis-timeline comparison in its own process, so its Chromium is not counted as TrailCase's.
  const raw = await childStep('ui-raw', 'ui-raw');
  for (const [k, v] of Object.entries(raw)) line(`ui: ${k}`, typeof v === 'number' ? fmt(v, 1) : String(v));
  peakLine('vis-timeline raw comparison (host + Chromium; not TrailCase)', steps['ui-raw']);
});

// The signed report (verify, analysis, PDF through Chromium), then a handoff: export and receive.
if (ONLY.has('report') && existsSync(CASE)) {
  const out = join(ROOT, `report-${EVENTS}`);
  rmSync(out, { recursive: true, force: true });
  try {
    const r = await cliStep('report', ['report', CASE, '--out', out, '--json']);
    line('report (verify, analysis, report.pdf through Chromium)', `${fmt(r.seconds, 1)} s = ${fmt(r.seconds / (EVENTS / 1e6), 1)} s per million events`);
    // The findings come from the run the analysis step stored when it is still current; else the report analysed again (its peak is then the analysis's).
    const run = (JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { methodology?: { analysisRun?: { source?: string; reason?: string } } }).methodology?.analysisRun;
    line('  findings from', run?.source === 'stored' ? 'the stored analysis run' : `an analysis run for this report (${run?.reason ?? 'reason not given'})`);
    peakLine('report', steps.report);
  } catch (e) {
    line('report', `failed: ${(e as Error).message.split('\n')[0]}`);
  }
  console.log('');
}
if (ONLY.has('handoff') && existsSync(CASE)) {
  const dir = join(ROOT, `handoff-${EVENTS}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'handoff.trailcase');
  try {
    const ex = await cliStep('export', ['export', CASE, '--out', file, '--to', 'Bench receiver', '--json']);
    line('export (verify, VACUUM INTO, check of the copy, SHA-256)', `${fmt(ex.seconds, 1)} s`);
    peakLine('export', steps.export);
    const sha = JSON.parse(ex.stdout).sha256 as string;
    const rc = await cliStep('receive', ['receive', file, '--examiner', 'Bench', '--sha256', sha, '--json']);
    line('receive (SHA-256, verify, accept)', `${fmt(rc.seconds, 1)} s`);
    peakLine('receive', steps.receive);
  } catch (e) {
    line('handoff', `failed: ${(e as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log('');
}

await optional('query', 'test/bench/query.ts', async () => {
  const imp = results.import as { seconds: number } | undefined;
  // TrailCase's own processes, each sampled: the derived form's build, then the suite once; DuckDB over the raw
  // records (the baseline, 1.6 GB at 1M) runs in a third process so that its memory is not counted as TrailCase's.
  const script = async (step: string, mode: string) => {
    const r = await runSampled(process.execPath, ['--import', 'tsx', 'test/bench/query.ts', mode, CASE], { env: CLI_ENV() });
    if (r.status !== 0) throw new Error(`query ${mode} failed (${r.status}): ${r.stderr.slice(-800)}`);
    steps[step] = { seconds: r.seconds, events: EVENTS, maxProcessMB: r.maxProcessMB, treeMB: r.treeMB, byProgram: r.byProgram, mainMB: r.mainMB };
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const build = await script('query-build', '--build');
  const suite = await script('query', '--questions');
  if (args.includes('--skip-duckdb')) {
    // DuckDB over the raw records holds them all in memory (1.6 GB at 1M): at 10M it does not fit beside the rest.
    line('query: derived form build (from scratch)', `${fmt(build.seconds, 2)} s (CPU ${fmt(build.cpuSeconds, 1)} s), ${fmt(build.bytes / 1e6, 1)} MB, peak RSS ${fmt(build.rssMB)} MB`);
    if (imp) line('  build / import time (target <= 0.5)', fmt(build.seconds / imp.seconds, 2));
    line('  peak RSS of the suite on TrailCase alone (target < 500 MB)', `${fmt(suite.rssMB)} MB; the questions against DuckDB skipped (--skip-duckdb)`);
    for (const [id, ms] of Object.entries(suite.once as Record<string, number>)) line(`query: ${id}`, `${fmt(ms, 0)} ms (asked once, in the suite's own process)`);
    line('  case + derived / gzip input (target <= 4)', fmt((statSync(CASE).size + build.bytes) / gzBytes, 2));
    peakLine('query: build process', steps['query-build']);
    peakLine('query: suite process', steps.query);
    results.query = { build, queriesRssMB: suite.rssMB, onceMs: suite.once, questions: [] };
    return;
  }
  const r = await childStep('query-duckdb', 'query', { glob: join(TRAIL, '**', '*.json.gz'), gzBytes, importSeconds: imp?.seconds ?? null, build, queriesRssMB: suite.rssMB, onceMs: suite.once });
  results.query = r;
  line('query: derived form build (from scratch)', `${fmt(r.build.seconds, 2)} s (CPU ${fmt(r.build.cpuSeconds, 1)} s), ${fmt(r.build.bytes / 1e6, 1)} MB, peak RSS ${fmt(r.build.rssMB)} MB`);
  if (r.buildToImport !== null) line('  build / import time (target <= 0.5)', fmt(r.buildToImport, 2));
  line('  peak RSS of the suite on TrailCase alone (target < 500 MB)', `${fmt(r.queriesRssMB)} MB`);
  line('  case + derived / gzip input (target <= 4)', fmt(r.caseWithDerivedToGzip, 2));
  // Best of three on each side; in brackets the first of the three, and the question asked once in the suite's own process.
  for (const q of r.questions) line(`query: ${q.id}`, `${fmt(q.trailcaseMs, 0)} ms vs DuckDB raw ${fmt(q.duckdbRawMs, 0)} ms = ${fmt(q.ratio, 2)} (${fmt(q.rows)} rows; first ${fmt(q.trailcaseFirstMs, 0)} / ${fmt(q.duckdbRawFirstMs, 0)} ms, once ${fmt(r.onceMs[q.id] ?? NaN, 0)} ms)`);
  peakLine('query: build process', steps['query-build']);
  peakLine('query: suite process', steps.query);
  peakLine('query: DuckDB over the raw records (baseline, with TrailCase timed beside it)', steps['query-duckdb']);
});

// This run's results (merged into what an earlier run at the same size wrote for steps not run now), then the table.
const resultsFile = join(ROOT, `results-${EVENTS}.json`);
{
  const earlier = existsSync(resultsFile) ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, any>) : {};
  const at = new Date().toISOString();
  for (const m of Object.values(steps)) m.at ??= at;
  const merged = { ...earlier, ...results, steps: { ...(earlier.steps ?? {}), ...steps }, at };
  writeFileSync(resultsFile, JSON.stringify(merged, null, 2));
  writeFileSync(join(ROOT, 'results.json'), JSON.stringify(merged, null, 2));
  console.log(`results written to ${resultsFile}`);
}
console.log('');
printTable();

/**
 * Per step and per run size (every .bench/results-<N>.json): seconds per million events and the
 * peak RSS of the largest process, with the program that had it; the targets are at most linear
 * time (equal seconds per million) and under 500 MB for every process whatever the size.
 */
function printTable(): void {
  const runs = readdirSync(ROOT)
    .map((f) => /^results-(\d+)\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ n: Number(m[1]), r: JSON.parse(readFileSync(join(ROOT, m[0]), 'utf8')) as { steps?: Record<string, StepMeasure>; at?: string } }))
    .sort((a, b) => a.n - b.n);
  if (!runs.length) return;
  const order = ['import', 'duckdb', 'verify', 'analysis', 'enrich', 'ui', 'ui-raw', 'report', 'export', 'receive', 'query-build', 'query', 'query-duckdb'];
  const label: Record<string, string> = {
    import: 'import (best run)',
    duckdb: 'DuckDB baseline ingest',
    verify: 'verify (worker threads)',
    analysis: 'analysis (checks + Sigma, pivots)',
    enrich: 'enrichment and profiles',
    ui: 'UI: host serving it + Chromium',
    'ui-raw': 'vis-timeline raw comparison (not TrailCase)',
    report: 'report (+ its Chromium)',
    export: 'export (handoff)',
    receive: 'receive (handoff)',
    'query-build': 'query: derived form build',
    query: 'query: the question suite once',
    'query-duckdb': 'query: DuckDB over raw records (baseline; TrailCase timed beside it)',
  };
  const names = [...new Set(runs.flatMap((x) => Object.keys(x.r.steps ?? {})))].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const size = (n: number) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 1e3 === 0 ? `${n / 1e3}k` : String(n));
  const cells = (m: StepMeasure | undefined) => {
    if (!m) return ['-', '-', ''];
    const progs = Object.entries(m.byProgram)
      .filter(([, v]) => v.mb >= 20)
      .sort((a, b) => b[1].mb - a[1].mb)
      .map(([k, v]) => `${k} ${fmt(v.mb)}`)
      .join(', ');
    return [fmt(m.seconds / (m.events / 1e6), 1), mb(m.maxProcessMB), progs];
  };
  // Time per event of the largest run against the smallest that has the step: 1.00 is linear, below is better.
  const small = runs[0], large = runs[runs.length - 1];
  const perEvent = (m: StepMeasure | undefined) => (m ? m.seconds / m.events : null);
  const growthHead = runs.length > 1 ? [`${size(large.n)} ÷ ${size(small.n)} per event`] : [];
  const head = ['step', ...runs.flatMap((x) => [`${size(x.n)} s/M events`, `${size(x.n)} peak MB`]), ...growthHead];
  console.log(`Per step: seconds per million events, and peak RSS of the largest process (MB; target < 500 at every size). Runs: ${runs.map((x) => `${size(x.n)} ${x.r.at ?? ''}`).join('; ')}`);
  console.log(`| ${head.join(' | ')} | processes (peak MB, largest run) |`);
  console.log(`|${head.map(() => '---').join('|')}|---|`);
  const older: string[] = [];
  for (const name of names) {
    const per = runs.map((x) => cells(x.r.steps?.[name]));
    const progs = [...per].reverse().find((c) => c[2])?.[2] ?? '';
    const a = perEvent(small.r.steps?.[name]), b = perEvent(large.r.steps?.[name]);
    const growth = runs.length > 1 ? [a && b ? fmt(b / a, 2) : '-'] : [];
    console.log(`| ${label[name] ?? name} | ${per.map((c) => `${c[0]} | ${c[1]}`).join(' | ')} | ${[...growth, progs].join(' | ')} |`);
    for (const x of runs) {
      const m = x.r.steps?.[name];
      // A step with no stamp was written by a run from before steps were stamped: earlier than any stamped one.
      if (m && x.r.at && (m.at ?? '').slice(0, 16) !== x.r.at.slice(0, 16)) older.push(`${size(x.n)} ${label[name] ?? name} ${m.at ?? 'before steps were stamped'}`);
    }
  }
  // Steps kept from an earlier run of the same size (--only runs the others): say which, so a mixed table is not read as one run.
  if (older.length) console.log(`Measured in an earlier run than the latest of their size: ${older.join('; ')}`);
}
