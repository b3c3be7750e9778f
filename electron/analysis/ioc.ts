// The case's IOC list (docs/analysis.md): an append-only history in ioc_history
// (schema 2) - every add, remove, enable and disable is a row plus a custody
// entry in the same transaction; the current state is the latest row per
// (type, value). Matching is SQL over the indexed, dictionary-encoded event
// columns: an indicator is first resolved to dictionary ids (ips, strings),
// then events are counted/selected with `column IN (ids)`. Bucket indicators
// use the event_refs side table (refs.ts), the one value that is not an event
// column.
import { iocKey, IOC_TYPES, normalizeIoc, parseIocText, type Ioc, type IocInput, type IocType } from '../../shared/analysis/ioc.ts';
import type { IocHit } from '../../shared/analysis/types.ts';
import { isoUtc } from '../../shared/time.ts';
import type { EventFilter } from '../../shared/types.ts';
import { parseCidr } from '../../shared/ip.ts';
import { registerFilterExtension, type SqlFilter } from '../case/queries.ts';
import { currentActor, type CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';
import { ensureRefs, refsState } from './refs.ts';
import { listIocs } from '../case/iocs.ts';
import { likeEscape } from '../case/data/db.ts';
import { insertIocHistory, iocMatchFilter, ipIdsBetween, matchSpan, stringIdsContaining, stringIdsMatching, type IocColumn } from '../case/data/iocs.ts';

// Reading the list is case data (electron/case/iocs.ts, also read by acquisition's Lake and Athena query builders).
export { listIocs };

export const IOC_UNIT = { name: 'ioc-list', version: '1.0.0' } as const;

function current(store: CaseStore, type: IocType, value: string): (Ioc & { removed: boolean }) | undefined {
  return listIocs(store, { includeRemoved: true }).find((i) => i.type === type && i.value === value);
}

function insertHistory(store: CaseStore, actor: string, row: { type: IocType; value: string; op: string; enabled: boolean; label?: string | null; source?: string | null }, seq: number, at: string): void {
  insertIocHistory(store.writer, { ...row, label: row.label ?? null, source: row.source ?? null, at, actor, custodySeq: seq });
}

/** Validate an input (type inferred when absent); throws UserError naming what is wrong. */
export function checkIocInput(input: IocInput, where = 'indicator'): { type: IocType; value: string } {
  const n = input.type ? normalizeIoc(input.type, input.value) : parseIocText(input.value);
  if (!n.ok) throw new UserError(`${where}: ${n.reason}`);
  return { type: n.type, value: n.value };
}

export function addIoc(store: CaseStore, actor: string, input: IocInput): { ioc: Ioc; seq: number } {
  const { type, value } = checkIocInput(input);
  const label = input.label?.trim() || null;
  const source = input.source?.trim() || null;
  const enabled = input.enabled ?? true;
  const prev = current(store, type, value);
  if (prev && !prev.removed) throw new UserError(`${type} ${value} is already in the IOC list`);
  const seq = store.transaction(() => {
    const at = new Date().toISOString();
    const s = store.appendCustody(actor, 'ioc.added', { type, value, enabled, ...(label ? { label } : {}), ...(source ? { source } : {}) });
    insertHistory(store, actor, { type, value, op: 'add', enabled, label, source }, s, at);
    return s;
  });
  return { ioc: current(store, type, value)!, seq };
}

/** Find the listed indicator a user means: by type and value, or by value alone when that is unambiguous. */
export function resolveIoc(store: CaseStore, value: string, type?: IocType): Ioc {
  const live = listIocs(store);
  if (type) {
    const n = normalizeIoc(type, value);
    const v = n.ok ? n.value : value.trim();
    const hit = live.find((i) => i.type === type && i.value === v);
    if (!hit) throw new UserError(`${type} ${v} is not in the IOC list`);
    return hit;
  }
  const matches = live.filter((i) => {
    const n = normalizeIoc(i.type, value);
    return i.value === (n.ok ? n.value : value.trim());
  });
  if (matches.length === 0) throw new UserError(`${value.trim()} is not in the IOC list`);
  if (matches.length > 1) throw new UserError(`${value.trim()} is listed as ${matches.map((m) => m.type).join(' and ')}; say which with --type`);
  return matches[0];
}

export function removeIoc(store: CaseStore, actor: string, value: string, type?: IocType): { ioc: Ioc; seq: number } {
  const ioc = resolveIoc(store, value, type);
  const seq = store.transaction(() => {
    const s = store.appendCustody(actor, 'ioc.removed', { type: ioc.type, value: ioc.value });
    insertHistory(store, actor, { type: ioc.type, value: ioc.value, op: 'remove', enabled: false }, s, new Date().toISOString());
    return s;
  });
  return { ioc: { ...ioc, enabled: false }, seq };
}

/** Enable or disable; a no-op (seq null, nothing logged) when it already is in that state. */
export function setIocEnabled(store: CaseStore, actor: string, value: string, enabled: boolean, type?: IocType): { ioc: Ioc; seq: number | null } {
  const ioc = resolveIoc(store, value, type);
  if (ioc.enabled === enabled) return { ioc, seq: null };
  const seq = store.transaction(() => {
    const s = store.appendCustody(actor, enabled ? 'ioc.enabled' : 'ioc.disabled', { type: ioc.type, value: ioc.value });
    insertHistory(store, actor, { type: ioc.type, value: ioc.value, op: enabled ? 'enable' : 'disable', enabled }, s, new Date().toISOString());
    return s;
  });
  return { ioc: { ...ioc, enabled }, seq };
}

/**
 * Add many indicators in one transaction with ONE custody entry (action
 * ioc.imported, listing every indicator added and the SHA-256 of the input),
 * so a 10,000-line feed does not become 10,000 custody entries. Indicators
 * already listed and enabled are left unchanged.
 */
export function addIocsBulk(
  store: CaseStore,
  actor: string,
  items: (IocInput & { type: IocType })[],
  meta: Record<string, unknown>,
): { added: { type: IocType; value: string }[]; unchanged: { type: IocType; value: string }[]; seq: number | null } {
  const live = new Map(listIocs(store).map((i) => [iocKey(i.type, i.value), i]));
  const added: (IocInput & { type: IocType })[] = [];
  const unchanged: { type: IocType; value: string }[] = [];
  const seen = new Set<string>();
  for (const it of items) {
    const k = iocKey(it.type, it.value);
    if (seen.has(k)) continue;
    seen.add(k);
    const prev = live.get(k);
    if (prev && prev.enabled === (it.enabled ?? true)) unchanged.push({ type: it.type, value: it.value });
    else if (prev) unchanged.push({ type: it.type, value: it.value }); // listed in another state: importing does not flip it
    else added.push(it);
  }
  if (!added.length) return { added: [], unchanged, seq: null };
  const seq = store.transaction(() => {
    const at = new Date().toISOString();
    const s = store.appendCustody(actor, 'ioc.imported', {
      ...meta,
      added: added.map((a) => ({ type: a.type, value: a.value, enabled: a.enabled ?? true, ...(a.label ? { label: a.label } : {}) })),
      unchanged: unchanged.length,
    });
    for (const a of added) insertHistory(store, actor, { type: a.type, value: a.value, op: 'add', enabled: a.enabled ?? true, label: a.label ?? null, source: a.source ?? null }, s, at);
    return s;
  });
  return { added: added.map((a) => ({ type: a.type, value: a.value })), unchanged, seq };
}

// ---------------------------------------------------------------- matching

/** Event columns (dictionary ids) and leaves one or more indicators resolve to. */
export class IocResolution {
  readonly cols = new Map<IocColumn, Set<number>>();
  readonly bucketValues = new Set<string>();
  /** Columns without an index (region, account, principal_id): matching them scans the events table. */
  scans = false;
  add(col: IocColumn, ids: Iterable<number>): void {
    let s = this.cols.get(col);
    if (!s) this.cols.set(col, (s = new Set()));
    for (const id of ids) s.add(id);
  }
  /** SQL over events, or null when nothing can match. */
  toSql(): SqlFilter | null {
    return iocMatchFilter(this.cols, this.bucketValues);
  }
}

/** A principal id (AIDA…, AROA…:session): worth matching the unindexed principal_id column. */
const UNIQUE_ID_RE = /^A[A-Z0-9]{3}[A-Z0-9]{8,}(:.+)?$/;

/** Resolve one indicator into `res`. */
export function resolveInto(store: CaseStore, res: IocResolution, type: IocType, value: string): void {
  const db = store.reader;
  switch (type) {
    case 'ip': {
      const c = parseCidr(value);
      if (!c) return;
      res.add('ip', ipIdsBetween(db, c.version, c.low, c.high));
      return;
    }
    case 'user-agent':
      res.add('ua', stringIdsContaining(db, value));
      return;
    case 'access-key':
      res.add('access_key', stringIdsMatching(db, value));
      return;
    case 'principal': {
      const patterns = ['%/' + likeEscape(value)];
      if (!value.startsWith('arn:')) patterns.push('%:assumed-role/' + likeEscape(value) + '/%');
      const found = stringIdsMatching(db, value, patterns);
      res.add('arn', found);
      res.add('user_name', found);
      res.add('issuer_arn', found);
      if (UNIQUE_ID_RE.test(value)) {
        res.add('principal_id', found);
        res.scans = true;
      }
      return;
    }
    case 'role': {
      const v = likeEscape(value);
      res.add('issuer_arn', stringIdsMatching(db, null, [`arn:%:iam::%:role/${v}`, `arn:%:iam::%:role/%/${v}`]));
      res.add('arn', stringIdsMatching(db, null, [`arn:%:sts::%:assumed-role/${v}/%`]));
      return;
    }
    case 'event-name':
      res.add('name', stringIdsMatching(db, value));
      return;
    case 'region':
      res.add('region', stringIdsMatching(db, value));
      res.scans = true;
      return;
    case 'account':
      res.add('account', stringIdsMatching(db, value));
      // Callers from that account (cross-account activity): their ARN carries the account id.
      res.add('arn', stringIdsMatching(db, null, [`arn:%:%:%:${value}:%`]));
      res.scans = true;
      return;
    case 'bucket':
      res.bucketValues.add(value);
      return;
  }
}

/** Make bucket indicators matchable: build the event index if it is behind (custody-logged), or say why not. */
function needBuckets(store: CaseStore): string | null {
  const st = refsState(store);
  if (st.upToDate) return null;
  if (!st.available) return 'this case predates the bucket index (schema 3); open it read-write once to upgrade it';
  if (store.readonly) return `the bucket index covers events up to leaf ${st.upto} of ${st.maxLeaf}; run \`trailcase ioc CASE hits\` or \`trailcase check CASE\` once to bring it up to date`;
  ensureRefs(store, currentActor());
  return null;
}

/** Per-indicator hit counts and first/last seen, all in SQL. */
export function iocHits(store: CaseStore, opts: { includeDisabled?: boolean } = {}): IocHit[] {
  const list = listIocs(store).filter((i) => opts.includeDisabled !== false || i.enabled);
  const bucketProblem = list.some((i) => i.type === 'bucket') ? needBuckets(store) : null;
  const out: IocHit[] = [];
  for (const i of list) {
    const res = new IocResolution();
    resolveInto(store, res, i.type, i.value);
    const sql = res.toSql();
    let hits = 0;
    let first: number | null = null;
    let last: number | null = null;
    if (sql) {
      const r = matchSpan(store.reader, sql);
      hits = r.n;
      first = r.a;
      last = r.b;
    }
    out.push({
      ...i,
      hits,
      firstSeen: first === null ? null : isoUtc(first),
      lastSeen: last === null ? null : isoUtc(last),
      ...(i.type === 'bucket' && bucketProblem ? { note: `incomplete: ${bucketProblem}` } : {}),
    });
  }
  return out;
}

/** SQL for "matches any enabled indicator" (or the given ones). Throws when bucket indicators cannot be matched completely. */
export function iocFilterSql(store: CaseStore, iocs?: { type: IocType; value: string }[]): SqlFilter | null {
  const list = iocs ?? listIocs(store).filter((i) => i.enabled);
  if (list.some((i) => i.type === 'bucket')) {
    const problem = needBuckets(store);
    if (problem) throw new UserError(`bucket indicators cannot be matched: ${problem}`);
  }
  const res = new IocResolution();
  for (const i of list) resolveInto(store, res, i.type, i.value);
  return res.toSql();
}

/** `searchEvents({ioc: true})` / `trailcase search --ioc`: events matching any enabled indicator. */
export function iocFilterExtension(store: CaseStore, filter: EventFilter & { ioc?: boolean }): SqlFilter | null {
  if (!filter.ioc) return null;
  // No enabled indicator: a clause that matches nothing (queries.ts does the same when no extension answers).
  return iocFilterSql(store) ?? { where: '0', params: [] };
}

registerFilterExtension(iocFilterExtension);

export { IOC_TYPES };
