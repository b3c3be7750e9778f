// The behaviour profile's reads (electron/analysis/profile.ts): the subject's
// events as small integer columns, the dictionary text of the ids it keeps,
// the event_refs rows of its S3/IAM/STS calls (and, when a run's findings are
// to be matched, each event's eventID).
import type { CaseStore } from '../store.ts';
import type { SqlFilter } from '../queries.ts';

/** One profile row: time_ms, arn, access_key, ip, ua, region, name, source, error_code, leaf (ids), and the eventID when asked for. */
export type ProfileRow = [
  time: number | null, arn: number | null, key: number | null, ip: number | null, ua: number | null, region: number | null, name: number | null, source: number | null,
  error: number | null, leaf: number, eventId?: string | null,
];

/** The subject's events, one at a time (a busy key has hundreds of thousands). */
export function profileRows(store: CaseStore, f: SqlFilter, withEventId = false): Iterable<ProfileRow> {
  return store.db
    .prepare(`SELECT time_ms, arn, access_key, ip, ua, region, name, source, error_code, leaf${withEventId ? ', event_id' : ''} FROM events WHERE ${f.where}`)
    .raw()
    .iterate(...f.params) as Iterable<ProfileRow>;
}

/** Dictionary ids of these strings (those present). */
export function stringIdsOf(store: CaseStore, values: readonly string[]): number[] {
  return (store.db.prepare('SELECT id FROM strings WHERE s IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(values)) as [number][]).map((r) => r[0]);
}

/** Text of these dictionary ids. */
export function stringsById(store: CaseStore, ids: readonly number[]): Map<number, string> {
  return new Map(store.db.prepare('SELECT id, s FROM strings WHERE id IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(ids)) as [number, string][]);
}

/** Recorded text of these address ids. */
export function addressesById(store: CaseStore, ids: readonly number[]): Map<number, string> {
  return new Map(store.db.prepare('SELECT id, text FROM ips WHERE id IN (SELECT value FROM json_each(?))').raw().all(JSON.stringify(ids)) as [number, string][]);
}

/**
 * Roles assumed, buckets and IAM users/roles acted on by the subject's calls to
 * these services (string ids), with each call's time, one row at a time: a
 * join, so that neither the subject's leaves nor the rows are held (a busy key
 * of a 10M-event case has over a million such calls). CROSS JOIN keeps the
 * subject's events the outer loop: left to itself SQLite read every reference
 * of these kinds in the case first.
 */
export function resourceRefs(store: CaseStore, f: SqlFilter, sourceIds: readonly number[]): Iterable<[kind: string, value: string, time: number | null]> {
  return store.db
    .prepare(
      `SELECT r.kind, r.value, e.time_ms FROM (SELECT leaf, time_ms FROM events WHERE (${f.where}) AND source IN (SELECT value FROM json_each(?))) e
         CROSS JOIN event_refs r ON r.leaf = e.leaf
        WHERE r.kind IN ('assume-target', 'bucket', 'target-user', 'target-role')`,
    )
    .raw()
    .iterate(...f.params, JSON.stringify(sourceIds)) as Iterable<[string, string, number | null]>;
}

/** Who called AssumeRole* into this role (by name): caller ARN, time, user name. */
export function assumersOf(store: CaseStore, role: string): [arn: number | null, time: number | null, user: number | null][] {
  return store.db
    .prepare("SELECT e.arn, e.time_ms, e.user_name FROM event_refs r JOIN events e ON e.leaf = r.leaf WHERE r.kind = 'assume-target' AND r.value = ?")
    .raw()
    .all(role) as [number | null, number | null, number | null][];
}
