// CloudTrail Lake query builder (README.md, "Acquisition from AWS"): scope + IOC list to SQL, with
// quoting that no value can escape (injection attempts below).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildLakeQuery,
  eventDataStoreId,
  eventDataStoreRegion,
  iocCondition,
  LakeQueryError,
  sqlLikeContains,
  sqlString,
} from '../../../electron/ingest/aws/lake-sql.ts';

const EDS = 'arn:aws:cloudtrail:us-east-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';

/** Split SQL into its structure (literals replaced by ?) and the literal values, reading '' as a quote. */
function scan(sql: string): { skeleton: string; literals: string[] } {
  let skeleton = '';
  const literals: string[] = [];
  let i = 0;
  while (i < sql.length) {
    if (sql[i] === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new Error('unterminated literal');
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += sql[i++];
      }
      literals.push(v);
      skeleton += '?';
    } else skeleton += sql[i++];
  }
  return { skeleton, literals };
}

test('event data store ARN or ID; Region from the ARN', () => {
  assert.equal(eventDataStoreId(EDS), 'EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE');
  assert.equal(eventDataStoreId('EXAMPLE-f852'), 'EXAMPLE-f852');
  assert.equal(eventDataStoreRegion(EDS), 'us-east-1');
  assert.equal(eventDataStoreRegion('EXAMPLE-f852'), null);
  for (const bad of ['x; DROP TABLE y', 'eds WHERE 1=1', "a'b", 'arn:aws:cloudtrail:us-east-1:1:eventdatastore/x', '']) {
    assert.throws(() => eventDataStoreId(bad), LakeQueryError, bad);
  }
});

test('the query: whole events as eventjson, scope ANDed, indicators ORed, time as Lake literals', () => {
  const q = buildLakeQuery({
    eventDataStore: EDS,
    since: '2024-03-01T00:00:00Z',
    until: '2024-03-02T12:30:00Z',
    accounts: ['111122223333'],
    iocs: [
      { type: 'ip', value: '203.0.113.7' },
      { type: 'access-key', value: 'AKIAIOSFODNN7EXAMPLE' },
      { type: 'principal', value: 'arn:aws:iam::111122223333:user/mallory' },
      { type: 'ip', value: 'not-an-ip' },
    ],
  });
  assert.equal(q.eventDataStoreId, 'EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE');
  assert.match(q.sql, /^SELECT json_format\(CAST\(MAP\(ARRAY\['eventVersion', 'userIdentity', 'eventTime'/);
  assert.match(q.sql, / AS eventjson\nFROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE\nWHERE /);
  assert.match(q.sql, /eventtime >= '2024-03-01 00:00:00\.000'/);
  assert.match(q.sql, /eventtime <= '2024-03-02 12:30:00\.000'/);
  assert.match(q.sql, /recipientaccountid = '111122223333'/);
  assert.match(q.sql, /\(sourceipaddress = '203\.0\.113\.7'\n    OR useridentity\.accesskeyid = 'AKIAIOSFODNN7EXAMPLE'\n    OR \(useridentity\.arn = 'arn:aws:iam::111122223333:user\/mallory'/);
  assert.deepEqual(q.skipped, [{ ioc: { type: 'ip', value: 'not-an-ip' }, reason: 'not an IP address or CIDR' }]);
  assert.equal(q.conditions.length, 6);
  // Every field the importer normalises is assembled under CloudTrail's own name.
  for (const f of ['eventID', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'recipientAccountId', 'errorCode', 'readOnly', 'eventCategory', 'requestID', 'accessKeyId', 'principalId', 'sessionIssuer']) {
    assert.ok(q.sql.includes(`'${f}'`), f);
  }
});

test('no value can change the structure of the query (injection)', () => {
  const nasty = [
    "x' OR '1'='1",
    "'; DROP TABLE events; --",
    "\\' OR 1=1 --",
    'a"b',
    "O'Brien",
    "''''",
    '%_\\',
    '/* comment */',
    "arn:aws:iam::111122223333:user/a' UNION SELECT * FROM other --",
  ];
  // Same shape of value (an ARN stays an ARN, which selects the ARN columns), nothing to escape.
  const benign = (v: string) => (v.startsWith('arn:') ? 'arn:' + 'x'.repeat(v.length - 4) : 'x'.repeat(v.length));
  for (const v of nasty) {
    const spec = (val: string) => ({
      eventDataStore: EDS,
      regions: [val],
      eventNames: [val],
      iocs: [
        { type: 'principal', value: val },
        { type: 'user-agent', value: val },
        { type: 'role', value: val },
        { type: 'bucket', value: val },
        { type: 'event-name', value: val },
        { type: 'region', value: val },
      ],
    });
    const bad = scan(buildLakeQuery(spec(v)).sql);
    const good = scan(buildLakeQuery(spec(benign(v))).sql);
    assert.equal(bad.skeleton, good.skeleton, `structure changed by ${v}`);
    // The value comes back out of the literals unchanged (LIKE adds % around and escapes % _ \).
    assert.ok(bad.literals.includes(v), v);
    const like = bad.literals.find((l) => l.startsWith('%') && l.endsWith('%') && l.length > 2)!;
    assert.equal(like.slice(1, -1).replace(/\\([\\%_])/g, '$1'), v);
  }
});

test('control characters and malformed scope values are refused, not quoted', () => {
  assert.throws(() => sqlString('a\nb'), /control character/);
  assert.throws(() => sqlString('a\u0000b'), /control character/);
  assert.throws(() => buildLakeQuery({ eventDataStore: EDS, accounts: ["1' OR 1=1"] }), /not a 12-digit account/);
  assert.throws(() => buildLakeQuery({ eventDataStore: EDS, since: "2024'; --" }), /not a time/);
  assert.throws(() => buildLakeQuery({ eventDataStore: EDS, limit: 0 }), /positive whole number/);
  assert.equal(sqlLikeContains('50%_off\\'), "'%50\\%\\_off\\\\%' ESCAPE '\\'");
});

test('indicator types', () => {
  assert.deepEqual(iocCondition({ type: 'ip', value: '010.000.000.001' }), {
    sql: "sourceipaddress IN ('010.000.000.001', '10.0.0.1')",
    label: 'ip 010.000.000.001',
  });
  assert.match((iocCondition({ type: 'ip', value: '198.51.100.0/24' }) as { sql: string }).sql, /^contains\('198\.51\.100\.0\/24', TRY_CAST\(sourceipaddress AS IPADDRESS\)\)$/);
  assert.deepEqual(iocCondition({ type: 'access-key', value: 'akia lower' }), { skip: 'not an access key ID' });
  assert.match((iocCondition({ type: 'principal', value: 'mallory' }) as { sql: string }).sql, /useridentity\.username = 'mallory'/);
  assert.match((iocCondition({ type: 'account', value: '111122223333' }) as { sql: string }).sql, /recipientaccountid = '111122223333'/);
  assert.deepEqual(iocCondition({ type: 'hash', value: 'abc' }), { skip: 'indicator type hash is not supported in Lake queries' });
  // A query with no conditions takes the whole store.
  const all = buildLakeQuery({ eventDataStore: 'EDS-1' });
  assert.ok(!all.sql.includes('WHERE'), '!all.sql.includes(\'WHERE\')');
  assert.match(all.sql, /FROM EDS-1\nORDER BY eventtime$/);
});
