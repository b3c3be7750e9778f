// The Athena query builder, table DDL and cost estimate (README.md, "Speed and size"), pure:
// quoting of hostile values and names, partition columns as the table has
// them, --sql checks, the DDL's refusal of bad inputs, and that every column
// the builder filters on exists in the table the DDL creates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  athenaTableDdl,
  buildAthenaQuery,
  checkUserSql,
  describeScan,
  estimateAthenaCost,
  parseAthenaTable,
  parsePartitions,
} from '../../../electron/ingest/aws/athena-sql.ts';
import { pathsFromPages } from '../../../electron/ingest/aws/athena-source.ts';

const T = { database: 'trail_db', table: 'cloudtrail_logs' };

test('table names: DATABASE.TABLE, validated; quoted as identifiers', () => {
  assert.deepEqual(parseAthenaTable('athena:trail_db.cloudtrail-logs'), { database: 'trail_db', table: 'cloudtrail-logs' });
  for (const bad of ['athena:x', 'athena:a.b.c', 'athena:a."b"', 'athena:a.b;DROP', 'athena:a .b', 'athena:.b', 'athena:a.b\nc']) {
    assert.throws(() => parseAthenaTable(bad), /DATABASE\.TABLE|not an Athena database or table name/, bad);
  }
  const q = buildAthenaQuery({ database: 'trail-db', table: 't1' });
  assert.equal(q.sql, 'SELECT "$path", count(*) AS events\nFROM "trail-db"."t1"\nGROUP BY "$path"\nORDER BY "$path"');
  assert.throws(() => buildAthenaQuery({ database: 'a"b', table: 't' }), /not an Athena database or table name/);
});

test('scope: partition pruning by delivery day (a day of late delivery), eventtime strings, accounts and Regions', () => {
  const q = buildAthenaQuery({ ...T, since: '2024-03-31T23:50:00.250Z', until: '2024-04-02T10:00:00Z', accounts: ['111122223333', '444455556666'], regions: ['eu-west-1'] });
  assert.equal(
    q.sql,
    [
      'SELECT "$path", count(*) AS events',
      'FROM "trail_db"."cloudtrail_logs"',
      `WHERE "timestamp" BETWEEN '2024/03/31' AND '2024/04/03'`,
      `  AND eventtime >= '2024-03-31T23:50:00Z'`,
      `  AND eventtime <= '2024-04-02T10:00:00Z'`,
      `  AND account IN ('111122223333', '444455556666')`,
      `  AND region = 'eu-west-1'`,
      'GROUP BY "$path"',
      'ORDER BY "$path"',
    ].join('\n'),
  );
  // Log names may run up to 15 minutes before their events: a since just after midnight reaches into the day before.
  assert.match(buildAthenaQuery({ ...T, since: '2024-04-01T00:05:00Z' }).sql, /WHERE "timestamp" >= '2024\/03\/31'\n  AND eventtime >= '2024-04-01T00:05:00Z'\n/);
  assert.match(buildAthenaQuery({ ...T, until: '2024-04-01T00:05:00Z' }).sql, /WHERE "timestamp" <= '2024\/04\/02'\n  AND eventtime <= /);
  // Only a timestamp partition (AWS's single-Region table), or none: record columns instead.
  const ts = buildAthenaQuery({ ...T, since: '2024-04-01T00:00:00Z', accounts: ['111122223333'], regions: ['us-east-1'], partitions: ['timestamp'] }).sql;
  assert.match(ts, /"timestamp" >= '2024\/03\/31'[\s\S]*recipientaccountid = '111122223333'\n  AND awsregion = 'us-east-1'/);
  const none = buildAthenaQuery({ ...T, since: '2024-04-01T00:00:00Z', partitions: [] }).sql;
  assert.ok(!none.includes('timestamp'), none);
  assert.throws(() => buildAthenaQuery({ ...T, since: '2024-04-02', until: '2024-04-01' }), /is after until/);
  assert.throws(() => buildAthenaQuery({ ...T, since: "2024' OR '1'='1" }), /is not a time/);
  assert.throws(() => buildAthenaQuery({ ...T, accounts: ["1' OR 1=1 --"] }), /not a 12-digit account ID/);
  assert.throws(() => buildAthenaQuery({ ...T, regions: ["us-east-1' OR '1'='1"] }), /not an AWS Region name/);
  assert.deepEqual(parsePartitions(undefined), ['account', 'region', 'timestamp']);
  assert.deepEqual(parsePartitions('timestamp'), ['timestamp']);
  assert.deepEqual(parsePartitions('none'), []);
  assert.throws(() => parsePartitions('year,month'), /expected account, region, timestamp or none/);
});

test('indicators: OR-ed, hostile values quoted, unsupported ones reported', () => {
  const q = buildAthenaQuery({
    ...T,
    iocs: [
      { type: 'ip', value: '10.0.0.0/8' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'principal', value: "arn:aws:iam::111122223333:user/o'brien" },
      { type: 'user-agent', value: "%_\\'; DROP TABLE x; --" },
      { type: 'bucket', value: "pay'roll" },
      { type: 'event-name', value: 'ConsoleLogin' },
      { type: 'ip', value: 'not-an-ip' },
      { type: 'tag', value: 'x' },
    ],
  });
  assert.ok(q.sql.includes(`contains('10.0.0.0/8', TRY_CAST(sourceipaddress AS IPADDRESS))`), q.sql);
  assert.ok(q.sql.includes(`sourceipaddress IN ('2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001')`), q.sql);
  assert.ok(q.sql.includes(`useridentity.arn = 'arn:aws:iam::111122223333:user/o''brien'`), q.sql);
  assert.ok(q.sql.includes(`useragent LIKE '%\\%\\_\\\\''; DROP TABLE x; --%' ESCAPE '\\'`), q.sql);
  assert.ok(q.sql.includes(`json_extract_scalar(requestparameters, '$.bucketName') = 'pay''roll'`), q.sql);
  assert.match(q.sql, /WHERE \(contains[\s\S]*\n    OR eventname = 'ConsoleLogin'\)\nGROUP BY/);
  assert.deepEqual(q.skipped.map((s) => [s.ioc.value, s.reason]), [
    ['not-an-ip', 'not an IP address or CIDR'],
    ['x', 'indicator type tag is not supported in Athena queries'],
  ]);
  // Every quote in the statement is paired: no value ends a literal early.
  const stripped = q.sql.replace(/'(?:[^']|'')*'/g, "''");
  assert.ok(!/DROP TABLE/.test(stripped), stripped);
});

test('--sql: a SELECT naming "$path"; the result must carry the column', () => {
  assert.equal(checkUserSql('  SELECT "$path" FROM t GROUP BY "$path" '), 'SELECT "$path" FROM t GROUP BY "$path"');
  assert.throws(() => checkUserSql('DELETE FROM t'), /must be a SELECT/);
  assert.throws(() => checkUserSql('SELECT eventname FROM t'), /must return the "\$path" column/);
  const page = (columns: string[], rows: string[][]) =>
    Buffer.from(JSON.stringify({ ResultSet: { Rows: rows.map((r) => ({ Data: r.map((v) => ({ VarCharValue: v })) })), ResultSetMetadata: { ColumnInfo: columns.map((Name) => ({ Name })) } } }));
  const r = pathsFromPages([
    page(['$path', 'events'], [['$path', 'events'], ['s3://b/k1', '3']]),
    page(['$path', 'events'], [['s3://b/k2', '2'], ['s3://b/k1', '1']]),
  ]);
  assert.deepEqual([...r.paths], ['s3://b/k1', 's3://b/k2']);
  assert.equal(r.matched, 6);
  assert.equal(pathsFromPages([page(['$path'], [['$path'], ['s3://b/k']])]).matched, null);
  assert.throws(() => pathsFromPages([page(['path', 'n'], [['path', 'n']])]), /does not return the "\$path" column \(it returns "path", "n"\)/);
});

test('cost: $5 per TB, rounded up to the MB, 10 MB minimum', () => {
  assert.deepEqual(estimateAthenaCost(0), { billedBytes: 10_000_000, usd: 0.00005 });
  assert.deepEqual(estimateAthenaCost(1e12), { billedBytes: 1e12, usd: 5 });
  assert.equal(estimateAthenaCost(2e12 + 1).billedBytes, 2e12 + 1e6);
  assert.match(describeScan(3.2e12), /^scanned 3200\.00 GB \(DataScannedInBytes 3200000000000\), estimated cost \$16\.00 at \$5\/TB/);
  assert.match(describeScan(null), /unknown/);
});

test('athena-table: the DDL with partition projection; bad inputs refused', () => {
  const ddl = athenaTableDdl({ bucket: 'org-trail', prefix: 'org/prod', orgId: 'o-abcdefghij', accounts: ['111122223333', '444455556666'], regions: ['us-east-1', 'eu-west-1'] });
  assert.match(ddl, /^CREATE EXTERNAL TABLE `default`\.`cloudtrail_logs` \(\n    eventversion STRING,/);
  assert.match(ddl, /PARTITIONED BY \(\n    `account` STRING,\n    `region` STRING,\n    `timestamp` STRING\)/);
  assert.match(ddl, /ROW FORMAT SERDE 'org\.apache\.hive\.hcatalog\.data\.JsonSerDe'\nSTORED AS INPUTFORMAT 'com\.amazon\.emr\.cloudtrail\.CloudTrailInputFormat'/);
  assert.match(ddl, /LOCATION 's3:\/\/org-trail\/org\/prod\/AWSLogs\/o-abcdefghij\/'/);
  assert.match(ddl, /'projection\.account\.values'='111122223333,444455556666'/);
  assert.match(ddl, /'projection\.region\.values'='us-east-1,eu-west-1'/);
  assert.match(ddl, /'projection\.timestamp\.format'='yyyy\/MM\/dd'/);
  assert.match(ddl, /'projection\.timestamp\.range'='2013\/11\/01,NOW'/);
  assert.match(ddl, /'storage\.location\.template'='s3:\/\/org-trail\/org\/prod\/AWSLogs\/o-abcdefghij\/\$\{account\}\/CloudTrail\/\$\{region\}\/\$\{timestamp\}'\n\);$/);
  // Every column the builder filters on is in the table.
  const q = buildAthenaQuery({
    ...T,
    since: '2024-01-01',
    until: '2024-01-02',
    accounts: ['111122223333'],
    regions: ['us-east-1'],
    iocs: ['ip:1.2.3.4', 'access-key:AKIAEXAMPLE0000001', 'principal:arn:aws:iam::1:role/x', 'role:x', 'user-agent:x', 'event-name:X', 'region:us-east-1', 'account:111122223333', 'bucket:b'].map((s) => ({
      type: s.slice(0, s.indexOf(':')),
      value: s.slice(s.indexOf(':') + 1),
    })),
  });
  const refs = new Set(q.sql.replace(/'(?:[^']|'')*'/g, '').match(/\b[a-z]+(?:\.[a-z]+)+\b|\b(?:eventtime|account|region|sourceipaddress|useragent|eventname|awsregion|recipientaccountid|requestparameters)\b/g));
  for (const r of refs) {
    for (const part of r.split('.')) assert.match(ddl, new RegExp(`\\b\`?${part}\`?:? `), `${part} (from ${r}) is not in the DDL`);
  }
  for (const [spec, msg] of [
    [{ bucket: "b'ad" }, /--bucket "b'ad" is not an S3 bucket name/],
    [{ bucket: 'Upper' }, /not an S3 bucket name/],
    [{ prefix: "x'y" }, /--prefix "x'y" is not a plain S3 key prefix/],
    [{ prefix: 'a/${account}' }, /is not a plain S3 key prefix/],
    [{ orgId: "o-abc'" }, /--org .* is not an organization ID/],
    [{ accounts: ['12345'] }, /--accounts "12345" is not a 12-digit account ID/],
    [{ accounts: [] }, /--accounts: give the account IDs/],
    [{ regions: ["us-east-1','x"] }, /is not an AWS Region name/],
    [{ database: 'a`b' }, /--database "a`b": use only lower-case letters, digits and underscore/],
    [{ start: '2020-01-01' }, /--start .* is not a date in the form yyyy\/MM\/dd/],
  ] as const) {
    assert.throws(() => athenaTableDdl(Object.assign({ bucket: 'org-trail', accounts: ['111122223333'], regions: ['us-east-1'] }, spec)), msg as RegExp, JSON.stringify(spec));
  }
});
