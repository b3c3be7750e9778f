// Schema 4: the timeline's hourly rollup (docs/architecture.md, "The renderer").
//
// Counting a whole 1M-event case per group per bucket with GROUP BY costs 1-3 s
// in SQLite (the sorter sees every row), against a first-paint target of
// 1.5 s. So event counts are kept pre-aggregated per (grouping, value, hour)
// and per (grouping, value, day). Like event_refs (0003) this is DERIVED data:
// rebuilt from the events table at any time, extended incrementally after an
// import (rows past `through_leaf`), never evidence; every extension is a
// custody entry (action timeline.indexed) with its leaf range and row counts.
// kind: 0 principal, 1 source IP, 2 service, 3 account, 4 all events (g = 0), 5 region.
// g: the dictionary id of the value (strings.id, or ips.id for kind 1); -1 = no value.
import type { Migration } from './index.ts';

export const migration0004: Migration = {
  version: 4,
  name: 'timeline',
  up: [
    `CREATE TABLE timeline_hour (kind INTEGER NOT NULL, g INTEGER NOT NULL, hour INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, g, hour)) WITHOUT ROWID`,
    `CREATE TABLE timeline_day (kind INTEGER NOT NULL, day INTEGER NOT NULL, g INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, day, g)) WITHOUT ROWID`,
    `CREATE TABLE timeline_state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, through_leaf INTEGER NOT NULL)`,
  ],
};
