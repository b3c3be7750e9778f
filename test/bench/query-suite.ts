// The fixed suite of examiner questions (docs/queries.md), shared by the bench
// (TrailCase's derived form against DuckDB over the raw JSON records) and the
// tests (against a straightforward JSON.parse reference). Each question is
// asked of values picked from the data itself so it has answers on any case.
import { compileSearch } from '../../shared/query/search.ts';

export interface Rec {
  leaf: number;
  timeMs: number | null;
  /** The verbatim record text (free text is searched in it as stored). */
  text: string;
  r: Record<string, any>;
}

export interface Picks {
  bucket: string;
  principal: string;
  key: string;
  text: string;
  arnPart: string;
}

export interface Question {
  id: string;
  title: string;
  /** Over the derived `events` table (CloudTrail paths as the examiner writes them). */
  sql: (p: Picks) => string;
  /** The same question in DuckDB over the raw records: a table ev(rec JSON). A question whose answer is events (`events`) returns one row per event there too: its eventID. */
  raw: (p: Picks) => string;
  /** The answer is events: leaves on TrailCase, eventIDs on the raw records. */
  events?: true;
  /** The answer computed from JSON.parse'd records. */
  reference: (recs: Rec[], p: Picks) => unknown[][];
}

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** DuckDB over the raw records, as the bench loads a trail: the table ev(rec JSON), one row per record of the files `glob` names. */
export const rawRecordsTableSql = (glob: string) => `CREATE TABLE ev AS SELECT unnest(json_extract(json, '$.Records[*]')) AS rec FROM read_json_objects(${lit(glob)}, format='auto')`;
/** A value as DuckDB's json_transform/json_extract_string give it: strings as they are, anything else as JSON text. */
export const str = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));
const get = (o: any, path: string): unknown => path.split('.').reduce((a, k) => (a && typeof a === 'object' && !Array.isArray(a) ? a[k] : undefined), o);
const hourIso = (ms: number) => new Date(Math.floor(ms / 3_600_000) * 3_600_000).toISOString().replace('.000Z', 'Z');
const dayIso = (ms: number) => new Date(Math.floor(ms / 86_400_000) * 86_400_000).toISOString().replace('.000Z', 'Z');
const R = (path: string) => `json_extract_string(rec, '$.${path}')`;
const RT = `CAST(json_extract_string(rec, '$.eventTime') AS TIMESTAMP)`;

function countBy<T>(items: T[], key: (t: T) => unknown[] | null): unknown[][] {
  const m = new Map<string, { k: unknown[]; n: number }>();
  for (const it of items) {
    const k = key(it);
    if (!k) continue;
    const s = JSON.stringify(k);
    const e = m.get(s) ?? { k, n: 0 };
    e.n++;
    m.set(s, e);
  }
  return [...m.values()].map((e) => [...e.k, e.n]);
}

export const QUESTIONS: Question[] = [
  {
    id: 'nested-equals',
    events: true,
    title: 'every event that touched one bucket (requestParameters.bucketName)',
    sql: (p) => `SELECT leaf FROM events WHERE requestParameters.bucketName = ${lit(p.bucket)}`,
    raw: (p) => `SELECT ${R('eventID')} FROM ev WHERE ${R('requestParameters.bucketName')} = ${lit(p.bucket)}`,
    reference: (recs, p) => recs.filter((x) => str(get(x.r, 'requestParameters.bucketName')) === p.bucket).map((x) => [x.leaf]),
  },
  {
    id: 'free-text',
    events: true,
    title: 'free text anywhere in the record (case-insensitive)',
    // What the search bar runs for the text (shared/query/search.ts), its parameter written in.
    sql: (p) => {
      const c = compileSearch(`"${p.text.replace(/"/g, '')}"`);
      return `SELECT leaf FROM events WHERE ${c.where.replace('?', lit(String(c.params[0])))}`;
    },
    raw: (p) => `SELECT ${R('eventID')} FROM ev WHERE contains(lower(CAST(rec AS VARCHAR)), ${lit(p.text.toLowerCase())})`,
    reference: (recs, p) => recs.filter((x) => x.text.toLowerCase().includes(p.text.toLowerCase())).map((x) => [x.leaf]),
  },
  {
    id: 'count-by-nested',
    title: 'events per session issuer (userIdentity.sessionContext.sessionIssuer.arn)',
    sql: () => `SELECT userIdentity.sessionContext.sessionIssuer.arn AS issuer, count(*) AS n FROM events GROUP BY 1`,
    raw: () => `SELECT ${R('userIdentity.sessionContext.sessionIssuer.arn')} AS issuer, count(*) AS n FROM ev GROUP BY 1`,
    reference: (recs) => countBy(recs, (x) => [str(get(x.r, 'userIdentity.sessionContext.sessionIssuer.arn'))]),
  },
  {
    id: 'hourly-principal',
    title: 'hourly histogram for one principal',
    sql: (p) => `SELECT date_trunc('hour', eventTime) AS hour, count(*) AS n FROM events WHERE userIdentity.arn = ${lit(p.principal)} GROUP BY 1`,
    raw: (p) => `SELECT date_trunc('hour', ${RT}) AS hour, count(*) AS n FROM ev WHERE ${R('userIdentity.arn')} = ${lit(p.principal)} GROUP BY 1`,
    reference: (recs, p) => countBy(recs, (x) => (str(get(x.r, 'userIdentity.arn')) === p.principal ? [x.timeMs === null ? null : hourIso(x.timeMs)] : null)),
  },
  {
    id: 'distinct-ua-per-principal',
    title: 'distinct user agents per principal',
    sql: () => `SELECT userIdentity.arn AS principal, count(DISTINCT userAgent) AS uas FROM events GROUP BY 1`,
    raw: () => `SELECT ${R('userIdentity.arn')} AS principal, count(DISTINCT ${R('userAgent')}) AS uas FROM ev GROUP BY 1`,
    reference: (recs) => {
      const m = new Map<string | null, Set<string>>();
      for (const x of recs) {
        const k = str(get(x.r, 'userIdentity.arn'));
        const s = m.get(k) ?? new Set();
        const ua = str(x.r.userAgent);
        if (ua !== null) s.add(ua);
        m.set(k, s);
      }
      return [...m.entries()].map(([k, s]) => [k, s.size]);
    },
  },
  {
    id: 'ua-per-principal-day',
    title: 'user agents per principal per day',
    sql: () => `SELECT userIdentity.arn AS principal, date_trunc('day', eventTime) AS day, count(DISTINCT userAgent) AS uas FROM events GROUP BY 1, 2`,
    raw: () => `SELECT ${R('userIdentity.arn')} AS principal, date_trunc('day', ${RT}) AS day, count(DISTINCT ${R('userAgent')}) AS uas FROM ev GROUP BY 1, 2`,
    reference: (recs) => {
      const m = new Map<string, { k: unknown[]; s: Set<string> }>();
      for (const x of recs) {
        const k = [str(get(x.r, 'userIdentity.arn')), x.timeMs === null ? null : dayIso(x.timeMs)];
        const ks = JSON.stringify(k);
        const e = m.get(ks) ?? { k, s: new Set<string>() };
        const ua = str(x.r.userAgent);
        if (ua !== null) e.s.add(ua);
        m.set(ks, e);
      }
      return [...m.values()].map((e) => [...e.k, e.s.size]);
    },
  },
  {
    id: 'assumerole-join',
    title: "AssumeRole's issued key joined to the events that used it",
    sql: () =>
      `WITH k AS (SELECT DISTINCT responseElements.credentials.accessKeyId AS key FROM events WHERE eventName = 'AssumeRole' AND responseElements.credentials.accessKeyId IS NOT NULL)
       SELECT k.key, count(*) AS n FROM events e JOIN k ON e.userIdentity.accessKeyId = k.key GROUP BY 1`,
    raw: () =>
      `WITH k AS (SELECT DISTINCT ${R('responseElements.credentials.accessKeyId')} AS key FROM ev WHERE ${R('eventName')} = 'AssumeRole' AND ${R('responseElements.credentials.accessKeyId')} IS NOT NULL)
       SELECT k.key, count(*) AS n FROM ev JOIN k ON ${R('userIdentity.accessKeyId')} = k.key GROUP BY 1`,
    reference: (recs) => {
      const keys = new Set(recs.filter((x) => x.r.eventName === 'AssumeRole').map((x) => str(get(x.r, 'responseElements.credentials.accessKeyId'))).filter((k): k is string => k !== null));
      return countBy(recs, (x) => {
        const k = str(get(x.r, 'userIdentity.accessKeyId'));
        return k !== null && keys.has(k) ? [k] : null;
      });
    },
  },
  {
    id: 'top-talkers',
    title: 'top talkers by bytesTransferredOut (per source address)',
    sql: () =>
      `SELECT sourceIPAddress, sum(TRY_CAST(additionalEventData.bytesTransferredOut AS DOUBLE)) AS bytes FROM events WHERE TRY_CAST(additionalEventData.bytesTransferredOut AS DOUBLE) > 0 GROUP BY 1`,
    raw: () =>
      `SELECT ${R('sourceIPAddress')} AS sourceIPAddress, sum(TRY_CAST(${R('additionalEventData.bytesTransferredOut')} AS DOUBLE)) AS bytes FROM ev WHERE TRY_CAST(${R('additionalEventData.bytesTransferredOut')} AS DOUBLE) > 0 GROUP BY 1`,
    reference: (recs) => {
      const m = new Map<string | null, number>();
      for (const x of recs) {
        const s = str(get(x.r, 'additionalEventData.bytesTransferredOut'));
        const b = s === null || s.trim() === '' ? NaN : Number(s);
        if (!(b > 0)) continue;
        const k = str(x.r.sourceIPAddress);
        m.set(k, (m.get(k) ?? 0) + b);
      }
      return [...m.entries()].map(([k, v]) => [k, v]);
    },
  },
  {
    id: 'errors-for-key',
    title: 'every errorCode and errorMessage for one access key',
    sql: (p) => `SELECT errorCode, errorMessage, count(*) AS n FROM events WHERE userIdentity.accessKeyId = ${lit(p.key)} AND errorCode IS NOT NULL GROUP BY 1, 2`,
    raw: (p) => `SELECT ${R('errorCode')}, ${R('errorMessage')}, count(*) AS n FROM ev WHERE ${R('userIdentity.accessKeyId')} = ${lit(p.key)} AND ${R('errorCode')} IS NOT NULL GROUP BY 1, 2`,
    reference: (recs, p) => countBy(recs, (x) => (str(get(x.r, 'userIdentity.accessKeyId')) === p.key && str(x.r.errorCode) !== null ? [str(x.r.errorCode), str(x.r.errorMessage)] : null)),
  },
  {
    id: 'resource-arn',
    events: true,
    title: 'events whose resources[].ARN contains a text',
    sql: (p) => `SELECT leaf FROM events WHERE len(list_filter(resources, lambda r: contains(r.ARN, ${lit(p.arnPart)}))) > 0`,
    raw: (p) => `SELECT ${R('eventID')} FROM ev WHERE len(list_filter(CAST(json_extract(rec, '$.resources[*].ARN') AS VARCHAR[]), lambda a: contains(a, ${lit(p.arnPart)}))) > 0`,
    reference: (recs, p) =>
      recs.filter((x) => Array.isArray(x.r.resources) && x.r.resources.some((r: any) => r && typeof r === 'object' && typeof r.ARN === 'string' && r.ARN.includes(p.arnPart))).map((x) => [x.leaf]),
  },
  {
    id: 'region-service',
    title: 'events per region and service',
    sql: () => `SELECT awsRegion, eventSource, count(*) AS n FROM events GROUP BY 1, 2`,
    raw: () => `SELECT ${R('awsRegion')}, ${R('eventSource')}, count(*) AS n FROM ev GROUP BY 1, 2`,
    reference: (recs) => countBy(recs, (x) => [str(x.r.awsRegion), str(x.r.eventSource)]),
  },
  {
    id: 'read-only-false-by-principal',
    title: 'write (readOnly = false) calls per principal and API',
    sql: () => `SELECT userIdentity.arn AS principal, eventName, count(*) AS n FROM events WHERE readOnly = false GROUP BY 1, 2`,
    raw: () => `SELECT ${R('userIdentity.arn')}, ${R('eventName')}, count(*) AS n FROM ev WHERE TRY_CAST(json_extract(rec, '$.readOnly') AS BOOLEAN) = false GROUP BY 1, 2`,
    reference: (recs) => countBy(recs, (x) => (x.r.readOnly === false ? [str(get(x.r, 'userIdentity.arn')), str(x.r.eventName)] : null)),
  },
];

/** Values to ask about, chosen from the records: the commonest bucket, principal and key, and so on. */
export function pickValues(recs: Rec[]): Picks {
  const top = (f: (x: Rec) => string | null, fallback: string) => {
    const m = new Map<string, number>();
    for (const x of recs) {
      const v = f(x);
      if (v) m.set(v, (m.get(v) ?? 0) + 1);
    }
    return [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? fallback;
  };
  const arn = top((x) => (Array.isArray(x.r.resources) ? (x.r.resources.find((r: any) => typeof r?.ARN === 'string')?.ARN ?? null) : null), 'arn:aws:');
  return {
    bucket: top((x) => str(get(x.r, 'requestParameters.bucketName')), 'no-bucket'),
    principal: top((x) => str(get(x.r, 'userIdentity.arn')), 'no-principal'),
    key: top((x) => (str(x.r.errorCode) ? str(get(x.r, 'userIdentity.accessKeyId')) : null), 'no-key'),
    text: 'AccessDenied',
    arnPart: arn.slice(Math.max(0, arn.length - 12)),
  };
}
