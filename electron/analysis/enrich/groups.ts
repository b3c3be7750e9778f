// Timeline groups by the source address's country or network (README.md, "Addresses and profiles"): the
// timeline counts per address (its indexes and rollups), and these groups fold
// the address groups by the answer in force recorded in the case. Nothing is
// looked up here: an address the case has no answer for is "not enriched",
// and the note says so, so a rerun with a newer database changes what the
// examiner sees only through a recorded run.
import type { IpInfo } from '../../../shared/analysis/enrichment.ts';
import { NONE_GROUP, OTHER_GROUP, type AddressGrouping, type TimelineGroup } from '../../../shared/api/timeline-types.ts';
import { runCount } from '../../case/data/enrichment.ts';
import type { CaseStore } from '../../case/store.ts';
import { enrichmentAvailable, enrichmentByIpId } from './enrich.ts';

const NOT_ENRICHED = 'not-enriched';

const CLASS_LABEL: Partial<Record<IpInfo['class'], string>> = {
  'aws-service': '(AWS service, no address)',
  'not-an-address': '(not an address)',
};

let regionNames: Intl.DisplayNames | null | undefined;
/** "DE Germany" where the runtime knows the name (a Node built without ICU data gives the code alone). */
function countryLabel(cc: string): string {
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
    } catch {
      regionNames = null;
    }
  }
  let name: string | undefined;
  try {
    name = regionNames?.of(cc);
  } catch {
    name = undefined;
  }
  return name && name !== cc ? `${cc} ${name}` : cc;
}

/** The group an answer falls in, for one grouping. */
function groupOf(grouping: AddressGrouping, info: IpInfo | undefined): { id: string; label: string } {
  if (!info) return { id: NOT_ENRICHED, label: '(address not enriched)' };
  if (info.class !== 'public') return { id: `class:${info.class}`, label: CLASS_LABEL[info.class] ?? `(${info.class} address)` };
  if (grouping === 'country') return info.country ? { id: `country:${info.country}`, label: countryLabel(info.country) } : { id: 'country:unknown', label: '(country unknown)' };
  return info.asn !== null ? { id: `asn:${info.asn}`, label: `AS${info.asn}${info.asOrg ? ` ${info.asOrg}` : ''}` } : { id: 'asn:unknown', label: '(network unknown)' };
}

export interface FoldedGroups {
  groups: TimelineGroup[];
  /** The group of an address group id (a dictionary id of `ips`, NONE_GROUP or OTHER_GROUP). */
  keyOf: (addressGroup: string) => string;
  otherValues: number;
  note?: string;
}

/**
 * Fold per-address groups (every address of the window, none folded into
 * "other" yet) into country or network groups: the top `maxGroups` by count
 * (ties by label), the rest into OTHER_GROUP, as the other groupings do.
 */
export function foldAddressGroups(store: CaseStore, grouping: AddressGrouping, addressGroups: TimelineGroup[], maxGroups: number): FoldedGroups {
  const ids = addressGroups.filter((g) => g.id !== NONE_GROUP && g.id !== OTHER_GROUP).map((g) => Number(g.id));
  const answers = enrichmentByIpId(store, ids);
  const target = new Map<string, string>();
  const sums = new Map<string, { id: string; label: string; count: number }>();
  let unanswered = 0;
  for (const g of addressGroups) {
    const to = g.id === NONE_GROUP || g.id === OTHER_GROUP ? { id: g.id, label: g.label } : groupOf(grouping, answers.get(Number(g.id)));
    if (to.id === NOT_ENRICHED) unanswered++;
    target.set(g.id, to.id);
    const s = sums.get(to.id);
    if (s) s.count += g.count;
    else sums.set(to.id, { ...to, count: g.count });
  }
  const all = [...sums.values()].sort((x, y) => y.count - x.count || (x.label < y.label ? -1 : x.label > y.label ? 1 : 0));
  const top = all.slice(0, all.length > maxGroups ? maxGroups - 1 : maxGroups);
  const rest = all.slice(top.length);
  const kept = new Set(top.map((t) => t.id));
  const groups: TimelineGroup[] = top.map((t) => ({ id: t.id, label: t.label, count: t.count }));
  if (rest.length) groups.push({ id: OTHER_GROUP, label: `${rest.length} other${rest.length === 1 ? '' : 's'}`, count: rest.reduce((n, r) => n + r.count, 0) });
  const keyOf = (g: string) => {
    const t = target.get(g) ?? NOT_ENRICHED;
    return kept.has(t) ? t : OTHER_GROUP;
  };
  let note: string | undefined;
  const what = grouping === 'country' ? 'country' : 'network (ASN)';
  if (!enrichmentAvailable(store) || runCount(store) === 0) {
    note = `Enrichment has not been run on this case, so no address has a ${what} yet: run it (Enrich addresses, or trailcase enrichment CASE run).`;
  } else if (unanswered > 0) {
    note = `${unanswered} address${unanswered === 1 ? ' has' : 'es have'} no enrichment answer yet (imported since the last run): run enrichment again.`;
  }
  return { groups, keyOf, otherValues: rest.length, ...(note ? { note } : {}) };
}
