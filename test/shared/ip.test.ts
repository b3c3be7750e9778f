// shared/ip.ts directly: the address rules of docs/case-format.md ("IP table"), and CIDR ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrContains, parseCidr, parseIp, parseIpv4, parseIpv6 } from '../../shared/ip.ts';

test('IPv4: four groups of 1-3 ASCII digits, decimal even when zero-padded, each at most 255', () => {
  assert.equal(parseIpv4('075.050.255.67'), ((75 * 256 + 50) * 256 + 255) * 256 + 67);
  assert.equal(parseIpv4('0.0.0.0'), 0);
  assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '', '1..2.3', '0001.2.3.4', '1.2.3.-4', '١.2.3.4', ' 1.2.3.4', '1.2.3.4 ', '0x1.2.3.4', '1.2.3.4/8']) {
    assert.equal(parseIpv4(bad), null, JSON.stringify(bad));
  }
});

test('IPv6: any compression, case, brackets and zone; a dotted IPv4 tail; exactly eight groups', () => {
  const z = '0'.repeat(32);
  assert.equal(parseIpv6('::'), z);
  assert.equal(parseIpv6('::1'), z.slice(0, 31) + '1');
  assert.equal(parseIpv6('2001:DB8::8:800:200C:417A'), '20010db8000000000008080020' + '0c417a');
  assert.equal(parseIpv6('[fe80::1]'), 'fe80' + '0'.repeat(27) + '1');
  assert.equal(parseIpv6('fe80::1%eth0'), 'fe80' + '0'.repeat(27) + '1');
  assert.equal(parseIpv6('::ffff:1.2.3.4'), '00000000000000000000ffff01020304');
  assert.equal(parseIpv6('1:2:3:4:5:6:7:8'), '00010002000300040005000600070008');
  // "::" stands for as many zero groups as make eight, none included (the documented rule).
  assert.equal(parseIpv6('1:2:3:4:5:6:7::8'), '00010002000300040005000600070008');
  for (const bad of ['1.2.3.4', '1::2::3', '12345::', 'g::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '::ffff:1.2.3.256', '::ffff:1.2.3', 'lambda.amazonaws.com', '']) {
    assert.equal(parseIpv6(bad), null, JSON.stringify(bad));
  }
});

test('parseIp trims, gives the canonical text, and keeps non-addresses as no address', () => {
  assert.deepEqual(parseIp(' 010.001.000.009 '), { version: 4, value: ((10 * 256 + 1) * 256 + 0) * 256 + 9, canonical: '10.1.0.9' });
  assert.deepEqual(parseIp('2001:db8::1'), { version: 6, value: '20010db8000000000000000000000001', canonical: '2001:0db8:0000:0000:0000:0000:0000:0001' });
  for (const t of ['AWS Internal', 'lambda.amazonaws.com', 'cloudtrail.amazonaws.com', '']) assert.equal(parseIp(t), null, t);
});

test('CIDR: the inclusive range of the prefix, host bits cleared; a bare address is its own range', () => {
  assert.deepEqual(parseCidr('10.1.2.3/8'), { version: 4, low: 10 * 2 ** 24, high: 11 * 2 ** 24 - 1, text: '10.1.2.3/8' });
  assert.deepEqual(parseCidr('0.0.0.0/0'), { version: 4, low: 0, high: 0xffffffff, text: '0.0.0.0/0' });
  assert.deepEqual(parseCidr('192.0.2.7'), { version: 4, low: 0xc0000207, high: 0xc0000207, text: '192.0.2.7' });
  const v6 = parseCidr('2001:db8::/32')!;
  assert.equal(v6.low, '20010db8' + '0'.repeat(24));
  assert.equal(v6.high, '20010db8' + 'f'.repeat(24));
  assert.equal(parseCidr('::/0')!.high, 'f'.repeat(32));
  assert.equal(parseCidr('2001:db8::1/128')!.low, parseCidr('2001:db8::1/128')!.high);
});

test('CIDR: a prefix length that is not 0-32 (0-128) in plain digits is no CIDR, never a wider range', () => {
  // "1.2.3.4/" once read as /0: every IPv4 address would have matched an indicator written with a stray slash.
  for (const bad of ['1.2.3.4/', '1.2.3.4/33', '1.2.3.4/-1', '1.2.3.4/x', '1.2.3.4/ 8', '1.2.3.4/8.0', '1.2.3.4/0x8', '1.2.3.4/1e1', '::/129', '::/', 'AWS Internal/8']) {
    assert.equal(parseCidr(bad), null, JSON.stringify(bad));
  }
});

test('cidrContains: inside, at both ends, outside, and never across versions', () => {
  const c = parseCidr('198.51.100.0/24')!;
  for (const ip of ['198.51.100.0', '198.51.100.255', '198.051.100.007']) assert.equal(cidrContains(c, parseIp(ip)!), true, ip);
  for (const ip of ['198.51.101.0', '198.51.99.255', '::ffff:198.51.100.1']) assert.equal(cidrContains(c, parseIp(ip)!), false, ip);
  const v6 = parseCidr('2001:db8::/32')!;
  assert.equal(cidrContains(v6, parseIp('2001:db8:ffff::1')!), true);
  assert.equal(cidrContains(v6, parseIp('2001:db9::')!), false);
  assert.equal(cidrContains(v6, parseIp('32.1.13.184')!), false);
});
