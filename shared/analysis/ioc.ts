// Indicators of compromise (docs/analysis.md): the types a
// case's IOC list holds, how a value is validated and written canonically
// (so "075.050.255.67" and "75.50.255.67" are one indicator), and how a bare
// value's type is inferred for plain-text import. Pure: used by the back end,
// the CLI and the UI's forms.
import { parseCidr, parseIp } from '../ip.ts';

export const IOC_TYPES = ['ip', 'user-agent', 'access-key', 'principal', 'role', 'event-name', 'region', 'account', 'bucket'] as const;
export type IocType = (typeof IOC_TYPES)[number];

export function isIocType(s: string): s is IocType {
  return (IOC_TYPES as readonly string[]).includes(s);
}

/** What each type matches (shown in the UI and `trailcase ioc --help`). */
export const IOC_TYPE_DOC: Record<IocType, string> = {
  ip: 'sourceIPAddress equal to an IPv4/IPv6 address or inside a CIDR',
  'user-agent': 'userAgent containing this text (case-insensitive)',
  'access-key': 'userIdentity.accessKeyId (AKIA… long-term, ASIA… temporary)',
  principal: 'userIdentity ARN, user name or role session issuer: exact, or an ARN ending in /NAME',
  role: 'activity of sessions of this IAM role (sessionIssuer ARN ending in role/NAME)',
  'event-name': 'eventName, exactly',
  region: 'awsRegion, exactly',
  account: 'recipientAccountId, or a caller ARN in this account',
  bucket: 'requestParameters.bucketName (or an S3 bucket in resources)',
};

/** One indicator in its current state (the latest ioc_history row for its type and value). */
export interface Ioc {
  type: IocType;
  value: string;
  enabled: boolean;
  label: string | null;
  source: string | null;
  /** When it was first added (ISO UTC) and by whom. */
  addedAt: string;
  addedBy: string;
  /** When its state last changed. */
  updatedAt: string;
}

export interface IocInput {
  type?: IocType;
  value: string;
  label?: string | null;
  source?: string | null;
  enabled?: boolean;
}

export type NormalizedIoc = { ok: true; type: IocType; value: string } | { ok: false; reason: string };

const ACCESS_KEY_RE = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;
// IAM names: user, role ([\w+=,.@-]), up to 64 (users) / 64 (roles).
const IAM_NAME_RE = /^[\w+=,.@-]{1,128}$/;
const ARN_RE = /^arn:[a-z0-9-]+:[a-z0-9-]*:[a-z0-9-]*:\d{0,12}:.+$/;
const REGION_RE = /^[a-z0-9]+(-[a-z0-9]+)+$/;
const REAL_REGION_RE = /^(us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov|us-iso|us-isob)-[a-z]+-\d+$/;
const EVENT_NAME_RE = /^[A-Za-z][A-Za-z0-9_]{1,127}$/;
const BUCKET_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$/;

/** RFC 5952 text of a 32-hex-digit IPv6 value (lower case, longest zero run compressed). */
export function compressIpv6(hex: string): string {
  const groups = hex.match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function v4Text(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** Canonical text of an address or CIDR, or null when it is neither. CIDRs are written as their network. */
export function canonicalIp(s: string): string | null {
  const t = s.trim();
  if (t.includes('/')) {
    const c = parseCidr(t);
    if (!c) return null;
    const bits = t.slice(t.indexOf('/') + 1);
    return c.version === 4 ? `${v4Text(c.low as number)}/${Number(bits)}` : `${compressIpv6(c.low as string)}/${Number(bits)}`;
  }
  const p = parseIp(t);
  if (!p) return null;
  return p.version === 4 ? p.canonical : compressIpv6(p.value as string);
}

/** The role name of a role ARN ("arn:aws:iam::1:role/path/name" -> "name"); other text unchanged. */
export function roleNameOf(v: string): string {
  const m = /^arn:[^:]*:iam::\d*:role\/(?:.*\/)?([^/]+)$/.exec(v);
  return m ? m[1] : v;
}

/** Validate a value for a type and write it canonically. */
export function normalizeIoc(type: IocType, raw: string): NormalizedIoc {
  const v = typeof raw === 'string' ? raw.trim() : '';
  if (!v) return { ok: false, reason: 'empty value' };
  if (v.length > 2048) return { ok: false, reason: 'value longer than 2048 characters' };
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (/[\u0000-\u001f]/.test(v)) return { ok: false, reason: 'value contains control characters' };
  switch (type) {
    case 'ip': {
      const c = canonicalIp(v);
      return c ? { ok: true, type, value: c } : { ok: false, reason: `${JSON.stringify(v)} is not an IPv4/IPv6 address or CIDR` };
    }
    case 'user-agent':
      return { ok: true, type, value: v };
    case 'access-key': {
      const k = v.toUpperCase();
      return ACCESS_KEY_RE.test(k)
        ? { ok: true, type, value: k }
        : { ok: false, reason: `${JSON.stringify(v)} is not an access key id (AKIA… or ASIA… followed by at least 12 letters/digits)` };
    }
    case 'principal':
      return ARN_RE.test(v) || IAM_NAME_RE.test(v)
        ? { ok: true, type, value: v }
        : { ok: false, reason: `${JSON.stringify(v)} is neither an ARN nor an IAM user/role name` };
    case 'role': {
      const name = roleNameOf(v);
      return IAM_NAME_RE.test(name) ? { ok: true, type, value: name } : { ok: false, reason: `${JSON.stringify(v)} is not a role name or role ARN` };
    }
    case 'event-name':
      return EVENT_NAME_RE.test(v) ? { ok: true, type, value: v } : { ok: false, reason: `${JSON.stringify(v)} is not an API event name` };
    case 'region':
      // Real regions look like us-east-1; anonymised data sets use made-up ones, so any lower-case dashed word is accepted.
      return REGION_RE.test(v) ? { ok: true, type, value: v } : { ok: false, reason: `${JSON.stringify(v)} is not a region name` };
    case 'account':
      return /^\d{12}$/.test(v) ? { ok: true, type, value: v } : { ok: false, reason: `${JSON.stringify(v)} is not a 12-digit AWS account id` };
    case 'bucket': {
      const b = v.startsWith('arn:aws:s3:::') ? v.slice('arn:aws:s3:::'.length).split('/')[0] : v.replace(/^s3:\/\//, '').split('/')[0];
      return BUCKET_RE.test(b) ? { ok: true, type, value: b } : { ok: false, reason: `${JSON.stringify(v)} is not an S3 bucket name` };
    }
  }
}

/**
 * Guess the type of a bare value (plain-text import). Order matters and is
 * documented: 12 digits -> account; AKIA/ASIA -> access-key; an address or
 * CIDR -> ip; an ARN -> principal (a role ARN -> role); a real region name ->
 * region; CamelCase word -> event-name; text with '/' or a space -> user-agent;
 * any other IAM-name-like word -> principal (user name). Buckets and roles
 * given by name cannot be told from user names: write them "bucket:NAME",
 * "role:NAME".
 */
export function inferIocType(raw: string): IocType | null {
  const v = raw.trim();
  if (!v) return null;
  if (/^\d{12}$/.test(v)) return 'account';
  if (ACCESS_KEY_RE.test(v)) return 'access-key';
  if ((/^[\d.]+(\/\d+)?$/.test(v) || (v.includes(':') && /^[0-9a-fA-F:.]+(\/\d+)?$/.test(v))) && canonicalIp(v)) return 'ip';
  if (v.startsWith('arn:')) {
    if (/^arn:aws:s3:::/.test(v)) return 'bucket';
    return /^arn:[^:]*:iam::\d*:role\//.test(v) ? 'role' : 'principal';
  }
  if (v.startsWith('s3://')) return 'bucket';
  if (REAL_REGION_RE.test(v)) return 'region';
  if (/^[A-Z][a-z]+[A-Z][A-Za-z0-9]*$/.test(v)) return 'event-name';
  if (/[/ ()]/.test(v)) return 'user-agent';
  if (IAM_NAME_RE.test(v)) return 'principal';
  return null;
}

/**
 * Parse "TYPE:VALUE" (explicit type) or a bare value (type inferred). Only
 * the known type names count as a prefix, so ARNs ("arn:…") and IPv6
 * addresses ("2001:db8::1") are bare values.
 */
export function parseIocText(line: string): NormalizedIoc {
  const t = line.trim();
  const colon = t.indexOf(':');
  if (colon > 0) {
    const prefix = t.slice(0, colon).toLowerCase();
    if (isIocType(prefix)) return normalizeIoc(prefix, t.slice(colon + 1));
  }
  const type = inferIocType(t);
  if (!type) return { ok: false, reason: `cannot tell the type of ${JSON.stringify(t.slice(0, 100))}; write it as TYPE:VALUE (${IOC_TYPES.join(', ')})` };
  return normalizeIoc(type, t);
}

export function iocKey(type: string, value: string): string {
  return `${type}\u0000${value}`;
}
