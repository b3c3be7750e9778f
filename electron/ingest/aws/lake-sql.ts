// CloudTrail Lake query builder (README.md, "Acquisition from AWS"): from the case scope and the IOC
// list (time range, accounts, Regions, principals, access keys, IPs, ...) to
// one SELECT, so that org-scale data is filtered inside AWS and only the
// scoped subset comes down. Pure; every value reaches SQL only through
// sqlString()/sqlLike() (single quotes doubled, LIKE wildcards escaped,
// control characters refused), identifiers only after a strict pattern check;
// test/ingest/aws/lake-sql.test.ts feeds injection attempts through it.
//
// SQL dialect: Lake runs Trino ("CloudTrail Lake supports all valid Trino SQL
// SELECT statements, functions, and operators", CloudTrail User Guide, "Lake
// SQL constraints"); the table is the event data store ID; columns are the
// lower-case CloudTrail record fields ("Supported SQL schemas for event data
// stores"). Lake returns column values as strings and nested fields in its
// own text form, so to "import the rows as events" the query assembles each
// event as one JSON object with CloudTrail's own field names in a column
// named eventjson, which the importer decodes (electron/case/encodings.ts,
// ENC_LAKE_JSON). Fields Lake does not keep as structured values
// (requestParameters, responseElements, additionalEventData: map<string,string>)
// come back as objects of strings: Lake's data, not CloudTrail's original
// record bytes; S3 remains the source of the original bytes.
import { parseCidr, parseIp } from '../../../shared/ip.ts';
import { parseTime } from '../../../shared/time.ts';
import { likeEscape } from '../../case/data/db.ts';

export const LAKE_SQL_UNIT = { name: 'lake-query-builder', version: '1.0.0' } as const;

export class LakeQueryError extends Error {}

export interface LakeIoc {
  type: string;
  value: string;
}

export interface LakeQuerySpec {
  /** Event data store ARN or ID. */
  eventDataStore: string;
  since?: string;
  until?: string;
  accounts?: string[];
  regions?: string[];
  eventNames?: string[];
  /** Indicators: any one matching selects the event (OR); scope conditions above all apply (AND). */
  iocs?: LakeIoc[];
  limit?: number;
}

export interface BuiltLakeQuery {
  sql: string;
  eventDataStoreId: string;
  /** Human-readable list of what the WHERE clause filters on. */
  conditions: string[];
  /** Indicators that cannot be expressed (bad IP, unknown type): reported, not silently dropped. */
  skipped: { ioc: LakeIoc; reason: string }[];
}

const EDS_ID_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;
const EDS_ARN_RE = /^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):eventdatastore\/([A-Za-z0-9][A-Za-z0-9-]{0,127})$/;

/** The ID part of an event data store ARN (what FROM takes), validated. */
export function eventDataStoreId(arnOrId: string): string {
  const s = arnOrId.trim();
  const m = EDS_ARN_RE.exec(s);
  if (m) return m[3];
  if (EDS_ID_RE.test(s)) return s;
  throw new LakeQueryError(`${JSON.stringify(arnOrId.slice(0, 200))} is not an event data store ARN or ID`);
}

/** Region of an event data store ARN, or null for a bare ID. */
export function eventDataStoreRegion(arnOrId: string): string | null {
  return EDS_ARN_RE.exec(arnOrId.trim())?.[1] ?? null;
}

/** A SQL string literal: single quotes doubled; control characters (NUL, line breaks...) refused. */
export function sqlString(v: string): string {
  if (typeof v !== 'string') throw new LakeQueryError('SQL value is not a string');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw new LakeQueryError(`value ${JSON.stringify(v.slice(0, 80))} contains a control character`);
  return `'${v.replace(/'/g, "''")}'`;
}

/** A LIKE pattern matching `v` as a substring, with % _ and the escape character escaped. */
export function sqlLikeContains(v: string): string {
  return `${sqlString(`%${likeEscape(v)}%`)} ESCAPE '\\'`;
}

function inList(column: string, values: string[]): string {
  const uniq = [...new Set(values)];
  return uniq.length === 1 ? `${column} = ${sqlString(uniq[0])}` : `${column} IN (${uniq.map(sqlString).join(', ')})`;
}

function lakeTime(v: string, what: string): string {
  const ms = parseTime(v);
  if (ms === null) throw new LakeQueryError(`${what} ${JSON.stringify(v.slice(0, 80))} is not a time`);
  // Lake compares eventTime with 'YYYY-MM-DD HH:MM:SS' literals (User Guide sample queries).
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

const j = (expr: string) => `CAST(${expr} AS JSON)`;
const jmap = (pairs: [string, string][]) => `CAST(MAP(ARRAY[${pairs.map(([k]) => sqlString(k)).join(', ')}], ARRAY[${pairs.map(([, v]) => v).join(', ')}]) AS JSON)`;

/** One CloudTrail record per row, as JSON text with CloudTrail's field names (column eventjson). */
export const EVENT_JSON_EXPRESSION = `json_format(${jmap([
  ['eventVersion', j('eventversion')],
  [
    'userIdentity',
    jmap([
      ['type', j('useridentity.type')],
      ['principalId', j('useridentity.principalid')],
      ['arn', j('useridentity.arn')],
      ['accountId', j('useridentity.accountid')],
      ['accessKeyId', j('useridentity.accesskeyid')],
      ['userName', j('useridentity.username')],
      ['invokedBy', j('useridentity.invokedby')],
      ['identityProvider', j('useridentity.identityprovider')],
      [
        'sessionContext',
        jmap([
          [
            'sessionIssuer',
            jmap([
              ['type', j('useridentity.sessioncontext.sessionissuer.type')],
              ['principalId', j('useridentity.sessioncontext.sessionissuer.principalid')],
              ['arn', j('useridentity.sessioncontext.sessionissuer.arn')],
              ['accountId', j('useridentity.sessioncontext.sessionissuer.accountid')],
              ['userName', j('useridentity.sessioncontext.sessionissuer.username')],
            ]),
          ],
          [
            'attributes',
            jmap([
              ['creationDate', j(`date_format(useridentity.sessioncontext.attributes.creationdate, '%Y-%m-%dT%H:%i:%sZ')`)],
              ['mfaAuthenticated', j('useridentity.sessioncontext.attributes.mfaauthenticated')],
            ]),
          ],
          ['sourceIdentity', j('useridentity.sessioncontext.sourceidentity')],
        ]),
      ],
    ]),
  ],
  ['eventTime', j(`date_format(eventtime, '%Y-%m-%dT%H:%i:%sZ')`)],
  ['eventSource', j('eventsource')],
  ['eventName', j('eventname')],
  ['awsRegion', j('awsregion')],
  ['sourceIPAddress', j('sourceipaddress')],
  ['userAgent', j('useragent')],
  ['errorCode', j('errorcode')],
  ['errorMessage', j('errormessage')],
  ['requestParameters', j('requestparameters')],
  ['responseElements', j('responseelements')],
  ['additionalEventData', j('additionaleventdata')],
  ['requestID', j('requestid')],
  ['eventID', j('eventid')],
  ['readOnly', j('readonly')],
  ['resources', j('resources')],
  ['eventType', j('eventtype')],
  ['apiVersion', j('apiversion')],
  ['managementEvent', j('managementevent')],
  ['recipientAccountId', j('recipientaccountid')],
  ['sharedEventID', j('sharedeventid')],
  ['vpcEndpointId', j('vpcendpointid')],
  ['eventCategory', j('eventcategory')],
  ['sessionCredentialFromConsole', j('sessioncredentialfromconsole')],
])})`;

/** The condition one indicator adds (OR-ed with the others), or a reason it cannot be used. */
export function iocCondition(ioc: LakeIoc): { sql: string; label: string } | { skip: string } {
  const v = ioc.value.trim();
  if (!v) return { skip: 'empty value' };
  switch (ioc.type) {
    case 'ip': {
      if (v.includes('/')) {
        const c = parseCidr(v);
        if (!c) return { skip: 'not an IP address or CIDR' };
        // Trino's contains(CIDR, IPADDRESS); TRY_CAST leaves service names ("ec2.amazonaws.com") unmatched instead of failing the query.
        return { sql: `contains(${sqlString(v)}, TRY_CAST(sourceipaddress AS IPADDRESS))`, label: `ip in ${v}` };
      }
      const ip = parseIp(v);
      if (!ip) return { skip: 'not an IP address or CIDR' };
      // The address as written and its canonical form (CloudTrail may zero-pad or compress differently).
      const forms = [...new Set([v, ip.canonical])];
      return { sql: inList('sourceipaddress', forms), label: `ip ${v}` };
    }
    case 'access-key':
      if (!/^[A-Z0-9]{16,128}$/.test(v)) return { skip: 'not an access key ID' };
      return { sql: `useridentity.accesskeyid = ${sqlString(v)}`, label: `access key ${v}` };
    case 'principal':
      if (v.startsWith('arn:')) {
        return { sql: `(useridentity.arn = ${sqlString(v)} OR useridentity.sessioncontext.sessionissuer.arn = ${sqlString(v)})`, label: `principal ${v}` };
      }
      return { sql: `(useridentity.username = ${sqlString(v)} OR useridentity.sessioncontext.sessionissuer.username = ${sqlString(v)})`, label: `principal ${v}` };
    case 'role':
      return { sql: `useridentity.sessioncontext.sessionissuer.username = ${sqlString(v)}`, label: `role ${v}` };
    case 'user-agent':
      return { sql: `useragent LIKE ${sqlLikeContains(v)}`, label: `user agent contains ${v}` };
    case 'event-name':
      return { sql: `eventname = ${sqlString(v)}`, label: `event ${v}` };
    case 'region':
      return { sql: `awsregion = ${sqlString(v)}`, label: `region ${v}` };
    case 'account':
      if (!/^\d{12}$/.test(v)) return { skip: 'not a 12-digit account ID' };
      return { sql: `(recipientaccountid = ${sqlString(v)} OR useridentity.accountid = ${sqlString(v)})`, label: `account ${v}` };
    case 'bucket':
      return { sql: `element_at(requestparameters, 'bucketName') = ${sqlString(v)}`, label: `bucket ${v}` };
    default:
      return { skip: `indicator type ${ioc.type} is not supported in Lake queries` };
  }
}

export function buildLakeQuery(spec: LakeQuerySpec): BuiltLakeQuery {
  const id = eventDataStoreId(spec.eventDataStore);
  const where: string[] = [];
  const conditions: string[] = [];
  if (spec.since) {
    where.push(`eventtime >= ${sqlString(lakeTime(spec.since, 'since'))}`);
    conditions.push(`since ${spec.since}`);
  }
  if (spec.until) {
    where.push(`eventtime <= ${sqlString(lakeTime(spec.until, 'until'))}`);
    conditions.push(`until ${spec.until}`);
  }
  if (spec.accounts?.length) {
    for (const a of spec.accounts) if (!/^\d{12}$/.test(a)) throw new LakeQueryError(`account ${JSON.stringify(a.slice(0, 40))} is not a 12-digit account ID`);
    where.push(inList('recipientaccountid', spec.accounts));
    conditions.push(`accounts ${spec.accounts.join(', ')}`);
  }
  if (spec.regions?.length) {
    where.push(inList('awsregion', spec.regions));
    conditions.push(`regions ${spec.regions.join(', ')}`);
  }
  if (spec.eventNames?.length) {
    where.push(inList('eventname', spec.eventNames));
    conditions.push(`events ${spec.eventNames.join(', ')}`);
  }
  const skipped: BuiltLakeQuery['skipped'] = [];
  const any: string[] = [];
  for (const ioc of spec.iocs ?? []) {
    const c = iocCondition(ioc);
    if ('skip' in c) skipped.push({ ioc, reason: c.skip });
    else {
      any.push(c.sql);
      conditions.push(c.label);
    }
  }
  if (any.length) where.push(any.length === 1 ? any[0] : `(${any.join('\n    OR ')})`);
  if (spec.limit !== undefined && (!Number.isInteger(spec.limit) || spec.limit < 1)) throw new LakeQueryError('limit must be a positive whole number');
  const sql =
    `SELECT ${EVENT_JSON_EXPRESSION} AS eventjson\nFROM ${id}` +
    (where.length ? `\nWHERE ${where.join('\n  AND ')}` : '') +
    `\nORDER BY eventtime` +
    (spec.limit !== undefined ? `\nLIMIT ${spec.limit}` : '');
  return { sql, eventDataStoreId: id, conditions, skipped };
}
