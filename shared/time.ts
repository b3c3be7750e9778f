// Time handling shared by the back end and the UI. Everything TrailCase stores
// or shows is UTC; epoch milliseconds inside, ISO-8601 with a trailing Z outside.

/** Parse a user- or record-supplied time into epoch ms (UTC), or null when it is not a time. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // CloudTrail Lake and some exports use epoch seconds; ms otherwise.
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value !== 'string') return null;
  if (value.length === 20) {
    const ms = fastCloudTrailTime(value);
    if (ms !== null) return ms;
  }
  const s = value.trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return parseTime(Number(s));
  // A date without a zone is taken as UTC, never as local time.
  let iso = s;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso = iso.replace(' ', 'T') + 'Z';
  if (!/^\d{4}-\d{2}-\d{2}/.test(iso)) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

const digit = (s: string, i: number): number => {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : NaN;
};

/**
 * CloudTrail's own form, "YYYY-MM-DDTHH:MM:SSZ", read without Date.parse (one
 * of these per event on import). Only unambiguous values (days 1-28, valid
 * clock times) are taken here; anything else goes the general way, so the
 * result is always Date.parse's.
 */
function fastCloudTrailTime(s: string): number | null {
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 90) return null;
  const y = digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3);
  const mo = digit(s, 5) * 10 + digit(s, 6);
  const d = digit(s, 8) * 10 + digit(s, 9);
  const h = digit(s, 11) * 10 + digit(s, 12);
  const mi = digit(s, 14) * 10 + digit(s, 15);
  const se = digit(s, 17) * 10 + digit(s, 18);
  // NaN (a non-digit) fails every comparison below.
  if (!(y >= 1000 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h <= 23 && mi <= 59 && se <= 59)) return null;
  return Date.UTC(y, mo - 1, d, h, mi, se);
}

/** Epoch ms to ISO-8601 UTC with millisecond precision. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch ms to second-precision ISO (CloudTrail's own eventTime style). */
export function isoUtcSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
