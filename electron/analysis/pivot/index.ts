// The pivot (the rules and the folder's layout: rules.ts): breadth first from
// the seed, hop by hop, until no job is left and no address newly qualifies.
import { canonicalIp } from '../../../shared/analysis/ioc.ts';
import { PIVOT_EVENT_LIMIT, type PivotResult, type PivotSeed } from '../../../shared/analysis/types.ts';
import { ipIdsOf } from '../../case/queries.ts';
import { currentActor, type CaseStore } from '../../case/store.ts';
import { UserError } from '../../errors.ts';
import { ensureRefs, refsState } from '../refs.ts';
import { decideIps, reportBuckets, reportUserAgents } from './addresses.ts';
import { creators, examine } from './derive.ts';
import { runGrouped, runJob } from './jobs.ts';
import { reportCompromised, result } from './result.ts';
import type { PivotOptions } from './rules.ts';
import { PivotState } from './state.ts';

export { PIVOT_RULES, PIVOT_UNIT, type PivotOptions } from './rules.ts';

function go(s: PivotState, seed: PivotSeed): PivotResult {
  const t0 = performance.now();
  if (seed.key) {
    const k = seed.key.trim().toUpperCase();
    if (!/^A[A-Z0-9]{15,127}$/.test(k)) throw new UserError(`pivot: ${JSON.stringify(seed.key)} is not an access key id`);
    seed = { ...seed, key: k };
    s.followKey(k, 0, 'seed', null);
  }
  if (seed.principal) {
    const p = seed.principal.trim();
    if (!p) throw new UserError('pivot: empty principal');
    seed = { ...seed, principal: p };
    s.followPrincipal(p, 'principal', 0, 'seed', null);
  }
  if (seed.ip) {
    const c = canonicalIp(seed.ip);
    if (!c) throw new UserError(`pivot: ${JSON.stringify(seed.ip)} is not an IP address or CIDR`);
    seed = { ...seed, ip: c };
    s.ipState.set(c, { followed: true, hop: 0, via: '', ipIds: ipIdsOf(s.store, [c]) });
    const ind = s.indicator('ip', c, 'seed (followed whoever else uses it: the examiner chose it)', null, 0, true);
    s.queue.push({ kind: 'ip', value: c, hop: 0, reason: `from seed IP ${c}`, ind });
  }
  if (!seed.key && !seed.principal && !seed.ip) throw new UserError('pivot needs a seed: an access key, an IP or a principal');
  const limit = s.opts.eventLimit ?? PIVOT_EVENT_LIMIT;
  if (!(limit >= 0)) throw new UserError(`pivot: eventLimit ${limit} is not a count`);
  creators(s, seed);
  for (;;) {
    while (s.queue.length && !s.truncated) {
      // Breadth first: all pending jobs of the lowest hop; keys and sessions grouped into one query per column.
      let hop = Infinity;
      for (const j of s.queue) if (j.hop < hop) hop = j.hop;
      const now = s.queue.filter((j) => j.hop === hop);
      s.queue = s.queue.filter((j) => j.hop !== hop);
      for (const job of runGrouped(s, now)) {
        if (s.truncated) break;
        runJob(s, job);
      }
      examine(s);
    }
    if (s.truncated || !decideIps(s)) break;
  }
  reportCompromised(s);
  reportUserAgents(s);
  reportBuckets(s);
  if (s.truncated) s.addContext({ kind: 'limit', value: String(s.maxEvents), note: 'stopped at the event limit: the result is incomplete', eventIds: [] });
  return result(s, seed, limit, t0);
}

/**
 * Pivot from a seed. Brings the event index (event_refs) up to date first
 * when the case is writable (custody-logged); on a read-only case with a stale
 * index the credential/role links through refs are incomplete and the result
 * says so in context.
 */
export function pivot(store: CaseStore, seed: PivotSeed, opts: PivotOptions = {}): PivotResult {
  const st = refsState(store);
  let note: string | null = null;
  if (!st.upToDate) {
    if (!store.readonly && st.available) ensureRefs(store, opts.actor ?? currentActor());
    else note = st.available ? `the event index covers leaves up to ${st.upto} of ${st.maxLeaf}` : 'the case has no event index (schema 3)';
  }
  if (!st.available) throw new UserError('pivot needs the event index (schema 3): open the case read-write once to upgrade it');
  const r = go(new PivotState(store, opts), seed);
  if (note) r.context.push({ kind: 'limit', value: 'event-index', note: `${note}: links through issued credentials, AssumeRole targets and sourceIdentity may be missing`, eventIds: [] });
  return r;
}
