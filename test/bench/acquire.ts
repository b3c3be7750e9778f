// Benchmark of acquisition (README.md, "Acquisition from AWS"): S3 import of N events (default 100k) from a loopback
// S3 server (s3rver in a child process) against file import of the same data,
// in the same run on the same machine. Target: S3 / files >= 0.7.
// Wired into `npm run bench` by test/bench/run.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { generateTrail } from '../../electron/demo/synth.ts';
import { generateKey, unlockKey } from '../../electron/case/keys.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { importPaths, defaultWorkers } from '../../electron/ingest/import-files.ts';
import { importS3 } from '../../electron/ingest/aws/s3-source.ts';
import { startS3 } from '../support/s3.ts';

export interface AcquireBenchOptions {
  events?: number;
  eventsPerFile?: number;
  /** Parser threads for both imports (default: file import's default). */
  workers?: number;
  concurrency?: number;
  log?: (s: string) => void;
}

export interface AcquireBenchResult {
  events: number;
  objects: number;
  bytes: number;
  s3EventsPerSec: number;
  fileEventsPerSec: number;
  ratio: number;
  poolSize: number;
  concurrency: number;
  s3Seconds: number;
  fileSeconds: number;
  uploadSeconds: number;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

export async function benchS3VsFiles(opts: AcquireBenchOptions = {}): Promise<AcquireBenchResult> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const events = opts.events ?? 100_000;
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'trailcase-acq-bench-'));
  const s3 = await startS3();
  try {
    const trailDir = join(dir, 'trail');
    const g = generateTrail({ outDir: trailDir, totalEvents: events, eventsPerFile: opts.eventsPerFile ?? 500, days: 3, regions: ['us-east-1', 'eu-west-1'], seed: 7 });
    const files = walk(trailDir);
    const bucket = s3.bucketName('trailcase-bench');
    await s3.createBucket(bucket);
    let t = performance.now();
    await s3.put(
      bucket,
      files.map((f) => ({ key: relative(trailDir, f).split(sep).join('/'), bytes: readFileSync(f) })),
      16,
    );
    const uploadSeconds = (performance.now() - t) / 1000;
    log(`uploaded ${files.length} objects (${g.events} events, ${(g.bytes / 1e6).toFixed(1)} MB) in ${uploadSeconds.toFixed(1)} s`);

    const home = join(dir, 'home');
    const signer = unlockKey(generateKey('Bench Examiner', 'bench-passphrase', home), 'bench-passphrase');
    const workers = opts.workers ?? defaultWorkers();
    const concurrency = opts.concurrency ?? 8;

    const fileCase = CaseStore.create(join(dir, 'files.trailcase'), { title: 'bench files', examiner: signer.examiner }, signer);
    t = performance.now();
    const fs = await importPaths(fileCase, signer, { sources: [trailDir] }, { workers });
    const fileSeconds = (performance.now() - t) / 1000;
    fileCase.close();

    const s3Case = CaseStore.create(join(dir, 's3.trailcase'), { title: 'bench s3', examiner: signer.examiner }, signer);
    t = performance.now();
    const ss = await importS3(s3Case, signer, `s3://${bucket}`, {
      endpointUrl: s3.endpoint,
      credentials: s3.credentials,
      region: s3.region,
      workers,
      concurrency,
      skipPublicKeys: true,
      retry: { attempts: 1 },
    });
    const s3Seconds = (performance.now() - t) / 1000;
    s3Case.close();
    if (ss.events !== fs.events) throw new Error(`S3 import gave ${ss.events} events, file import ${fs.events}`);
    const s3EventsPerSec = ss.events / s3Seconds;
    const fileEventsPerSec = fs.events / fileSeconds;
    return {
      events: ss.events,
      objects: files.length,
      bytes: g.bytes,
      s3EventsPerSec,
      fileEventsPerSec,
      ratio: s3EventsPerSec / fileEventsPerSec,
      poolSize: workers,
      concurrency,
      s3Seconds,
      fileSeconds,
      uploadSeconds,
    };
  } finally {
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Direct run: node --import tsx test/bench/acquire.ts [events]
if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchS3VsFiles({ events: Number(process.argv[2] ?? 100_000), log: (s) => console.log(s) });
  console.log(JSON.stringify(r, null, 2));
}
