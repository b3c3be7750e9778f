// electron/ingest/sources.ts and the composed list (source-list.ts): which source
// takes an argument, how arguments group into imports, and one options schema
// per source behind the CLI and the API alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { acquireApi } from '../../shared/api/acquire.ts';
import { caseApi } from '../../shared/api/case.ts';
import { SOURCES } from '../../electron/ingest/source-list.ts';
import { SourceRegistry, sourceOptions } from '../../electron/ingest/sources.ts';
import { sourceRunOptions } from '../../shared/sources.ts';
import { UserError } from '../../electron/errors.ts';

test('each argument goes to the source whose form it has; anything else is local files and folders', () => {
  const pick = (a: string) => SOURCES.for(a)?.name;
  assert.deepEqual(
    ['s3://bucket/AWSLogs/', 'lookup:', 'lookup', 'lake:arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/x', 'athena:db.t', './trail', 'C:\\trail', 'lookups:'].map(pick),
    ['s3', 'lookup', 'lookup', 'lake', 'athena', 'files', 'files', 'files'],
  );
});

test('files and folders make one import together; every other argument is its own, in order', () => {
  const plan = SOURCES.plan(['a.json', 's3://b/p', 'dir', 'lookup:', 's3://b/q']);
  assert.deepEqual(plan.map((g) => [g.source.name, g.args]), [['files', ['a.json', 'dir']], ['s3', ['s3://b/p']], ['lookup', ['lookup:']], ['s3', ['s3://b/q']]]);
});

test('the registry refuses a source registered twice', () => {
  assert.throws(() => new SourceRegistry([SOURCES.get('s3'), SOURCES.get('s3')]), /import source s3 registered twice/);
});

test('the CLI flags of each source become options its schema accepts', () => {
  const values = {
    account: ['111122223333,444455556666'],
    region: ['us-east-1'],
    since: '2024-01-01',
    until: '2024-01-02',
    profile: 'ir',
    'endpoint-url': 'http://127.0.0.1:1',
    'public-keys': 'keys.json',
    concurrency: '4',
    attribute: 'EventName=ConsoleLogin',
    sql: 'SELECT 1',
    ioc: true,
    workgroup: 'primary',
    output: 's3://out/',
    partitions: 'account,region',
    'athena-region': 'eu-west-1',
    's3-endpoint-url': 'http://127.0.0.1:2',
  };
  const o: Record<string, any> = Object.fromEntries(SOURCES.all.map((s) => [s.name, sourceOptions(s, s.cli.options(values), 'cli')]));
  assert.deepEqual(o.files, { accounts: ['111122223333', '444455556666'], regions: ['us-east-1'], since: '2024-01-01', until: '2024-01-02' });
  assert.equal(o.s3.concurrency, 4);
  assert.equal(o.s3.publicKeysFile, 'keys.json');
  assert.equal(o.lookup.attribute, 'EventName=ConsoleLogin');
  assert.equal(o.lake.useIocs, true);
  assert.deepEqual(o.athena.partitions, ['account', 'region']);
  assert.equal(o.athena.athenaRegion, 'eu-west-1');
  // Every flag a source maps is one it declares.
  for (const s of SOURCES.all) for (const k of Object.keys(s.cli.flags)) assert.ok(SOURCES.flags()[k], `${s.name} --${k}`);
});

test('a bad option is refused with the source and the option, in the words of the door it came through', () => {
  const s3 = SOURCES.get('s3');
  assert.throws(() => sourceOptions(s3, s3.cli.options({ concurrency: '100' }), 'cli'), (e: Error) => e instanceof UserError && /^s3: --concurrency: /.test(e.message));
  assert.throws(() => s3.cli.options({ concurrency: 'many' }), /--concurrency must be a positive whole number/);
  assert.throws(() => sourceOptions(s3, { publicKeysFile: 7 }, 'api'), (e: Error) => e instanceof UserError && /^s3: publicKeysFile: /.test(e.message));
  const athena = SOURCES.get('athena');
  assert.throws(() => athena.cli.options({ partitions: 'day' }), /--partitions "day": expected account, region, timestamp or none/);
});

test('the API declares no option a source does not have: acquire and importPaths are built from the same schemas', () => {
  const keys = (o: z.ZodTypeAny) => Object.keys((o as z.ZodObject<z.ZodRawShape>).shape).sort();
  const remote = new Set(SOURCES.all.filter((s) => !s.together).flatMap((s) => keys(s.options)));
  assert.deepEqual(keys(acquireApi.acquire.args), ['source', ...remote].sort());
  // importPaths adds only how the files source runs (its parser threads), declared beside the options.
  assert.deepEqual(keys(caseApi.importPaths.args), ['paths', ...keys(SOURCES.get('files').options), ...keys(sourceRunOptions)].sort());
  // The source's own schema keeps only its options from the API's union.
  assert.deepEqual(sourceOptions(SOURCES.get('lookup'), { regions: ['us-east-1'], sql: 'x', workgroup: 'w' }, 'api'), { regions: ['us-east-1'] });
});

test('the API picks the source from the registry: an unknown form is refused naming every form, a known one runs as a job', async () => {
  const { tempCase } = await import('../support/case.ts');
  const { makeContext } = await import('../../electron/api/context.ts');
  const { dispatch } = await import('../../electron/api/handlers.ts');
  const c = tempCase();
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  // Credentials from the environment, as the standard chain reads them; the endpoint is a closed port.
  process.env.AWS_ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
  process.env.AWS_SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  try {
    const ctx = makeContext(c.store, { signer: c.signer });
    await assert.rejects(
      dispatch(ctx, 'acquire', { source: 'ftp://host/trail' }),
      (e: Error) => e instanceof UserError && e.message === 'acquire: ftp://host/trail is not s3://BUCKET/PREFIX, lookup:, lake:EVENT_DATA_STORE or athena:DATABASE.TABLE',
    );
    await assert.rejects(dispatch(ctx, 'acquire', { source: './folder' }), /acquire: \.\/folder is not s3:/);
    // lookup: against a closed port: the job is the LookupEvents source's (its own message), not another's.
    const { jobId } = (await dispatch(ctx, 'acquire', { source: ' lookup: ', regions: ['us-east-1'], since: '2024-03-01', endpointUrl: 'http://127.0.0.1:9' })) as { jobId: string };
    const done = await ctx.jobs.wait(jobId);
    assert.equal(done.state, 'failed');
    assert.match(done.error ?? '', /CloudTrail LookupEvents in us-east-1 \(page 1\): connection at http:\/\/127\.0\.0\.1:9 failed/);
  } finally {
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    else process.env.AWS_ACCESS_KEY_ID = saved.id;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    c.cleanup();
  }
});
