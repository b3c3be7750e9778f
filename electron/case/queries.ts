// Read-side queries over a case: filters become SQL over the indexed,
// dictionary-encoded columns (never a scan of events in JavaScript).
import type { EventDetail, EventFilter, EventSummary, Provenance } from '../../shared/types.ts';
import { parseCidr } from '../../shared/ip.ts';
import { requestIdText } from '../../shared/event-key.ts';
import { isoUtc, parseTime } from '../../shared/time.ts';
import { NotFound, UserError } from '../errors.ts';
import { EvidenceReader } from './evidence.ts';
import { warningsAtRecord } from './data/warnings.ts';
import type { CaseStore } from './store.ts';
import { ENCODING_NAMES } from './encodings.ts';
import { likeEscape, placeholders } from './data/db.ts';

export interface SqlFilter {
  where: string;
  params: unknown[];
}

/** Extra filter clauses contributed by other parts (the IOC list, for `ioc: true`). */
export type FilterExtension = (store: CaseStore, filter: EventFilter & { ioc?: boolean }) => SqlFilter | null;
const extensions: FilterExtension[] = [];
export function registerFilterExtension(f: FilterExtension): void {
  if (!extensions.includes(f)) extensions.push(f);
}


/** SQL for "the ip column matches one of these addresses, CIDRs or texts". */
export function ipClause(values: string[]): SqlFilter {
  const ids = ipIdsSql(values);
  return { where: `ip IN (${ids.where})`, params: ids.params };
}

/** A SELECT of the ips.id values that these addresses, CIDRs or texts stand for. */
export function ipIdsSql(values: string[]): SqlFilter {
  const parts: string[] = [];
  const params: unknown[] = [];
  for (const v of values) {
    const c = v.includes('/') || /^[\d.]+$/.test(v.trim()) || v.includes(':') ? parseCidr(v) : null;
    if (c && c.version === 4) {
      parts.push('SELECT id FROM ips WHERE v4 BETWEEN ? AND ?');
      params.push(c.low, c.high);
    } else if (c && c.version === 6) {
      parts.push('SELECT id FROM ips WHERE v6 BETWEEN ? AND ?');
      params.push(c.low, c.high);
    } else {
      // Not an address: CloudTrail also records service names ("lambda.amazonaws.com", "AWS Internal").
      parts.push('SELECT id FROM ips WHERE text = ?');
      params.push(v);
    }
  }
  return { where: parts.join(' UNION '), params };
}

/** The ips.id values of these addresses, CIDRs or texts (service names such as "AWS Internal"). */
export function ipIdsOf(store: CaseStore, values: string[]): number[] {
  const q = ipIdsSql(values);
  return (store.db.prepare(`SELECT id FROM (${q.where})`).raw().all(...q.params) as [number][]).map((r) => r[0]);
}

function stringsIn(values: string[]): SqlFilter {
  return { where: `SELECT id FROM strings WHERE s IN (${placeholders(values.length)})`, params: values };
}

export function filterToSql(store: CaseStore, f: EventFilter & { ioc?: boolean }): SqlFilter {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (c: SqlFilter) => {
    where.push(c.where);
    params.push(...c.params);
  };
  const col = (column: string, values: string[] | undefined) => {
    if (!values?.length) return;
    const s = stringsIn(values);
    add({ where: `${column} IN (${s.where})`, params: s.params });
  };
  if (f.ips?.length) add(ipClause(f.ips));
  if (f.userAgents?.length) {
    const ors = f.userAgents.map(() => "instr(lower(s), lower(?)) > 0").join(' OR ');
    add({ where: `ua IN (SELECT id FROM strings WHERE ${ors})`, params: f.userAgents });
  }
  col('access_key', f.accessKeys);
  if (f.principals?.length) {
    // An ARN, a user name, a role name or a principal id: exact, or the last path element of an ARN.
    const conds: string[] = [];
    const p: unknown[] = [];
    for (const v of f.principals) {
      conds.push("s = ? OR s LIKE ? ESCAPE '\\'");
      p.push(v, '%/' + likeEscape(v));
      // A role (by name or by its IAM ARN) is found through its sessions' assumed-role ARNs.
      const role = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(v);
      if (role) {
        conds.push("s LIKE ? ESCAPE '\\'");
        p.push(`arn:%:sts::${role[1]}:assumed-role/${likeEscape(role[2])}/%`);
      } else if (!v.startsWith('arn:')) {
        conds.push("s LIKE ? ESCAPE '\\'");
        p.push('%:assumed-role/' + likeEscape(v) + '/%');
      }
    }
    const sub = `SELECT id FROM strings WHERE ${conds.join(' OR ')}`;
    // principal_id is not indexed: only a value shaped like one (AIDA…, AROA…:session) searches it,
    // so that ARN and name searches stay on indexes.
    const ids = f.principals.filter((v) => /^A[A-Z0-9]{3}[A-Z0-9]{8,}/.test(v));
    const idCond = ids.length ? ` OR principal_id IN (SELECT id FROM strings WHERE s IN (${placeholders(ids.length)}) OR ${ids.map(() => "s LIKE ? ESCAPE '\\'").join(' OR ')})` : '';
    add({
      // user_name is indexed only where arn is NULL (events_user); elsewhere the ARN ends in the name.
      where: `(arn IN (${sub}) OR (arn IS NULL AND user_name IN (${sub}))${idCond})`,
      params: [...p, ...p, ...ids, ...ids.map((v) => likeEscape(v) + ':%')],
    });
  }
  col('name', f.eventNames);
  col('source', f.eventSources);
  col('region', f.regions);
  col('account', f.accounts);
  col('error_code', f.errorCodes);
  if (f.since !== undefined) {
    const t = parseTime(f.since);
    if (t === null) throw new UserError(`since: ${f.since} is not a time`);
    add({ where: 'time_ms >= ?', params: [t] });
  }
  if (f.until !== undefined) {
    const t = parseTime(f.until);
    if (t === null) throw new UserError(`until: ${f.until} is not a time`);
    add({ where: 'time_ms <= ?', params: [t] });
  }
  if (f.eventIds) {
    if (!f.eventIds.length) add({ where: '0', params: [] });
    else {
      // Through the events_id_tail index; the full comparison settles the rest.
      const ids = JSON.stringify(f.eventIds);
      add({ where: `substr(event_id, -8) IN (SELECT substr(value, -8) FROM json_each(?)) AND event_id IN (SELECT value FROM json_each(?))`, params: [ids, ids] });
    }
  }
  if (f.ioc) {
    let any = false;
    for (const ext of extensions) {
      const c = ext(store, f);
      if (c) {
        add(c);
        any = true;
      }
    }
    if (!any) add({ where: '0', params: [] }); // no enabled indicators: nothing matches
  }
  return { where: where.length ? where.join(' AND ') : '1', params };
}

export const SORT_COLUMNS: Record<string, string> = {
  time: 'time_ms',
  eventName: 'name',
  eventSource: 'source',
  awsRegion: 'region',
  sourceIPAddress: 'ip',
  userAgent: 'ua',
  principalArn: 'arn',
  accessKeyId: 'access_key',
  errorCode: 'error_code',
};

/** Maps dictionary ids back to text, with a cache. */
export class Dictionary {
  private s = new Map<number, string>();
  private i = new Map<number, string>();
  constructor(private readonly store: CaseStore) {}
  str(id: number | null): string | null {
    if (id === null || id === undefined) return null;
    let v = this.s.get(id);
    if (v === undefined) {
      v = (this.store.stmt('SELECT s FROM strings WHERE id = ?').get(id) as { s: string } | undefined)?.s ?? '';
      this.s.set(id, v);
    }
    return v;
  }
  ip(id: number | null): string | null {
    if (id === null || id === undefined) return null;
    let v = this.i.get(id);
    if (v === undefined) {
      v = (this.store.stmt('SELECT text FROM ips WHERE id = ?').get(id) as { text: string } | undefined)?.text ?? '';
      this.i.set(id, v);
    }
    return v;
  }
}

export function toSummary(dict: Dictionary, r: any): EventSummary {
  return {
    leaf: r.leaf,
    eventId: r.event_id,
    eventTime: r.time_ms === null ? null : isoUtc(r.time_ms),
    eventName: dict.str(r.name),
    eventSource: dict.str(r.source),
    awsRegion: dict.str(r.region),
    sourceIPAddress: dict.ip(r.ip),
    userAgent: dict.str(r.ua),
    identityType: dict.str(r.identity_type),
    principalArn: dict.str(r.arn),
    userName: dict.str(r.user_name),
    principalId: dict.str(r.principal_id),
    accessKeyId: dict.str(r.access_key),
    sessionIssuerArn: dict.str(r.issuer_arn),
    recipientAccountId: dict.str(r.account),
    errorCode: dict.str(r.error_code),
    readOnly: r.read_only === null ? null : r.read_only === 1,
    eventCategory: dict.str(r.category),
    requestId: requestIdText(r.request_id),
    evidenceId: r.evidence_id,
  };
}

export const SUMMARY_COLS =
  'leaf, event_id, time_ms, name, source, region, ip, ua, identity_type, arn, user_name, principal_id, access_key, issuer_arn, account, error_code, read_only, category, request_id, evidence_id';

/**
 * SQL condition and parameters selecting one event by its eventID, through the
 * events_id_tail index (an index on substr(event_id, -8)). Use this, not a bare
 * `event_id = ?`, which would scan the whole table.
 */
export function eventIdWhere(eventId: string): SqlFilter {
  return { where: 'substr(event_id, -8) = ? AND event_id = ?', params: [eventId.slice(-8), eventId] };
}

export function searchEvents(
  store: CaseStore,
  filter: EventFilter & { ioc?: boolean },
  opts: { offset?: number; limit?: number; sort?: string; desc?: boolean; count?: boolean } = {},
): { events: EventSummary[]; total: number } {
  const f = filterToSql(store, filter);
  const sortCol = SORT_COLUMNS[opts.sort ?? 'time'] ?? 'time_ms';
  const dir = opts.desc ? 'DESC' : 'ASC';
  // Dictionary columns hold ids in order of first appearance: sort by the text (addresses numerically), not by the id.
  const byText =
    sortCol === 'ip'
      ? `(SELECT v4 FROM ips WHERE id = events.ip) ${dir}, (SELECT v6 FROM ips WHERE id = events.ip) ${dir}, (SELECT text FROM ips WHERE id = events.ip) ${dir}`
      : `(SELECT s FROM strings WHERE id = events.${sortCol}) ${dir}`;
  const order = sortCol === 'time_ms' ? `time_ms ${dir}, leaf ${dir}` : `${byText}, time_ms ${dir}, leaf ${dir}`;
  const rows = store.db
    .prepare(`SELECT ${SUMMARY_COLS} FROM events WHERE ${f.where} ORDER BY ${order} LIMIT ? OFFSET ?`)
    .all(...f.params, opts.limit ?? 500, opts.offset ?? 0);
  const dict = new Dictionary(store);
  const total =
    opts.count === false
      ? -1
      : (store.db.prepare(`SELECT count(*) AS n FROM events WHERE ${f.where}`).get(...f.params) as { n: number }).n;
  return { events: rows.map((r) => toSummary(dict, r)), total };
}

// The one mapping of an evidence row lives with the evidence reads.
export { evidenceItem } from './data/evidence.ts';

export function getEvent(store: CaseStore, eventId: string, reader = new EvidenceReader(store)): EventDetail {
  const r = store.stmt(`SELECT ${SUMMARY_COLS}, pos, len, enc, leaf_hash FROM events WHERE substr(event_id, -8) = ? AND event_id = ?`).get(eventId.slice(-8), eventId) as any;
  if (!r) throw new NotFound(`no event ${eventId} in this case`);
  const dict = new Dictionary(store);
  const ev = reader.row(r.evidence_id);
  const record = reader.record(r.evidence_id, r.pos, r.len, r.enc).toString('utf8');
  const provenance: Provenance[] = [
    {
      evidenceId: r.evidence_id,
      origin: ev.origin,
      sha256: ev.sha256,
      offset: r.pos,
      length: r.len,
      encoding: ENCODING_NAMES[r.enc] ?? String(r.enc),
      leafHash: Buffer.from(r.leaf_hash).toString('hex'),
      identical: true,
      validation: null,
    },
  ];
  const conflicts: EventDetail['conflicts'] = [];
  for (const c of store.stmt('SELECT * FROM event_copies WHERE event_leaf = ? ORDER BY id').all(r.leaf) as any[]) {
    const cev = reader.row(c.evidence_id);
    provenance.push({
      evidenceId: c.evidence_id,
      origin: cev.origin,
      sha256: cev.sha256,
      offset: c.pos,
      length: c.len,
      encoding: ENCODING_NAMES[c.enc] ?? String(c.enc),
      leafHash: Buffer.from(c.leaf_hash).toString('hex'),
      identical: c.identical !== 0,
      validation: null,
    });
    if (c.identical === 0) conflicts.push({ evidenceId: c.evidence_id, leafHash: Buffer.from(c.leaf_hash).toString('hex'), detectedAt: cev.acquired_at });
  }
  // Warnings are keyed by where the record sits (evidence item and decoded offset), the same for every copy.
  const warnings: EventDetail['warnings'] = [];
  for (const p of provenance) {
    for (const w of warningsAtRecord(store.reader, p.evidenceId, p.offset)) warnings.push({ evidenceId: p.evidenceId, code: w.code, message: w.message });
  }
  return { summary: toSummary(dict, r), record, provenance, conflicts, warnings };
}

export function relatedEvents(store: CaseStore, eventId: string, by: 'accessKey' | 'session' | 'request', limit = 100): EventSummary[] {
  const r = store.stmt('SELECT leaf, access_key, principal_id, request_id, time_ms FROM events WHERE substr(event_id, -8) = ? AND event_id = ?').get(eventId.slice(-8), eventId) as any;
  if (!r) throw new NotFound(`no event ${eventId} in this case`);
  let rows: unknown[] = [];
  if (by === 'accessKey' && r.access_key !== null) {
    rows = store.db.prepare(`SELECT ${SUMMARY_COLS} FROM events WHERE access_key = ? AND leaf != ? ORDER BY time_ms LIMIT ?`).all(r.access_key, r.leaf, limit);
  } else if (by === 'session' && r.principal_id !== null) {
    rows = store.db.prepare(`SELECT ${SUMMARY_COLS} FROM events WHERE principal_id = ? AND leaf != ? ORDER BY time_ms LIMIT ?`).all(r.principal_id, r.leaf, limit);
  } else if (by === 'request' && r.request_id !== null && r.time_ms !== null) {
    // requestID is not indexed (it is near-unique); events of one request sit within minutes of each other.
    rows = store.db
      .prepare(`SELECT ${SUMMARY_COLS} FROM events WHERE time_ms BETWEEN ? AND ? AND request_id = ? AND leaf != ? ORDER BY time_ms LIMIT ?`)
      .all(r.time_ms - 3_600_000, r.time_ms + 3_600_000, r.request_id, r.leaf, limit); // stored form compared with stored form
  }
  const dict = new Dictionary(store);
  return rows.map((x) => toSummary(dict, x));
}
