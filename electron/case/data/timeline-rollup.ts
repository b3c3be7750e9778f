// The timeline's rollups (migrations 0004, 0005) as case data (README.md, "Speed and size"):
// event counts per (grouping, value, hour), per (grouping, value, day) and per
// (source IP, grouping, hour, value). DERIVED data, never evidence: rebuilt from
// the events table at any time.
//
// They are kept current by the import itself: each commit of an import extends
// them over the leaves it adds, in the same transaction (session.ts), so a case
// opens with its rollups ready at any size. A case whose rollups are behind (one
// imported by an earlier version, or whose rollup version changed) is brought up
// to date by ensureTimelineRollup in steps of ROLLUP_STEP_LEAVES, each step its
// own transaction with its own custody entry: interrupted, it resumes where it stopped.
//
// What each grouping counts (the timeline's GROUP_COLUMN for these groupings must agree):
// kind 0 principal, 1 source IP, 2 service, 3 account, 4 all events (g = 0), 5 region,
// 6 principal with role sessions under their role; g is strings.id or ips.id, -1 for no value.
import type { TimelineIndexStatus } from '../../../shared/api/timeline-types.ts';
import type { CaseStore } from '../store.ts';

export const ROLLUP_VERSION = 3; // 3: the role grouping (kind 6)
export type RollupGroupBy = 'principal' | 'role' | 'ip' | 'service' | 'account' | 'region';
export const ROLLUP_KIND: Record<RollupGroupBy, number> = { principal: 0, ip: 1, service: 2, account: 3, region: 5, role: 6 };
export const ROLLUP_KIND_ALL = 4;
/** The events the rollup counts (it leaves out events without a time and before 1970)… */
const IN_ROLLUP = 'time_ms >= 0';
/** …and those it leaves out: a read that answers from the rollup reads these directly to stay exact. */
export const OUTSIDE_ROLLUP = '(time_ms IS NULL OR time_ms < 0)';
const ROLLUP_COLUMN: Record<RollupGroupBy, string> = {
  principal: 'coalesce(arn, user_name, principal_id, identity_type)',
  role: 'coalesce(issuer_arn, arn, user_name, principal_id, identity_type)',
  ip: 'ip',
  service: 'source',
  account: 'account',
  region: 'region',
};
/** The groupings kept per source IP (timeline_ip_hour); the IP grouping itself is timeline_hour's kind 1. */
const IP_KINDS: Exclude<RollupGroupBy, 'ip'>[] = ['principal', 'service', 'account', 'region', 'role'];
/** Leaves per step when catching up (each step one transaction and one custody entry; ~1-3 s on a 2-core laptop). */
export const ROLLUP_STEP_LEAVES = 500_000;

export type RollupStatus = TimelineIndexStatus;

function hasRollupTables(store: CaseStore): boolean {
  return (store.stmt("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('timeline_state', 'timeline_ip_hour')").get() as { n: number }).n === 2;
}

function lastLeaf(store: CaseStore): number {
  // Leaves are numbered from 0; -1 means "no event yet".
  return (store.stmt('SELECT max(leaf) AS m FROM events').get() as { m: number | null }).m ?? -1;
}

/** The leaf the rollup covers up to, when it holds the current version (-1: nothing yet); null when absent or of another version. */
function rollupThrough(store: CaseStore): number | null {
  const st = store.stmt('SELECT version, through_leaf FROM timeline_state WHERE id = 1').get() as { version: number; through_leaf: number } | undefined;
  if (!st) return -1;
  return st.version === ROLLUP_VERSION ? st.through_leaf : null;
}

/** Whether the rollup covers every event (cheap: two indexed lookups). Never writes. */
export function timelineRollupStatus(store: CaseStore): RollupStatus {
  if (!hasRollupTables(store)) return { fresh: false, extended: false, throughLeaf: -1, seconds: 0 };
  const st = store.stmt('SELECT version, through_leaf FROM timeline_state WHERE id = 1').get() as { version: number; through_leaf: number } | undefined;
  const fresh = !!st && st.version === ROLLUP_VERSION && st.through_leaf >= lastLeaf(store);
  return { fresh, extended: false, throughLeaf: st?.version === ROLLUP_VERSION ? st.through_leaf : -1, seconds: 0 };
}

export interface RollupExtension {
  fromLeaf: number;
  throughLeaf: number;
  hourRows: number;
  dayRows: number;
  ipRows: number;
  rebuilt: boolean;
}

/**
 * Count leaves (from, through] into the rollups, inside the caller's
 * transaction. One pass over the events counts them per (IP, principal, role,
 * service, account, region, hour); every rollup row is a sum of those.
 */
function addLeaves(store: CaseStore, from: number, through: number, rebuilt: boolean): RollupExtension {
  const db = store.db;
  db.exec(
    `CREATE TEMP TABLE IF NOT EXISTS timeline_fine (ip INTEGER, p INTEGER, r INTEGER, s INTEGER, a INTEGER, g INTEGER, hour INTEGER, n INTEGER);
     CREATE TEMP TABLE IF NOT EXISTS timeline_delta (kind INTEGER, g INTEGER, hour INTEGER, n INTEGER);
     CREATE TEMP TABLE IF NOT EXISTS timeline_delta_ip (kind INTEGER, ip INTEGER, g INTEGER, hour INTEGER, n INTEGER);
     DELETE FROM temp.timeline_fine; DELETE FROM temp.timeline_delta; DELETE FROM temp.timeline_delta_ip;`,
  );
  // Events before 1970 would need floor division; CloudTrail has none, and they stay countable directly.
  const c = (g: RollupGroupBy) => `coalesce(${ROLLUP_COLUMN[g]}, -1)`;
  store
    .stmt(
      `INSERT INTO temp.timeline_fine SELECT ${c('ip')}, ${c('principal')}, ${c('role')}, ${c('service')}, ${c('account')}, ${c('region')}, time_ms / 3600000, count(*)
       FROM events WHERE leaf > ? AND leaf <= ? AND ${IN_ROLLUP} GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    )
    .run(from, through);
  const fineCol: Record<(typeof IP_KINDS)[number], string> = { principal: 'p', role: 'r', service: 's', account: 'a', region: 'g' };
  for (const k of IP_KINDS) {
    db.exec(`INSERT INTO temp.timeline_delta_ip SELECT ${ROLLUP_KIND[k]}, ip, ${fineCol[k]}, hour, sum(n) FROM temp.timeline_fine GROUP BY ip, ${fineCol[k]}, hour`);
  }
  db.exec(`INSERT INTO temp.timeline_delta SELECT kind, g, hour, sum(n) FROM temp.timeline_delta_ip GROUP BY kind, g, hour;
    INSERT INTO temp.timeline_delta SELECT ${ROLLUP_KIND.ip}, ip, hour, sum(n) FROM temp.timeline_fine GROUP BY ip, hour;
    INSERT INTO temp.timeline_delta SELECT ${ROLLUP_KIND_ALL}, 0, hour, sum(n) FROM temp.timeline_fine GROUP BY hour;`);
  const hourRows = store
    .stmt('INSERT INTO timeline_hour SELECT kind, g, hour, n FROM temp.timeline_delta WHERE 1 ON CONFLICT(kind, g, hour) DO UPDATE SET n = n + excluded.n')
    .run().changes;
  const dayRows = store
    .stmt(
      `INSERT INTO timeline_day SELECT kind, hour / 24 AS d, g, sum(n) FROM temp.timeline_delta WHERE 1 GROUP BY kind, d, g
       ON CONFLICT(kind, day, g) DO UPDATE SET n = n + excluded.n`,
    )
    .run().changes;
  const ipRows = store
    .stmt(
      `INSERT INTO timeline_ip_hour SELECT ip, kind, hour, g, n FROM temp.timeline_delta_ip WHERE ip != -1
       ON CONFLICT(ip, kind, hour, g) DO UPDATE SET n = n + excluded.n`,
    )
    .run().changes;
  db.exec('DELETE FROM temp.timeline_fine; DELETE FROM temp.timeline_delta; DELETE FROM temp.timeline_delta_ip;');
  store.stmt('INSERT OR REPLACE INTO timeline_state(id, version, through_leaf) VALUES (1, ?, ?)').run(ROLLUP_VERSION, through);
  return { fromLeaf: from, throughLeaf: through, hourRows, dayRows, ipRows, rebuilt };
}

/**
 * The import's part (session.ts, inside the transaction of each commit): extend
 * the rollups over the leaves after `firstLeaf - 1` when they cover exactly
 * everything before it, so they stay current with no work of their own. A
 * rollup that is behind or of another version is left for ensureTimelineRollup.
 */
export function extendRollupForImport(store: CaseStore, firstLeaf: number): RollupExtension | null {
  if (store.readonly || !hasRollupTables(store)) return null;
  const through = rollupThrough(store);
  const last = lastLeaf(store);
  if (through === null || through !== firstLeaf - 1 || last <= through) return null;
  return addLeaves(store, through, last, false);
}

/**
 * Bring the rollups up to the case's last event (the write method
 * timelineIndex; opening a case runs it): in steps of `stepLeaves`, each a
 * transaction with its custody entry (timeline.indexed), so an interrupted
 * build resumes (`maxSteps` stops early, as an interruption would). Read-only cases and cases whose schema predates the rollup are
 * left alone (fresh: false); the timeline then counts directly.
 */
export function ensureTimelineRollup(store: CaseStore, actor: string, opts: { stepLeaves?: number; maxSteps?: number } = {}): RollupStatus {
  const t0 = performance.now();
  const now = timelineRollupStatus(store);
  if (now.fresh || store.readonly || !hasRollupTables(store)) return now;
  const step = Math.max(1, opts.stepLeaves ?? ROLLUP_STEP_LEAVES);
  let through = now.throughLeaf;
  for (let steps = 1; ; steps++) {
    let more = false;
    store.db.transaction(() => {
      // Re-read inside the write transaction: another process may have extended it meanwhile.
      const cur = rollupThrough(store);
      const last = lastLeaf(store);
      const rebuilt = cur === null;
      if (rebuilt) store.db.exec('DELETE FROM timeline_hour; DELETE FROM timeline_day; DELETE FROM timeline_ip_hour;');
      const from = cur ?? -1;
      if (from >= last) {
        through = from;
        return;
      }
      const to = Math.min(last, from + step);
      const x = addLeaves(store, from, to, rebuilt);
      store.appendCustody(actor, 'timeline.indexed', { version: ROLLUP_VERSION, ...x });
      through = to;
      more = to < last;
    })();
    if (!more) break;
    if (opts.maxSteps !== undefined && steps >= opts.maxSteps) return { fresh: false, extended: true, throughLeaf: through, seconds: (performance.now() - t0) / 1000 };
  }
  return { fresh: true, extended: true, throughLeaf: through, seconds: (performance.now() - t0) / 1000 };
}
