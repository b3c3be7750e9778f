// IOC list (docs/analysis.md): validation and type inference, the append-only history
// with custody, SQL matching (hits, searchEvents({ioc: true})), bucket
// indicators through event_refs, and CSV / text / STIX 2.1 round trips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalIp, inferIocType, normalizeIoc, parseIocText } from '../../shared/analysis/ioc.ts';
import { CaseStore } from '../../electron/case/store.ts';
import { searchEvents } from '../../electron/case/queries.ts';
import { verifyCase } from '../../electron/case/verify.ts';
import { addIoc, iocHits, listIocs, removeIoc, setIocEnabled } from '../../electron/analysis/ioc.ts';
import {
  exportIocs, importIocs, indicatorId, parseCsv, parseStixBundle, parseStixPattern, stixPattern, uuidV5,
} from '../../electron/analysis/ioc-formats.ts';
import { refsState } from '../../electron/analysis/refs.ts';
import { caseWith } from './support.ts';

const OTRF = 'test/fixtures/otrf-security-datasets/ec2_proxy_s3_exfiltration.normalized.Records.json';
const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
const BUCKET = 'mordors3stack-s3bucket-llp2yingx64a';

test('values are validated and written canonically; bare values get their type inferred', () => {
  assert.equal(canonicalIp('075.050.255.67'), '75.50.255.67');
  assert.equal(canonicalIp('10.1.2.3/8'), '10.0.0.0/8');
  assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalIp('2001:db8::/32'), '2001:db8::/32');
  assert.equal(canonicalIp('AWS Internal'), null);
  const ok = (t: Parameters<typeof normalizeIoc>[0], v: string) => {
    const n = normalizeIoc(t, v);
    assert.ok(n.ok, `${t} ${v}: ${!n.ok && n.reason}`);
    return n.value;
  };
  assert.equal(ok('access-key', 'akiaiosfodnn7example'), 'AKIAIOSFODNN7EXAMPLE');
  assert.equal(ok('role', 'arn:aws:iam::123456789012:role/path/Admin'), 'Admin');
  assert.equal(ok('bucket', 's3://my-bucket/some/key'), 'my-bucket');
  assert.equal(ok('bucket', 'arn:aws:s3:::my-bucket/obj'), 'my-bucket');
  for (const [t, v] of [
    ['access-key', 'AKIA123'],
    ['account', '12345'],
    ['ip', 'not-an-ip'],
    ['region', 'US East'],
    ['event-name', 'Stop Logging'],
    ['principal', 'has a space'],
  ] as const) {
    const n = normalizeIoc(t, v);
    assert.equal(n.ok, false, `${t} ${v} should be rejected`);
    assert.ok(!n.ok && n.reason.length > 5, "expected true: !n.ok && n.reason.length > 5");
  }
  assert.equal(inferIocType('123456789012'), 'account');
  assert.equal(inferIocType('ASIA5FLZVX4OPVKKVBMX'), 'access-key');
  assert.equal(inferIocType('92.55.146.245'), 'ip');
  assert.equal(inferIocType('10.0.0.0/8'), 'ip');
  assert.equal(inferIocType('2001:db8::1'), 'ip');
  assert.equal(inferIocType('arn:aws:iam::493859302102:user/tracy_stone'), 'principal');
  assert.equal(inferIocType('arn:aws:iam::493859302102:role/x'), 'role');
  assert.equal(inferIocType('eu-west-1'), 'region');
  assert.equal(inferIocType('StopLogging'), 'event-name');
  assert.equal(inferIocType('aws-cli/1.18.136 Python/3.8.5'), 'user-agent');
  assert.equal(inferIocType('tracy_stone'), 'principal');
  // Explicit TYPE:VALUE; ARNs and IPv6 are not mistaken for a prefix.
  assert.deepEqual(parseIocText('bucket:my-bucket'), { ok: true, type: 'bucket', value: 'my-bucket' });
  assert.deepEqual(parseIocText('arn:aws:iam::1:user/x'), { ok: true, type: 'principal', value: 'arn:aws:iam::1:user/x' });
  assert.deepEqual(parseIocText('2001:db8::1'), { ok: true, type: 'ip', value: '2001:db8::1' });
  assert.equal(parseIocText('???').ok, false);
});

test('add, disable, enable, remove: history rows and custody entries, one transaction each; verify still passes', async () => {
  const c = await caseWith([]);
  try {
    const before = (c.store.db.prepare('SELECT count(*) n FROM custody').get() as any).n;
    const a = addIoc(c.store, 'Examiner A', { value: '075.050.255.67', label: 'stratus source' });
    assert.equal(a.ioc.type, 'ip');
    assert.equal(a.ioc.value, '75.50.255.67');
    assert.throws(() => addIoc(c.store, 'Examiner A', { value: '75.50.255.67' }), /already in the IOC list/);
    assert.throws(() => addIoc(c.store, 'Examiner A', { type: 'access-key', value: 'AKIA1' }), /not an access key/);
    assert.equal(setIocEnabled(c.store, 'Examiner B', '75.50.255.67', false).seq !== null, true);
    assert.equal(setIocEnabled(c.store, 'Examiner B', '75.50.255.67', false).seq, null, 'no-op when already disabled');
    assert.equal(listIocs(c.store)[0].enabled, false);
    setIocEnabled(c.store, 'Examiner B', '75.50.255.67', true);
    removeIoc(c.store, 'Examiner A', '75.50.255.67');
    assert.equal(listIocs(c.store).length, 0);
    assert.equal(listIocs(c.store, { includeRemoved: true })[0].removed, true);
    assert.throws(() => removeIoc(c.store, 'Examiner A', '75.50.255.67'), /not in the IOC list/);
    // Re-adding starts a new life.
    addIoc(c.store, 'Examiner A', { value: '75.50.255.67' });
    const hist = c.store.db.prepare('SELECT op, enabled, actor, custody_seq FROM ioc_history ORDER BY id').all() as any[];
    assert.deepEqual(hist.map((h) => h.op), ['add', 'disable', 'enable', 'remove', 'add']);
    const custody = c.store.db.prepare('SELECT seq, action, actor FROM custody WHERE seq > ? ORDER BY seq').all(before) as any[];
    assert.deepEqual(custody.map((x) => x.action), ['ioc.added', 'ioc.disabled', 'ioc.enabled', 'ioc.removed', 'ioc.added']);
    assert.deepEqual(hist.map((h) => h.custody_seq), custody.map((x) => x.seq));
    assert.equal(custody[1].actor, 'Examiner B');
    // The history is append-only.
    assert.throws(() => c.store.db.prepare("UPDATE ioc_history SET value = 'x'").run(), /append-only/);
    assert.deepEqual(verifyCase(c.store).problems, []);
  } finally {
    c.cleanup();
  }
});

test('matching in SQL: hit counts, first/last seen, search with ioc: true, buckets through the event index', async () => {
  const c = await caseWith([OTRF, STRATUS]);
  try {
    addIoc(c.store, 'E', { value: '075.050.255.67' }); // zero-padded in the Stratus records
    addIoc(c.store, 'E', { value: 'ASIA5FLZVX4OPVKKVBMX' });
    addIoc(c.store, 'E', { type: 'bucket', value: BUCKET });
    addIoc(c.store, 'E', { value: 'StopLogging' });
    addIoc(c.store, 'E', { type: 'user-agent', value: 'AWS-CLI/1.18.136' }); // case-insensitive substring
    addIoc(c.store, 'E', { type: 'principal', value: 'pedro' });
    addIoc(c.store, 'E', { type: 'role', value: 'MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0' });
    addIoc(c.store, 'E', { value: '192.0.2.0/24' }); // nothing there
    assert.equal(refsState(c.store).upToDate, false);
    const hits = new Map(iocHits(c.store).map((h) => [`${h.type} ${h.value}`, h]));
    assert.equal(refsState(c.store).upToDate, true, 'bucket indicators brought the event index up to date');
    // Expected counts straight from the records (independent of the SQL path).
    const otrf = JSON.parse((await import('node:fs')).readFileSync(OTRF, 'utf8')).Records as any[];
    const count = (f: (r: any) => boolean) => otrf.filter(f).length;
    assert.equal(hits.get(`access-key ASIA5FLZVX4OPVKKVBMX`)!.hits, count((r) => r.userIdentity?.accessKeyId === 'ASIA5FLZVX4OPVKKVBMX'));
    assert.equal(hits.get(`bucket ${BUCKET}`)!.hits, count((r) => r.requestParameters?.bucketName === BUCKET));
    assert.equal(hits.get(`principal pedro`)!.hits, count((r) => r.userIdentity?.userName === 'pedro'));
    assert.equal(hits.get(`role MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0`)!.hits, count((r) => r.userIdentity?.sessionContext?.sessionIssuer?.userName === 'MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0'));
    assert.equal(hits.get(`user-agent AWS-CLI/1.18.136`)!.hits, count((r) => /aws-cli\/1\.18\.136/i.test(r.userAgent ?? '')));
    assert.ok(hits.get('ip 75.50.255.67')!.hits > 0, "expected true: hits.get('ip 75.50.255.67')!.hits > 0");
    assert.equal(hits.get('event-name StopLogging')!.hits, 1);
    assert.equal(hits.get('ip 192.0.2.0/24')!.hits, 0);
    assert.equal(hits.get('ip 192.0.2.0/24')!.firstSeen, null);
    const key = hits.get('access-key ASIA5FLZVX4OPVKKVBMX')!;
    assert.equal(key.firstSeen, '2020-09-14T01:00:04.000Z');
    assert.equal(key.lastSeen, '2020-09-14T01:13:20.000Z');

    // search --ioc: the union of every enabled indicator, and nothing else.
    const all = searchEvents(c.store, {}, { limit: 100_000 }).events;
    const s = searchEvents(c.store, { ioc: true }, { limit: 100_000 });
    const expected = new Set<string>();
    for (const h of iocHits(c.store)) {
      if (!h.enabled || !h.hits) continue;
      // Cross-check each indicator separately through the plain filter where one exists.
      if (h.type === 'access-key') for (const e of searchEvents(c.store, { accessKeys: [h.value] }, { limit: 100_000 }).events) expected.add(e.eventId);
      if (h.type === 'ip') for (const e of searchEvents(c.store, { ips: [h.value] }, { limit: 100_000 }).events) expected.add(e.eventId);
      if (h.type === 'event-name') for (const e of searchEvents(c.store, { eventNames: [h.value] }, { limit: 100_000 }).events) expected.add(e.eventId);
      if (h.type === 'user-agent') for (const e of searchEvents(c.store, { userAgents: [h.value] }, { limit: 100_000 }).events) expected.add(e.eventId);
      if (h.type === 'principal') for (const e of searchEvents(c.store, { principals: [h.value] }, { limit: 100_000 }).events) expected.add(e.eventId);
    }
    for (const e of all) {
      if (e.principalArn?.includes('assumed-role/MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/')) expected.add(e.eventId);
    }
    for (const r of otrf) if (r.requestParameters?.bucketName === BUCKET) expected.add(r.eventID);
    assert.deepEqual(new Set(s.events.map((e) => e.eventId)), expected);
    assert.ok(s.total < all.length, "expected true: s.total < all.length");

    // Disabled indicators do not match; with none enabled nothing matches.
    for (const i of listIocs(c.store)) setIocEnabled(c.store, 'E', i.value, false, i.type);
    assert.equal(searchEvents(c.store, { ioc: true }).total, 0);
  } finally {
    c.cleanup();
  }
});

test('a read-only case with a stale bucket index refuses bucket matching with a clear message', async () => {
  const c = await caseWith([OTRF]);
  try {
    addIoc(c.store, 'E', { type: 'bucket', value: BUCKET });
    c.store.close();
    const ro = CaseStore.open(c.path, { readonly: true });
    try {
      assert.throws(() => searchEvents(ro, { ioc: true }), /bucket indicators cannot be matched: .*trailcase ioc CASE hits/);
      const h = iocHits(ro);
      assert.match(h[0].note ?? '', /incomplete/);
    } finally {
      ro.close();
    }
    const rw = CaseStore.open(c.path);
    try {
      assert.equal(iocHits(rw)[0].hits, 9);
    } finally {
      rw.close();
    }
    const ro2 = CaseStore.open(c.path, { readonly: true });
    try {
      assert.equal(searchEvents(ro2, { ioc: true }).total, 9);
    } finally {
      ro2.close();
    }
  } finally {
    c.cleanup();
  }
});

const SAMPLE = [
  { type: 'ip', value: '92.55.146.245' },
  { type: 'ip', value: '2001:db8::/32' },
  { type: 'access-key', value: 'AKIASWJJJ66ZZZII4IYY' },
  { type: 'principal', value: 'tracy_stone' },
  { type: 'principal', value: 'arn:aws:iam::493859302102:user/tracy_stone' },
  { type: 'role', value: 'stratus-red-team-backdoor-r-role' },
  { type: 'user-agent', value: "aws-cli/1.18.39 Python/3.7.2 Darwin/19.4.0 'quoted', \"double\"" },
  { type: 'event-name', value: 'StopLogging' },
  { type: 'region', value: 'apiso-centralnorth-2r' },
  { type: 'account', value: '493859302102' },
  { type: 'bucket', value: BUCKET },
] as const;

test('CSV, text and STIX 2.1 exports import back to the same list', async () => {
  const src = await caseWith([]);
  const dests: Awaited<ReturnType<typeof caseWith>>[] = [];
  try {
    for (const s of SAMPLE) addIoc(src.store, 'E', { type: s.type, value: s.value, label: s.type === 'ip' ? `label, with "quotes"` : undefined });
    setIocEnabled(src.store, 'E', 'StopLogging', false);
    const want = listIocs(src.store).map((i) => `${i.type}|${i.value}|${i.enabled}`).sort();
    for (const format of ['csv', 'stix', 'text'] as const) {
      const out = exportIocs(src.store, format);
      const d = await caseWith([]);
      dests.push(d);
      const r = importIocs(d.store, 'F', out.body, format, `roundtrip.${format}`);
      assert.deepEqual(r.skipped, [], format);
      const got = listIocs(d.store).map((i) => `${i.type}|${i.value}|${i.enabled}`).sort();
      // Plain text carries enabled indicators only (no field for the state).
      assert.deepEqual(got, format === 'text' ? want.filter((w) => w.endsWith('|true')) : want, format);
      if (format === 'csv') assert.equal(listIocs(d.store).find((i) => i.type === 'ip')!.label, 'label, with "quotes"');
      // One custody entry for the whole import, naming the input's hash.
      const cust = d.store.db.prepare("SELECT details FROM custody WHERE action = 'ioc.imported'").all() as any[];
      assert.equal(cust.length, 1);
      assert.match(JSON.parse(cust[0].details).sha256, /^[0-9a-f]{64}$/);
      // Importing the same file again adds nothing.
      const again = importIocs(d.store, 'F', out.body, format);
      assert.equal(again.added.length, 0);
      assert.equal(again.custodySeq, null);
    }
    // STIX output is deterministic and well-formed.
    const a = exportIocs(src.store, 'stix').body;
    assert.equal(exportIocs(src.store, 'stix').body, a);
    const bundle = JSON.parse(a);
    assert.equal(bundle.type, 'bundle');
    assert.match(bundle.id, /^bundle--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const o of bundle.objects) {
      assert.equal(o.type, 'indicator');
      assert.equal(o.spec_version, '2.1');
      assert.match(o.id, /^indicator--[0-9a-f-]{36}$/);
      assert.match(o.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(o.pattern_type, 'stix');
      assert.equal(o.id, indicatorId(o.x_trailcase_ioc_type, listIocs(src.store).find((i) => stixPattern(i.type, i.value) === o.pattern)!.value));
    }
  } finally {
    src.cleanup();
    for (const d of dests) d.cleanup();
  }
});

test('UUIDv5 matches RFC 4122 test vector; STIX patterns beyond the supported subset are skipped with a reason', () => {
  // RFC 4122 appendix / Python uuid.uuid5(NAMESPACE_DNS, 'www.example.com')
  assert.equal(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
  assert.deepEqual(parseStixPattern("[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2'] OR [domain-name:value = 'x.example']"), {
    ok: true,
    comparisons: [
      { path: 'ipv4-addr:value', op: '=', value: '198.51.100.1' },
      { path: 'ipv4-addr:value', op: '=', value: '198.51.100.2' },
      { path: 'domain-name:value', op: '=', value: 'x.example' },
    ],
  });
  assert.deepEqual(parseStixPattern("[user-account:user_id = 'it\\'s']"), { ok: true, comparisons: [{ path: 'user-account:user_id', op: '=', value: "it's" }] });
  for (const p of [
    "[ipv4-addr:value = '1.2.3.4' AND ipv4-addr:value = '1.2.3.5']",
    "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
    "[ipv4-addr:value = '1.2.3.4'] WITHIN 10 SECONDS",
    "[file:name MATCHES '^x']",
    'ipv4-addr:value = 1',
  ])
    assert.equal(parseStixPattern(p).ok, false, p);
  const bundle = {
    type: 'bundle',
    id: 'bundle--11111111-1111-4111-8111-111111111111',
    objects: [
      { type: 'identity', id: 'identity--1', name: 'x' },
      { type: 'indicator', id: 'indicator--a', pattern_type: 'stix', pattern: "[ipv4-addr:value ISSUBSET '198.51.100.0/24']" },
      { type: 'indicator', id: 'indicator--b', pattern_type: 'stix', pattern: "[file:hashes.'SHA-256' = 'ab']" },
      { type: 'indicator', id: 'indicator--c', pattern_type: 'sigma', pattern: 'title: x' },
      { type: 'indicator', id: 'indicator--d', pattern_type: 'stix', pattern: "[url:value = 's3://exfil-bucket/a']", revoked: false },
      { type: 'indicator', id: 'indicator--e', pattern_type: 'stix', pattern: "[ipv4-addr:value = '203.0.113.9']", revoked: true },
      { type: 'indicator', id: 'indicator--f', pattern_type: 'stix', pattern: "[user-account:user_id = 'ASIAEXAMPLEEXAMPLE12']" },
    ],
  };
  const p = parseStixBundle(JSON.stringify(bundle));
  assert.deepEqual(p.items.map((i) => `${i.type} ${i.value}`), ['ip 198.51.100.0/24', 'bucket exfil-bucket', 'access-key ASIAEXAMPLEEXAMPLE12']);
  const reasons = p.skipped.map((s) => `${s.where}: ${s.reason}`).join('\n');
  assert.match(reasons, /indicator--b.*no CloudTrail field for file:hashes/);
  assert.match(reasons, /indicator--c.*pattern_type sigma/);
  assert.match(reasons, /indicator--e.*revoked/);
  assert.match(reasons, /1 object\(s\) of type identity: not an indicator/);
});

test('bad import input is refused whole, naming the row or line', async () => {
  const c = await caseWith([]);
  try {
    assert.throws(() => importIocs(c.store, 'E', 'type,value\nip,1.2.3.4\nip,999.1.1.1\nfoo,bar\n', 'csv'), /2 invalid row\(s\), nothing imported: CSV row 3: .*999\.1\.1\.1.*CSV row 4: unknown type "foo"/);
    assert.throws(() => importIocs(c.store, 'E', 'value\n"unterminated\n', 'csv'), /quoted field is not closed/);
    assert.throws(() => importIocs(c.store, 'E', '1.2.3.4,x\n', 'csv'), /header/);
    assert.throws(() => importIocs(c.store, 'E', '# feed\n1.2.3.4\n\n???\n', 'text'), /line 4: cannot tell the type/);
    assert.throws(() => importIocs(c.store, 'E', '{not json', 'stix'), /STIX: not JSON/);
    assert.equal(listIocs(c.store).length, 0, 'nothing half-imported');
    assert.deepEqual(parseCsv('a,"b,c","d""e"\r\n1,2,3'), [['a', 'b,c', 'd"e'], ['1', '2', '3']]);
    const ok = importIocs(c.store, 'E', '# feed\n1.2.3.4   # the scanner\nbucket:exfil-bucket\n', 'text');
    assert.deepEqual(ok.added, [{ type: 'ip', value: '1.2.3.4' }, { type: 'bucket', value: 'exfil-bucket' }]);
  } finally {
    c.cleanup();
  }
});
