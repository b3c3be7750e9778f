// Schema 5: the timeline's hourly rollup per source IP (docs/architecture.md, "The renderer").
//
// Filtering the timeline by one address is the examiner's commonest move, and
// an address behind a NAT or a CI runner can carry a quarter of a case: counting
// its events per group and bucket directly costs 300-600 ms on a 1M-event case
// (each matching row is a random table lookup). This table keeps those counts
// pre-aggregated per (source IP, grouping, hour, value), so an IP-filtered
// density reads a few thousand rows instead. Like timeline_hour (0004) it is
// DERIVED data, rebuilt from events at any time and extended with it
// (timeline_state, custody action timeline.indexed); never evidence.
// kind: as in timeline_hour (0 principal, 2 service, 3 account, 5 region); the
// IP grouping itself (1) and the all-events total (4) are timeline_hour's rows.
// ip: ips.id of the source address (events without one are not kept here).
// g: the grouping value's dictionary id (strings.id); -1 = no value.
import type { Migration } from './index.ts';

export const migration0005: Migration = {
  version: 5,
  name: 'timeline-ip',
  up: [
    `CREATE TABLE timeline_ip_hour (ip INTEGER NOT NULL, kind INTEGER NOT NULL, hour INTEGER NOT NULL, g INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (ip, kind, hour, g)) WITHOUT ROWID`,
  ],
};
