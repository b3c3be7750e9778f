// IOC list import and export: CSV (RFC 4180), plain text (one per line, type
// inferred or written TYPE:VALUE) and STIX 2.1 indicator bundles.
//
// STIX mapping (patterns use the STIX 2.1 patterning language; custom object
// types are prefixed x-aws- where STIX has no standard object):
//   ip          [ipv4-addr:value = '198.51.100.7'] / [ipv6-addr:value = '…'] (CIDRs allowed; ISSUBSET read too)
//   user-agent  [network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE '%text%']
//   access-key  [user-account:user_id = 'AKIA…']
//   principal   [user-account:user_id = 'arn:…'] or [user-account:account_login = 'name']
//   role        [x-aws-iam-role:name = 'name']
//   event-name  [x-aws-cloudtrail-event:event_name = 'StopLogging']
//   region      [x-aws-cloudtrail-event:aws_region = 'eu-west-1']
//   account     [x-aws-account:account_id = '123456789012']
//   bucket      [x-aws-s3-bucket:name = 'bucket'] (import also reads [url:value = 's3://bucket/…'])
// Exported indicators carry x_trailcase_ioc_type and x_trailcase_enabled so a
// round trip is exact. Ids are UUIDv5 over the indicator's type and value
// (and the bundle's over the case id and its indicators), timestamps are the
// times the indicators were added: exporting the same list twice gives the
// same bytes.
import { createHash } from 'node:crypto';
import { inferIocType, IOC_TYPES, isIocType, normalizeIoc, parseIocText, type Ioc, type IocType } from '../../shared/analysis/ioc.ts';
import type { IocFormat, IocImportResult } from '../../shared/analysis/types.ts';
import { csvLine, csvUnneutralise } from '../../shared/text/csv.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { addIocsBulk, listIocs } from './ioc.ts';

export const IOC_FORMATS_UNIT = { name: 'ioc-formats', version: '1.0.0' } as const;

/** Namespace for TrailCase's UUIDv5 STIX ids (a fixed random UUID). */
export const TRAILCASE_STIX_NAMESPACE = '5b1c3f0e-8d0a-4c6e-9a57-2f6d1f3e9b41';

export function uuidV5(name: string, namespace = TRAILCASE_STIX_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export interface ParsedIocs {
  items: { type: IocType; value: string; enabled: boolean; label: string | null; source: string | null }[];
  skipped: { where: string; reason: string }[];
}

// ------------------------------------------------------------------ CSV

/** RFC 4180 rows (quoted fields may hold commas, quotes as "" and newlines). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const s = text.replace(/^\uFEFF/, '');
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += c === '\r' && s[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (quoted) throw new UserError(`CSV: a quoted field is not closed (row ${rows.length + 1})`);
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0].trim() === ''));
}

function parseBool(v: string | undefined, where: string): boolean {
  if (v === undefined || v.trim() === '') return true;
  const t = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'y', 'enabled'].includes(t)) return true;
  if (['false', '0', 'no', 'n', 'disabled'].includes(t)) return false;
  throw new UserError(`${where}: enabled must be true or false, not ${JSON.stringify(v)}`);
}

export function parseIocCsv(text: string): ParsedIocs {
  // Our export neutralises formula-like cells with an apostrophe (shared/text/csv.ts);
  // remove exactly that one again so an export reads back exactly. A foreign
  // file's cell of the same shape was neutralised by the same OWASP rule.
  const rows = parseCsv(text).map((r) => r.map(csvUnneutralise));
  if (!rows.length) return { items: [], skipped: [] };
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const col = (name: string) => header.indexOf(name);
  if (col('value') < 0) throw new UserError('CSV: the first row must be a header with at least a "value" column (and optionally type, enabled, label, source)');
  const problems: string[] = [];
  const items: ParsedIocs['items'] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r];
    const where = `CSV row ${r + 1}`;
    const get = (name: string) => (col(name) >= 0 ? row[col(name)] : undefined);
    const value = get('value') ?? '';
    const typeText = get('type')?.trim().toLowerCase();
    if (typeText && !isIocType(typeText)) {
      problems.push(`${where}: unknown type ${JSON.stringify(typeText)} (types: ${IOC_TYPES.join(', ')})`);
      continue;
    }
    const n = typeText ? normalizeIoc(typeText as IocType, value) : parseIocText(value);
    if (!n.ok) {
      problems.push(`${where}: ${n.reason}`);
      continue;
    }
    try {
      items.push({ type: n.type, value: n.value, enabled: parseBool(get('enabled'), where), label: get('label')?.trim() || null, source: get('source')?.trim() || null });
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length) throw new UserError(`${problems.length} invalid row(s), nothing imported: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? '; …' : ''}`);
  return { items, skipped: [] };
}

export function iocsToCsv(iocs: Ioc[]): string {
  let out = csvLine(['type', 'value', 'enabled', 'label', 'source', 'added_at', 'added_by']);
  for (const i of iocs) out += csvLine([i.type, i.value, String(i.enabled), i.label ?? '', i.source ?? '', i.addedAt, i.addedBy]);
  return out;
}

// ------------------------------------------------------------------ text

export function parseIocText2(text: string): ParsedIocs {
  const problems: string[] = [];
  const items: ParsedIocs['items'] = [];
  text.replace(/^\uFEFF/, '').split(/\r?\n/).forEach((raw, idx) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (!line || line.startsWith('#')) return;
    const n = parseIocText(line);
    if (!n.ok) problems.push(`line ${idx + 1}: ${n.reason}`);
    else items.push({ type: n.type, value: n.value, enabled: true, label: null, source: null });
  });
  if (problems.length) throw new UserError(`${problems.length} invalid line(s), nothing imported: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? '; …' : ''}`);
  return { items, skipped: [] };
}

/** Enabled indicators, one per line; the type is written only where it could not be inferred back. */
export function iocsToText(iocs: Ioc[]): string {
  return iocs
    .filter((i) => i.enabled)
    .map((i) => (inferIocType(i.value) === i.type && !i.value.includes('#') ? i.value : `${i.type}:${i.value}`))
    .join('\n') + (iocs.some((i) => i.enabled) ? '\n' : '');
}

// ------------------------------------------------------------------ STIX 2.1

function stixString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const UA_PATH = "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent'";

export function stixPattern(type: IocType, value: string): string {
  switch (type) {
    case 'ip':
      return `[${value.includes(':') ? 'ipv6-addr' : 'ipv4-addr'}:value = ${stixString(value)}]`;
    case 'user-agent':
      return `[${UA_PATH} LIKE ${stixString(`%${value}%`)}]`;
    case 'access-key':
      return `[user-account:user_id = ${stixString(value)}]`;
    case 'principal':
      return value.startsWith('arn:') ? `[user-account:user_id = ${stixString(value)}]` : `[user-account:account_login = ${stixString(value)}]`;
    case 'role':
      return `[x-aws-iam-role:name = ${stixString(value)}]`;
    case 'event-name':
      return `[x-aws-cloudtrail-event:event_name = ${stixString(value)}]`;
    case 'region':
      return `[x-aws-cloudtrail-event:aws_region = ${stixString(value)}]`;
    case 'account':
      return `[x-aws-account:account_id = ${stixString(value)}]`;
    case 'bucket':
      return `[x-aws-s3-bucket:name = ${stixString(value)}]`;
  }
}

export function indicatorId(type: IocType, value: string): string {
  return `indicator--${uuidV5(`${type}\u0000${value}`)}`;
}

export function iocsToStix(iocs: Ioc[], caseId: string): string {
  const objects = iocs.map((i) => ({
    type: 'indicator',
    spec_version: '2.1',
    id: indicatorId(i.type, i.value),
    created: i.addedAt,
    modified: i.updatedAt,
    name: i.label ?? `${i.type} ${i.value}`,
    description: `TrailCase IOC (${i.type}); added by ${i.addedBy}${i.source ? `; source: ${i.source}` : ''}`,
    indicator_types: ['malicious-activity'],
    pattern: stixPattern(i.type, i.value),
    pattern_type: 'stix',
    pattern_version: '2.1',
    valid_from: i.addedAt,
    x_trailcase_ioc_type: i.type,
    x_trailcase_enabled: i.enabled,
  }));
  const bundle = {
    type: 'bundle',
    id: `bundle--${uuidV5(`${caseId}\n${objects.map((o) => o.id).sort().join('\n')}`)}`,
    objects,
  };
  return JSON.stringify(bundle, null, 2) + '\n';
}

type Comparison = { path: string; op: string; value: string };

/**
 * Parse the supported subset of STIX patterning: one or more observation
 * expressions [ … ] joined by OR, each one or more comparisons joined by OR,
 * with = / LIKE / ISSUBSET and string literals. Anything else (AND,
 * FOLLOWEDBY, qualifiers, MATCHES, NOT, other operators) returns a reason.
 */
export function parseStixPattern(pattern: string): { ok: true; comparisons: Comparison[] } | { ok: false; reason: string } {
  let i = 0;
  const s = pattern;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  const comparisons: Comparison[] = [];
  const readString = (): string | null => {
    if (s[i] !== "'") return null;
    i++;
    let out = '';
    while (i < s.length) {
      const c = s[i];
      if (c === '\\') {
        out += s[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === "'") {
        i++;
        return out;
      }
      out += c;
      i++;
    }
    return null;
  };
  const readPath = (): string | null => {
    const start = i;
    while (i < s.length) {
      if (s[i] === "'") {
        const str = readString();
        if (str === null) return null;
        continue;
      }
      if (/[\s=!<>\]]/.test(s[i])) break;
      i++;
    }
    return i > start ? s.slice(start, i) : null;
  };
  ws();
  for (;;) {
    if (s[i] !== '[') return { ok: false, reason: `expected '[' at offset ${i}` };
    i++;
    for (;;) {
      ws();
      if (/^NOT\b/i.test(s.slice(i))) return { ok: false, reason: 'NOT comparisons are not imported' };
      const path = readPath();
      if (!path) return { ok: false, reason: `expected an object path at offset ${i}` };
      ws();
      const m = /^(=|!=|LIKE\b|ISSUBSET\b|ISSUPERSET\b|MATCHES\b|IN\b|<=|>=|<|>)/i.exec(s.slice(i));
      if (!m) return { ok: false, reason: `expected an operator after ${path}` };
      const op = m[1].toUpperCase();
      i += m[1].length;
      ws();
      if (!['=', 'LIKE', 'ISSUBSET'].includes(op)) return { ok: false, reason: `operator ${op} is not imported (only =, LIKE, ISSUBSET)` };
      const value = readString();
      if (value === null) return { ok: false, reason: `expected a quoted string after ${path} ${op}` };
      comparisons.push({ path, op, value });
      ws();
      if (/^OR\b/i.test(s.slice(i))) {
        i += 2;
        continue;
      }
      if (/^AND\b/i.test(s.slice(i))) return { ok: false, reason: 'AND inside an observation needs all comparisons to hold on one object; not imported' };
      if (s[i] === ']') {
        i++;
        break;
      }
      return { ok: false, reason: `unexpected text at offset ${i}: ${JSON.stringify(s.slice(i, i + 20))}` };
    }
    ws();
    if (i >= s.length) break;
    if (/^OR\b/i.test(s.slice(i))) {
      i += 2;
      ws();
      continue;
    }
    return { ok: false, reason: `observation operators and qualifiers (${s.slice(i, i + 20).trim()}) are not imported` };
  }
  return { ok: true, comparisons };
}

/** The IOC a single STIX comparison denotes (hint: x_trailcase_ioc_type of the indicator). */
export function comparisonToIoc(c: Comparison, hint?: string): { ok: true; type: IocType; value: string } | { ok: false; reason: string } {
  let v = c.value;
  const path = c.path.replace(/\s+/g, '');
  let type: IocType | null = null;
  if (path === 'ipv4-addr:value' || path === 'ipv6-addr:value') type = 'ip';
  else if (path.toLowerCase() === UA_PATH.toLowerCase().replace(/\s+/g, '')) {
    type = 'user-agent';
    if (c.op === 'LIKE') v = v.replace(/^%/, '').replace(/%$/, '');
    if (c.op === 'LIKE' && /[%_]/.test(v)) return { ok: false, reason: `LIKE pattern ${JSON.stringify(c.value)} has inner wildcards; only '%text%' is imported` };
  } else if (path === 'user-account:user_id') type = /^(AKIA|ASIA)/.test(v) ? 'access-key' : 'principal';
  else if (path === 'user-account:account_login') type = 'principal';
  else if (path === 'x-aws-iam-role:name') type = 'role';
  else if (path === 'x-aws-cloudtrail-event:event_name') type = 'event-name';
  else if (path === 'x-aws-cloudtrail-event:aws_region') type = 'region';
  else if (path === 'x-aws-account:account_id') type = 'account';
  else if (path === 'x-aws-s3-bucket:name') type = 'bucket';
  else if (path === 'url:value' && v.startsWith('s3://')) type = 'bucket';
  if (!type) return { ok: false, reason: `no CloudTrail field for ${c.path}` };
  if (c.op === 'LIKE' && type !== 'user-agent') return { ok: false, reason: `LIKE on ${c.path} is not imported` };
  if (c.op === 'ISSUBSET' && type !== 'ip') return { ok: false, reason: `ISSUBSET on ${c.path} is not imported` };
  // Our own exports name the type exactly (e.g. a principal vs an access key): trust it when the value fits.
  if (hint && isIocType(hint) && hint !== type) {
    const h = normalizeIoc(hint, v);
    if (h.ok) return h;
  }
  const n = normalizeIoc(type, v);
  return n.ok ? n : { ok: false, reason: n.reason };
}

export function parseStixBundle(text: string): ParsedIocs {
  let doc: any;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UserError(`STIX: not JSON: ${(e as Error).message}`);
  }
  const objects: any[] = Array.isArray(doc) ? doc : doc?.type === 'bundle' ? doc.objects : doc?.type ? [doc] : null;
  if (!Array.isArray(objects)) throw new UserError('STIX: expected a bundle ({"type": "bundle", "objects": [...]}), an indicator, or a list of objects');
  const items: ParsedIocs['items'] = [];
  const skipped: ParsedIocs['skipped'] = [];
  const otherTypes = new Map<string, number>();
  objects.forEach((o, idx) => {
    const where = `object ${idx}${o?.id ? ` (${String(o.id).slice(0, 80)})` : ''}`;
    if (!o || typeof o !== 'object') {
      skipped.push({ where, reason: 'not an object' });
      return;
    }
    if (o.type !== 'indicator') {
      otherTypes.set(String(o.type), (otherTypes.get(String(o.type)) ?? 0) + 1);
      return;
    }
    if (o.revoked === true) return void skipped.push({ where, reason: 'revoked' });
    if (o.pattern_type !== undefined && o.pattern_type !== 'stix') return void skipped.push({ where, reason: `pattern_type ${o.pattern_type} is not STIX patterning` });
    if (typeof o.pattern !== 'string') return void skipped.push({ where, reason: 'no pattern' });
    const p = parseStixPattern(o.pattern);
    if (!p.ok) return void skipped.push({ where, reason: `${p.reason}: ${o.pattern.slice(0, 200)}` });
    for (const c of p.comparisons) {
      const r = comparisonToIoc(c, typeof o.x_trailcase_ioc_type === 'string' ? o.x_trailcase_ioc_type : undefined);
      if (!r.ok) skipped.push({ where, reason: r.reason });
      else
        items.push({
          type: r.type,
          value: r.value,
          enabled: o.x_trailcase_enabled === false ? false : true,
          label: typeof o.name === 'string' && o.name !== `${r.type} ${r.value}` ? o.name.slice(0, 500) : null,
          source: typeof o.id === 'string' ? `stix:${o.id}` : 'stix',
        });
    }
  });
  for (const [t, n] of otherTypes) skipped.push({ where: `${n} object(s) of type ${t}`, reason: 'not an indicator' });
  return { items, skipped };
}

// ------------------------------------------------------------------ entry points

export function parseIocs(body: string, format: IocFormat): ParsedIocs {
  switch (format) {
    case 'csv':
      return parseIocCsv(body);
    case 'text':
      return parseIocText2(body);
    case 'stix':
      return parseStixBundle(body);
  }
}

/** Guess the format of an IOC file from its name and first bytes. */
export function guessIocFormat(name: string, body: string): IocFormat {
  if (/\.csv$/i.test(name)) return 'csv';
  if (/\.json$/i.test(name) || /^\s*[{[]/.test(body)) return 'stix';
  return 'text';
}

export function importIocs(store: CaseStore, actor: string, body: string, format: IocFormat, source?: string): IocImportResult {
  const parsed = parseIocs(body, format);
  const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
  const r = addIocsBulk(
    store,
    actor,
    parsed.items.map((i) => ({ ...i, source: i.source ?? source ?? null })),
    { format, sha256, bytes: Buffer.byteLength(body), ...(source ? { source } : {}), skipped: parsed.skipped.length },
  );
  return { format, added: r.added, unchanged: r.unchanged, skipped: parsed.skipped, custodySeq: r.seq };
}

export function exportIocs(store: CaseStore, format: IocFormat, opts: { includeDisabled?: boolean } = {}): { body: string; count: number } {
  const all = listIocs(store);
  const list = format === 'text' || opts.includeDisabled === false ? all.filter((i) => i.enabled) : all;
  switch (format) {
    case 'csv':
      return { body: iocsToCsv(list), count: list.length };
    case 'text':
      return { body: iocsToText(list), count: list.length };
    case 'stix':
      return { body: iocsToStix(list, store.meta().caseId), count: list.length };
  }
}
