// Time handling shared by the back end and the UI. Everything TrailCase stores
// or shows is UTC; epoch milliseconds inside, ISO-8601 with a trailing Z outside.

/** Parse a user- or record-supplied time into epoch ms (UTC), or null when it is not a time. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // CloudTrail Lake and some exports use epoch seconds; ms otherwise.
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value !== 'string') return null;
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
