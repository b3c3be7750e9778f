// Unit tests of the Sigma engine: every supported modifier and condition form,
// the prefilter, rejection reasons and the finding helper.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { compileSigmaRule, matchSigma, matchSigmaUnfiltered, type CompiledSigmaRule } from '../../electron/analysis/sigma/engine.ts';
import { buildSigmaFinding, sigmaCategory } from '../../electron/analysis/sigma/finding.ts';
import { requiredLiteral } from '../../electron/analysis/sigma/values.ts';
import { sigmaFinding, sigmaFindingId } from '../../electron/analysis/sigma/bundled.ts';
import { normalizeRecord } from '../../shared/record.ts';
import type { AnalysisEvent } from '../../shared/analysis/findings.ts';

function ruleText(detection: string, extra = ''): string {
  return `title: Test rule
id: 00000000-0000-0000-0000-000000000001
status: test
description: A test rule.
author: Tester
date: 2020/02/11
modified: 2023-03-24
tags:
    - attack.persistence
    - attack.t1098.001
    - attack.privilege_escalation
logsource:
    product: aws
    service: cloudtrail
detection:
${detection.replace(/^/gm, '    ')}
level: high
${extra}`;
}

function compile(detection: string, extra = ''): CompiledSigmaRule {
  const r = compileSigmaRule(ruleText(detection, extra), 'test.yml');
  if (!r.ok) assert.fail(`expected the rule to compile: ${r.reason}`);
  return r.rule;
}

function reject(detection: string, extra = ''): string {
  const r = compileSigmaRule(ruleText(detection, extra), 'test.yml');
  assert.equal(r.ok, false, 'expected the rule to be rejected');
  return (r as { reason: string }).reason;
}

/** Match with and without the prefilter shortcut; they must agree. */
function m(rule: CompiledSigmaRule, rec: Record<string, any>): boolean {
  const a = matchSigma(rule, rec);
  assert.equal(a, matchSigmaUnfiltered(rule, rec), `prefilter changed the result for ${JSON.stringify(rec)}`);
  return a;
}

const ev = (o: Record<string, any>) => ({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', ...o });

test('selection map is AND, list of maps is OR, value list is OR', () => {
  const and = compile(`sel:\n  eventName: CreateUser\n  eventSource: iam.amazonaws.com\ncondition: sel`);
  assert.equal(m(and, ev({})), true);
  assert.equal(m(and, ev({ eventSource: 's3.amazonaws.com' })), false);
  const or = compile(`sel:\n  - eventName: CreateUser\n  - eventSource: s3.amazonaws.com\ncondition: sel`);
  assert.equal(m(or, ev({ eventName: 'X', eventSource: 's3.amazonaws.com' })), true);
  assert.equal(m(or, ev({ eventName: 'X' })), false);
  const list = compile(`sel:\n  eventName:\n    - CreateUser\n    - DeleteUser\n    - 'Get*'\ncondition: sel`);
  assert.equal(m(list, ev({ eventName: 'DeleteUser' })), true);
  assert.equal(m(list, ev({ eventName: 'GetUser' })), true);
  assert.equal(m(list, ev({ eventName: 'ListUsers' })), false);
});

test('plain strings are case-insensitive; equality is whole-value', () => {
  const r = compile(`sel:\n  additionalEventData.MFAUsed: 'NO'\ncondition: sel`);
  assert.equal(m(r, { additionalEventData: { MFAUsed: 'No' } }), true);
  assert.equal(m(r, { additionalEventData: { MFAUsed: 'Nope' } }), false);
  const set = compile(`sel:\n  eventName: [CreateUser, DeleteUser]\ncondition: sel`);
  assert.equal(m(set, { eventName: 'createuser' }), true);
  assert.equal(m(set, { eventName: 'CreateUsers' }), false);
  const uni = compile(`sel:\n  userName: 'ÄBC'\ncondition: sel`);
  assert.equal(m(uni, { userName: 'äbc' }), true);
});

test('contains, startswith, endswith (case-insensitive) and |all', () => {
  const c = compile(`sel:\n  userAgent|contains: 'S3 Browser'\ncondition: sel`);
  assert.equal(m(c, { userAgent: 'x s3 browser 9.5' }), true);
  assert.equal(m(c, { userAgent: 'S3Browser' }), false);
  const s = compile(`sel:\n  eventName|startswith: 'UpdateFunctionConfiguration'\ncondition: sel`);
  assert.equal(m(s, { eventName: 'UpdateFunctionConfiguration20150331v2' }), true);
  assert.equal(m(s, { eventName: 'xUpdateFunctionConfiguration' }), false);
  const e = compile(`sel:\n  eventSource|endswith: '.AMAZONAWS.COM'\ncondition: sel`);
  assert.equal(m(e, { eventSource: 'sts.amazonaws.com' }), true);
  assert.equal(m(e, { eventSource: 'sts.amazonaws.com.evil' }), false);
  const all = compile(`sel:\n  requestParameters|contains|all:\n    - '"s3:GetObject"'\n    - '"Allow"'\ncondition: sel`);
  assert.equal(m(all, { requestParameters: { policy: { Effect: 'Allow', Action: 's3:GetObject' } } }), true);
  assert.equal(m(all, { requestParameters: { policy: { Effect: 'Deny', Action: 's3:GetObject' } } }), false);
  const anyOf = compile(`sel:\n  userAgent|contains:\n    - aaa\n    - bbb\ncondition: sel`);
  assert.equal(m(anyOf, { userAgent: 'xbbbx' }), true);
  assert.equal(m(anyOf, { userAgent: 'xcccx' }), false);
});

test('wildcards * and ? with escaping', () => {
  const w = compile(`sel:\n  eventName: 'Get*Data'\ncondition: sel`);
  assert.equal(m(w, { eventName: 'GetPasswordData' }), true);
  assert.equal(m(w, { eventName: 'GetData' }), true);
  assert.equal(m(w, { eventName: 'GetPasswordDatax' }), false);
  const q = compile(`sel:\n  eventName: 'Get?ser'\ncondition: sel`);
  assert.equal(m(q, { eventName: 'GetUser' }), true);
  assert.equal(m(q, { eventName: 'GetUuser' }), false);
  const esc = compile(`sel:\n  policy: 'a\\*b\\?c'\ncondition: sel`);
  assert.equal(m(esc, { policy: 'a*b?c' }), true);
  assert.equal(m(esc, { policy: 'axxbyc' }), false);
  // `\\` is one literal backslash; a backslash before another character is kept.
  const bs = compile(`sel:\n  path: 'C:\\Windows\\\\*'\ncondition: sel`);
  assert.equal(m(bs, { path: 'C:\\Windows\\anything' }), true);
  assert.equal(m(bs, { path: 'C:\\Windows' }), false);
  // Regex metacharacters in plain values are literal.
  const meta = compile(`sel:\n  arn|contains: 'role/a.b+(c)'\ncondition: sel`);
  assert.equal(m(meta, { arn: 'arn:aws:iam::1:role/a.b+(c)' }), true);
  assert.equal(m(meta, { arn: 'arn:aws:iam::1:role/aXbb(c)' }), false);
  // contains '*' (used by SigmaHQ rules to mean "has any value") needs a value.
  const any = compile(`sel:\n  errorMessage|contains: '*'\ncondition: sel`);
  assert.equal(m(any, { errorMessage: 'denied' }), true);
  assert.equal(m(any, {}), false);
  assert.equal(m(any, { errorMessage: null }), false);
});

test('re is case-sensitive unless i/(?i); invalid regex is rejected with a reason', () => {
  const r = compile(`sel:\n  userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: sel`);
  assert.equal(m(r, { userIdentity: { arn: 'arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1' } }), true);
  assert.equal(m(r, { userIdentity: { arn: 'arn:aws:sts::1:ASSUMED-ROLE/aws:ec2-instance/i-1' } }), false);
  const ri = compile(`sel:\n  userAgent|re|i: '^boto3/'\ncondition: sel`);
  assert.equal(m(ri, { userAgent: 'Boto3/1.2' }), true);
  const inline = compile(`sel:\n  userAgent|re: '(?i)^boto3/'\ncondition: sel`);
  assert.equal(m(inline, { userAgent: 'BOTO3/1.2' }), true);
  const named = compile(`sel:\n  userAgent|re: '^(?P<lib>boto3)/'\ncondition: sel`);
  assert.equal(m(named, { userAgent: 'boto3/1' }), true);
  assert.match(reject(`sel:\n  userAgent|re: '(unclosed'\ncondition: sel`), /test\.yml: .*invalid regular expression/);
  assert.match(reject(`sel:\n  userAgent|i: 'x'\ncondition: sel`), /regex flag without 're'/);
});

test('required-literal shortcut for regexes is conservative', () => {
  const cases: [string, string | null][] = [
    ['.+:assumed-role/aws:.+', ':assumed-role/aws:'],
    ['abc|def', null],
    ['ab?cdef', 'cdef'],
    ['a(bcd)efg', 'efg'],
    ['x\\.amazonaws\\.com$', 'x.amazonaws.com'],
    ['[abc]defg', 'defg'],
    ['[^]x]yzw', 'yzw'],
    ['fooo*bar', 'foo'],
    ['ab{2,3}xyz', 'xyz'],
    ['\\d{123456}', null],
    ['q\\u0041bcd', 'bcd'],
    ['(a)\\1234', null],
    ['abc+d', 'abc'],
  ];
  for (const [src, want] of cases) assert.equal(requiredLiteral(src), want, src);
  // Every case: when the literal is absent the regex cannot match.
  for (const [src, lit] of cases) {
    if (lit === null) continue;
    const re = new RegExp(src);
    for (const sample of ['zzabcdefg', 'arn:aws:sts::1:assumed-role/aws:x/y', 'xx.amazonaws.com', 'bcdyzwfoobarabbxyz', 'aaabcdefgq\u0041bcd']) {
      if (re.test(sample)) assert.ok(sample.includes(lit), `${src} matched ${sample} without ${lit}`);
    }
  }
});

test('cidr modifier (IPv4 incl. zero-padded, IPv6); non-addresses never match', () => {
  const c = compile(`sel:\n  sourceIPAddress|cidr:\n    - 75.50.0.0/16\n    - '2001:db8::/32'\ncondition: sel`);
  assert.equal(m(c, { sourceIPAddress: '075.050.255.67' }), true);
  assert.equal(m(c, { sourceIPAddress: '75.51.0.1' }), false);
  assert.equal(m(c, { sourceIPAddress: '2001:db8:0:1::5' }), true);
  assert.equal(m(c, { sourceIPAddress: '2001:db9::5' }), false);
  assert.equal(m(c, { sourceIPAddress: 'AWS Internal' }), false);
  assert.equal(m(c, {}), false);
  assert.match(reject(`sel:\n  sourceIPAddress|cidr: 'not-a-cidr'\ncondition: sel`), /not a CIDR range/);
});

test('exists, null, numbers and booleans', () => {
  const ex = compile(`sel:\n  errorCode|exists: true\ncondition: sel`);
  assert.equal(m(ex, { errorCode: 'AccessDenied' }), true);
  assert.equal(m(ex, { errorCode: null }), false);
  assert.equal(m(ex, {}), false);
  const nex = compile(`sel:\n  errorCode|exists: false\ncondition: sel`);
  assert.equal(m(nex, {}), true);
  assert.equal(m(nex, { errorCode: 'x' }), false);
  const nul = compile(`sel:\n  errorCode: null\ncondition: sel`);
  assert.equal(m(nul, {}), true);
  assert.equal(m(nul, { errorCode: null }), true);
  assert.equal(m(nul, { errorCode: '' }), false);
  assert.equal(m(nul, { errorCode: 'AccessDenied' }), false);
  const num = compile(`sel:\n  requestParameters.fromPort: 22\ncondition: sel`);
  assert.equal(m(num, { requestParameters: { fromPort: 22 } }), true);
  assert.equal(m(num, { requestParameters: { fromPort: '22' } }), true);
  assert.equal(m(num, { requestParameters: { fromPort: 220 } }), false);
  const bool = compile(`sel:\n  readOnly: false\ncondition: sel`);
  assert.equal(m(bool, { readOnly: false }), true);
  assert.equal(m(bool, { readOnly: true }), false);
  const str = compile(`sel:\n  responseElements.publiclyAccessible: 'true'\ncondition: sel`);
  assert.equal(m(str, { responseElements: { publiclyAccessible: true } }), true);
  assert.equal(m(str, { responseElements: { publiclyAccessible: false } }), false);
  const mixed = compile(`sel:\n  errorCode:\n    - null\n    - Success\ncondition: sel`);
  assert.equal(m(mixed, {}), true);
  assert.equal(m(mixed, { errorCode: 'success' }), true);
  assert.equal(m(mixed, { errorCode: 'AccessDenied' }), false);
});

test('numeric comparisons, cased and fieldref', () => {
  const gt = compile(`sel:\n  additionalEventData.bytesTransferredOut|gte: 1000\ncondition: sel`);
  assert.equal(m(gt, { additionalEventData: { bytesTransferredOut: 1000 } }), true);
  assert.equal(m(gt, { additionalEventData: { bytesTransferredOut: '999' } }), false);
  assert.equal(m(gt, { additionalEventData: {} }), false);
  const lt = compile(`sel:\n  n|lt: 5\ncondition: sel`);
  assert.equal(m(lt, { n: 4 }), true);
  assert.equal(m(lt, { n: 5 }), false);
  const cased = compile(`sel:\n  eventName|cased: CreateUser\ncondition: sel`);
  assert.equal(m(cased, { eventName: 'CreateUser' }), true);
  assert.equal(m(cased, { eventName: 'createuser' }), false);
  const ref = compile(`sel:\n  userIdentity.userName|fieldref: requestParameters.userName\ncondition: sel`);
  assert.equal(m(ref, { userIdentity: { userName: 'Bob' }, requestParameters: { userName: 'bob' } }), true);
  assert.equal(m(ref, { userIdentity: { userName: 'bob' }, requestParameters: { userName: 'alice' } }), false);
  assert.equal(m(ref, { userIdentity: { userName: 'bob' } }), false);
  const refc = compile(`sel:\n  userIdentity.arn|fieldref|endswith: requestParameters.userName\ncondition: sel`);
  assert.equal(m(refc, { userIdentity: { arn: 'arn:aws:iam::1:user/bob' }, requestParameters: { userName: 'bob' } }), true);
  assert.equal(m(refc, { userIdentity: { arn: 'arn:aws:iam::1:user/bob' }, requestParameters: { userName: 'alice' } }), false);
});

test('nested dotted fields, arrays, literal dotted keys and objects as JSON text', () => {
  const n = compile(`sel:\n  userIdentity.sessionContext.sessionIssuer.type: Role\ncondition: sel`);
  assert.equal(m(n, { userIdentity: { sessionContext: { sessionIssuer: { type: 'Role' } } } }), true);
  assert.equal(m(n, { userIdentity: { sessionContext: null } }), false);
  assert.equal(m(n, { userIdentity: 'Role' }), false);
  assert.equal(m(n, { 'userIdentity.sessionContext.sessionIssuer.type': 'Role' }), true);
  const arr = compile(`sel:\n  requestParameters.containerDefinitions.command|contains: '$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'\ncondition: sel`);
  const task = (cmd: string[]) => ({ requestParameters: { containerDefinitions: [{ command: ['sh'] }, { command: cmd }] } });
  assert.equal(m(arr, task(['sh', '-c', 'curl 169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'])), true);
  assert.equal(m(arr, task(['sh', '-c', 'echo hi'])), false);
  const layers = compile(`sel:\n  requestParameters.layers|contains: '*'\ncondition: sel`);
  assert.equal(m(layers, { requestParameters: { layers: ['arn:aws:lambda:x:1:layer:l:1'] } }), true);
  assert.equal(m(layers, { requestParameters: { layers: [] } }), false);
  assert.equal(m(layers, { requestParameters: {} }), false);
  const obj = compile(`sel:\n  requestParameters|contains: 'Suspended'\ncondition: sel`);
  assert.equal(m(obj, { requestParameters: { VersioningConfiguration: { Status: 'Suspended' } } }), true);
  assert.equal(m(obj, { requestParameters: { VersioningConfiguration: { Status: 'Enabled' } } }), false);
});

test('conditions: and/or/not precedence, parentheses, quantifiers, them, condition lists', () => {
  const sels = `a:\n  x: 1\nb:\n  y: 1\nc:\n  z: 1\n`;
  const r = (cond: string) => compile(`${sels}condition: ${cond}`);
  const rec = (x: number, y: number, z: number) => ({ x, y, z });
  const truth = (rule: CompiledSigmaRule) => [0, 1, 2, 3, 4, 5, 6, 7].map((i) => (m(rule, rec(i & 1, (i >> 1) & 1, (i >> 2) & 1)) ? 1 : 0)).join('');
  // a or (b and c)
  assert.equal(truth(r('a or b and c')), '01010111');
  assert.equal(truth(r('(a or b) and c')), '00000111');
  // (not a) and b
  assert.equal(truth(r('not a and b')), '00100010');
  assert.equal(truth(r('not (a and b)')), '11101110');
  assert.equal(truth(r('NOT a AND NOT b')), '10001000');
  assert.equal(truth(r('1 of them')), '01111111');
  assert.equal(truth(r('all of them')), '00000001');
  const q = compile(`sel_a:\n  x: 1\nsel_b:\n  y: 1\nfilter:\n  z: 1\ncondition: 1 of sel_* and not filter`);
  assert.equal(truth(q), '01110000');
  const qa = compile(`sel_a:\n  x: 1\nsel_b:\n  y: 1\nfilter:\n  z: 1\ncondition: all of sel_* or filter`);
  assert.equal(truth(qa), '00011111');
  // "them" ignores selections whose name starts with an underscore.
  const under = compile(`a:\n  x: 1\n_helper:\n  y: 1\ncondition: all of them`);
  assert.equal(m(under, { x: 1, y: 0 }), true);
  // A list of conditions is an OR of them.
  const list = compile(`${sels}condition:\n  - a and b\n  - c`);
  assert.equal(truth(list), '00011111');
});

test('rejected rules carry the file and a reason, never a crash', () => {
  assert.match(reject(`keywords:\n  - 'mimikatz'\n  - 'rubeus'\ncondition: keywords`), /'keywords' is a keyword \(unnamed-field\) search, which is not supported/);
  assert.match(reject(`sel:\n  '|contains': x\ncondition: sel`), /keyword search/);
  // count() and near are correlations now (docs/queries.md; sigma-correlation.test.ts); other aggregations are not.
  assert.match(reject(`sel:\n  eventName: x\ncondition: sel | sum(x) > 5`), /aggregation/);
  assert.match(reject(`s1:\n  eventName: x\ns2:\n  eventName: y\ncondition: s1 | near not s2`), /near/);
  assert.match(compile(`sel:\n  eventName: x\ntimeframe: 10m\ncondition: sel`).warnings.join(), /timeframe '10m' has no effect/);
  assert.match(reject(`sel:\n  eventName: x\ntimeframe: 10 minutes\ncondition: sel | count() > 5`), /timeframe '10 minutes' is not a number followed by s, m, h or d/);
  assert.match(reject(`sel:\n  eventName: x\ncondition: sel and other`), /'other', which is not a selection/);
  assert.match(reject(`sel:\n  eventName: x\ncondition: 1 of nothing_*`), /matches no selection/);
  assert.match(reject(`sel:\n  eventName: x\ncondition: (sel`), /unclosed/);
  assert.match(reject(`sel:\n  eventName: x\ncondition: sel sel`), /unexpected 'sel'/);
  assert.match(reject(`sel:\n  eventName: x\ncondition: 2 of sel`), /only '1 of' and 'all of'/);
  assert.match(reject(`sel:\n  eventName|base65: x\ncondition: sel`), /unknown modifier 'base65'/);
  assert.match(reject(`sel:\n  src|expand: '%Legit%'\ncondition: sel`), /placeholder/);
  assert.match(reject(`sel:\n  eventName: {a: 1}\ncondition: sel`), /nested map/);
  assert.match(reject(`sel:\n  eventName: []\ncondition: sel`), /empty value list/);
  assert.match(reject(`sel:\n  eventName|contains|startswith: x\ncondition: sel`), /combines contains and startswith/);
  assert.match(reject(`sel: {}\ncondition: sel`), /empty map/);
  assert.match(reject(`sel:\n  eventName: x`), /no condition/);
  const bad = (text: string) => {
    const r = compileSigmaRule(text, 'bad.yml');
    assert.equal(r.ok, false);
    return r as { ok: false; id?: string; title?: string; reason: string };
  };
  assert.match(bad('title: [unclosed').reason, /^bad\.yml: YAML error/);
  assert.match(bad('').reason, /empty file|not a Sigma rule/);
  assert.match(bad('title: a\n---\ntitle: b\n').reason, /2 YAML documents/);
  assert.match(bad('- a\n- b\n').reason, /not a Sigma rule/);
  assert.match(bad('id: x\nlogsource: {product: aws, service: cloudtrail}\n').reason, /no title/);
  const noId = bad('title: T\nlogsource: {product: aws, service: cloudtrail}\n');
  assert.equal(noId.title, 'T');
  assert.match(noId.reason, /no id/);
  const win = bad(ruleText(`sel:\n  x: 1\ncondition: sel`).replace('product: aws', 'product: windows'));
  assert.equal(win.id, '00000000-0000-0000-0000-000000000001');
  assert.match(win.reason, /only aws\/cloudtrail/);
  assert.match(bad(ruleText(`sel:\n  x: 1\ncondition: sel`).replace('level: high', 'level: severe')).reason, /level 'severe'/);
  assert.match(bad(ruleText(`sel:\n  x: 1\ncondition: sel`).replace('status: test', 'status: unsupported')).reason, /status: unsupported/);
  assert.match(bad(ruleText(`sel:\n  x: 1\ncondition: sel`).replace('status: test', 'status: deprecated')).reason, /deprecated/);
});

test('metadata: technique tags, tactics, dates, level default with a warning', () => {
  const r = compile(`sel:\n  x: 1\ncondition: sel`, 'falsepositives:\n    - Admins\nreferences:\n    - https://example.org/a');
  assert.deepEqual(r.tags, ['T1098.001']);
  assert.deepEqual(r.tactics, ['persistence', 'privilege-escalation']);
  assert.equal(r.date, '2020-02-11');
  assert.equal(r.modified, '2023-03-24');
  assert.equal(r.level, 'high');
  assert.equal(r.author, 'Tester');
  assert.deepEqual(r.falsepositives, ['Admins']);
  assert.deepEqual(r.references, ['https://example.org/a']);
  assert.equal(r.file, 'test.yml');
  assert.deepEqual(r.warnings, []);
  const nolevel = compileSigmaRule(ruleText(`sel:\n  x: 1\ncondition: sel`).replace('level: high', ''));
  assert.ok(nolevel.ok);
  assert.equal(nolevel.rule.level, 'medium');
  assert.match(nolevel.rule.warnings[0], /no level/);
  // The compiled rule is plain data for JSON/IPC; the matcher is not copied along.
  const json = JSON.parse(JSON.stringify(r));
  assert.equal(json.id, r.id);
  assert.throws(() => matchSigma(structuredClone(r), { x: 1 }), /not compiled in this process/);
});

test('prefilter: set only when every way to match needs those eventName/eventSource values', () => {
  const pf = (det: string) => compile(det).prefilter;
  assert.deepEqual(pf(`sel:\n  eventSource: cloudtrail.amazonaws.com\n  eventName: [StopLogging, DeleteTrail]\ncondition: sel`), {
    eventNames: ['DeleteTrail', 'StopLogging'],
    eventSources: ['cloudtrail.amazonaws.com'],
  });
  assert.deepEqual(pf(`a:\n  eventName: A\nb:\n  eventName: B\ncondition: 1 of them`), { eventNames: ['A', 'B'] });
  assert.equal(pf(`a:\n  eventName: A\nb:\n  userAgent: x\ncondition: a or b`), null);
  assert.deepEqual(pf(`a:\n  eventName: [A, B]\nb:\n  eventName: [B, C]\ncondition: a and b`), { eventNames: ['B'] });
  assert.deepEqual(pf(`a:\n  eventName: A\nf:\n  eventName: B\ncondition: a and not f`), { eventNames: ['A'] });
  assert.equal(pf(`a:\n  eventName: A\ncondition: not a`), null);
  assert.equal(pf(`a:\n  eventName: 'Get*'\ncondition: a`), null);
  assert.equal(pf(`a:\n  eventName|startswith: Get\ncondition: a`), null);
  assert.equal(pf(`a:\n  eventName: [A, null]\ncondition: a`), null);
  assert.deepEqual(pf(`a:\n  - eventName: A\n  - eventName: B\n    x: 1\ncondition: a`), { eventNames: ['A', 'B'] });
  assert.equal(pf(`a:\n  - eventName: A\n  - x: 1\ncondition: a`), null);
  assert.deepEqual(pf(`a:\n  eventSource: s3.amazonaws.com\n  x: 1\ncondition: a`), { eventSources: ['s3.amazonaws.com'] });
  // Case-insensitive: the shortcut must not reject a differently-cased eventName.
  const r = compile(`a:\n  eventName: StopLogging\ncondition: a`);
  assert.equal(m(r, { eventName: 'stoplogging' }), true);
  assert.equal(m(r, { eventName: 'StartLogging' }), false);
  assert.equal(m(r, {}), false);
  assert.equal(m(r, { eventName: ['StopLogging'] }), true);
});

function aevent(rec: Record<string, any>): AnalysisEvent {
  const n = normalizeRecord(rec)!;
  return { leaf: 0, eventId: n.eventId!, timeMs: n.timeMs, record: rec, n };
}

test('category mapping from tactic tags', () => {
  assert.equal(sigmaCategory({ tactics: ['defense-impairment'] }), 'defense-evasion');
  assert.equal(sigmaCategory({ tactics: ['stealth', 'persistence'] }), 'defense-evasion');
  assert.equal(sigmaCategory({ tactics: ['lateral-movement', 'privilege-escalation'] }), 'lateral-movement');
  assert.equal(sigmaCategory({ tactics: ['resource-development'] }), 'impact');
  assert.equal(sigmaCategory({ tactics: ['resource-development', 'exfiltration'] }), 'exfiltration');
  assert.equal(sigmaCategory({ tactics: ['reconnaissance'] }), 'discovery');
  assert.equal(sigmaCategory({ tactics: [] }), 'execution');
});

test('sigmaFinding: stable id, time order, attribution, artefacts', () => {
  const rule = compile(`sel:\n  eventName: CreateAccessKey\ncondition: sel`, 'falsepositives:\n    - Unknown\n    - Key rotation');
  const mk = (id: string, t: string, ip: string) =>
    aevent({
      eventID: id,
      eventTime: t,
      eventName: 'CreateAccessKey',
      eventSource: 'iam.amazonaws.com',
      sourceIPAddress: ip,
      recipientAccountId: '111122223333',
      userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accessKeyId: 'AKIAEXAMPLE', userName: 'alice' },
    });
  const e1 = mk('e-2', '2024-01-01T00:00:00Z', '075.050.255.67');
  const e2 = mk('e-1', '2024-01-02T00:00:00Z', 'AWS Internal');
  const f = sigmaFinding(rule, [e2, e1]);
  const g = sigmaFinding(rule, [e1, e2]);
  assert.equal(f.id, g.id);
  assert.match(f.id, /^[0-9a-f]{16}$/);
  assert.equal(f.id, sigmaFindingId('sigma:00000000-0000-0000-0000-000000000001', ['e-1', 'e-2']));
  // Same formula as the built-in checks: sha256(checkId + "\n" + sorted eventIds joined by "\n"), 16 hex.
  assert.equal(f.id, createHash('sha256').update('sigma:00000000-0000-0000-0000-000000000001\ne-1\ne-2').digest('hex').slice(0, 16));
  assert.notEqual(f.id, sigmaFinding(rule, [e1]).id);
  assert.deepEqual(f.eventIds, ['e-2', 'e-1']);
  assert.equal(f.source, 'sigma');
  assert.equal(f.checkId, 'sigma:00000000-0000-0000-0000-000000000001');
  assert.equal(f.checkVersion, '2023-03-24');
  assert.equal(f.severity, 'high');
  assert.equal(f.category, 'persistence');
  assert.deepEqual(f.attack, ['T1098.001']);
  assert.equal(f.attribution, "Sigma rule 'Test rule' by Tester, SigmaHQ, Detection Rule License 1.1");
  assert.equal(f.firstSeen, '2024-01-01T00:00:00.000Z');
  assert.equal(f.lastSeen, '2024-01-02T00:00:00.000Z');
  assert.deepEqual(
    f.artefacts.map((a) => `${a.type}=${a.value}`),
    ['user=arn:aws:iam::111122223333:user/alice', 'access-key=AKIAEXAMPLE', 'ip=075.050.255.67', 'account=111122223333'],
  );
  assert.match(f.explanation, /Sigma rule 'Test rule' \(id 0{8}-0{4}-0{4}-0{4}-0{11}1, test\.yml, level high\) matched 2 events/);
  assert.match(f.explanation, /A test rule\./);
  assert.ok(f.remediation.some((r) => r.includes('Key rotation')));
  assert.ok(!f.remediation.some((r) => /: Unknown$/.test(r)));
  // The pure builder takes any id function.
  assert.equal(buildSigmaFinding(rule, [e1], (c, ids) => `${c}|${ids.join(',')}`).id, 'sigma:00000000-0000-0000-0000-000000000001|e-2');
  assert.throws(() => sigmaFinding(rule, []), /at least one matched event/);
});

test('odd records never crash the matcher', () => {
  const r = compile(`sel:\n  userIdentity.sessionContext.sessionIssuer.type: Role\nsel2:\n  eventName: X\ncondition: sel or sel2`);
  for (const rec of [null, 'text', 42, [], [{ eventName: 'X' }], { userIdentity: [] }, { userIdentity: { sessionContext: 7 } }, { eventName: { a: 1 } }]) {
    assert.equal(matchSigma(r, rec as any), false, JSON.stringify(rec));
  }
  assert.equal(matchSigma(r, { userIdentity: [{ sessionContext: { sessionIssuer: { type: 'role' } } }] }), true);
});

test('the engine files stay portable: no node:* or Node-only imports', async () => {
  const { readFileSync } = await import('node:fs');
  const { importsOf } = await import('../lint/layering.ts');
  for (const f of ['engine.ts', 'values.ts', 'condition.ts', 'finding.ts']) {
    const src = readFileSync(new URL(`../../electron/analysis/sigma/${f}`, import.meta.url), 'utf8');
    const imports = importsOf(src);
    assert.ok(imports.length > 0, `${f}: import scan found nothing`);
    for (const spec of imports) assert.ok(spec === 'yaml' || spec.startsWith('./') || spec.startsWith('../../../shared/'), `${f} imports ${spec}`);
  }
});
