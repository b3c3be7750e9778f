// Display helpers. Every time TrailCase shows is UTC (docs/architecture.md, "The renderer"), written
// ISO-like with an explicit "Z", whatever the examiner's machine zone is.
import { formatBytes } from '../../shared/bytes.ts';

export function utc(ms: number | string | null | undefined, precision: 'ms' | 's' | 'min' | 'day' = 's'): string {
  if (ms === null || ms === undefined || ms === '') return '—';
  const d = typeof ms === 'number' ? new Date(ms) : new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString(); // always UTC
  if (precision === 'ms') return iso.replace('T', ' ');
  if (precision === 'day') return iso.slice(0, 10);
  if (precision === 'min') return iso.slice(0, 16).replace('T', ' ') + 'Z';
  return iso.slice(0, 19).replace('T', ' ') + 'Z';
}

export function num(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n.toLocaleString('en-US');
}

export function bytes(n: number): string {
  return formatBytes(n, { digits: 'auto' });
}

/** A span of time in words: "3 d 4 h", "12 min", "850 ms". */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(ms)} ms`;
  if (abs < 60_000) return `${(ms / 1000).toFixed(abs < 10_000 ? 1 : 0)} s`;
  if (abs < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  const two = (a: number, ua: string, b: number, ub: string) => (b ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`);
  if (abs < 86_400_000) return two(Math.floor(ms / 3_600_000), 'h', Math.round((ms % 3_600_000) / 60_000), 'min');
  return two(Math.floor(ms / 86_400_000), 'd', Math.round((ms % 86_400_000) / 3_600_000), 'h');
}

/** The readable end of an ARN: "user/alice", "assumed-role/Admin/session" (the full ARN stays in the title). */
export function shortArn(s: string | null | undefined): string {
  if (!s) return '—';
  const m = /^arn:[^:]*:[^:]*:[^:]*:(\d*):(.+)$/.exec(s);
  if (!m) return s;
  return m[1] ? `${m[2]} (${m[1]})` : m[2];
}

export function shortHash(h: string | null | undefined, n = 12): string {
  if (!h) return '—';
  return h.length > n + 1 ? `${h.slice(0, n)}…` : h;
}

/** Parse a UTC time the examiner typed ("2024-08-01", "2024-08-01 12:00", ISO); zone-less input is UTC. */
export function parseUtc(s: string): number | null {
  const t = s.trim();
  if (!t) return null;
  let iso = t;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso = iso.replace(' ', 'T') + 'Z';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}
