// Reading CloudTrail records defensively for the checks. Records are verbatim
// JSON from many sources (real trails, anonymised Stratus logs, Panther test
// events), so every accessor tolerates missing or oddly typed fields.
import type { AnalysisEvent, Artefact } from '../../../shared/analysis/findings.ts';
import { parseIp } from '../../../shared/ip.ts';
import { isoUtcSeconds } from '../../../shared/time.ts';

export type Rec = Record<string, any>;

export function obj(v: unknown): Rec | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null;
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v === '' ? null : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

/** A value or list of values as a list (CloudTrail and policies use both shapes). */
export function list(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/** true / "true" (any case) -> true; false / "false" -> false; else null. */
export function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return null;
}

export function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim())) return Number(v.trim());
  return null;
}

export const req = (e: AnalysisEvent): Rec => obj(e.record.requestParameters) ?? {};
export const resp = (e: AnalysisEvent): Rec => obj(e.record.responseElements) ?? {};
export const extra = (e: AnalysisEvent): Rec => obj(e.record.additionalEventData) ?? {};
export const identity = (e: AnalysisEvent): Rec => obj(e.record.userIdentity) ?? {};

/**
 * The API name without the API-version suffix some services log
 * (Lambda: "UpdateFunctionCode20150331v2", "AddPermission20150331").
 */
export function baseEventName(name: string | null | undefined): string {
  if (!name) return '';
  return name.replace(/20\d{6}(v\d+)?$/, '');
}

export const eventName = (e: AnalysisEvent): string => baseEventName(e.n.eventName);

/** Is this event `source`:`name` (one of names)? */
export function is(e: AnalysisEvent, source: string | string[], ...names: string[]): boolean {
  const sources = Array.isArray(source) ? source : [source];
  if (!e.n.eventSource || !sources.includes(e.n.eventSource)) return false;
  return names.length === 0 || names.includes(eventName(e));
}

/**
 * Did the call fail? CloudTrail marks API errors with errorCode; sign-in
 * events instead say "Failure" in responseElements (ConsoleLogin,
 * PasswordUpdated, ExternalIdPDirectoryLogin, ...).
 */
export function failed(e: AnalysisEvent): boolean {
  if (e.n.errorCode) return true;
  const r = obj(e.record.responseElements);
  if (r) {
    for (const v of Object.values(r)) if (v === 'Failure') return true;
  }
  return false;
}

export function failureText(e: AnalysisEvent): string {
  return e.n.errorCode ? `failed with ${e.n.errorCode}` : 'failed';
}

/** Human-readable principal for explanations. */
export function actorLabel(e: AnalysisEvent): string {
  return e.n.principalArn
    ?? (e.n.identityType && e.n.principalId ? `${e.n.identityType} ${e.n.principalId}` : null)
    ?? (e.n.accessKeyId ? `access key ${e.n.accessKeyId}` : null)
    ?? (e.n.identityType ? `(${e.n.identityType} principal, no ARN)` : '(unidentified principal)');
}

/** Stable key to group a principal's activity (the ARN names a role session, which is what acted). */
export function actorKey(e: AnalysisEvent): string {
  return e.n.principalArn ?? e.n.principalId ?? e.n.accessKeyId ?? `${e.n.identityType ?? 'unknown'}@${e.n.sourceIPAddress ?? '?'}`;
}

/**
 * The name the caller is known by, to compare with a target user name:
 * IAM user name, the role session name of an assumed role (sessions named
 * after people, e.g. "assumed-role/IAM/alice"), "root", or the federated name.
 */
export function callerName(e: AnalysisEvent): string | null {
  const t = e.n.identityType;
  const arn = e.n.principalArn ?? '';
  if (t === 'Root') return 'root';
  if (t === 'IAMUser') return e.n.userName ?? (arn.split(':user/')[1]?.split('/').pop() ?? null);
  if (t === 'AssumedRole') {
    const parts = arn.split(':assumed-role/')[1]?.split('/');
    if (parts && parts.length >= 2) return parts[parts.length - 1];
    const pid = e.n.principalId ?? '';
    return pid.includes(':') ? pid.slice(pid.indexOf(':') + 1) : null;
  }
  if (t === 'FederatedUser') return arn.split(':federated-user/')[1] ?? null;
  return e.n.userName;
}

/** The caller's own account (userIdentity.accountId), which differs from recipientAccountId for cross-account calls. */
export function callerAccount(e: AnalysisEvent): string | null {
  return str(identity(e).accountId) ?? accountOfArn(e.n.principalArn);
}

/** Set by an AWS service acting on the principal's behalf (e.g. "cloudformation.amazonaws.com"). */
export function invokedBy(e: AnalysisEvent): string | null {
  return str(identity(e).invokedBy);
}

/**
 * Calls made by AWS itself rather than by a customer principal: service
 * events, AWSService identities and service-linked roles (AWSServiceRoleFor*).
 */
export function isAwsInternal(e: AnalysisEvent): boolean {
  if (e.record.eventType === 'AwsServiceEvent') return true;
  if (e.n.identityType === 'AWSService') return true;
  const arn = `${e.n.principalArn ?? ''} ${e.n.sessionIssuerArn ?? ''}`;
  return /\/aws-service-role\/|:assumed-role\/AWSServiceRoleFor|:role\/AWSServiceRoleFor/.test(arn);
}

export function accountOfArn(arn: string | null | undefined): string | null {
  if (!arn) return null;
  const m = /^arn:[^:]*:[^:]*:[^:]*:(\d{12}):/.exec(arn);
  return m ? m[1] : null;
}

/** Account id named by a policy principal or share target: "123456789012", "arn:aws:iam::123456789012:root", any ARN with an account field. */
export function accountOf(value: string): string | null {
  const v = value.trim();
  if (/^\d{12}$/.test(v)) return v;
  return accountOfArn(v);
}

/** Outside the investigated estate? With no known own accounts every explicit account counts as outside. */
export function isOutsideAccount(own: ReadonlySet<string>, account: string): boolean {
  return own.size === 0 || !own.has(account);
}

/** Resource name from an ARN or a plain name ("arn:aws:iam::1:role/path/x" -> "x"). */
export function nameOf(v: string): string {
  const s = v.trim();
  if (!s.startsWith('arn:')) return s;
  const rest = s.split(':').slice(5).join(':');
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) return rest.slice(slash + 1);
  const colon = rest.lastIndexOf(':');
  return colon >= 0 ? rest.slice(colon + 1) : rest;
}

/** Source address that is an AWS service name rather than an IP ("lambda.amazonaws.com", "AWS Internal"). */
export function isAwsServiceSource(ip: string | null): boolean {
  if (!ip) return false;
  return /\.amazonaws\.com$/i.test(ip) || /^AWS Internal$/i.test(ip);
}

/**
 * Is the source a public IP address? Private (RFC 1918), loopback,
 * link-local, shared CGNAT (100.64/10) and IPv6 ULA/link-local are not.
 * Non-addresses (service names) are not.
 */
export function isPublicIp(ip: string | null): boolean {
  if (!ip) return false;
  const p = parseIp(ip);
  if (!p) return false;
  if (p.version === 4) {
    const v = p.value as number;
    const a = v >>> 24, b = (v >>> 16) & 255;
    if (a === 10 || a === 127 || a === 0) return false;
    if (a === 172 && b >= 16 && b <= 31) return false;
    if (a === 192 && b === 168) return false;
    if (a === 169 && b === 254) return false;
    if (a === 100 && b >= 64 && b <= 127) return false;
    if (a >= 224) return false;
    return true;
  }
  const h = p.value as string;
  if (/^0{31}[01]$/.test(h)) return false; // :: and ::1
  const first = parseInt(h.slice(0, 4), 16);
  if ((first & 0xfe00) === 0xfc00) return false; // fc00::/7
  if ((first & 0xffc0) === 0xfe80) return false; // fe80::/10
  if (h.startsWith('00000000000000000000ffff')) {
    const v = parseInt(h.slice(24), 16); // IPv4-mapped: judge the embedded IPv4 address
    return isPublicIp([v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.'));
  }
  return true;
}

export function when(e: AnalysisEvent): string {
  return e.timeMs === null ? '(time unknown)' : isoUtcSeconds(e.timeMs);
}

/** "at <time> <actor> (from <ip>)" — the common opening of explanations. */
export function whoWhen(e: AnalysisEvent): string {
  const ip = e.n.sourceIPAddress ? ` from ${e.n.sourceIPAddress}` : '';
  const via = invokedBy(e) ? ` via ${invokedBy(e)}` : '';
  return `At ${when(e)} ${actorLabel(e)}${ip}${via}`;
}

export function apiOf(e: AnalysisEvent): string {
  const svc = (e.n.eventSource ?? '').replace(/\.amazonaws\.com$/, '');
  return `${svc}:${eventName(e)}`;
}

export { formatBytes as fmtBytes } from '../../../shared/bytes.ts';

export function plural(n: number, word: string, pluralWord = `${word}s`): string {
  return `${n} ${n === 1 ? word : pluralWord}`;
}

/** Artefacts for the acting principal (ARN, access key, source IP): examiners pivot on these. */
export function actorArtefacts(e: AnalysisEvent): Artefact[] {
  const out: Artefact[] = [];
  if (e.n.principalArn) out.push({ type: e.n.identityType === 'AssumedRole' ? 'role-session' : 'principal', value: e.n.principalArn });
  if (e.n.accessKeyId) out.push({ type: 'access-key', value: e.n.accessKeyId });
  if (e.n.sourceIPAddress && !isAwsServiceSource(e.n.sourceIPAddress)) out.push({ type: 'ip', value: e.n.sourceIPAddress });
  return out;
}

/** Remove duplicate artefacts, keeping first occurrence order. */
export function uniqArtefacts(list: Artefact[]): Artefact[] {
  const seen = new Set<string>();
  const out: Artefact[] = [];
  for (const a of list) {
    const k = `${a.type}\u0000${a.value}`;
    if (!seen.has(k)) { seen.add(k); out.push(a); }
  }
  return out;
}

export function uniq<T>(xs: Iterable<T>): T[] {
  return [...new Set(xs)];
}

/**
 * Group events by key, then split each group into clusters where consecutive
 * events are at most gapMs apart (events with no time join the group's first
 * cluster). Input must be in time order; clusters keep that order.
 */
export function clusters(events: AnalysisEvent[], keyFn: (e: AnalysisEvent) => string | null, gapMs: number): AnalysisEvent[][] {
  const byKey = new Map<string, AnalysisEvent[][]>();
  for (const e of events) {
    const k = keyFn(e);
    if (k === null) continue;
    let groups = byKey.get(k);
    if (!groups) { groups = []; byKey.set(k, groups); }
    const cur = groups[groups.length - 1];
    const lastTime = cur ? lastTimed(cur) : null;
    if (!cur || (e.timeMs !== null && lastTime !== null && e.timeMs - lastTime > gapMs)) groups.push([e]);
    else cur.push(e);
  }
  return [...byKey.values()].flat();
}

function lastTimed(events: AnalysisEvent[]): number | null {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].timeMs !== null) return events[i].timeMs;
  return null;
}

export function ids(events: AnalysisEvent[]): string[] {
  return events.map((e) => e.eventId);
}

export function span(events: AnalysisEvent[]): string {
  const t = events.map((e) => e.timeMs).filter((x): x is number => x !== null);
  if (t.length === 0) return '(times unknown)';
  const a = isoUtcSeconds(Math.min(...t));
  const b = isoUtcSeconds(Math.max(...t));
  return a === b ? a : `${a} to ${b}`;
}

/** Join the non-empty parts with single spaces (titles with optional ids). */
export function words(...parts: (string | null | undefined)[]): string {
  return parts.filter((p) => p !== null && p !== undefined && p !== '').join(' ');
}

/** "at T" for one time, "between A and B" for a span, for explanations. */
export function during(events: AnalysisEvent[]): string {
  const t = events.map((e) => e.timeMs).filter((x): x is number => x !== null);
  if (t.length === 0) return 'at an unrecorded time';
  const a = isoUtcSeconds(Math.min(...t));
  const b = isoUtcSeconds(Math.max(...t));
  return a === b ? `at ${a}` : `between ${a} and ${b}`;
}

const NO_RECORD: Rec = Object.freeze({});

/**
 * A copy of an event for a streaming check to keep after add() returns (issue
 * 15): without its record (read what is needed from it first), its normalised
 * strings shared through `pool` (bounded by distinct values: principals, keys,
 * addresses), so a kept event costs a few hundred bytes, not its record.
 */
export function lightCopy(e: AnalysisEvent, pool: Map<string, string>): AnalysisEvent {
  const n: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.n)) {
    if (typeof v !== 'string' || k === 'eventId' || k === 'requestId') n[k] = v;
    else {
      let s = pool.get(v);
      if (s === undefined) pool.set(v, (s = v));
      n[k] = s;
    }
  }
  return { leaf: e.leaf, eventId: e.eventId, timeMs: e.timeMs, record: NO_RECORD, n: n as unknown as AnalysisEvent['n'] };
}
