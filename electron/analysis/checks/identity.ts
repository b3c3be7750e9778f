// Behaviour indicators over addresses (README.md, "Addresses and profiles"), in the manner of Amazon
// Detective's profile indicators: a principal seen from a new country or a new
// network, impossible travel, instance-role credentials used outside AWS,
// console sign-ins from hosting-provider networks, a new user-agent family.
// They need the case's address enrichment (CheckContext.ipInfo: country, city
// coordinates, ASN, AWS ranges); without it they report nothing.
//
// Why these thresholds (stated in each description, so the report carries them):
// - "New" needs an ESTABLISHED history: at least BASELINE.minEvents located
//   events spanning BASELINE.minSpanMs before the new value. A principal first
//   seen yesterday has no "usual" place yet, and short test trails (Stratus
//   detonations) would otherwise flag every first event.
// - Impossible travel: TRAVEL.speedKmh is an airliner's cruising speed with a
//   margin (~900 km/h), and TRAVEL.floorKm absorbs GeoIP error: free city-level
//   databases often place an address in the wrong city of the right country,
//   hundreds of km away, or at the country's centre. Pairs where either side is
//   not a public address with coordinates (private, AWS service names, unknown)
//   or is inside AWS (published ranges or an Amazon network: traffic from
//   EC2/Lambda, where AWS, not a person, moves) are skipped.
import type { AnalysisEvent } from '../../../shared/analysis/findings.ts';
import { asLabel, distanceKm, placeLabel, type IpInfo } from '../../../shared/analysis/enrichment.ts';
import { DAY_MS } from '../../../shared/time.ts';
import { streamCheck } from './define.ts';
import { actorKey, actorLabel, eventName, extra, failed, invokedBy, is, isAwsInternal, resp, str, whoWhen } from './event.ts';
import { instanceOf } from './access.ts';
import type { Check, CheckContext, CheckStream, FindingDraft } from './types.ts';
import type { Make } from './define.ts';

export const BASELINE = { minEvents: 5, minSpanMs: DAY_MS } as const;
export const TRAVEL = { speedKmh: 1000, floorKm: 500 } as const;

/**
 * Networks of hosting and VPS providers (ASN organisation names as the
 * RouteViews/DB-IP data spells them). A console sign-in, which is a person at
 * a browser, rarely comes from a data centre; from one of these it suggests a
 * rented server or a commercial VPN exit. Google, Microsoft and Akamai are
 * left out on purpose: their networks also carry their own offices and
 * consumer traffic, so the name alone cannot tell.
 */
export const HOSTING_ORGS: { name: string; re: RegExp }[] = [
  { name: 'Amazon (AWS)', re: /^Amazon(\.com| Data Services| Technologies)/i },
  { name: 'DigitalOcean', re: /DigitalOcean/i },
  { name: 'Hetzner', re: /Hetzner/i },
  { name: 'OVH', re: /^OVH/i },
  { name: 'Linode', re: /Linode/i },
  { name: 'Vultr / The Constant Company / Choopa', re: /Constant Company|Choopa|Vultr/i },
  { name: 'Contabo', re: /Contabo/i },
  { name: 'Scaleway', re: /Scaleway/i },
  { name: 'Leaseweb', re: /Leaseweb/i },
  { name: 'M247', re: /^M247/i },
  { name: 'Datacamp (CDN77, VPN exits)', re: /Datacamp Limited/i },
  { name: 'Oracle Cloud', re: /^Oracle Corporation/i },
  { name: 'Alibaba Cloud', re: /Alibaba/i },
  { name: 'Tencent Cloud', re: /Tencent/i },
  { name: 'G-Core Labs', re: /G-Core/i },
  { name: 'Hostinger', re: /Hostinger/i },
  { name: 'IONOS', re: /^IONOS/i },
  { name: 'Psychz', re: /Psychz/i },
  { name: 'Servers.com', re: /^Servers\.com/i },
  { name: 'FranTech / BuyVM', re: /FranTech/i },
  { name: 'QuadraNet', re: /QuadraNet/i },
  { name: 'ColoCrossing', re: /ColoCrossing/i },
];

export function hostingProvider(info: IpInfo | undefined): string | null {
  const org = info?.asOrg;
  if (!org) return null;
  return HOSTING_ORGS.find((h) => h.re.test(org))?.name ?? null;
}

/** Inside AWS: a published AWS range, or a network Amazon operates. */
export function insideAws(info: IpInfo): boolean {
  return info.aws !== null || /^Amazon/i.test(info.asOrg ?? '');
}

function locate(e: AnalysisEvent, ctx: CheckContext): IpInfo | undefined {
  const ip = e.n.sourceIPAddress;
  if (!ip || !ctx.ipInfo) return undefined;
  const i = ctx.ipInfo(ip);
  return i && i.class === 'public' ? i : undefined;
}

/** Who a behaviour baseline belongs to: a role (across its sessions), a user, a key. */
export function subjectOf(e: AnalysisEvent): string {
  return e.n.sessionIssuerArn ?? actorKey(e);
}

function subjectLabel(e: AnalysisEvent): string {
  return e.n.sessionIssuerArn ? `role ${e.n.sessionIssuerArn}` : actorLabel(e);
}

/** Customer activity: not AWS acting for itself, not a service acting on the principal's behalf. */
function customer(e: AnalysisEvent): boolean {
  return !isAwsInternal(e) && !invokedBy(e) && e.timeMs !== null;
}

interface History { first: number; n: number; seen: Set<string> }

/**
 * Shared shape of the "new X for a subject" indicators: walk each subject's
 * events in time order; once its history is established, the first event with
 * a value not seen before becomes a finding (once per subject and value).
 */
function newValueStream(
  valueOf: (e: AnalysisEvent) => { key: string; label: string } | null,
  draft: (e: AnalysisEvent, v: { key: string; label: string }, before: string[], h: History) => FindingDraft,
): CheckStream {
  // State per subject: its first time, count and the values seen (bounded by subjects x values, not events).
  const hist = new Map<string, History & { labels: Map<string, string> }>();
  const out: FindingDraft[] = [];
  return {
    add: (e) => {
      if (!customer(e)) return;
      const v = valueOf(e);
      if (!v) return;
      const s = subjectOf(e);
      let h = hist.get(s);
      if (!h) hist.set(s, (h = { first: e.timeMs!, n: 0, seen: new Set(), labels: new Map() }));
      if (!h.seen.has(v.key)) {
        const established = h.n >= BASELINE.minEvents && e.timeMs! - h.first >= BASELINE.minSpanMs;
        if (established) out.push(draft(e, v, [...h.labels.values()], h));
        h.seen.add(v.key);
        h.labels.set(v.key, v.label);
      }
      h.n++;
    },
    finish: () => out,
  };
}

function days(ms: number): string {
  const d = ms / DAY_MS;
  return d >= 2 ? `${Math.floor(d)} days` : `${Math.round(ms / 3_600_000)} hours`;
}

const baselineText = `A subject is a role (all its sessions together), an IAM user, the root user or another principal; its history counts as established after ${BASELINE.minEvents} located events spanning ${BASELINE.minSpanMs / DAY_MS} day.`;

export const newCountry = streamCheck({
  id: 'initial-access.new-country-for-principal', version: '1.0.0', title: 'Principal active from a new country',
  category: 'initial-access', severity: 'medium', attack: ['T1078.004'], enrichment: true,
  description: `The first event of a principal from a country (by the case's GeoIP country database) where it had not been seen, once its history is established. ${baselineText} Only public addresses count; AWS service names and private addresses have no country. GeoIP locates networks, not people: VPNs and mobile carriers move addresses.`,
  select: { all: true },
}, (ctx, make) => newValueStream((e) => {
  const i = locate(e, ctx);
  return i?.country ? { key: i.country, label: i.country } : null;
}, (e, v, before, h) => {
  const i = locate(e, ctx)!;
  return make({
    events: [e],
    title: `${subjectLabel(e)} active from ${v.label}, a new country`,
    explanation: `${whoWhen(e)} (${placeLabel(i)}, ${asLabel(i)}) called ${eventName(e)}: the first activity of ${subjectLabel(e)} from ${v.label}. Over the previous ${days(e.timeMs! - h.first)} (${h.n} located events) it had been seen only from ${before.join(', ')}.`,
    artefacts: [{ type: 'country', value: v.label }],
    remediation: [
      `Ask the owner of ${subjectLabel(e)} whether they worked from ${v.label} at that time (travel, VPN).`,
      `If not: treat its credentials as compromised; review everything done from ${e.n.sourceIPAddress} (trailcase profile --ip ${e.n.sourceIPAddress}).`,
    ],
  });
}));

/** The network an address belongs to, with several ASNs of one organisation counted as one network. */
function networkOf(i: IpInfo): { key: string; label: string } | null {
  if (i.asn === null) return null;
  const org = i.asOrg?.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  return { key: org ? `org:${org}` : `as:${i.asn}`, label: asLabel(i) };
}

export const newNetwork = streamCheck({
  id: 'initial-access.new-network-for-principal', version: '1.0.0', title: 'Principal active from a new network (ASN)',
  category: 'initial-access', severity: 'low', attack: ['T1078.004'], enrichment: true,
  description: `The first event of a principal from an autonomous system (network operator, by the case's ASN database) where it had not been seen, once its history is established. ${baselineText} Several ASNs of one organisation (e.g. Amazon's) count as one network. Low on its own: people change ISPs, phones roam; read it with the country and the APIs called.`,
  select: { all: true },
}, (ctx, make) => newValueStream((e) => {
  const i = locate(e, ctx);
  return i ? networkOf(i) : null;
}, (e, v, before, h) => {
  const i = locate(e, ctx)!;
  const host = hostingProvider(i);
  return make({
    events: [e],
    severity: host ? 'medium' : 'low',
    title: `${subjectLabel(e)} active from ${v.label}, a new network${host ? ` (hosting provider ${host})` : ''}`,
    explanation: `${whoWhen(e)} (${placeLabel(i)}) called ${eventName(e)} from ${v.label}${host ? `, a hosting provider (${host})` : ''}: the first activity of ${subjectLabel(e)} from that network. Over the previous ${days(e.timeMs! - h.first)} (${h.n} located events) it had used ${before.join('; ')}.`,
    artefacts: [{ type: 'asn', value: String(i.asn) }],
    remediation: [
      `Ask the owner of ${subjectLabel(e)} whether ${v.label} is a network they use.`,
      `If not: review what was done from ${e.n.sourceIPAddress} and rotate the credentials used.`,
    ],
  });
}));

function fmtKm(km: number): string {
  return `${Math.round(km).toLocaleString('en-US')} km`;
}

export const impossibleTravel = streamCheck({
  id: 'initial-access.impossible-travel', version: '1.0.0', title: 'Impossible travel between consecutive uses of a principal',
  category: 'initial-access', severity: 'high', attack: ['T1078.004'], enrichment: true,
  description: `Two consecutive uses of one principal (an IAM user, a role session, the root user) or one access key from two places at least ${TRAVEL.floorKm} km apart (great-circle distance between the city coordinates of the case's GeoIP city database), faster than ${TRAVEL.speedKmh} km/h. ${TRAVEL.speedKmh} km/h is an airliner's cruising speed with a margin; the ${TRAVEL.floorKm} km floor absorbs GeoIP error (free city-level data often places an address in another city of the same country, or at the country's centre). Skipped: addresses that are not public, have no coordinates, or are inside AWS (published ranges or an Amazon network), and events AWS made for itself. One finding per principal and pair of places.`,
  select: { all: true },
}, (ctx, make) => {
  const out: FindingDraft[] = [];
  // State: the last located use per principal and key, and the pairs reported (bounded by principals and places).
  const last = new Map<string, { e: AnalysisEvent; i: IpInfo }>();
  const reported = new Set<string>();
  const step = (key: string, e: AnalysisEvent, i: IpInfo) => {
    const prev = last.get(key);
    last.set(key, { e, i });
    if (!prev || prev.e.n.sourceIPAddress === e.n.sourceIPAddress) return;
    const km = distanceKm(prev.i.lat!, prev.i.lon!, i.lat!, i.lon!);
    if (km < TRAVEL.floorKm) return;
    const hours = Math.max(0, e.timeMs! - prev.e.timeMs!) / 3_600_000;
    const kmh = hours === 0 ? Infinity : km / hours;
    if (kmh <= TRAVEL.speedKmh) return;
    const places = [placeLabel(prev.i), placeLabel(i)].sort().join('|');
    if (reported.has(`${key}\u0000${places}`)) return;
    reported.add(`${key}\u0000${places}`);
    const minutes = Math.round(hours * 60);
    out.push(draftTravel(make, key, prev, { e, i }, km, minutes, kmh));
  };
  return {
    add: (e) => {
      if (!customer(e)) return;
      const i = locate(e, ctx);
      if (!i || insideAws(i) || i.lat === null || i.lon === null) return;
      step(`principal:${actorKey(e)}`, e, i);
      if (e.n.accessKeyId && !e.n.principalArn) step(`key:${e.n.accessKeyId}`, e, i);
    },
    finish: () => out,
  };
});

function draftTravel(make: Make, key: string, a: { e: AnalysisEvent; i: IpInfo }, b: { e: AnalysisEvent; i: IpInfo }, km: number, minutes: number, kmh: number): FindingDraft {
  const who = key.startsWith('key:') ? `access key ${key.slice(4)}` : actorLabel(b.e);
  const speed = Number.isFinite(kmh) ? `${Math.round(kmh).toLocaleString('en-US')} km/h` : 'at the same moment';
  return make({
    events: [a.e, b.e],
    title: `Impossible travel: ${who} in ${placeLabel(a.i)} and ${placeLabel(b.i)} ${minutes} min apart`,
    explanation: `${whoWhen(a.e)} (${placeLabel(a.i)}, ${asLabel(a.i)}) called ${eventName(a.e)}; ${minutes} minutes later it called ${eventName(b.e)} from ${b.e.n.sourceIPAddress} (${placeLabel(b.i)}, ${asLabel(b.i)}), ${fmtKm(km)} away: ${speed}, above the ${TRAVEL.speedKmh} km/h an airliner allows. Two people (or a person and a server) are using the same credentials, unless one side is a VPN exit.`,
    artefacts: [{ type: 'ip', value: a.e.n.sourceIPAddress! }, { type: 'ip', value: b.e.n.sourceIPAddress! }],
    remediation: [
      `Establish which of ${a.e.n.sourceIPAddress} and ${b.e.n.sourceIPAddress} the owner of ${who} used (VPN, proxy, CI runner).`,
      `Treat the other as an attacker's: rotate the credentials and review its events (trailcase profile --ip …).`,
    ],
  });
}

export const instanceCredentialsOutsideAws = streamCheck({
  id: 'credential-access.instance-credentials-outside-aws', version: '1.0.0', title: 'EC2 instance-role credentials used from outside AWS (first use)',
  category: 'credential-access', severity: 'high', attack: ['T1552.005'], enrichment: true,
  description: "The first call of an EC2 instance role's credentials (session named after the instance, principalId ending ':i-<id>') from a public address that is in neither AWS's published ranges nor an Amazon network (by the case's ASN database). Instance credentials are meant to be used by the instance; used from elsewhere they were taken from its metadata service (GuardDuty's InstanceCredentialExfiltration.OutsideAWS). One finding per instance role and outside address. Narrower than credential-access.instance-credentials-used-outside, which reports any public address, EC2's own included. The bundled AWS ranges are a dated subset: with no current copy imported, an Amazon ASN is what marks AWS.",
  select: { identityTypes: ['AssumedRole'], principalIdContains: [':i-', ':I-'] },
}, (ctx, make) => {
  const out: FindingDraft[] = [];
  const seen = new Set<string>();
  const add = (e: AnalysisEvent) => {
    const inst = instanceOf(e);
    if (!inst || !customer(e)) return;
    const i = locate(e, ctx);
    if (!i || insideAws(i)) return;
    const key = `${e.n.sessionIssuerArn ?? e.n.principalArn}\u0000${e.n.sourceIPAddress}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(make({
      events: [e],
      title: `Instance-role credentials of ${inst} used from outside AWS (${e.n.sourceIPAddress})`,
      explanation: `${whoWhen(e)} (${placeLabel(i)}, ${asLabel(i)}) called ${eventName(e)} with the credentials of instance ${inst}'s role: the address is in no published AWS range and not on an Amazon network, so the call did not come from the instance.`,
      artefacts: [{ type: 'instance', value: inst }],
      remediation: [
        `Revoke the role's active sessions (an inline deny on aws:TokenIssueTime before now) and find how the credentials left ${inst} (SSRF, a shell on the instance).`,
        'Enforce IMDSv2 on the instance; review every call from that address.',
      ],
    }));
  };
  return { add, finish: () => out };
});

export const consoleFromHosting = streamCheck({
  id: 'initial-access.console-login-from-hosting-network', version: '1.0.0', title: 'Console sign-in from a hosting-provider network',
  category: 'initial-access', severity: 'medium', attack: ['T1078.004'], enrichment: true,
  description: `A successful ConsoleLogin from an address whose network (ASN organisation in the case's ASN database) belongs to a hosting or VPS provider: ${HOSTING_ORGS.map((h) => h.name).join(', ')}. People sign in from offices and homes; a data-centre address suggests a rented server or a commercial VPN exit. Google, Microsoft and Akamai are not on the list: their networks also carry offices and consumer traffic.`,
  select: { eventNames: ['ConsoleLogin'], eventSources: ['signin.amazonaws.com'] },
}, (ctx, make) => {
  const out: FindingDraft[] = [];
  const add = (e: AnalysisEvent) => {
    if (!is(e, 'signin.amazonaws.com', 'ConsoleLogin') || !customer(e)) return;
    if (failed(e) || str(resp(e).ConsoleLogin) !== 'Success') return;
    const i = locate(e, ctx);
    const host = hostingProvider(i);
    if (!i || !host) return;
    const mfa = str(extra(e).MFAUsed);
    out.push(make({
      events: [e],
      title: `Console sign-in of ${actorLabel(e)} from ${host} (${e.n.sourceIPAddress})`,
      explanation: `${whoWhen(e)} signed in to the AWS console from ${asLabel(i)} (${placeLabel(i)}), a hosting provider's network${mfa ? ` (MFA used: ${mfa})` : ''}.`,
      artefacts: [{ type: 'asn', value: String(i.asn) }],
      remediation: [
        `Ask the owner of ${actorLabel(e)} whether they use a server or VPN at ${host}.`,
        'If not: reset the password and MFA, end the console sessions, review what the session did.',
      ],
    }));
  };
  return { add, finish: () => out };
});

/** The client family a user agent names: its first product token ("aws-cli", "Boto3", "python-requests", "browser"). */
export function uaFamily(ua: string | null): string | null {
  if (!ua) return null;
  const s = ua.trim().replace(/^\[/, '');
  if (!s || /amazonaws\.com$/i.test(s) || /^AWS Internal$/i.test(s)) return null;
  if (/^Mozilla\//.test(s)) return 'browser';
  const m = /^([A-Za-z][\w.+-]*)/.exec(s);
  return m ? m[1].toLowerCase() : null;
}

export const newUserAgentFamily = streamCheck({
  id: 'initial-access.new-user-agent-family', version: '1.0.0', title: 'Principal uses a new kind of client (user-agent family)',
  category: 'initial-access', severity: 'low', attack: ['T1078.004'], enrichment: false,
  description: `The first event of a principal with a user-agent family it had not used (the first product token: aws-cli, Boto3, aws-sdk-go, python-requests, Terraform; every browser counts as one family), once its history is established. ${baselineText.replace('located events', 'events')} Versions and platforms are ignored, so upgrades are quiet. Low on its own: an attacker's tooling often differs from the owner's, but so does a new script.`,
  select: { all: true },
}, (_ctx, make) => newValueStream((e) => {
  const f = uaFamily(e.n.userAgent);
  return f ? { key: f, label: f } : null;
}, (e, v, before, h) => make({
  events: [e],
  title: `${subjectLabel(e)} used a new client: ${v.label}`,
  explanation: `${whoWhen(e)} called ${eventName(e)} with user agent "${e.n.userAgent}" (family ${v.label}). Over the previous ${days(e.timeMs! - h.first)} (${h.n} events) ${subjectLabel(e)} had used only ${before.join(', ')}.`,
  artefacts: [{ type: 'user-agent', value: e.n.userAgent ?? '' }],
  remediation: [`Ask the owner of ${subjectLabel(e)} whether they started using ${v.label}.`, `If not: review the events with this user agent (trailcase search --ua …).`],
})));

export const IDENTITY_CHECKS: readonly Check[] = [newCountry, newNetwork, impossibleTravel, instanceCredentialsOutsideAws, consoleFromHosting, newUserAgentFamily];
