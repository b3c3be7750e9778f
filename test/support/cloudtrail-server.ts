// A loopback AWS endpoint for acquisition tests (README.md, "Acquisition from AWS"): CloudTrail's JSON
// 1.1 protocol (X-Amz-Target: CloudTrail_20131101.<Operation>) for
// LookupEvents, ListPublicKeys, ListEventDataStores, StartQuery, DescribeQuery
// and GetQueryResults; STS GetCallerIdentity (query protocol, XML); and, when
// `proxyTo` is set, everything else forwarded verbatim to an S3 server
// (s3rver), so one --endpoint-url serves a whole import as LocalStack would.
//
// Driven by the real AWS SDK clients through the endpoint setting. Faults
// (throttling as HTTP 400 ThrottlingException, 5xx, dropped connections,
// truncated bodies, expired tokens, access denied) are injected per request by
// the `fault` hook, deterministically (by request count), never by timing.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CLOUDTRAIL_SERVER_UNIT = { name: 'test-cloudtrail-server', version: '1.0.0' } as const;

export type Service = 'cloudtrail' | 'sts' | 's3';

export interface RequestInfo {
  service: Service;
  /** CloudTrail operation, 'GetCallerIdentity', or the S3 method + path. */
  op: string;
  /** Region from the SigV4 credential scope of the Authorization header. */
  region: string | null;
  /** Access key id from the credential scope (the test's fake key, never a real one). */
  accessKeyId: string | null;
  /** 1-based count of requests for this op (and this region, for CloudTrail). */
  n: number;
  /** 1-based count of all requests. */
  total: number;
  body: any;
  path: string;
  method: string;
  at: number;
}

export type Fault =
  | { kind: 'throttle' }
  | { kind: 'status'; status: number; code: string; message?: string }
  | { kind: 'drop' }
  | { kind: 'truncate'; keepBytes?: number };

export interface LakeBehaviour {
  /** Rows the "query engine" returns for a statement (each row: an array of {column: value} cells). */
  run(sql: string): Record<string, string>[][] | { error: string };
  /** DescribeQuery answers RUNNING this many times before FINISHED (default 1). */
  runningPolls?: number;
  pageSize?: number;
}

export interface CloudTrailServerOptions {
  /** LookupEvents data: full CloudTrail records per region. */
  events?: Record<string, Record<string, unknown>[]>;
  /** list-public-keys JSON text (CLI shape) served by ListPublicKeys. */
  publicKeys?: string;
  eventDataStores?: { EventDataStoreArn: string; Name: string; Status?: string; MultiRegionEnabled?: boolean; OrganizationEnabled?: boolean }[];
  lake?: LakeBehaviour;
  identity?: { Account: string; Arn: string; UserId: string };
  proxyTo?: string;
  fault?: (r: RequestInfo) => Fault | undefined;
  /** LookupEvents pages hold min(MaxResults, this) events (default 50, the API maximum). */
  lookupPageSize?: number;
}

export interface CloudTrailServer {
  url: string;
  port: number;
  requests: RequestInfo[];
  close(): Promise<void>;
  /** Replace the fault hook (e.g. heal the network for a resumed run). */
  setFault(f: CloudTrailServerOptions['fault']): void;
}

function scope(req: IncomingMessage): { region: string | null; accessKeyId: string | null; service: string | null } {
  const auth = String(req.headers.authorization ?? '');
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(auth);
  return m ? { accessKeyId: m[1], region: m[2], service: m[3] } : { accessKeyId: null, region: null, service: null };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function epochSeconds(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isFinite(t) ? t / 1000 : null;
  }
  return null;
}

const ATTRIBUTE_FIELD: Record<string, (r: any) => unknown> = {
  EventId: (r) => r.eventID,
  EventName: (r) => r.eventName,
  ReadOnly: (r) => String(r.readOnly),
  Username: (r) => r.userIdentity?.userName,
  EventSource: (r) => r.eventSource,
  AccessKeyId: (r) => r.userIdentity?.accessKeyId,
  ResourceType: (r) => (r.resources ?? []).map((x: any) => x.type),
  ResourceName: (r) => (r.resources ?? []).map((x: any) => x.ARN),
};

function lookupElement(r: any): Record<string, unknown> {
  const el: Record<string, unknown> = {
    EventId: r.eventID,
    EventName: r.eventName,
    ReadOnly: String(r.readOnly ?? 'false'),
    AccessKeyId: r.userIdentity?.accessKeyId,
    EventTime: Date.parse(r.eventTime) / 1000,
    EventSource: r.eventSource,
    Username: r.userIdentity?.userName,
    Resources: [],
    CloudTrailEvent: JSON.stringify(r),
  };
  for (const k of Object.keys(el)) if (el[k] === undefined) delete el[k];
  return el;
}

/** Keys in CLI output are base64 text and times epoch seconds "1436317441.0"; JSON 1.1 sends blobs base64 and timestamps as numbers. */
function publicKeysForWire(text: string): unknown {
  const doc = JSON.parse(text);
  const list = doc.PublicKeyList ?? doc.publicKeyList ?? [];
  return {
    PublicKeyList: list.map((k: any) => ({
      Value: k.Value,
      ValidityStartTime: epochSeconds(typeof k.ValidityStartTime === 'string' && /^\d/.test(k.ValidityStartTime) && !k.ValidityStartTime.includes('-') ? Number(k.ValidityStartTime) : k.ValidityStartTime),
      ValidityEndTime: epochSeconds(typeof k.ValidityEndTime === 'string' && /^\d/.test(k.ValidityEndTime) && !k.ValidityEndTime.includes('-') ? Number(k.ValidityEndTime) : k.ValidityEndTime),
      Fingerprint: k.Fingerprint,
    })),
  };
}

export async function startCloudTrailServer(opts: CloudTrailServerOptions = {}): Promise<CloudTrailServer> {
  const requests: RequestInfo[] = [];
  const counts = new Map<string, number>();
  let fault = opts.fault;
  const queries = new Map<string, { sql: string; rows: Record<string, string>[][] | null; error: string | null; polls: number }>();
  const pageSize = Math.min(50, opts.lookupPageSize ?? 50);

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text), ...extra });
    res.end(text);
  };
  const jsonError = (res: ServerResponse, status: number, code: string, message: string) =>
    sendJson(res, status, { __type: code, message }, { 'x-amzn-errortype': `${code}:http://internal.amazon.com/coral/com.amazonaws.cloudtrail.v20131101/` });

  const applyFault = (res: ServerResponse, f: Fault, service: Service, body?: Buffer): void => {
    if (f.kind === 'drop') {
      res.socket?.destroy();
      return;
    }
    if (f.kind === 'throttle') {
      if (service === 's3') {
        res.writeHead(503, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      } else jsonError(res, 400, 'ThrottlingException', 'Rate exceeded');
      return;
    }
    if (f.kind === 'status') {
      if (service === 's3' || service === 'sts') {
        res.writeHead(f.status, { 'content-type': 'application/xml' });
        const tag = service === 'sts' ? 'ErrorResponse><Error><Type>Sender</Type>' : 'Error>';
        const end = service === 'sts' ? '</Error></ErrorResponse>' : '</Error>';
        res.end(`<?xml version="1.0" encoding="UTF-8"?><${tag}<Code>${f.code}</Code><Message>${f.message ?? f.code}</Message>${end}`);
      } else jsonError(res, f.status, f.code, f.message ?? f.code);
      return;
    }
    if (f.kind === 'truncate') {
      const b = body ?? Buffer.from('{"Events":[');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': b.length });
      res.write(b.subarray(0, f.keepBytes ?? Math.floor(b.length / 2)));
      setTimeout(() => res.socket?.destroy(), 5);
    }
  };

  const note = (service: Service, op: string, req: IncomingMessage, body: any): RequestInfo => {
    const sc = scope(req);
    const key = service === 'cloudtrail' ? `${op}/${sc.region}` : `${service}/${op}`;
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const info: RequestInfo = { service, op, region: sc.region, accessKeyId: sc.accessKeyId, n, total: requests.length + 1, body, path: req.url ?? '/', method: req.method ?? 'GET', at: Date.now() };
    requests.push(info);
    return info;
  };

  const cloudtrail = (op: string, body: any, region: string, res: ServerResponse): void => {
    switch (op) {
      case 'LookupEvents': {
        const all = (opts.events?.[region] ?? []).slice();
        const start = epochSeconds(body.StartTime);
        const end = epochSeconds(body.EndTime);
        const attr = (body.LookupAttributes ?? [])[0] as { AttributeKey: string; AttributeValue: string } | undefined;
        if ((body.LookupAttributes ?? []).length > 1) return jsonError(res, 400, 'InvalidLookupAttributesException', 'only one lookup attribute is allowed');
        if (attr && !ATTRIBUTE_FIELD[attr.AttributeKey]) return jsonError(res, 400, 'InvalidLookupAttributesException', `unknown attribute ${attr.AttributeKey}`);
        const max = body.MaxResults ?? 50;
        if (max < 1 || max > 50) return jsonError(res, 400, 'InvalidMaxResultsException', 'MaxResults must be 1..50');
        const matching = all
          .filter((r: any) => {
            const t = Date.parse(r.eventTime) / 1000;
            if (start !== null && t < start) return false;
            if (end !== null && t > end) return false;
            if (attr) {
              const v = ATTRIBUTE_FIELD[attr.AttributeKey](r);
              return Array.isArray(v) ? v.includes(attr.AttributeValue) : v === attr.AttributeValue;
            }
            return true;
          })
          .sort((a: any, b: any) => Date.parse(b.eventTime) - Date.parse(a.eventTime) || String(a.eventID).localeCompare(String(b.eventID)));
        // Tokens are tied to the request parameters, as AWS's are (InvalidNextTokenException otherwise).
        const qh = createHash('sha256').update(JSON.stringify([region, start, end, attr ?? null])).digest('hex').slice(0, 16);
        let offset = 0;
        if (body.NextToken !== undefined) {
          const m = /^tok-([0-9a-f]{16})-(\d+)-[0-9a-f]+$/.exec(String(body.NextToken));
          if (!m || m[1] !== qh) return jsonError(res, 400, 'InvalidNextTokenException', 'A token you provided is not valid.');
          offset = Number(m[2]);
        }
        const n = Math.min(max, pageSize);
        const page = matching.slice(offset, offset + n);
        const out: Record<string, unknown> = { Events: page.map(lookupElement) };
        if (offset + n < matching.length) out.NextToken = `tok-${qh}-${offset + n}-${randomUUID().replace(/-/g, '')}`;
        return sendJson(res, 200, out);
      }
      case 'ListPublicKeys': {
        if (!opts.publicKeys) return sendJson(res, 200, { PublicKeyList: [] });
        return sendJson(res, 200, publicKeysForWire(opts.publicKeys));
      }
      case 'ListEventDataStores':
        return sendJson(res, 200, {
          EventDataStores: (opts.eventDataStores ?? []).map((e) => ({ Status: 'ENABLED', MultiRegionEnabled: true, OrganizationEnabled: false, ...e })),
        });
      case 'StartQuery': {
        if (!opts.lake) return jsonError(res, 400, 'InactiveEventDataStoreException', 'no Lake here');
        const sql = String(body.QueryStatement ?? '');
        const from = /\bFROM\s+([A-Za-z0-9-]+)/i.exec(sql)?.[1];
        const known = (opts.eventDataStores ?? []).some((e) => e.EventDataStoreArn.endsWith(`/${from}`));
        if (!from || !known) return jsonError(res, 400, 'EventDataStoreNotFoundException', `The specified event data store ${from ?? ''} was not found.`);
        const r = opts.lake.run(sql);
        const id = randomUUID();
        queries.set(id, { sql, rows: Array.isArray(r) ? r : null, error: Array.isArray(r) ? null : r.error, polls: 0 });
        return sendJson(res, 200, { QueryId: id });
      }
      case 'DescribeQuery': {
        const q = queries.get(body.QueryId);
        if (!q) return jsonError(res, 400, 'QueryIdNotFoundException', 'The query ID does not exist or does not map to a query.');
        q.polls++;
        const running = q.polls <= (opts.lake?.runningPolls ?? 1);
        const status = running ? 'RUNNING' : q.error ? 'FAILED' : 'FINISHED';
        return sendJson(res, 200, {
          QueryId: body.QueryId,
          QueryString: q.sql,
          QueryStatus: status,
          QueryStatistics: { EventsMatched: q.rows?.length ?? 0, EventsScanned: (q.rows?.length ?? 0) * 10, BytesScanned: 1000, ExecutionTimeInMillis: 10, CreationTime: Date.now() / 1000 },
          ...(q.error && !running ? { ErrorMessage: q.error } : {}),
        });
      }
      case 'GetQueryResults': {
        const q = queries.get(body.QueryId);
        if (!q) return jsonError(res, 400, 'QueryIdNotFoundException', 'The query ID does not exist or does not map to a query.');
        if (q.error) return jsonError(res, 400, 'InvalidQueryStatusException', 'query failed');
        const rows = q.rows ?? [];
        const size = Math.min(body.MaxQueryResults ?? 1000, opts.lake?.pageSize ?? 1000);
        let offset = 0;
        if (body.NextToken !== undefined) {
          const m = /^q-([0-9a-f-]+)-(\d+)$/.exec(String(body.NextToken));
          if (!m || m[1] !== body.QueryId) return jsonError(res, 400, 'InvalidNextTokenException', 'A token you provided is not valid.');
          offset = Number(m[2]);
        }
        const out: Record<string, unknown> = {
          QueryStatus: 'FINISHED',
          QueryStatistics: { ResultsCount: Math.min(size, rows.length - offset), TotalResultsCount: rows.length, BytesScanned: 1000 },
          QueryResultRows: rows.slice(offset, offset + size),
        };
        if (offset + size < rows.length) out.NextToken = `q-${body.QueryId}-${offset + size}`;
        return sendJson(res, 200, out);
      }
      default:
        return jsonError(res, 400, 'UnknownOperationException', `operation ${op} is not served by the test server`);
    }
  };

  const proxy = (req: IncomingMessage, body: Buffer, res: ServerResponse, info: RequestInfo, f: Fault | undefined) => {
    if (!opts.proxyTo) {
      res.writeHead(404, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>no S3 here</Message></Error>');
      return;
    }
    const target = new URL(opts.proxyTo);
    const up = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        if (f?.kind === 'truncate') {
          // Headers as S3 sent them (content-length included), then only part of the body: a connection dropping mid-object.
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          let sent = 0;
          const keep = f.keepBytes ?? 16;
          upRes.on('data', (c: Buffer) => {
            if (sent >= keep) return;
            const part = c.subarray(0, keep - sent);
            sent += part.length;
            res.write(part);
            if (sent >= keep) setTimeout(() => res.socket?.destroy(), 5);
          });
          upRes.on('end', () => {
            if (sent < keep) res.socket?.destroy();
          });
          return;
        }
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    up.end(body);
    void info;
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const sc = scope(req);
      if (target.startsWith('CloudTrail_20131101.')) {
        const op = target.slice('CloudTrail_20131101.'.length);
        let parsed: any = {};
        try {
          parsed = body.length ? JSON.parse(body.toString('utf8')) : {};
        } catch {
          return jsonError(res, 400, 'SerializationException', 'bad JSON');
        }
        const info = note('cloudtrail', op, req, parsed);
        const f = fault?.(info);
        if (f) return applyFault(res, f, 'cloudtrail');
        return cloudtrail(op, parsed, sc.region ?? 'us-east-1', res);
      }
      const form = new URLSearchParams(body.toString('utf8'));
      if (req.method === 'POST' && (sc.service === 'sts' || form.get('Action') === 'GetCallerIdentity')) {
        const op = form.get('Action') ?? 'unknown';
        const info = note('sts', op, req, Object.fromEntries(form));
        const f = fault?.(info);
        if (f) return applyFault(res, f, 'sts');
        if (op !== 'GetCallerIdentity' || !opts.identity) {
          res.writeHead(400, { 'content-type': 'text/xml' });
          return res.end('<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not served</Message></Error></ErrorResponse>');
        }
        const id = opts.identity;
        const xml =
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
          `<Arn>${id.Arn}</Arn><UserId>${id.UserId}</UserId><Account>${id.Account}</Account>` +
          `</GetCallerIdentityResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
        res.writeHead(200, { 'content-type': 'text/xml' });
        return res.end(xml);
      }
      const info = note('s3', `${req.method} ${decodeURIComponent((req.url ?? '/').split('?')[0])}`, req, null);
      const f = fault?.(info);
      if (f && f.kind !== 'truncate') return applyFault(res, f, 's3');
      return proxy(req, body, res, info, f);
    } catch (e) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(e));
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setFault(f) {
      fault = f;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
