// The events each followed identity pulls in (rules 1 and 2): one job per
// key, principal, session, role, trust change, console password, sourceIdentity,
// address or seed creator.
import { eventsWhere, byUserNameOrIssuer, roleStringIds, type Batch } from '../../case/data/pivot.ts';
import { eventsByLeaves } from '../records.ts';
import { obj, str, type Job, type PivotState } from './state.ts';

/** Keys and sessions of one hop in one query each (a stolen CI key can hand out thousands of role sessions); returns the other jobs. */
export function runGrouped(s: PivotState, jobs: Job[]): Job[] {
  const rest: Job[] = [];
  const byCol = new Map<'access_key' | 'arn', Map<number, Job>>([['access_key', new Map()], ['arn', new Map()]]);
  for (const job of jobs) {
    if (job.kind !== 'key' && job.kind !== 'session') {
      rest.push(job);
      continue;
    }
    const id = s.strId(job.value);
    if (id !== null) byCol.get(job.kind === 'key' ? 'access_key' : 'arn')!.set(id, job);
  }
  for (const [col, m] of byCol) {
    if (!m.size) continue;
    // Added in leaf order below, up to the event limit (one key's or session's events come in leaf order).
    const b = s.batch(eventsWhere.columnIn(col, [...m.keys()]), true, false, m.size === 1 ? 'as-found' : 'by-leaf');
    const order = [...b.leaf.keys()].sort((x, y) => b.leaf[x] - b.leaf[y]);
    const ids = col === 'access_key' ? b.key : b.arn;
    const reasonOf = new Map<Job, number>();
    s.addBatch(b, m.values().next().value!.hop, (i) => {
      const job = m.get(ids[i]!)!;
      let r = reasonOf.get(job);
      if (r === undefined) reasonOf.set(job, (r = s.reasonId(job.reason, job.ind)));
      return r;
    }, order);
  }
  return rest;
}

export function runJob(s: PivotState, job: Job): void {
  switch (job.kind) {
    case 'key': {
      const id = s.strId(job.value);
      if (id !== null) s.addJobRows(s.batch(eventsWhere.column('access_key', id), true, false, 'as-found'), job);
      return;
    }
    case 'session': {
      const id = s.strId(job.value);
      if (id !== null) s.addJobRows(s.batch(eventsWhere.column('arn', id), true, false, 'as-found'), job);
      return;
    }
    case 'principal': {
      const ids = s.principalIds(job.value);
      for (const i of ids) s.dPrincipalIds.add(i);
      if (!ids.length) return;
      // Only as many of the principal's events as the result has room for (a busy user of a 5M-event
      // case has hundreds of thousands: reading them all, and then the scan below, took 7 s).
      s.addJobRows(s.batch(eventsWhere.columnIn('arn', ids), true, false, 'prefix'), job);
      if (s.truncated) return; // the result is full: what follows could add nothing
      // By user name, then as a role session's issuer.
      const { leaves, byName } = byUserNameOrIssuer(s.store, ids, s.window);
      s.addJobRows(s.batchOf(leaves.filter((_, i) => byName[i] === 1)), job);
      s.addJobRows(s.batchOf(leaves.filter((_, i) => byName[i] !== 1)), job);
      return;
    }
    case 'role': {
      const ids = roleStringIds(s.store, job.arn, job.value);
      // Sessions of the role: their ARNs become attacker principals too.
      if (ids.length) {
        const sessions = s.batch(eventsWhere.issuedBy(s.store, ids), true, true);
        for (const a of sessions.arn) if (a !== null) s.dPrincipalIds.add(a);
        s.addJobRows(sessions, job);
      }
      // AssumeRole calls into it (whoever made them: the role is the attacker's).
      s.addJobRows(assumeInto(s, job.value, job.since), job, `AssumeRole into ${job.reason}`);
      return;
    }
    case 'trust': {
      const own = s.accounts();
      const b = assumeInto(s, job.value, job.since);
      const take: number[] = [];
      const events = eventsByLeaves(s.store, b.leaf, s.reader);
      const at = new Map(b.leaf.map((l, i) => [l, i]));
      for (const e of events) {
        const i = at.get(e.leaf)!;
        const callerAcct = str(obj(e.record.userIdentity)?.accountId);
        if (s.isAttackerEvent(e.leaf, b.key[i], b.arn[i]) || (callerAcct !== null && !own.has(callerAcct))) take.push(i);
        else
          s.addContext({
            kind: 'not-followed',
            value: e.eventId,
            note: `AssumeRole into ${job.value} by ${e.n.principalArn ?? 'a principal'} of this case's accounts after the trust change: not attributed to the attacker`,
            eventIds: [e.eventId],
          });
      }
      s.addBatch(b, job.hop, s.reasonId(job.reason, job.ind), take);
      return;
    }
    case 'login': {
      const ids = s.principalIds(job.value);
      const name = s.strId('ConsoleLogin');
      if (!ids.length || name === null) return;
      s.addJobRows(s.batch(eventsWhere.consoleLogins(name, job.since, ids)), job);
      return;
    }
    case 'source-identity':
      s.addJobRows(s.batch(eventsWhere.sourceIdentity(job.value)), job);
      return;
    case 'ip': {
      const st = s.ipState.get(job.value)!;
      s.addJobRows(s.batch(eventsWhere.columnIn('ip', st.ipIds)), job);
      return;
    }
    case 'leaves':
      s.addJobRows(s.batch(eventsWhere.leaves(job.leaves)), job);
      return;
  }
}

function assumeInto(s: PivotState, role: string, since: number | null): Batch {
  return s.batch(eventsWhere.assumeInto(role, since));
}
