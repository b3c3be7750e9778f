// An S3-protocol server for acquisition tests and the benchmark (README.md, "Acquisition from AWS"):
// s3rver from npm on 127.0.0.1 and a random port, in a child process (its own
// event loop and core, as a real endpoint would be; on Node 20 it needs
// NODE_OPTIONS=--openssl-legacy-provider, set for the child only).
//
// When TRAILCASE_TEST_S3_ENDPOINT is set (MinIO, LocalStack, any S3-compatible
// endpoint) the tests use it instead, with TRAILCASE_TEST_S3_ACCESS_KEY_ID /
// TRAILCASE_TEST_S3_SECRET_ACCESS_KEY (default minioadmin/minioadmin) and
// TRAILCASE_TEST_S3_REGION (default us-east-1); buckets are created with a
// random suffix so repeated runs do not collide.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export const S3_SUPPORT_UNIT = { name: 'test-s3-server', version: '1.0.0' } as const;

export interface S3Server {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** A client for setting up fixtures (path-style, no retries hidden from the test). */
  client: S3Client;
  /** External endpoint (MinIO/LocalStack) rather than the s3rver child. */
  external: boolean;
  /** A bucket name unique to this server run: the name given, suffixed on external endpoints. */
  bucketName(base: string): string;
  createBucket(name: string): Promise<void>;
  /** Upload objects with their user metadata (x-amz-meta-*), `concurrency` at a time. */
  put(bucket: string, files: readonly { key: string; bytes: Buffer; metadata?: Record<string, string> }[], concurrency?: number): Promise<void>;
  close(): Promise<void>;
}

const CHILD = `
const S3rver = require(process.env.S3RVER_PATH);
const srv = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: process.env.S3RVER_DIR, allowMismatchedSignatures: true });
srv.run().then((info) => { process.stdout.write(JSON.stringify({ port: info.port }) + '\\n'); }, (e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
process.stdin.on('end', () => srv.close().then(() => process.exit(0)));
process.stdin.resume();
`;

async function startChild(): Promise<{ port: number; child: ChildProcess; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'trailcase-s3rver-'));
  const require = createRequire(import.meta.url);
  const s3rverPath = require.resolve('s3rver');
  const legacy = process.versions.node.split('.')[0] === '20' ? ' --openssl-legacy-provider' : '';
  const child = spawn(process.execPath, ['-e', CHILD], {
    env: { ...process.env, S3RVER_PATH: s3rverPath, S3RVER_DIR: dir, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''}${legacy}`.trim() },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        try {
          resolve(JSON.parse(out.slice(0, nl)).port);
        } catch (e) {
          reject(e);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited (${code}): ${err.slice(0, 2000)}`)));
  });
  return { port, child, dir };
}

export async function startS3(): Promise<S3Server> {
  const ext = process.env.TRAILCASE_TEST_S3_ENDPOINT;
  let endpoint: string;
  let credentials: { accessKeyId: string; secretAccessKey: string };
  let region = 'us-east-1';
  let stop: () => Promise<void>;
  const suffix = ext ? `-${Math.random().toString(36).slice(2, 8)}` : '';
  if (ext) {
    endpoint = ext;
    credentials = {
      accessKeyId: process.env.TRAILCASE_TEST_S3_ACCESS_KEY_ID ?? 'minioadmin',
      secretAccessKey: process.env.TRAILCASE_TEST_S3_SECRET_ACCESS_KEY ?? 'minioadmin',
    };
    region = process.env.TRAILCASE_TEST_S3_REGION ?? region;
    stop = async () => {};
  } else {
    const { port, child, dir } = await startChild();
    endpoint = `http://127.0.0.1:${port}`;
    credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    stop = async () => {
      await new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        const t = setTimeout(() => {
          child.kill('SIGKILL');
        }, 3000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
        child.stdin!.end();
      });
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
  return {
    endpoint,
    region,
    credentials,
    client,
    external: !!ext,
    bucketName: (base) => `${base}${suffix}`,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, files, concurrency = 16) {
      let i = 0;
      const worker = async () => {
        while (i < files.length) {
          const f = files[i++];
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: f.bytes, Metadata: f.metadata }));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
    },
    async close() {
      client.destroy();
      await stop();
    },
  };
}
