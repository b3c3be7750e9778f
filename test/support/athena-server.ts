// A loopback Amazon Athena endpoint for acquisition tests (README.md, "Speed and size"): Athena's
// JSON 1.1 protocol (X-Amz-Target: AmazonAthena.<Operation>,
// application/x-amz-json-1.1) for StartQueryExecution, GetQueryExecution,
// GetQueryResults and StopQueryExecution, errors in the AWS JSON error shape
// (InvalidRequestException, ThrottlingException, TooManyRequestsException),
// and STS GetCallerIdentity (query protocol, XML), so one --endpoint-url
// serves an import's Athena and STS calls, as the issue asks.
//
// The query engine is real: each query runs in DuckDB over a table built from
// the CloudTrail log objects in the S3 server (s3rver), read through the real
// S3 client: one row per record, the columns of AWS's CloudTrail table
// (lower-case names, useridentity a struct, requestparameters JSON text),
// the partition columns account, region and timestamp taken from the key,
// and "$path" the object's s3:// URL. So the objects a query returns are
// computed from the bucket's content and the SQL as sent (its quoting
// included), never a canned answer. Trino functions the builder uses that
// DuckDB lacks are defined as macros (json_extract_scalar); IPADDRESS casts
// are not available, so CIDR indicators are covered by the builder's unit
// tests only.
//
// Faults are injected per request by the `fault` hook, deterministically (by
// request count), never by timing.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';

export const ATHENA_SERVER_UNIT = { name: 'test-athena-server', version: '1.0.0' } as const;

export interface AthenaRequestInfo {
  service: 'athena' | 'sts';
  op: string;
  /** 1-based count of requests for this op. */
  n: number;
  total: number;
  body: any;
  region: string | null;
}

export type AthenaFault = { kind: 'throttle' } | { kind: 'too-many-requests' } | { kind: 'drop' } | { kind: 'status'; status: number; code: string; message?: string };

export interface AthenaServerOptions {
  /** Where the tables' data is: s3rver's endpoint and credentials. */
  s3: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  /** "database.table" -> the bucket (and prefix before AWSLogs/) the table's LOCATION points at. */
  tables: Record<string, { bucket: string; prefix?: string }>;
  identity?: { Account: string; Arn: string; UserId: string };
  /** GetQueryExecution answers QUEUED then RUNNING this many times in all before the final state (default 2). */
  runningPolls?: number;
  /** Result location of the workgroup 'primary' (null: none, so a query needs ResultConfiguration.OutputLocation). */
  workgroupOutput?: string | null;
  fault?: (r: AthenaRequestInfo) => AthenaFault | undefined;
}

interface Query {
  id: string;
  sql: string;
  database: string | null;
  workgroup: string;
  output: string;
  polls: number;
  done: Promise<void>;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  error: string | null;
  columns: string[];
  rows: string[][];
  scanned: number;
  submitted: number;
  resultsGone?: boolean;
}

export interface AthenaServer {
  url: string;
  requests: AthenaRequestInfo[];
  /** Statements as received, in order. */
  statements(): string[];
  /** Forget every query (as if Athena's history had expired). */
  forgetQueries(): void;
  /** Keep the queries but lose their results (as if the result location's lifecycle had removed them). */
  forgetResults(): void;
  setFault(f: AthenaServerOptions['fault']): void;
  close(): Promise<void>;
}

const LOG_KEY_RE = /^(.*)AWSLogs\/(?:(o-[a-z0-9]+)\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/[^/]+\.json\.gz$/;

const USER_IDENTITY =
  'STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR, accesskeyid VARCHAR, username VARCHAR, ' +
  'sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR), sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, username VARCHAR)))';
const STRING_COLUMNS = [
  'eventversion',
  'eventtime',
  'eventsource',
  'eventname',
  'awsregion',
  'sourceipaddress',
  'useragent',
  'errorcode',
  'errormessage',
  'requestparameters',
  'responseelements',
  'additionaleventdata',
  'requestid',
  'eventid',
  'readonly',
  'eventtype',
  'apiversion',
  'recipientaccountid',
  'sharedeventid',
  'vpcendpointid',
  'eventcategory',
];

/** The Hive JSON SerDe matches field names case-insensitively and hands STRING columns nested JSON as text. */
function lowerKeys(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(lowerKeys);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k.toLowerCase(), lowerKeys(x)]));
  return String(v);
}

function row(rec: Record<string, any>, path: string, account: string, region: string, day: string): Record<string, unknown> {
  const lower = Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]));
  const out: Record<string, unknown> = { useridentity: lowerKeys(lower.useridentity), $path: path, account, region, timestamp: day };
  for (const c of STRING_COLUMNS) {
    const v = lower[c];
    out[c] = v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export async function startAthenaServer(opts: AthenaServerOptions): Promise<AthenaServer> {
  const requests: AthenaRequestInfo[] = [];
  const counts = new Map<string, number>();
  const queries = new Map<string, Query>();
  const byToken = new Map<string, string>();
  const statements: string[] = [];
  let fault = opts.fault;
  const s3 = new S3Client({ endpoint: opts.s3.endpoint, region: opts.s3.region, credentials: opts.s3.credentials, forcePathStyle: true });
  const work = mkdtempSync(join(tmpdir(), 'trailcase-athena-'));

  /** Every CloudTrail log object under a table's location, as NDJSON rows; returns the bytes read (what Athena "scans"). */
  async function loadTable(bucket: string, prefix: string, file: string): Promise<number> {
    const lines: string[] = [];
    let scanned = 0;
    let token: string | undefined;
    do {
      const l = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}AWSLogs/`, ContinuationToken: token }));
      for (const c of l.Contents ?? []) {
        const m = LOG_KEY_RE.exec(c.Key ?? '');
        if (!m || m[1] !== prefix) continue;
        const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: c.Key }));
        const gz = Buffer.from(await got.Body!.transformToByteArray());
        scanned += gz.length;
        const doc = JSON.parse(gunzipSync(gz).toString('utf8'));
        for (const rec of doc.Records ?? []) lines.push(JSON.stringify(row(rec, `s3://${bucket}/${c.Key}`, m[3], m[4], `${m[5]}/${m[6]}/${m[7]}`)));
      }
      token = l.IsTruncated ? l.NextContinuationToken : undefined;
    } while (token);
    writeFileSync(file, lines.join('\n') + '\n');
    return scanned;
  }

  async function run(q: Query): Promise<void> {
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      await con.run('CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)');
      let scanned = 0;
      for (const [name, t] of Object.entries(opts.tables)) {
        const [database, table] = name.split('.');
        const file = join(work, `${q.id}-${database}-${table}.ndjson`);
        scanned += await loadTable(t.bucket, t.prefix ? `${t.prefix.replace(/\/+$/, '')}/` : '', file);
        const columns = [
          ...STRING_COLUMNS.map((c) => `${c}: 'VARCHAR'`),
          `useridentity: '${USER_IDENTITY}'`,
          `"$path": 'VARCHAR'`,
          `account: 'VARCHAR'`,
          `region: 'VARCHAR'`,
          `"timestamp": 'VARCHAR'`,
        ].join(', ');
        await con.run(`CREATE SCHEMA IF NOT EXISTS ${ident(database)}`);
        await con.run(`CREATE TABLE ${ident(database)}.${ident(table)} AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {${columns}})`);
      }
      // An unqualified table name resolves in the query's database, as in Athena.
      if (q.database) await con.run(`SET schema = '${q.database.replace(/'/g, "''")}'`);
      const r = await con.runAndReadAll(q.sql);
      q.columns = r.columnNames();
      q.rows = r.getRows().map((cells) => cells.map((v) => (v === null ? (null as unknown as string) : String(v))));
      q.scanned = scanned;
      if (q.state !== 'CANCELLED') q.state = 'SUCCEEDED';
    } catch (e) {
      if (q.state !== 'CANCELLED') {
        q.state = 'FAILED';
        q.error = String((e as Error).message ?? e).split('\n')[0];
      }
    } finally {
      con.closeSync();
      db.closeSync();
    }
  }

  const sendJson = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const jsonError = (res: ServerResponse, status: number, code: string, message: string) => sendJson(res, status, { __type: code, Message: message });

  const execution = (q: Query) => ({
    QueryExecutionId: q.id,
    Query: q.sql,
    StatementType: 'DML',
    ResultConfiguration: { OutputLocation: `${q.output.replace(/\/?$/, '/')}${q.id}.csv` },
    QueryExecutionContext: { Database: q.database ?? undefined, Catalog: 'awsdatacatalog' },
    Status: {
      State: q.state,
      SubmissionDateTime: q.submitted / 1000,
      ...(q.state === 'SUCCEEDED' || q.state === 'FAILED' || q.state === 'CANCELLED' ? { CompletionDateTime: q.submitted / 1000 + 1 } : {}),
      ...(q.error ? { StateChangeReason: q.error, AthenaError: { ErrorCategory: 2, ErrorType: 1006, Retryable: false, ErrorMessage: q.error } } : {}),
    },
    Statistics: { EngineExecutionTimeInMillis: 120, DataScannedInBytes: q.scanned, TotalExecutionTimeInMillis: 150, QueryQueueTimeInMillis: 10, ServiceProcessingTimeInMillis: 20 },
    WorkGroup: q.workgroup,
    EngineVersion: { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' },
  });

  async function athena(op: string, body: any, res: ServerResponse): Promise<void> {
    switch (op) {
      case 'StartQueryExecution': {
        const sql = String(body.QueryString ?? '');
        if (!sql) return jsonError(res, 400, 'InvalidRequestException', 'QueryString is required');
        const token = body.ClientRequestToken as string | undefined;
        if (token && byToken.has(token)) return sendJson(res, 200, { QueryExecutionId: byToken.get(token) });
        const workgroup = body.WorkGroup ?? 'primary';
        if (workgroup !== 'primary') return jsonError(res, 400, 'InvalidRequestException', `WorkGroup ${workgroup} is not found.`);
        const output = body.ResultConfiguration?.OutputLocation ?? (opts.workgroupOutput === undefined ? 's3://athena-results-loopback/' : opts.workgroupOutput);
        if (!output) {
          return jsonError(res, 400, 'InvalidRequestException', 'No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.');
        }
        const q: Query = {
          id: randomUUID(),
          sql,
          database: body.QueryExecutionContext?.Database ?? null,
          workgroup,
          output,
          polls: 0,
          done: Promise.resolve(),
          state: 'QUEUED',
          error: null,
          columns: [],
          rows: [],
          scanned: 0,
          submitted: Date.now(),
        };
        q.done = run(q);
        queries.set(q.id, q);
        if (token) byToken.set(token, q.id);
        statements.push(sql);
        return sendJson(res, 200, { QueryExecutionId: q.id });
      }
      case 'GetQueryExecution': {
        const q = queries.get(body.QueryExecutionId);
        if (!q) return jsonError(res, 400, 'InvalidRequestException', `QueryExecution ${body.QueryExecutionId} was not found`);
        q.polls++;
        const waiting = opts.runningPolls ?? 2;
        if (q.polls <= waiting && q.state !== 'CANCELLED') return sendJson(res, 200, { QueryExecution: { ...execution({ ...q, state: q.polls === 1 ? 'QUEUED' : 'RUNNING', error: null }) } });
        await q.done;
        return sendJson(res, 200, { QueryExecution: execution(q) });
      }
      case 'GetQueryResults': {
        const q = queries.get(body.QueryExecutionId);
        if (!q) return jsonError(res, 400, 'InvalidRequestException', `QueryExecution ${body.QueryExecutionId} was not found`);
        await q.done;
        if (q.state !== 'SUCCEEDED') return jsonError(res, 400, 'InvalidRequestException', `Query did not finish successfully. Final query state: ${q.state}`);
        if (q.resultsGone) return jsonError(res, 400, 'InvalidRequestException', `Unable to read the results of ${q.id} from ${q.output}: NoSuchKey`);
        const max = body.MaxResults ?? 1000;
        if (max < 1 || max > 1000) return jsonError(res, 400, 'InvalidRequestException', 'MaxResults must be between 1 and 1000');
        // The first row of the first page holds the column names (Athena, SELECT statements).
        const all = [q.columns, ...q.rows];
        let offset = 0;
        if (body.NextToken !== undefined) {
          const m = /^([0-9a-f-]+)\.(\d+)$/.exec(Buffer.from(String(body.NextToken), 'base64url').toString('utf8'));
          if (!m || m[1] !== q.id) return jsonError(res, 400, 'InvalidRequestException', 'The NextToken is not valid');
          offset = Number(m[2]);
        }
        const out: Record<string, unknown> = {
          UpdateCount: 0,
          ResultSet: {
            Rows: all.slice(offset, offset + max).map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })),
            ResultSetMetadata: {
              ColumnInfo: q.columns.map((c) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: c, Label: c, Type: 'varchar', Precision: 2147483647, Scale: 0, Nullable: 'UNKNOWN', CaseSensitive: true })),
            },
          },
        };
        if (offset + max < all.length) out.NextToken = Buffer.from(`${q.id}.${offset + max}`).toString('base64url');
        return sendJson(res, 200, out);
      }
      case 'StopQueryExecution': {
        const q = queries.get(body.QueryExecutionId);
        if (!q) return jsonError(res, 400, 'InvalidRequestException', `QueryExecution ${body.QueryExecutionId} was not found`);
        if (q.state === 'QUEUED' || q.state === 'RUNNING') q.state = 'CANCELLED';
        return sendJson(res, 200, {});
      }
      default:
        return jsonError(res, 400, 'UnknownOperationException', `operation ${op} is not served by the test server`);
    }
  }

  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const parts: Buffer[] = [];
      for await (const c of req) parts.push(c as Buffer);
      const raw = Buffer.concat(parts);
      const target = String(req.headers['x-amz-target'] ?? '');
      const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? null;
      const note = (service: 'athena' | 'sts', op: string, body: any): AthenaRequestInfo => {
        const n = (counts.get(op) ?? 0) + 1;
        counts.set(op, n);
        const info = { service, op, n, total: requests.length + 1, body, region };
        requests.push(info);
        return info;
      };
      if (target.startsWith('AmazonAthena.')) {
        const op = target.slice('AmazonAthena.'.length);
        let body: any;
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
        } catch {
          return jsonError(res, 400, 'SerializationException', 'bad JSON');
        }
        if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) return jsonError(res, 400, 'SerializationException', 'content type must be application/x-amz-json-1.1');
        const info = note('athena', op, body);
        const f = fault?.(info);
        if (f?.kind === 'drop') return void res.socket?.destroy();
        if (f?.kind === 'throttle') return jsonError(res, 400, 'ThrottlingException', 'Rate exceeded');
        if (f?.kind === 'too-many-requests') return jsonError(res, 400, 'TooManyRequestsException', 'Rate exceeded');
        if (f?.kind === 'status') return jsonError(res, f.status, f.code, f.message ?? f.code);
        return await athena(op, body, res);
      }
      const form = new URLSearchParams(raw.toString('utf8'));
      if (req.method === 'POST' && form.get('Action') === 'GetCallerIdentity' && opts.identity) {
        const info = note('sts', 'GetCallerIdentity', Object.fromEntries(form));
        const f = fault?.(info);
        if (f?.kind === 'drop') return void res.socket?.destroy();
        const id = opts.identity;
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>${id.Arn}</Arn><UserId>${id.UserId}</UserId>` +
            `<Account>${id.Account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
      }
      res.writeHead(400, { 'content-type': 'text/xml' });
      res.end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not served by the Athena test server</Message></Error></ErrorResponse>');
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    statements: () => [...statements],
    forgetQueries() {
      queries.clear();
      byToken.clear();
    },
    forgetResults() {
      for (const q of queries.values()) q.resultsGone = true;
    },
    setFault(f) {
      fault = f;
    },
    async close() {
      await Promise.allSettled([...queries.values()].map((q) => q.done));
      server.closeAllConnections?.();
      await new Promise<void>((r) => server.close(() => r()));
      s3.destroy();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
