// Analysis commands (docs/analysis.md): ioc, pivot, check, findings, decide, baselines, gaps.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { isIocType, IOC_TYPE_DOC, IOC_TYPES, type IocType } from '../../../shared/analysis/ioc.ts';
import { findingEventCount } from '../../../shared/analysis/findings.ts';
import type { AnalysisRunSummary, FindingWithDecision, IocFormat, PivotResult } from '../../../shared/analysis/types.ts';
import { dispatch } from '../../api/handlers.ts';
import { guessIocFormat } from '../../analysis/ioc-formats.ts';
import { readSigmaRuleDir } from '../../analysis/sigma/bundled.ts';
import { UserError } from '../../errors.ts';
import { ProgressBar } from '../progress.ts';
import { registerCommand, shown } from '../registry.ts';
import { needCase, withCase } from './foundation.ts';

function typeOpt(v: unknown): IocType | undefined {
  if (v === undefined) return undefined;
  const t = String(v).toLowerCase();
  if (!isIocType(t)) throw new UserError(`--type must be one of ${IOC_TYPES.join(', ')}`);
  return t;
}

function formatOpt(v: unknown): IocFormat | undefined {
  if (v === undefined) return undefined;
  if (v !== 'csv' && v !== 'text' && v !== 'stix') throw new UserError('--format must be csv, text or stix');
  return v;
}

const IOC_USAGE = [
  'trailcase ioc CASE add VALUE [--type T] [--label TEXT] [--source TEXT] [--disabled]',
  '       trailcase ioc CASE list [--all]',
  '       trailcase ioc CASE remove|enable|disable VALUE [--type T]',
  '       trailcase ioc CASE import FILE [--format csv|text|stix] [--source TEXT]',
  '       trailcase ioc CASE export [--format csv|text|stix] [--out FILE] [--enabled-only]',
  '       trailcase ioc CASE hits',
  `  types: ${IOC_TYPES.map((t) => `${t} (${IOC_TYPE_DOC[t]})`).join('; ')}`,
].join('\n');

registerCommand({
  name: 'ioc',
  summary: 'the case IOC list: add, list, remove, enable, disable, import, export, hits',
  usage: IOC_USAGE,
  options: {
    type: { type: 'string' },
    label: { type: 'string' },
    source: { type: 'string' },
    disabled: { type: 'boolean' },
    all: { type: 'boolean' },
    format: { type: 'string' },
    out: { type: 'string' },
    'enabled-only': { type: 'boolean' },
  },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    const sub = positionals[1];
    const arg = positionals.slice(2).join(' ');
    const needArg = (what: string) => {
      if (!arg) throw new UserError(`ioc ${sub}: missing ${what}\nusage: ${IOC_USAGE}`);
      return arg;
    };
    switch (sub) {
      case 'add': {
        const r = await withCase(path, (ctx) =>
          dispatch(ctx, 'addIoc', { value: needArg('VALUE'), type: typeOpt(values.type), label: values.label, source: values.source, enabled: !values.disabled }),
        );
        io.result(r, () => `Added ${r.ioc.type} ${shown(r.ioc.value)}${r.ioc.enabled ? '' : ' (disabled)'} (custody entry ${r.seq})`);
        return 0;
      }
      case 'list': {
        const r = await withCase(path, (ctx) => dispatch(ctx, 'listIocs', { includeRemoved: !!values.all }), true);
        io.result(r, () =>
          r.items.length
            ? r.items
                .map((i) => `${i.type.padEnd(11)} ${shown(i.value)}${i.enabled ? '' : '  [disabled]'}${i.removed ? '  [removed]' : ''}${i.label ? `  (${shown(i.label)})` : ''}`)
                .join('\n')
            : 'The IOC list is empty.',
        );
        return 0;
      }
      case 'remove':
      case 'enable':
      case 'disable': {
        const value = needArg('VALUE');
        const type = typeOpt(values.type);
        const r =
          sub === 'remove'
            ? await withCase(path, (ctx) => dispatch(ctx, 'removeIoc', { value, type }))
            : await withCase(path, (ctx) => dispatch(ctx, 'setIocEnabled', { value, type, enabled: sub === 'enable' }));
        io.result(r, () => (r.seq === null ? `${r.ioc.type} ${shown(r.ioc.value)} is already ${sub}d` : `${sub === 'remove' ? 'Removed' : sub === 'enable' ? 'Enabled' : 'Disabled'} ${r.ioc.type} ${shown(r.ioc.value)} (custody entry ${r.seq})`));
        return 0;
      }
      case 'import': {
        const file = needArg('FILE');
        let body: string;
        try {
          body = readFileSync(file, 'utf8');
        } catch (e) {
          throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
        }
        const format = formatOpt(values.format) ?? guessIocFormat(file, body);
        const r = await withCase(path, (ctx) => dispatch(ctx, 'importIocs', { body, format, source: values.source ?? basename(file) }));
        io.result(r, () =>
          [
            `Imported ${r.added.length} indicators from ${file} (${format}); ${r.unchanged.length} already listed${r.custodySeq ? `; custody entry ${r.custodySeq}` : ''}`,
            ...r.skipped.slice(0, 50).map((s) => `  skipped ${s.where}: ${s.reason}`),
            ...(r.skipped.length > 50 ? [`  … and ${r.skipped.length - 50} more skipped (see --json)`] : []),
          ].join('\n'),
        );
        return 0;
      }
      case 'export': {
        const format = formatOpt(values.format) ?? 'csv';
        const r = await withCase(path, (ctx) => dispatch(ctx, 'exportIocs', { format, includeDisabled: !values['enabled-only'] }), true);
        if (values.out) {
          writeFileSync(values.out, r.body);
          io.result({ out: values.out, count: r.count, format }, () => `Wrote ${r.count} indicators to ${values.out} (${format})`);
        } else if (io.json) io.result(r);
        else process.stdout.write(r.body);
        return 0;
      }
      case 'hits': {
        const r = await withCase(path, (ctx) => dispatch(ctx, 'iocHits', {}));
        io.result(r, () =>
          r.items.length
            ? r.items
                .map((h) => `${String(h.hits).padStart(8)}  ${h.type.padEnd(11)} ${shown(h.value)}  ${h.firstSeen ?? '-'} .. ${h.lastSeen ?? '-'}${h.enabled ? '' : '  [disabled]'}${h.note ? `  (${h.note})` : ''}`)
                .join('\n')
            : 'The IOC list is empty.',
        );
        return 0;
      }
      default:
        throw new UserError(`ioc: unknown or missing subcommand ${sub ? `'${sub}'` : ''}\nusage: ${IOC_USAGE}`);
    }
  },
});

function pivotText(r: PivotResult): string {
  const firstShown = r.eventsTruncated ? ` (first ${r.events.length} shown)` : '';
  const lines = [`Pivot from ${JSON.stringify(r.seed)}: ${r.eventCount} attacker events${firstShown} over ${r.hops} hop(s)${r.truncated ? ' (TRUNCATED at --max-events: the pivot is incomplete)' : ''}`];
  if (r.eventCount) {
    lines.push(`  per hop: ${r.eventsByHop.map((n, h) => `${h}: ${n}`).join(', ')}`);
    lines.push(`  from ${r.firstEventTime ?? '-'} to ${r.lastEventTime ?? '-'}`);
  }
  lines.push('', 'Indicators:');
  for (const i of r.indicators)
    lines.push(`  hop ${i.hop}  ${i.followed ? 'followed ' : 'reported '} ${i.type} ${shown(i.value)}${i.followed ? ` (${i.events} event${i.events === 1 ? '' : 's'})` : ''}\n           ${shown(i.reason, 2000)}`);
  lines.push('', r.eventsTruncated ? `Events (the earliest ${r.events.length} of ${r.eventCount}; --all-events lists every one):` : 'Events:');
  for (const e of r.events)
    lines.push(`  ${shown(e.eventTime)}  ${shown(e.eventName)}  ${shown(e.sourceIPAddress)}  ${shown(e.principalArn ?? e.userName)}  ${shown(e.eventId)}  [hop ${e.hop}: ${shown(e.reason, 2000)}]`);
  if (r.context.length) {
    lines.push('', 'Seen but not followed:');
    for (const c of r.context) lines.push(`  ${c.kind} ${shown(c.value)}: ${shown(c.note, 2000)}`);
  }
  return lines.join('\n');
}

registerCommand({
  name: 'pivot',
  summary: 'follow what an attacker created and used from one indicator',
  usage: 'trailcase pivot CASE --key AKIA…|--ip IP|--principal ARN|USER [--since T] [--until T] [--follow-creators] [--max-events N] [--event-limit N|--all-events]',
  options: {
    key: { type: 'string' },
    ip: { type: 'string' },
    principal: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    'follow-creators': { type: 'boolean' },
    'max-events': { type: 'string' },
    'event-limit': { type: 'string' },
    'all-events': { type: 'boolean' },
  },
  async run({ positionals, values, io }) {
    if (!values.key && !values.ip && !values.principal) throw new UserError('pivot needs a seed: --key, --ip or --principal');
    const max = values['max-events'] !== undefined ? Number(values['max-events']) : undefined;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new UserError('--max-events must be a positive whole number');
    const limit = values['event-limit'] !== undefined ? Number(values['event-limit']) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) throw new UserError('--event-limit must be a whole number');
    if (limit !== undefined && values['all-events']) throw new UserError('--event-limit and --all-events do not go together');
    const r = await withCase(needCase(positionals), (ctx) =>
      dispatch(ctx, 'pivot', {
        key: values.key,
        ip: values.ip,
        principal: values.principal,
        since: values.since,
        until: values.until,
        followCreators: !!values['follow-creators'],
        ...(max ? { maxEvents: max } : {}),
        // Every attacker event: the list can never be longer than maxEvents (at most 1,000,000).
        ...(values['all-events'] ? { eventLimit: 1_000_000 } : limit !== undefined ? { eventLimit: limit } : {}),
      }),
    );
    io.result(r, () => pivotText(r));
    return 0;
  },
});

function findingLine(f: FindingWithDecision): string {
  return `${f.severity.toUpperCase().padEnd(13)} ${f.id}  ${f.checkId}  ${shown(f.title, 2000)}  [${findingEventCount(f)} event${findingEventCount(f) === 1 ? '' : 's'}${findingEventCount(f) > f.eventIds.length ? `, the first ${f.eventIds.length} listed` : ''}${f.decision !== 'open' ? `; ${f.decision}` : ''}]`;
}

function runText(s: AnalysisRunSummary): string {
  const sev = ['critical', 'high', 'medium', 'low', 'informational'].map((k) => `${s.bySeverity[k] ?? 0} ${k}`).join(', ');
  return [
    `Analysis run ${s.runId ?? '-'}: ${s.findings} findings (${sev}) from ${s.checksRun.length} checks and ${s.sigmaRun.length} Sigma rules over ${s.treeSize} events in ${s.seconds.toFixed(2)} s (${s.passes.toFixed(2)} passes)`,
    ...(s.sigmaFiles ?? []).map((f) => `examiner rule file ${shown(f.file, 500)}  SHA-256 ${f.sha256}`),
    ...(s.promoted ?? []).map((p) => `promoted check ${shown(p.id, 200)}@${p.version}${typeof p.record?.resultSha256 === 'string' ? `  result SHA-256 ${p.record.resultSha256}` : ''}`),
    s.sigmaUnsupported.length ? `${s.sigmaUnsupported.length} Sigma rules cannot run: ${s.sigmaUnsupported.map((u) => `${u.file} (${u.reason})`).join('; ')}` : '',
    ...s.warnings.slice(0, 20).map((w) => `warning ${w.unit}${w.eventId ? ` event ${shown(w.eventId)}` : ''}: ${shown(w.message, 2000)}`),
  ]
    .filter(Boolean)
    .join('\n');
}

registerCommand({
  name: 'check',
  summary: "run every built-in check, Sigma rule (bundled and the case's own) and promoted query check on the case; store and print the findings",
  usage: 'trailcase check CASE [--rules DIR|FILE]\n  --rules: your own Sigma rule files (*.yml, *.yaml below DIR); they become the case\'s rule set (custody-logged, kept for later runs and the report)',
  options: { rules: { type: 'string' } },
  async run({ positionals, values, io }) {
    const rules = values.rules !== undefined ? readSigmaRuleDir(String(values.rules)) : undefined;
    const out = await withCase(needCase(positionals), async (ctx) => {
      const { jobId } = await dispatch(ctx, 'runChecks', rules ? { rules } : {});
      const bar = new ProgressBar('check');
      for (;;) {
        const s = ctx.jobs.status(jobId);
        if (s.progress) bar.update(s.progress.done, s.progress.total, `${s.progress.phase} ${s.progress.detail ?? ''}`);
        if (s.state !== 'running') {
          bar.done();
          if (s.state !== 'done') throw new UserError(`analysis ${s.state}: ${s.error ?? ''}`);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      return dispatch(ctx, 'listFindings', { limit: 100_000 });
    });
    io.result(out, () => [runText(out.run!), '', ...out.items.map(findingLine)].join('\n'));
    return 0;
  },
});

registerCommand({
  name: 'findings',
  summary: 'list the findings of the latest analysis run',
  usage: 'trailcase findings CASE [--severity S]... [--source check|sigma] [--decision open|accepted|dismissed] [--event EVENTID]',
  options: { severity: { type: 'string', multiple: true }, source: { type: 'string', multiple: true }, decision: { type: 'string', multiple: true }, event: { type: 'string' } },
  async run({ positionals, values, io }) {
    const r = await withCase(
      needCase(positionals),
      (ctx) => dispatch(ctx, 'listFindings', { severity: values.severity, source: values.source, decision: values.decision, eventId: values.event, limit: 100_000 }),
      true,
    );
    io.result(r, () =>
      r.run
        ? [runText(r.run), r.stale ? `STALE: ${r.staleReason}; run \`trailcase check\` again` : '', '', ...r.items.map(findingLine), `${r.items.length} of ${r.total} findings`].filter((x) => x !== '').join('\n')
        : 'No analysis has been run on this case yet (trailcase check CASE).',
    );
    return 0;
  },
});

registerCommand({
  name: 'decide',
  summary: 'accept, dismiss (with a note) or reopen a finding',
  usage: 'trailcase decide CASE FINDING_ID accept|dismiss|reopen [--note TEXT]',
  options: { note: { type: 'string' } },
  async run({ positionals, values, io }) {
    const [, id, verb] = positionals;
    const decision = verb === 'accept' ? 'accepted' : verb === 'dismiss' ? 'dismissed' : verb === 'reopen' ? 'open' : null;
    if (!id || !decision) throw new UserError('usage: trailcase decide CASE FINDING_ID accept|dismiss|reopen [--note TEXT]');
    const r = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'decideFinding', { id, decision, note: values.note }));
    io.result(r, () => `Finding ${id} ${decision} (custody entry ${r.seq})`);
    return 0;
  },
});

registerCommand({
  name: 'baselines',
  summary: 'first-seen IPs, networks, user agents, regions and APIs per principal; rare APIs; volume spikes',
  usage: 'trailcase baselines CASE [--learn-fraction F] [--learn-until T] [--min-events N]',
  options: { 'learn-fraction': { type: 'string' }, 'learn-until': { type: 'string' }, 'min-events': { type: 'string' } },
  async run({ positionals, values, io }) {
    const num = (v: unknown, name: string) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UserError(`--${name} must be a number`);
      return n;
    };
    const r = await withCase(
      needCase(positionals),
      (ctx) =>
        dispatch(ctx, 'baselines', {
          learnFraction: num(values['learn-fraction'], 'learn-fraction'),
          learnUntil: values['learn-until'],
          minEvents: num(values['min-events'], 'min-events'),
        }),
      true,
    );
    io.result(r, () =>
      [
        ...r.method.map((m) => `# ${m}`),
        '',
        `First seen after the learning window (${r.firstSeen.length}):`,
        ...r.firstSeen.slice(0, 200).map((f) => `  ${f.firstSeen}  ${shown(f.principal)}  new ${f.dimension} ${shown(f.value)}  (${f.count} events, first ${shown(f.eventId)})`),
        '',
        `Rare APIs (called at most ${r.rareThreshold} times):`,
        ...r.rareApis.slice(0, 200).map((a) => `  ${a.count}x ${shown(a.api)}  by ${a.principals.map((p) => shown(p)).join(', ')}`),
        '',
        `Volume spikes (${r.spikes.length}):`,
        ...r.spikes.slice(0, 100).map((s) => `  ${s.hour}  ${shown(s.principal)}  ${s.events} events (median ${s.median}, z ${s.robustZ})`),
        '',
        ...r.notAvailable,
      ].join('\n'),
    );
    return 0;
  },
});

registerCommand({
  name: 'gaps',
  summary: 'coverage per account/region/hour, empty hours, digest-chain gaps, logging changes, LookupEvents limits',
  usage: 'trailcase gaps CASE [--no-digest]',
  options: { 'no-digest': { type: 'boolean' } },
  async run({ positionals, values, io }) {
    const r = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'gaps', { digest: !values['no-digest'] }), true);
    io.result(r, () =>
      [
        `Case range ${r.range.first ?? '-'} .. ${r.range.last ?? '-'} (${r.range.hours} hours); accounts ${r.accounts.join(', ') || '-'}; regions ${r.regions.join(', ') || '-'}`,
        `Hours with no event at all: ${r.emptyHours.reduce((a, h) => a + h.hours, 0)}${r.emptyHours.length ? ` in ${r.emptyHours.length} stretch(es)` : ''}`,
        ...r.coverage.map((c) => `  ${c.account ?? '-'} ${c.region ?? '-'}: ${c.events} events in ${c.hoursWithEvents} hours; ${c.missingHours} hours without events`),
        '',
        `Logging changes (${r.loggingChanges.length}):`,
        ...r.loggingChanges.map((c) => `  ${c.time ?? '-'}  ${shown(c.eventName)}  ${shown(c.target)}  by ${shown(c.principal)}: ${shown(c.detail, 2000)}  (${shown(c.eventId)})`),
        ...r.loggingOff.map((o) => `  logging OFF for ${o.trail} from ${o.from ?? '-'} to ${o.to ?? 'the end of the case'}${o.restartedBy ? '' : ' (never restarted in the case)'}`),
        '',
        `Digest chain: ${r.digest.note}`,
        ...r.digest.gaps.slice(0, 50).map((g) => `  ${g.result}: ${g.origin}${g.detail ? ` (${g.detail})` : ''}`),
        ...(r.lookupEvents.present ? ['', ...r.lookupEvents.notes, ...r.lookupEvents.horizon.map((h) => `  ${h.region ?? '(region unknown)'}: nothing before ${h.earliestAvailable}`)] : []),
        '',
        r.dataEvents.note,
        ...r.notes,
      ].join('\n'),
    );
    return 0;
  },
});
