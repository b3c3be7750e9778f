// Enrichment and profile commands (README.md, "Addresses and profiles").
import { displayText } from '../../../shared/text/display.ts';
import { readFileSync } from 'node:fs';
import { asLabel, placeLabel, type EnrichmentSource, type IpInfo } from '../../../shared/analysis/enrichment.ts';
import type { Profile, ProfileItem } from '../../../shared/analysis/profile.ts';
import { dispatch } from '../../api/handlers.ts';
import { UserError } from '../../errors.ts';
import { registerCommand } from '../registry.ts';
import { needCase, withCase } from './foundation.ts';

const ENRICH_USAGE = [
  'trailcase enrichment CASE run                 answer every source address not yet answered by the databases in force',
  '       trailcase enrichment CASE import FILE         bring in a newer copy of AWS ip-ranges.json (stored in the case)',
  '       trailcase enrichment CASE sources             the databases recorded in the case (version, date, SHA-256, attribution)',
  '       trailcase enrichment CASE show ADDRESS…       the answers in force for recorded source addresses',
].join('\n');

/** Record text on a terminal (lines joined by the caller): the shared display rule (shared/text/display.ts), line feeds kept. */
function plain(s: string): string {
  return displayText(s, Infinity, { keepLayout: true });
}

function sourceLine(s: EnrichmentSource): string {
  return `#${s.id} ${s.kind.padEnd(10)} ${s.name} ${s.version}${s.date ? ` (${s.date})` : ''}\n    sha256 ${s.sha256}\n    ${s.licence}: ${s.attribution}`;
}

/** One line for an address; every part chosen by the databases or the record, printed as plain text. */
export function infoLine(i: IpInfo | null): string {
  if (!i) return 'not enriched';
  const parts: string[] = [i.class];
  if (i.class === 'public') parts.push(placeLabel(i), asLabel(i));
  if (i.aws) parts.push(`AWS ${i.aws.service} ${i.aws.region} (${i.aws.prefix})`);
  if (i.note) parts.push(`[${i.note}]`);
  return parts.join('  ');
}

registerCommand({
  name: 'enrichment',
  summary: 'offline enrichment of source addresses: run, import AWS ranges, list databases, show answers',
  usage: ENRICH_USAGE,
  async run({ positionals, io }) {
    const path = needCase(positionals);
    const sub = positionals[1];
    switch (sub) {
      case 'run': {
        const r = await withCase(path, (ctx) => dispatch(ctx, 'enrichAddresses', {}));
        io.result(r, () => `${r.enriched} addresses enriched${r.runId ? ` (run ${r.runId})` : ''}, ${r.unchanged} already answered by the same databases, in ${r.seconds.toFixed(2)} s\n${r.sources.map(sourceLine).join('\n')}`);
        return 0;
      }
      case 'import': {
        const file = positionals[2];
        if (!file) throw new UserError(`enrichment import: missing FILE\nusage: ${ENRICH_USAGE}`);
        let body: string;
        try {
          body = readFileSync(file, 'utf8');
        } catch (e) {
          throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
        }
        const r = await withCase(path, (ctx) => dispatch(ctx, 'importAwsRanges', { body, name: file }));
        io.result(r, () => `Imported ${sourceLine(r.source)}\nRun 'trailcase enrichment CASE run' to answer the case's addresses with it.`);
        return 0;
      }
      case 'sources': {
        const r = await withCase(path, (ctx) => dispatch(ctx, 'enrichmentSources', {}), true);
        io.result(r, () => (r.sources.length ? r.sources.map(sourceLine).join('\n') : 'No enrichment database recorded yet.'));
        return 0;
      }
      case 'show': {
        const addresses = positionals.slice(2);
        if (!addresses.length) throw new UserError(`enrichment show: missing ADDRESS\nusage: ${ENRICH_USAGE}`);
        const r = await withCase(path, (ctx) => dispatch(ctx, 'lookupAddresses', { addresses }), true);
        io.result(r, () => plain(r.items.map((x) => `${x.address}  ${infoLine(x.info)}`).join('\n')));
        return 0;
      }
      default:
        throw new UserError(`enrichment: unknown or missing subcommand ${sub ?? ''}\nusage: ${ENRICH_USAGE}`);
    }
  },
});

function itemLines(title: string, items: ProfileItem[], extra?: (i: number) => string): string[] {
  if (!items.length) return [];
  return [
    `${title}:`,
    ...items.map((it, i) => `  ${it.isNew ? 'NEW ' : '    '}${String(it.count).padStart(7)}  ${it.value}  (${it.first ?? '?'} .. ${it.last ?? '?'}${it.after ? `; ${it.before} before, ${it.after} after` : ''})${extra ? `  ${extra(i)}` : ''}`),
  ];
}

export function profileText(p: Profile): string {
  return [
    `Profile of ${p.subject.kind} ${p.subject.value}: ${p.eventCount} events${p.first ? ` from ${p.first} to ${p.last}` : ''}${p.split ? `; split at ${p.split}: ${p.before} before, ${p.after} after (NEW = seen only after)` : ''}`,
    ...itemLines('Principals', p.principals),
    ...itemLines('Access keys', p.keys),
    ...itemLines('Role sessions', p.sessions),
    ...itemLines('Roles assumed', p.rolesAssumed),
    ...itemLines('Assumed by', p.assumedBy),
    ...itemLines('Addresses', p.addresses, (i) => infoLine(p.addresses[i].info)),
    ...itemLines('User agents', p.userAgents),
    ...itemLines('Regions', p.regions),
    ...itemLines('APIs', p.apis),
    ...itemLines('Errors', p.errors),
    ...itemLines('Resources', p.resources),
    ...(p.findings.length ? ['Findings citing these events:', ...p.findings.map((f) => `  ${f.severity.toUpperCase().padEnd(13)} ${f.id}  ${f.checkId}  ${f.title} (${f.events} events)`)] : []),
    ...(p.enrichment.sources.length ? ['Address data: ' + p.enrichment.sources.map((s) => `${s.name} ${s.version} sha256 ${s.sha256.slice(0, 16)}…`).join('; ')] : []),
    ...p.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

registerCommand({
  name: 'profile',
  summary: 'behaviour profile of a principal, access key, address or account, with a before/after split',
  usage: 'trailcase profile CASE --principal ARN|USER|ROLE | --key AKIA… | --ip IP | --account ID [--since T] [--until T] [--split T] [--limit N]',
  options: {
    principal: { type: 'string' },
    key: { type: 'string' },
    ip: { type: 'string' },
    account: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
  },
  async run({ positionals, values, io }) {
    const seeds = [values.principal, values.key, values.ip, values.account].filter((x) => x !== undefined);
    if (seeds.length !== 1) throw new UserError('profile needs exactly one of --principal, --key or --ip (or --account)');
    const limit = values.limit !== undefined ? Number(values.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UserError('--limit must be a positive whole number');
    const p = await withCase(needCase(positionals), (ctx) =>
      dispatch(ctx, 'profile', {
        principal: values.principal as string | undefined, key: values.key as string | undefined, ip: values.ip as string | undefined,
        account: values.account as string | undefined,
        since: values.since as string | undefined, until: values.until as string | undefined, split: values.split as string | undefined,
        ...(limit ? { limit } : {}),
      }),
    );
    io.result(p, () => plain(profileText(p)));
    return 0;
  },
});
