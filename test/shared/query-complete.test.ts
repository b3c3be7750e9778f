// Field completion (shared/query/complete.ts): the path at the caret, the fields offered for it,
// and how a chosen path is written; a hostile key from the case's own records is quoted in SQL
// and not offered to the search bar (whose field names are plain words).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fieldAtCaret, pathText, suggestFields } from '../../shared/query/complete.ts';
import { rewritePaths } from '../../shared/query/rewrite.ts';
import { typedFields, type FieldInfo } from '../../shared/query/schema.ts';

const HOSTILE = "bucket\u202Egpj.exe'; DROP TABLE x; --";
const FIELDS: FieldInfo[] = [
  ...typedFields(),
  { path: 'requestParameters.bucketName', type: 'JSON', kind: 'json', events: 12 },
  { path: 'requestParameters.bucketPolicy', type: 'JSON', kind: 'json', events: 3 },
  { path: `requestParameters.${HOSTILE}`, type: 'JSON', kind: 'json', events: 1 },
];

test('the path at the caret', () => {
  assert.deepEqual(fieldAtCaret('eventNa', 7, 'search'), { from: 0, token: 'eventNa' });
  assert.deepEqual(fieldAtCaret('-errorCode:* requestParameters.bu', 33, 'search'), { from: 13, token: 'requestParameters.bu' });
  assert.deepEqual(fieldAtCaret('SELECT userIdentity.ar FROM events', 22, 'sql'), { from: 7, token: 'userIdentity.ar' });
  assert.equal(fieldAtCaret('e', 1, 'search'), null, 'one character');
  assert.equal(fieldAtCaret('eventName:Put', 13, 'search'), null, 'a value after :');
  assert.equal(fieldAtCaret('additionalEventData.bytesTransferredOut>10', 42, 'search'), null, 'a number');
  assert.equal(fieldAtCaret('"access den', 11, 'search'), null, 'inside a quoted phrase');
  assert.equal(fieldAtCaret("SELECT 1 WHERE eventName = 'Get", 31, 'sql'), null, 'inside an SQL string');
  assert.equal(fieldAtCaret('SELECT "eventNa', 15, 'sql'), null, 'inside a quoted identifier');
  assert.deepEqual(fieldAtCaret("WHERE eventName = 'x' AND errorCo", 33, 'sql'), { from: 26, token: 'errorCo' }, 'after a closed string');
});

test('the fields offered: prefix first, then a later segment; the search bar only gets plain paths', () => {
  const bu = suggestFields(FIELDS, 'requestParameters.bu', 'sql').map((f) => f.path);
  assert.deepEqual(bu, ['requestParameters.bucketName', 'requestParameters.bucketPolicy', `requestParameters.${HOSTILE}`]);
  assert.deepEqual(suggestFields(FIELDS, 'requestParameters.bu', 'search').map((f) => f.path), ['requestParameters.bucketName', 'requestParameters.bucketPolicy']);
  const arn = suggestFields(FIELDS, 'arn', 'search').map((f) => f.path);
  assert.ok(arn.includes('userIdentity.arn') && arn.includes('userIdentity.sessionContext.sessionIssuer.arn'), arn.join(' '));
  assert.ok(arn.every((p) => p.toLowerCase().includes('.arn')));
  assert.deepEqual(suggestFields(FIELDS, 'EVENTNAME', 'search').map((f) => f.path), ['eventName'], 'case-insensitive');
  assert.deepEqual(suggestFields(FIELDS, 'eventName', 'search'), [], 'nothing to complete once typed whole');
  assert.ok(suggestFields(FIELDS, 'e', 'search').length <= 12);
});

test('a chosen path as written: search adds the colon, SQL quotes odd segments so the rewriter reads the key whole', () => {
  const json = (key: string): FieldInfo => ({ path: `requestParameters.${key}`, type: 'JSON', kind: 'json' });
  assert.equal(pathText(json('bucketName'), 'search'), 'requestParameters.bucketName:');
  assert.equal(pathText(json('bucketName'), 'sql'), 'requestParameters.bucketName');
  const issuer = typedFields().find((f) => f.path === 'userIdentity.sessionContext.sessionIssuer.arn')!;
  assert.equal(pathText(issuer, 'sql'), 'userIdentity.sessionContext.sessionIssuer.arn');
  const sqlPath = pathText(json(HOSTILE), 'sql');
  assert.equal(sqlPath, `requestParameters."${HOSTILE}"`);
  const sql = rewritePaths(`SELECT ${sqlPath} FROM events`);
  assert.ok(sql.startsWith(`SELECT json_extract_string("requestParameters", '$."bucket\u202Egpj.exe''; DROP TABLE x; --"')`), sql);
  assert.equal(pathText(json('a"b'), 'sql'), 'requestParameters."a""b"');
  // A key with a dot is one key of the JSON object, not a path into it.
  assert.equal(pathText(json('a.b'), 'sql'), 'requestParameters."a.b"');
  assert.deepEqual(suggestFields([json('a.b'), json('ab')], 'requestParameters.a', 'search').map((f) => f.path), ['requestParameters.ab']);
});
