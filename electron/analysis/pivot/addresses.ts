// Addresses and user agents of attacker events (rules 4 and 5): an address is
// followed only when no one else in the case uses it; user agents are reported
// with who else uses them, never followed. S3 buckets are reported as targets.
import { parseIp } from '../../../shared/ip.ts';
import { bucketsNamed, eventsWhere, leavesWhere, leavesWithUserAgent, otherRows as readOtherRows, type OtherRow } from '../../case/data/pivot.ts';
import { ipIdsOf } from '../../case/queries.ts';
import type { PivotState } from './state.ts';

function isPrivateOrSpecial(ip: string): boolean {
  const p = parseIp(ip);
  if (!p) return true;
  if (p.version === 4) {
    const v = p.value as number;
    const a = v >>> 24;
    const b = (v >>> 16) & 255;
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
  }
  const h = p.value as string;
  const first = parseInt(h.slice(0, 4), 16);
  return /^0{31}[01]$/.test(h) || (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80;
}

/** Decide the undecided (or earlier rejected) IPs; returns true when one was newly followed. */
export function decideIps(s: PivotState): boolean {
  s.refreshCompromised();
  let any = false;
  // Attacker keys and principals do not change while the addresses are decided: looked up once.
  let keyLeaves: Set<number> | null = null;
  let known: string | null = null;
  for (const [ip, st] of s.ipState) {
    if (st.followed) continue;
    if (!parseIp(ip)) {
      s.addContext({ kind: 'not-followed', value: ip, note: 'source is an AWS service, not an address: shared by every account', eventIds: [st.via] });
      continue;
    }
    if (isPrivateOrSpecial(ip)) {
      s.addContext({ kind: 'not-followed', value: ip, note: 'private or special-use address (inside a VPC or a corporate network): shared by design', eventIds: [st.via] });
      s.indicator('ip', ip, `source address of attacker event ${st.via}; private, not followed`, st.via, st.hop, false);
      continue;
    }
    if (!st.ipIds.length) st.ipIds = ipIdsOf(s.store, [ip]);
    const others = new Map<string, string[]>();
    let otherEvents = 0;
    // Events from the address, in the address index's order, less those found as the attacker's
    // and those made with an attacker key: both sets are leaves read from indexes alone, so a busy
    // address of the attacker's own costs no table reads. SQLite then drops events of attacker or
    // compromised principals, and the loop re-checks what is left exactly (the filters only ever
    // remove events the loop would skip).
    keyLeaves ??= new Set(leavesWhere(s.store, eventsWhere.columnIn('access_key', [...s.dKeyIds])));
    const candidates = leavesWhere(s.store, eventsWhere.columnIn('ip', st.ipIds)).filter((l) => !s.rowOf.has(l) && !keyLeaves!.has(l));
    known ??= JSON.stringify(s.knownPrincipalIds());
    for (const [leaf, eventId, key, arn, prin] of otherRows(s, candidates, known)) {
      if (s.isAttackerEvent(leaf, key, arn)) continue;
      const p = s.dict.str(prin) ?? '(no principal)';
      if (s.isCompromised(p)) continue;
      otherEvents++;
      const list = others.get(p);
      if (list) {
        if (list.length < 5) list.push(eventId);
      } else others.set(p, [eventId]);
      if (others.size >= 5 && otherEvents >= 50) break;
    }
    if (others.size === 0) {
      st.followed = true;
      any = true;
      const ind = s.indicator('ip', ip, `source address of attacker event ${st.via}, used by no one else in the case`, st.via, st.hop, true);
      s.queue.push({ kind: 'ip', value: ip, hop: st.hop, reason: `from attacker IP ${ip} (first seen in ${st.via})`, ind });
    } else {
      const names = [...others.keys()];
      s.indicator('ip', ip, `source address of attacker event ${st.via}; also used by ${names.length >= 5 ? '5 or more' : names.length} other principal(s), not followed`, st.via, st.hop, false);
      s.addContext({
        kind: 'shared-ip',
        value: ip,
        note: `also used by ${names.slice(0, 5).join(', ')}${names.length >= 5 ? ' and possibly more' : ''} (${otherEvents}${others.size >= 5 ? '+' : ''} events): not followed`,
        eventIds: [...others.values()].flat().slice(0, 10),
      });
    }
  }
  return any;
}

/**
 * Rows of these events, in this order, read 500 at a time as the caller goes on (callers stop
 * early); with `notPrincipals` (JSON list of string ids), events acting as one of them are left out.
 */
function* otherRows(s: PivotState, leaves: number[], notPrincipals?: string): Generator<OtherRow> {
  for (let at = 0; at < leaves.length; at += 500) {
    const chunk = leaves.slice(at, at + 500);
    const rows = readOtherRows(s.store, chunk, notPrincipals);
    const byLeaf = new Map(rows.map((x) => [x[0], x]));
    for (const l of chunk) {
      const row = byLeaf.get(l);
      if (row) yield row;
    }
  }
}

export function reportUserAgents(s: PivotState): void {
  for (const [ua, st] of s.uaSeen) {
    const text = s.dict.str(ua)!;
    const others = new Set<string>();
    // The first 5,000 events with it (leaves from the index), less those found as the attacker's.
    const leaves = leavesWithUserAgent(s.store, ua, 5000);
    const sample: string[] = [];
    let otherEvents = 0;
    for (const [leaf, eventId, key, arn, prin] of otherRows(s, leaves.filter((l) => !s.rowOf.has(l)))) {
      if (s.isAttackerEvent(leaf, key, arn)) continue;
      otherEvents++;
      if (sample.length < 5) sample.push(eventId);
      const p = s.dict.str(prin);
      if (p) others.add(p);
      if (others.size >= 5) break;
    }
    const n = others.size;
    const detail = otherEvents === 0 ? 'seen only in attacker events' : `also in ${otherEvents}${n >= 5 ? '+' : ''} other events by ${[...others].slice(0, 5).join(', ')}`;
    s.indicator('user-agent', text, `user agent of attacker event ${st.via}; ${detail}; user agents are reported, not followed`, st.via, st.hop, false);
    if (otherEvents > 0) s.addContext({ kind: 'shared-user-agent', value: text, note: detail, eventIds: sample });
  }
}

/** S3 buckets named in attacker events (targets, reported, not followed: other principals use them legitimately). */
export function reportBuckets(s: PivotState): void {
  if (!s.r.leaf.length) return;
  const rows = bucketsNamed(s.store, s.r.leaf);
  const ids = s.eventIds(rows.map((x) => x[2]));
  for (const [value, n, first] of rows) {
    const hop = s.r.hop[s.rowOf.get(first)!];
    s.indicator('bucket', value, `named in ${n} attacker event(s); a target, reported, not followed`, ids.get(first)!, hop + 1, false);
  }
}
