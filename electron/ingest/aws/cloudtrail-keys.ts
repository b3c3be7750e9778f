// CloudTrail's S3 object names: log files and digest files (AWS CloudTrail User
// Guide, "CloudTrail log file name format" and "digest file location").
import type { CloudTrailKeyInfo } from './digest-types.ts';

const KEY_ANCHOR_RE = /AWSLogs\/(?:o-[a-z0-9]{10,32}\/)?\d{12}\/CloudTrail/;
const LOG_KEY_RE =
  /^AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]+\.json(?:\.gz)?$/;
// <acct>_CloudTrail-Digest_<region>_<trail-name>_<home-region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz;
// trail names may contain "_", region names never do, so the home region is the last segment before the time.
const DIGEST_KEY_RE =
  /^AWSLogs\/(?:(o-[a-z0-9]{10,32})\/)?(\d{12})\/CloudTrail-Digest\/([a-z0-9-]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)(_backfill)?\.json(?:\.gz)?$/;

/** The part of an S3 key or local path from "AWSLogs/" on (separators normalised to "/"). */
export function cloudTrailKeyPath(key: string): string {
  const k = key.replace(/\\/g, '/');
  const m = KEY_ANCHOR_RE.exec(k);
  if (m) return k.slice(m.index);
  const i = k.indexOf('AWSLogs/');
  if (i >= 0) return k.slice(i);
  return k.replace(/^(\.\/|\/)+/, '');
}

function compactTimeMs(s: string): number {
  // YYYYMMDDTHHMM[SS]Z
  const y = Number(s.slice(0, 4));
  const mo = Number(s.slice(4, 6));
  const d = Number(s.slice(6, 8));
  const h = Number(s.slice(9, 11));
  const mi = Number(s.slice(11, 13));
  const sec = s.length >= 16 ? Number(s.slice(13, 15)) : 0;
  return Date.UTC(y, mo - 1, d, h, mi, sec);
}

/** Recognise CloudTrail log and digest object names (docs: digest file location; log file name format). */
export function parseCloudTrailKey(key: string): CloudTrailKeyInfo | null {
  const norm = key.replace(/\\/g, '/');
  const path = cloudTrailKeyPath(norm);
  const prefix = norm.slice(0, norm.length - path.length);
  let m = LOG_KEY_RE.exec(path);
  if (m) {
    if (m[7] !== m[2] || m[8] !== m[3]) return null;
    return {
      kind: 'log',
      path,
      prefix,
      orgId: m[1] ?? null,
      account: m[2],
      region: m[3],
      timeMs: compactTimeMs(m[9]),
      trailName: null,
      homeRegion: null,
      backfill: false,
    };
  }
  m = DIGEST_KEY_RE.exec(path);
  if (m) {
    if (m[7] !== m[2] || m[8] !== m[3]) return null;
    return {
      kind: 'digest',
      path,
      prefix,
      orgId: m[1] ?? null,
      account: m[2],
      region: m[3],
      timeMs: compactTimeMs(m[11]),
      trailName: m[9],
      homeRegion: m[10],
      backfill: m[12] !== undefined,
    };
  }
  return null;
}
