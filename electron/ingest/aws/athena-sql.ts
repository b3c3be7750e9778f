// Amazon Athena over the trail bucket (README.md, "Speed and size"): the query that picks the S3
// objects holding the scoped events, the CloudTrail table DDL with partition
// projection, and the cost estimate. Pure; every value reaches SQL only
// through the Lake builder's sqlString()/sqlLikeContains() (single quotes
// doubled, LIKE wildcards escaped, control characters refused), identifiers
// only after a strict pattern check and inside double quotes;
// test/ingest/aws/athena-sql.test.ts feeds injection attempts through it.
//
// The table the builder assumes is the one `trailcase athena-table` prints:
// AWS's documented CloudTrail table ("Create the table for CloudTrail logs in
// Athena using partition projection", Athena User Guide: lower-case CloudTrail
// columns, eventtime a STRING, requestparameters JSON text, partition
// `timestamp` projected as a yyyy/MM/dd date), extended with two enum-projected
// partitions `account` and `region` so that one table covers several accounts
// and Regions (and an organization trail). --partitions names the partition
// columns a table has: `timestamp` alone for AWS's single-Region example,
// `none` for a table without partitions; the builder then filters on the
// record columns recipientaccountid and awsregion instead.
//
// The query returns the objects, not the events: SELECT "$path" (Athena's
// pseudo-column naming the S3 object a row came from), count(*) ... GROUP BY
// "$path". The objects themselves are then acquired from S3 with their digests.
import { parseTime } from '../../../shared/time.ts';
import { iocCondition, sqlString, type LakeIoc } from './lake-sql.ts';
import { logNameWindow } from './s3-scope.ts';

export const ATHENA_SQL_UNIT = { name: 'athena-query-builder', version: '1.0.0' } as const;

export class AthenaQueryError extends Error {}

export const ATHENA_PARTITIONS = ['account', 'region', 'timestamp'] as const;
export type AthenaPartition = (typeof ATHENA_PARTITIONS)[number];

/** The result column every Athena query of an import must return. */
export const PATH_COLUMN = '$path';

/**
 * Athena's price for SQL queries, per TB (10^12 bytes) scanned, rounded up to
 * the MB (10^6 bytes) with a 10 MB minimum per query (Amazon Athena pricing,
 * us-east-1). An estimate: Regions, capacity reservations and the bill differ;
 * failed queries are not charged, cancelled ones are for what they scanned.
 */
export const ATHENA_USD_PER_TB = 5;
const MB = 1_000_000;

export function estimateAthenaCost(scannedBytes: number): { billedBytes: number; usd: number } {
  const billedBytes = Math.max(10 * MB, Math.ceil(Math.max(0, scannedBytes) / MB) * MB);
  return { billedBytes, usd: (billedBytes / 1e12) * ATHENA_USD_PER_TB };
}

/** One line: "scanned 1.2 GB (1234567890 bytes), estimated $0.0062 at $5/TB (10 MB minimum)". */
export function describeScan(scannedBytes: number | null): string {
  if (scannedBytes === null) return 'scanned an unknown amount (no DataScannedInBytes in the response)';
  const c = estimateAthenaCost(scannedBytes);
  const human = scannedBytes >= 1e9 ? `${(scannedBytes / 1e9).toFixed(2)} GB` : scannedBytes >= MB ? `${(scannedBytes / MB).toFixed(1)} MB` : `${scannedBytes} bytes`;
  return `scanned ${human} (DataScannedInBytes ${scannedBytes}), estimated cost $${c.usd < 0.01 ? c.usd.toFixed(6) : c.usd.toFixed(2)} at $${ATHENA_USD_PER_TB}/TB, 10 MB minimum (an estimate, not the bill)`;
}

// ------------------------------------------------------------------ names

/** Glue/Athena database and table names: letters, digits, underscore, hyphen (quoted, so a hyphen is safe). */
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;

export interface AthenaTable {
  database: string;
  table: string;
}

/** `athena:DATABASE.TABLE` (or DATABASE.TABLE) to its two names, validated. */
export function parseAthenaTable(arg: string): AthenaTable {
  const s = arg.replace(/^athena:/, '').trim();
  const m = /^([^.]+)\.([^.]+)$/.exec(s);
  if (!m) throw new AthenaQueryError(`${JSON.stringify(s.slice(0, 200))} is not DATABASE.TABLE (e.g. athena:default.cloudtrail_logs)`);
  for (const n of [m[1], m[2]]) {
    if (!NAME_RE.test(n)) throw new AthenaQueryError(`${JSON.stringify(n.slice(0, 200))} is not an Athena database or table name (letters, digits, _ and - only)`);
  }
  return { database: m[1], table: m[2] };
}

/** A quoted identifier (Trino): double quotes, inner double quotes doubled. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** --partitions: a comma list of account, region, timestamp; "none" for a table without partitions. */
export function parsePartitions(v: string | string[] | undefined): AthenaPartition[] {
  if (v === undefined) return [...ATHENA_PARTITIONS];
  const parts = (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 1 && parts[0] === 'none') return [];
  for (const p of parts) {
    if (!(ATHENA_PARTITIONS as readonly string[]).includes(p)) throw new AthenaQueryError(`--partitions ${JSON.stringify(p.slice(0, 40))}: expected account, region, timestamp or none`);
  }
  return [...new Set(parts)] as AthenaPartition[];
}

// ------------------------------------------------------------------ query

export interface AthenaQuerySpec extends AthenaTable {
  since?: string;
  until?: string;
  accounts?: string[];
  regions?: string[];
  /** Indicators: any one matching selects the event (OR); scope conditions above all apply (AND). */
  iocs?: LakeIoc[];
  /** Partition columns of the table (default: all three, as `trailcase athena-table` creates it). */
  partitions?: AthenaPartition[];
}

export interface BuiltAthenaQuery {
  sql: string;
  /** Human-readable list of what the WHERE clause filters on. */
  conditions: string[];
  /** Indicators that cannot be expressed: reported, not silently dropped. */
  skipped: { ioc: LakeIoc; reason: string }[];
}

const SUPPORTED_IOCS = new Set(['ip', 'access-key', 'principal', 'role', 'user-agent', 'event-name', 'region', 'account', 'bucket']);
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The condition one indicator adds in the Athena CloudTrail table (columns as Lake's, requestparameters JSON text). */
export function athenaIocCondition(ioc: LakeIoc): { sql: string; label: string } | { skip: string } {
  if (!SUPPORTED_IOCS.has(ioc.type)) return { skip: `indicator type ${ioc.type} is not supported in Athena queries` };
  if (ioc.type === 'bucket') {
    const v = ioc.value.trim();
    if (!v) return { skip: 'empty value' };
    return { sql: `json_extract_scalar(requestparameters, '$.bucketName') = ${sqlString(v)}`, label: `bucket ${v}` };
  }
  return iocCondition(ioc);
}

/** CloudTrail writes eventTime as YYYY-MM-DDTHH:MM:SSZ, so the STRING column compares in time order. */
function eventTimeLiteral(v: string, what: string): { ms: number; text: string } {
  const ms = parseTime(v);
  if (ms === null) throw new AthenaQueryError(`${what} ${JSON.stringify(v.slice(0, 80))} is not a time`);
  return { ms, text: new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') };
}

function dayPartition(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '/');
}

function inList(column: string, values: string[]): string {
  const uniq = [...new Set(values)];
  return uniq.length === 1 ? `${column} = ${sqlString(uniq[0])}` : `${column} IN (${uniq.map(sqlString).join(', ')})`;
}

export function buildAthenaQuery(spec: AthenaQuerySpec): BuiltAthenaQuery {
  for (const n of [spec.database, spec.table]) if (!NAME_RE.test(n)) throw new AthenaQueryError(`${JSON.stringify(n.slice(0, 200))} is not an Athena database or table name`);
  const parts = new Set(spec.partitions ?? ATHENA_PARTITIONS);
  const where: string[] = [];
  const conditions: string[] = [];
  const since = spec.since ? eventTimeLiteral(spec.since, 'since') : null;
  const until = spec.until ? eventTimeLiteral(spec.until, 'until') : null;
  if (since && until && since.ms > until.ms) throw new AthenaQueryError(`since ${spec.since} is after until ${spec.until}`);
  if (parts.has('timestamp') && (since || until)) {
    // The partition is the delivery day: events arrive up to a day late, log names may run a little early (s3-scope.ts).
    const w = logNameWindow({ sinceMs: since?.ms, untilMs: until?.ms });
    const lo = w.from !== undefined ? sqlString(dayPartition(w.from)) : null;
    const hi = w.to !== undefined ? sqlString(dayPartition(w.to)) : null;
    where.push(lo && hi ? `"timestamp" BETWEEN ${lo} AND ${hi}` : lo ? `"timestamp" >= ${lo}` : `"timestamp" <= ${hi}`);
  }
  if (since) {
    where.push(`eventtime >= ${sqlString(since.text)}`);
    conditions.push(`since ${spec.since}`);
  }
  if (until) {
    where.push(`eventtime <= ${sqlString(until.text)}`);
    conditions.push(`until ${spec.until}`);
  }
  if (spec.accounts?.length) {
    for (const a of spec.accounts) if (!/^\d{12}$/.test(a)) throw new AthenaQueryError(`account ${JSON.stringify(a.slice(0, 40))} is not a 12-digit account ID`);
    where.push(inList(parts.has('account') ? 'account' : 'recipientaccountid', spec.accounts));
    conditions.push(`accounts ${spec.accounts.join(', ')}`);
  }
  if (spec.regions?.length) {
    for (const r of spec.regions) if (!REGION_RE.test(r)) throw new AthenaQueryError(`region ${JSON.stringify(r.slice(0, 40))} is not an AWS Region name`);
    where.push(inList(parts.has('region') ? 'region' : 'awsregion', spec.regions));
    conditions.push(`regions ${spec.regions.join(', ')}`);
  }
  const skipped: BuiltAthenaQuery['skipped'] = [];
  const any: string[] = [];
  for (const ioc of spec.iocs ?? []) {
    const c = athenaIocCondition(ioc);
    if ('skip' in c) skipped.push({ ioc, reason: c.skip });
    else {
      any.push(c.sql);
      conditions.push(c.label);
    }
  }
  if (any.length) where.push(any.length === 1 ? any[0] : `(${any.join('\n    OR ')})`);
  const sql =
    `SELECT "$path", count(*) AS events\nFROM ${sqlIdent(spec.database)}.${sqlIdent(spec.table)}` +
    (where.length ? `\nWHERE ${where.join('\n  AND ')}` : '') +
    `\nGROUP BY "$path"\nORDER BY "$path"`;
  return { sql, conditions, skipped };
}

/** --sql as given: a SELECT (or WITH) that names "$path"; the result's columns are checked again after the run. */
export function checkUserSql(sql: string): string {
  const s = sql.trim();
  if (!/^(select|with)\b/i.test(s)) throw new AthenaQueryError('--sql must be a SELECT statement');
  if (!s.includes('"$path"')) {
    throw new AthenaQueryError('--sql must return the "$path" column (the S3 object each row comes from), e.g. SELECT "$path", count(*) AS events FROM ... GROUP BY "$path"');
  }
  return s;
}

// ------------------------------------------------------------------ table DDL

export interface AthenaTableSpec {
  bucket: string;
  /** The trail's S3 key prefix (before AWSLogs/), if any. */
  prefix?: string;
  orgId?: string;
  accounts: string[];
  regions: string[];
  database?: string;
  table?: string;
  /** First day of the timestamp projection, yyyy/MM/dd (default 2013/11/01, CloudTrail's launch: no trail is older, and days without data cost nothing). */
  start?: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ORG_RE = /^o-[a-z0-9]{10,32}$/;
/** Glue names in DDL: lower case, digits, underscore (Athena: "use only lowercase letters, numbers, and underscore"). */
const DDL_NAME_RE = /^[a-z0-9_]{1,255}$/;
/** S3 key prefix characters AWS lists as safe, minus anything with a meaning in the DDL (quotes, backslash, ${...}). */
const PREFIX_RE = /^[A-Za-z0-9!_.*()\-/]+$/;

export class AthenaTableError extends Error {}

function checkTableSpec(s: AthenaTableSpec): void {
  if (!BUCKET_RE.test(s.bucket) || s.bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(s.bucket)) {
    throw new AthenaTableError(`--bucket ${JSON.stringify(s.bucket.slice(0, 80))} is not an S3 bucket name (3-63 characters: a-z 0-9 . -)`);
  }
  if (s.prefix !== undefined && s.prefix !== '' && (!PREFIX_RE.test(s.prefix) || s.prefix.includes('//') || s.prefix.startsWith('/'))) {
    throw new AthenaTableError(`--prefix ${JSON.stringify(s.prefix.slice(0, 80))} is not a plain S3 key prefix (letters, digits and ! _ . * ( ) - / only)`);
  }
  if (s.orgId !== undefined && !ORG_RE.test(s.orgId)) throw new AthenaTableError(`--org ${JSON.stringify(s.orgId.slice(0, 40))} is not an organization ID (o- and 10 to 32 lower-case letters or digits)`);
  if (!s.accounts.length) throw new AthenaTableError('--accounts: give the account IDs whose logs the bucket holds (partition projection enumerates them)');
  for (const a of s.accounts) if (!/^\d{12}$/.test(a)) throw new AthenaTableError(`--accounts ${JSON.stringify(a.slice(0, 40))} is not a 12-digit account ID`);
  if (!s.regions.length) throw new AthenaTableError('--regions: give the Regions the trail logs (partition projection enumerates them)');
  for (const r of s.regions) if (!REGION_RE.test(r)) throw new AthenaTableError(`--regions ${JSON.stringify(r.slice(0, 40))} is not an AWS Region name (e.g. us-east-1)`);
  for (const [opt, n] of [['--database', s.database], ['--table', s.table]] as const) {
    if (n !== undefined && !DDL_NAME_RE.test(n)) throw new AthenaTableError(`${opt} ${JSON.stringify(n.slice(0, 80))}: use only lower-case letters, digits and underscore`);
  }
  if (s.start !== undefined && (!/^\d{4}\/\d{2}\/\d{2}$/.test(s.start) || !Number.isFinite(Date.parse(s.start.replace(/\//g, '-'))))) {
    throw new AthenaTableError(`--start ${JSON.stringify(s.start.slice(0, 40))} is not a date in the form yyyy/MM/dd`);
  }
}

/**
 * CREATE EXTERNAL TABLE for CloudTrail logs with partition projection: the
 * columns, SerDe and input format of AWS's documented table; partitions
 * account (enum), region (enum) and timestamp (date, yyyy/MM/dd, one day).
 */
export function athenaTableDdl(spec: AthenaTableSpec): string {
  checkTableSpec(spec);
  const prefix = spec.prefix ? `${spec.prefix.replace(/\/+$/, '')}/` : '';
  const root = `s3://${spec.bucket}/${prefix}AWSLogs/${spec.orgId ? `${spec.orgId}/` : ''}`;
  const accounts = [...new Set(spec.accounts)].join(',');
  const regions = [...new Set(spec.regions)].join(',');
  const name = `\`${spec.database ?? 'default'}\`.\`${spec.table ?? 'cloudtrail_logs'}\``;
  return `CREATE EXTERNAL TABLE ${name} (
    eventversion STRING,
    useridentity STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        invokedby: STRING,
        accesskeyid: STRING,
        username: STRING,
        onbehalfof: STRUCT<
            userid: STRING,
            identitystorearn: STRING>,
        sessioncontext: STRUCT<
            attributes: STRUCT<
                mfaauthenticated: STRING,
                creationdate: STRING>,
            sessionissuer: STRUCT<
                type: STRING,
                principalid: STRING,
                arn: STRING,
                accountid: STRING,
                username: STRING>,
            ec2roledelivery: STRING,
            webidfederationdata: STRUCT<
                federatedprovider: STRING,
                attributes: MAP<STRING,STRING>>
        >
    >,
    eventtime STRING,
    eventsource STRING,
    eventname STRING,
    awsregion STRING,
    sourceipaddress STRING,
    useragent STRING,
    errorcode STRING,
    errormessage STRING,
    requestparameters STRING,
    responseelements STRING,
    additionaleventdata STRING,
    requestid STRING,
    eventid STRING,
    readonly STRING,
    resources ARRAY<STRUCT<
        arn: STRING,
        accountid: STRING,
        type: STRING>>,
    eventtype STRING,
    apiversion STRING,
    recipientaccountid STRING,
    serviceeventdetails STRING,
    sharedeventid STRING,
    vpcendpointid STRING,
    vpcendpointaccountid STRING,
    eventcategory STRING,
    addendum STRUCT<
        reason: STRING,
        updatedfields: STRING,
        originalrequestid: STRING,
        originaleventid: STRING>,
    sessioncredentialfromconsole STRING,
    edgedevicedetails STRING,
    tlsdetails STRUCT<
        tlsversion: STRING,
        ciphersuite: STRING,
        clientprovidedhostheader: STRING>
)
PARTITIONED BY (
    \`account\` STRING,
    \`region\` STRING,
    \`timestamp\` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${root}'
TBLPROPERTIES (
    'projection.enabled'='true',
    'projection.account.type'='enum',
    'projection.account.values'='${accounts}',
    'projection.region.type'='enum',
    'projection.region.values'='${regions}',
    'projection.timestamp.type'='date',
    'projection.timestamp.format'='yyyy/MM/dd',
    'projection.timestamp.interval'='1',
    'projection.timestamp.interval.unit'='DAYS',
    'projection.timestamp.range'='${spec.start ?? '2013/11/01'},NOW',
    'storage.location.template'='${root}\${account}/CloudTrail/\${region}/\${timestamp}'
);`;
}
