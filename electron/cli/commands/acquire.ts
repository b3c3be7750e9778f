// CLI for acquisition from AWS (README.md, "Acquisition from AWS") beyond `trailcase import`:
//   lake-stores  list CloudTrail Lake event data stores of a Region
//   lake-sql     print the SQL a `lake:` import would run (builder + case scope + IOCs)
//   athena-table print the Athena CloudTrail table DDL with partition projection
//   athena-sql   print the SQL an `athena:` import would run (builder + case scope + IOCs)
//   validate     CloudTrail digest validation of the case's copies, object by object
//   public-keys  preserve `aws cloudtrail list-public-keys` output in a case (folder copies)
import { dispatch } from '../../api/handlers.ts';
import { optionList } from '../../ingest/aws/index.ts';
import { listEventDataStores } from '../../ingest/aws/lake-source.ts';
import { athenaTableDdl, AthenaTableError, parsePartitions } from '../../ingest/aws/athena-sql.ts';
import { UserError } from '../../errors.ts';
import { registerCommand } from '../registry.ts';
import { needCase, withCase } from './foundation.ts';

registerCommand({
  name: 'lake-stores',
  summary: 'list CloudTrail Lake event data stores of a Region',
  usage: 'trailcase lake-stores --region R [--profile P] [--endpoint-url URL]',
  options: { region: { type: 'string' }, profile: { type: 'string' }, 'endpoint-url': { type: 'string' } },
  async run({ values, io }) {
    const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) throw new UserError('missing --region R');
    const items = await listEventDataStores({ region, profile: values.profile, endpointUrl: values['endpoint-url'] });
    io.result({ items }, () =>
      items.length
        ? items.map((e) => `${e.arn}  ${e.name ?? '-'}  ${e.status ?? '-'}${e.organization ? '  organization' : ''}${e.multiRegion ? '  multi-region' : ''}`).join('\n')
        : `no event data stores in ${region}`,
    );
    return 0;
  },
});

registerCommand({
  name: 'athena-table',
  summary: 'print a CREATE TABLE for CloudTrail logs in Athena, with partition projection (account, region, day)',
  usage: 'trailcase athena-table --bucket B [--prefix P] [--org o-…] --accounts A,… --regions R,… [--database D] [--table T] [--start yyyy/MM/dd]',
  options: {
    bucket: { type: 'string' },
    prefix: { type: 'string' },
    org: { type: 'string' },
    accounts: { type: 'string', multiple: true },
    regions: { type: 'string', multiple: true },
    database: { type: 'string' },
    table: { type: 'string' },
    start: { type: 'string' },
  },
  async run({ values, io }) {
    if (!values.bucket) throw new UserError('missing --bucket B (the trail bucket)');
    let ddl: string;
    try {
      ddl = athenaTableDdl({
        bucket: values.bucket,
        prefix: values.prefix,
        orgId: values.org,
        accounts: optionList(values.accounts) ?? [],
        regions: optionList(values.regions) ?? [],
        database: values.database,
        table: values.table,
        start: values.start,
      });
    } catch (e) {
      if (e instanceof AthenaTableError) throw new UserError(e.message);
      throw e;
    }
    io.result({ ddl }, () => ddl);
    return 0;
  },
});

registerCommand({
  name: 'athena-sql',
  summary: 'print the SQL an athena: import would run (case scope, options, --ioc indicators), without running it',
  usage: 'trailcase athena-sql CASE athena:DATABASE.TABLE [--since T] [--until T] [--account A]... [--region R]... [--ioc] [--partitions account,region,timestamp|none]',
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    account: { type: 'string', multiple: true },
    region: { type: 'string', multiple: true },
    ioc: { type: 'boolean' },
    partitions: { type: 'string' },
  },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    const table = positionals[1];
    if (!table) throw new UserError('missing the table (athena:DATABASE.TABLE)');
    let partitions;
    try {
      partitions = parsePartitions(values.partitions);
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const r = await withCase(
      path,
      (ctx) => dispatch(ctx, 'athenaQueryPreview', { table, since: values.since, until: values.until, accounts: optionList(values.account), regions: optionList(values.region), useIocs: !!values.ioc, partitions }),
      true,
    );
    io.result(r, () =>
      [r.sql, '', `-- filters: ${r.conditions.join('; ') || 'none (every object of the table)'}`, ...r.skipped.map((s) => `-- not queried: ${s.ioc.type} ${s.ioc.value} (${s.reason})`)].join('\n'),
    );
    return 0;
  },
});

registerCommand({
  name: 'lake-sql',
  summary: 'print the SQL a lake: import would run (case scope, options, --ioc indicators)',
  usage: 'trailcase lake-sql CASE lake:EVENT_DATA_STORE [--since T] [--until T] [--account A]... [--region R]... [--event NAME]... [--ioc] [--limit N]',
  options: {
    since: { type: 'string' },
    until: { type: 'string' },
    account: { type: 'string', multiple: true },
    region: { type: 'string', multiple: true },
    event: { type: 'string', multiple: true },
    ioc: { type: 'boolean' },
    limit: { type: 'string' },
  },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    const eds = positionals[1];
    if (!eds) throw new UserError('missing the event data store (lake:ARN or ID)');
    const limit = values.limit !== undefined ? Number(values.limit) : undefined;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UserError('--limit must be a positive whole number');
    const r = await withCase(
      path,
      (ctx) =>
        dispatch(ctx, 'lakeQueryPreview', {
          eventDataStore: eds,
          since: values.since,
          until: values.until,
          accounts: optionList(values.account),
          regions: optionList(values.region),
          eventNames: optionList(values.event),
          useIocs: !!values.ioc,
          limit,
        }),
      true,
    );
    io.result(r, () =>
      [
        r.sql,
        '',
        `-- filters: ${r.conditions.join('; ') || 'none (the whole event data store)'}`,
        ...r.skipped.map((s) => `-- not queried: ${s.ioc.type} ${s.ioc.value} (${s.reason})`),
      ].join('\n'),
    );
    return 0;
  },
});

registerCommand({
  name: 'validate',
  summary: "CloudTrail's digest chain on the case's copies, per object; exit 0 valid or warnings only, 3 a failure",
  usage: 'trailcase validate CASE [--all]',
  options: { all: { type: 'boolean' } },
  async run({ positionals, values, io }) {
    const r = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'cloudTrailValidation', { onlyProblems: !values.all }), true);
    io.result(r, () => {
      const lines = [
        `CloudTrail validation: ${r.summary}`,
        `${r.failures} failures, ${r.warnings} warnings; ${r.publicKeys.count} public keys from evidence ${r.publicKeys.sources.join(', ') || '(none)'}; ${r.missingLogs} listed log files not in the case`,
        ...r.publicKeys.problems.map((p) => `  public keys: ${p}`),
      ];
      for (const o of r.objects) lines.push(`  ${o.severity.toUpperCase().padEnd(7)} ${o.result.padEnd(24)} evidence ${o.evidenceId} ${o.origin}${o.severity === 'ok' ? '' : `\n          ${o.detail}`}`);
      for (const d of r.digests.filter((x) => x.gapBefore)) lines.push(`  gap before ${d.key}: ${d.gapBefore!.from ?? '?'} .. ${d.gapBefore!.to} (${d.gapBefore!.reason})`);
      return lines.join('\n');
    });
    return r.failures > 0 ? 3 : 0;
  },
});

registerCommand({
  name: 'public-keys',
  summary: 'preserve `aws cloudtrail list-public-keys` output in the case, for offline digest validation',
  usage: 'trailcase public-keys CASE FILE',
  async run({ positionals, io }) {
    const path = needCase(positionals);
    const file = positionals[1];
    if (!file) throw new UserError('missing FILE (output of aws cloudtrail list-public-keys --start-time ... --end-time ...)');
    const r = await withCase(path, (ctx) => dispatch(ctx, 'addPublicKeys', { path: file }));
    io.result(r, () => (r.objects ? `Public keys preserved as evidence (import ${r.importId})` : `These public keys are already in the case (import ${r.importId})`));
    return 0;
  },
});
