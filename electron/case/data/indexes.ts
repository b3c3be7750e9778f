// The live catalogue of event indexes. Migrations are frozen history (0001
// creates these indexes with its own copy of the SQL and never changes); this
// list is what CaseStore keeps present today: a bulk import drops some and
// sorts them in at its end, and opening a case rebuilds any that an
// interrupted import left missing. A change here that the schema must carry
// for every case (a new index on existing cases) is a new migration too.
import { cached, withPageCacheSync, type ReadableDB, type WritableDB } from './db.ts';

export interface IndexSpec {
  name: string;
  sql: string;
  /** Kept during a bulk import (its inserts are appends anyway). */
  keepInBulk?: boolean;
}

/**
 * eventIDs by their last 8 characters (see queries.ts eventIdWhere): an index
 * entry of ~14 bytes instead of ~50 for the whole text. A bulk import into an
 * empty case drops it too (it finds earlier copies of an eventID through its
 * own fingerprint map) and builds it again at its end.
 */
export const EVENT_ID_INDEX: IndexSpec = { name: 'events_id_tail', sql: 'CREATE INDEX events_id_tail ON events(substr(event_id, -8))' };

/**
 * Secondary indexes over events. A large import drops them and builds them
 * again at its end (a sort is far cheaper than millions of B-tree inserts).
 */
export const EVENT_SECONDARY_INDEXES: readonly IndexSpec[] = [
  // Kept during a bulk import: events arrive nearly in time order, so its inserts are appends
  // (measured: about free while importing, against ~0.6 s to sort it in at the end per million events).
  { name: 'events_time', sql: 'CREATE INDEX events_time ON events(time_ms)', keepInBulk: true },
  { name: 'events_ip', sql: 'CREATE INDEX events_ip ON events(ip, time_ms)' },
  // Single-column indexes except for the IP (the most common pivot in a time window) and the
  // access key: (column, time) pairs cost ~7 bytes an event each, and the case must stay small.
  // The key's entries carry the time after the leaf (migration 0010): the order stays (key, leaf)
  // and a pivot from a key in a time window reads the index alone.
  { name: 'events_key', sql: 'CREATE INDEX events_key ON events(access_key, leaf, time_ms)' },
  { name: 'events_arn', sql: 'CREATE INDEX events_arn ON events(arn)' },
  { name: 'events_name', sql: 'CREATE INDEX events_name ON events(name)' },
  { name: 'events_ua', sql: 'CREATE INDEX events_ua ON events(ua)' },
  // A user name only where there is no ARN (failed sign-ins, Identity Center users): elsewhere
  // the ARN ends in the name and events_arn finds it. A partial index costs almost nothing.
  { name: 'events_user', sql: 'CREATE INDEX events_user ON events(user_name) WHERE arn IS NULL' },
  // No index on issuer_arn: a role's sessions are found through their assumed-role ARNs (events_arn).
];

/** Names of the indexes on events present in the file. */
export function eventIndexNames(db: ReadableDB): Set<string> {
  return new Set((cached(db, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'").all() as { name: string }[]).map((r) => r.name));
}

/** An index is built under the small page cache, which bounds the sort behind CREATE INDEX (db.ts, ONCE_OVER_PAGE_CACHE_KIB). */
function buildIndex(db: WritableDB, sql: string): void {
  withPageCacheSync(db, () => db.exec(sql));
}

/** Build any catalogued event index that is missing; returns the names built. */
export function ensureEventIndexes(db: WritableDB): string[] {
  const have = eventIndexNames(db);
  const built: string[] = [];
  for (const ix of [EVENT_ID_INDEX, ...EVENT_SECONDARY_INDEXES]) {
    if (!have.has(ix.name)) {
      buildIndex(db, ix.sql);
      built.push(ix.name);
    }
  }
  return built;
}

/** Drop the secondary indexes a bulk import sorts in at its end (derived data; ensureEventIndexes rebuilds them). */
export function dropSecondaryIndexes(db: WritableDB): void {
  for (const ix of EVENT_SECONDARY_INDEXES) if (!ix.keepInBulk) db.exec(`DROP INDEX IF EXISTS ${ix.name}`);
}

export function dropIdIndex(db: WritableDB): void {
  db.exec(`DROP INDEX IF EXISTS ${EVENT_ID_INDEX.name}`);
}

export function ensureIdIndex(db: WritableDB): void {
  if (!cached(db, "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = ?").get(EVENT_ID_INDEX.name)) buildIndex(db, EVENT_ID_INDEX.sql);
}
