// Which S3 prefixes an acquisition needs (README.md, "Acquisition from AWS": "list only the date
// prefixes the scope needs, not the whole bucket"). CloudTrail delivers to
//   <prefix>/AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>
//   <prefix>/AWSLogs/[<org-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<file>
// (CloudTrail User Guide, "Finding your CloudTrail log files" and "CloudTrail
// digest file structure"). The folder date is the delivery date (UTC) and a log
// file's name carries its delivery time, which is never before the events it
// holds; a digest's name carries its digestEndTime. Pure functions, unit-tested.
import { UserError } from '../../errors.ts';

export const S3_SCOPE_UNIT = { name: 's3-scope-planner', version: '1.0.0' } as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Events reach S3 after they happen, usually within minutes but not guaranteed (User Guide); a day of late delivery is taken. */
export const LATE_DELIVERY_MS = DAY_MS;
/** Clock skew allowance between a log file's name time and its events. */
export const NAME_SKEW_MS = 15 * 60_000;

export interface S3Target {
  bucket: string;
  /** Everything before "AWSLogs/", with its trailing "/" (or ""). */
  basePrefix: string;
  /** Narrowing given in the URL itself (s3://b/AWSLogs/o-xxx/123456789012/CloudTrail/us-east-1/). */
  orgId?: string;
  account?: string;
  region?: string;
}

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parse s3://BUCKET[/PREFIX]. */
export function parseS3Url(arg: string): S3Target {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(arg);
  if (!m) throw new UserError(`${arg}: expected s3://BUCKET/PREFIX`);
  const bucket = m[1];
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) throw new UserError(`${arg}: ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  let prefix = m[2] ?? '';
  const i = prefix.indexOf('AWSLogs/') >= 0 ? prefix.indexOf('AWSLogs/') : prefix === 'AWSLogs' || prefix.endsWith('/AWSLogs') ? prefix.lastIndexOf('AWSLogs') : -1;
  const t: S3Target = { bucket, basePrefix: '' };
  if (i >= 0) {
    t.basePrefix = prefix.slice(0, i);
    const rest = prefix.slice(i + 'AWSLogs'.length).replace(/^\//, '').split('/').filter(Boolean);
    let k = 0;
    if (rest[k]?.startsWith('o-')) t.orgId = rest[k++];
    if (rest[k] !== undefined) {
      if (!/^\d{12}$/.test(rest[k])) throw new UserError(`${arg}: ${JSON.stringify(rest[k])} after AWSLogs/ is not an account ID or organization ID`);
      t.account = rest[k++];
    }
    if (rest[k] !== undefined) {
      if (rest[k] !== 'CloudTrail' && rest[k] !== 'CloudTrail-Digest') throw new UserError(`${arg}: expected CloudTrail/ after the account ID`);
      k++;
    }
    if (rest[k] !== undefined) t.region = rest[k++];
  } else {
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    t.basePrefix = prefix;
  }
  return t;
}

export interface TimeRange {
  sinceMs?: number;
  untilMs?: number;
}

/** "YYYY/MM/DD" of an instant (UTC). */
export function dayPath(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Folder days from..to inclusive. */
export function daysBetween(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  const start = Math.floor(fromMs / DAY_MS) * DAY_MS;
  for (let t = start; t <= toMs; t += DAY_MS) out.push(dayPath(t));
  return out;
}

/** Name-time window of log files that can hold events in the range. */
export function logNameWindow(r: TimeRange): { from?: number; to?: number } {
  return {
    from: r.sinceMs !== undefined ? r.sinceMs - NAME_SKEW_MS : undefined,
    to: r.untilMs !== undefined ? r.untilMs + LATE_DELIVERY_MS : undefined,
  };
}

/**
 * Name-time (digestEndTime) window of digests that list those log files, plus
 * the digest before the first one so the chain's first link can be checked.
 */
export function digestNameWindow(r: TimeRange): { from?: number; to?: number } {
  const w = logNameWindow(r);
  return {
    from: w.from !== undefined ? w.from - HOUR_MS : undefined,
    to: w.to !== undefined ? w.to + 2 * HOUR_MS : undefined,
  };
}

export function inWindow(ms: number, w: { from?: number; to?: number }): boolean {
  return (w.from === undefined || ms >= w.from) && (w.to === undefined || ms <= w.to);
}

/** Can anything in this year / month / day folder fall inside the window? (for walking date folders when the range is open) */
export function folderInWindow(parts: number[], w: { from?: number; to?: number }): boolean {
  const [y, mo, d] = parts;
  let start: number;
  let end: number;
  if (d !== undefined) {
    start = Date.UTC(y, mo - 1, d);
    end = start + DAY_MS - 1;
  } else if (mo !== undefined) {
    start = Date.UTC(y, mo - 1, 1);
    end = Date.UTC(y, mo, 1) - 1;
  } else {
    start = Date.UTC(y, 0, 1);
    end = Date.UTC(y + 1, 0, 1) - 1;
  }
  return (w.to === undefined || start <= w.to) && (w.from === undefined || end >= w.from);
}

/** Prefix of one account's CloudTrail or CloudTrail-Digest folder. */
export function accountPrefix(t: Pick<S3Target, 'basePrefix'>, orgId: string | undefined, account: string, kind: 'CloudTrail' | 'CloudTrail-Digest'): string {
  return `${t.basePrefix}AWSLogs/${orgId ? `${orgId}/` : ''}${account}/${kind}/`;
}
