// Normalisation of one CloudTrail record into the fields examiners filter on.
// Pure: used at import, by verify (which re-derives every stored column and
// compares), and by analysis. Values are taken as they are in the record; an
// odd-but-real value (a fake region, a zero-padded IP) is kept verbatim.
import { parseTime } from './time.ts';

export interface NormalizedEvent {
  eventId: string | null;
  timeMs: number | null;
  /** Where the time came from when eventTime was missing (e.g. "@timestamp"). */
  timeSource: 'eventTime' | '@timestamp' | null;
  eventName: string | null;
  eventSource: string | null;
  awsRegion: string | null;
  sourceIPAddress: string | null;
  userAgent: string | null;
  identityType: string | null;
  principalArn: string | null;
  userName: string | null;
  principalId: string | null;
  accessKeyId: string | null;
  sessionIssuerArn: string | null;
  recipientAccountId: string | null;
  errorCode: string | null;
  readOnly: boolean | null;
  eventCategory: string | null;
  requestId: string | null;
}

/** Problems found while normalising; they become import warnings, never silent loss. */
export interface NormalizeIssue {
  code: string;
  message: string;
}

function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function obj(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

const STRING_FIELDS = [
  'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'recipientAccountId', 'errorCode', 'eventCategory', 'requestID', 'eventID',
] as const;

export function normalizeRecord(rec: unknown, issues?: NormalizeIssue[]): NormalizedEvent | null {
  const r = obj(rec);
  if (!r) {
    issues?.push({ code: 'not-an-object', message: 'record is not a JSON object' });
    return null;
  }
  for (const f of STRING_FIELDS) {
    const v = r[f];
    if (v !== undefined && v !== null && typeof v !== 'string') {
      issues?.push({ code: 'wrong-type', message: `${f} is ${Array.isArray(v) ? 'an array' : typeof v}, expected a string` });
    }
  }
  const ui = obj(r.userIdentity);
  if (r.userIdentity !== undefined && r.userIdentity !== null && !ui) {
    issues?.push({ code: 'wrong-type', message: 'userIdentity is not an object' });
  }
  const sc = obj(ui?.sessionContext);
  const issuer = obj(sc?.sessionIssuer);

  let timeMs: number | null = null;
  let timeSource: NormalizedEvent['timeSource'] = null;
  if (r.eventTime !== undefined) {
    timeMs = typeof r.eventTime === 'string' ? parseTime(r.eventTime) : null;
    if (timeMs === null) issues?.push({ code: 'bad-event-time', message: `eventTime ${JSON.stringify(r.eventTime).slice(0, 80)} is not a time` });
    else timeSource = 'eventTime';
  }
  if (timeMs === null && typeof r['@timestamp'] === 'string') {
    timeMs = parseTime(r['@timestamp']);
    if (timeMs !== null) {
      timeSource = '@timestamp';
      issues?.push({ code: 'time-from-timestamp', message: 'no eventTime; time taken from @timestamp (added by the exporting pipeline, not by CloudTrail)' });
    }
  }
  if (timeMs === null && r.eventTime === undefined) issues?.push({ code: 'no-event-time', message: 'record has no eventTime' });

  const eventId = str(r.eventID);
  if (eventId === null) issues?.push({ code: 'no-event-id', message: 'record has no eventID; identified by its hash instead' });

  let readOnly: boolean | null = null;
  if (typeof r.readOnly === 'boolean') readOnly = r.readOnly;
  else if (r.readOnly === 'true' || r.readOnly === 'false') readOnly = r.readOnly === 'true';

  return {
    eventId,
    timeMs,
    timeSource,
    eventName: str(r.eventName),
    eventSource: str(r.eventSource),
    awsRegion: str(r.awsRegion),
    sourceIPAddress: str(r.sourceIPAddress),
    userAgent: str(r.userAgent),
    identityType: str(ui?.type),
    principalArn: str(ui?.arn),
    userName: str(ui?.userName) ?? str(obj(ui?.onBehalfOf)?.userId) ?? null,
    principalId: str(ui?.principalId),
    accessKeyId: str(ui?.accessKeyId),
    sessionIssuerArn: str(issuer?.arn),
    recipientAccountId: str(r.recipientAccountId) ?? str(ui?.accountId),
    errorCode: str(r.errorCode),
    readOnly,
    eventCategory: str(r.eventCategory),
    requestId: str(r.requestID),
  };
}

/** Does this parsed JSON value look like a CloudTrail record at all? Used to warn on foreign JSON. */
export function looksLikeCloudTrail(rec: unknown): boolean {
  const r = obj(rec);
  if (!r) return false;
  return 'eventName' in r && ('eventSource' in r || 'eventVersion' in r);
}
