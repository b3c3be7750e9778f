// Schema 10: the access-key index carries each event's time (issue 15). A pivot from a
// key with a time window (`--since`) read the time of every event of the key from the
// table: the busy leaked key of the 10M bench case has 1.36M events, 2.0-2.6 s warm.
// With time_ms in the index the window is judged on the index alone. The index is
// (access_key, leaf, time_ms), not (access_key, time_ms): leaf is the rowid, so the
// entries keep the order they had (key, then leaf), and every reader of
// `access_key = ?` that takes rows in index order (the pivot adds a key's events in
// ascending leaves) gets exactly what it got before. Derived data: rebuilt by a
// bulk import like the other secondary indexes (data/indexes.ts).
import type { Migration } from './index.ts';

export const migration0010: Migration = {
  version: 10,
  name: 'key-time-index',
  up: ['DROP INDEX IF EXISTS events_key', 'CREATE INDEX events_key ON events(access_key, leaf, time_ms)'],
};
