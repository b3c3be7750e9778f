// shared/text/display.ts: hostile evidence text made display-safe (docs/architecture.md, "Display integrity").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { charCount, displayFull, displayParts, displayText, escapeHidden, findHidden, mixedScripts, nameFlags, scriptsOf, shorten } from '../../../shared/text/display.ts';

test('bidi controls, zero-width and format characters become visible escapes', () => {
  assert.equal(displayText('admin\u202Etxt.exe'), 'admin⟨U+202E⟩txt.exe');
  assert.equal(displayText('backup\u200B-svc'), 'backup⟨U+200B⟩-svc');
  const every = [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f, 0x061c, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0xfe0f, 0xe0041, 0xe007f, 0xe0100, 0x0000, 0x0007, 0x001b, 0x007f, 0x0085, 0x009b, 0x00a0, 0x2028, 0x2029, 0x180e, 0x3164];
  for (const cp of every) {
    const s = `a${String.fromCodePoint(cp)}b`;
    const out = displayText(s);
    assert.equal(out, `a⟨U+${cp.toString(16).toUpperCase().padStart(4, '0')}⟩b`, `U+${cp.toString(16)}`);
    assert.equal(findHidden(s).length, 1);
  }
  // Lone surrogates (invalid UTF-16 left by a JSON \uD800 escape).
  assert.equal(displayText('x\uD800y'), 'x⟨U+D800⟩y');
  assert.equal(displayText('x\uDC00'), 'x⟨U+DC00⟩');
  // Ordinary text, spaces, accents and paired surrogates (emoji) are left alone.
  for (const s of ['backup-svc', 'a b', 'Zoë Müller', 'Ωmega', '日本語', 'ok 😀', 'arn:aws:iam::111122223333:user/alice']) assert.equal(displayText(s), s);
});

test('an escape cannot be forged: the bracket in data is escaped itself', () => {
  assert.equal(displayText('evil⟨U+202E⟩'), 'evil⟨U+27E8⟩U+202E⟩');
  assert.notEqual(displayText('evil⟨U+202E⟩'), displayText('evil\u202E'));
  // A safety net over text already escaped value by value leaves the brackets alone, still escapes the rest.
  assert.equal(escapeHidden(`${displayText('a\u202E')} b\u200B\n`, { escaped: true, keepLayout: true }), 'a⟨U+202E⟩ b⟨U+200B⟩\n');
});

test('layout kept in multi-line blocks only when asked; CR still shown', () => {
  assert.equal(escapeHidden('{\n\t"a": 1\r\n}'), '{⟨U+000A⟩⟨U+0009⟩"a": 1⟨U+000D⟩⟨U+000A⟩}');
  assert.equal(escapeHidden('{\n\t"a": "\u202E"\r\n}', { keepLayout: true }), '{\n\t"a": "⟨U+202E⟩"⟨U+000D⟩\n}');
  const parts = displayParts('a\u202Eb\n', { keepLayout: true });
  assert.deepEqual(parts.map((p) => [p.text, !!p.escape]), [['a', false], ['⟨U+202E⟩', true], ['b\n', false]]);
  assert.deepEqual(displayParts(''), [{ text: '' }]);
});

test('findHidden names what it found, counts repeats, marks bidi', () => {
  const f = findHidden('a\u202Eb\u202Ec\u200B');
  assert.deepEqual(f, [
    { codePoint: 'U+202E', name: 'RIGHT-TO-LEFT OVERRIDE', bidi: true, count: 2 },
    { codePoint: 'U+200B', name: 'ZERO WIDTH SPACE', bidi: false, count: 1 },
  ]);
  assert.equal(findHidden('\u{E0041}')[0].name, 'TAG CHARACTER');
  assert.deepEqual(findHidden('plain name'), []);
});

test('mixed scripts: Latin with Cyrillic or Greek is flagged, CJK mixes and single scripts are not', () => {
  assert.deepEqual(mixedScripts('p\u0430ypal'), ['Latin', 'Cyrillic']); // Cyrillic а
  assert.deepEqual(mixedScripts('admin\u03BF'), ['Latin', 'Greek']); // Greek ο
  assert.deepEqual(mixedScripts('\u0430\u03BF'), ['Cyrillic', 'Greek']);
  assert.equal(mixedScripts('backup-svc_01'), null);
  assert.equal(mixedScripts('\u0430\u0434\u043C\u0438\u043D'), null); // all Cyrillic
  assert.equal(mixedScripts('user-日本語-カタカナ'), null);
  assert.deepEqual(mixedScripts('\u0430-日本'), ['Cyrillic', 'Han']);
  assert.deepEqual(scriptsOf('a1-\u0430'), ['Latin', 'Cyrillic']);
});

test('nameFlags gives reasons for hidden characters and mixed scripts, nothing for a clean name', () => {
  assert.deepEqual(nameFlags('backup-svc'), []);
  assert.deepEqual(nameFlags(null), []);
  assert.match(nameFlags('admin\u202Etxt.exe')[0], /direction-changing.*U\+202E RIGHT-TO-LEFT OVERRIDE/);
  assert.match(nameFlags('backup\u200B-svc')[0], /invisible.*U\+200B ZERO WIDTH SPACE/);
  assert.match(nameFlags('p\u0430ypal')[0], /mixes scripts \(Latin, Cyrillic\)/);
  assert.equal(nameFlags('p\u0430y\u200Bpal').length, 2);
});

test('shorten keeps a prefix and states the full length; never splits a surrogate pair', () => {
  const ua = 'Mozilla/' + 'x'.repeat(2_000_000 - 8);
  const s = shorten(ua, 100);
  assert.equal(s.truncated, true);
  assert.equal(s.length, 2_000_000);
  assert.equal(s.text, ua.slice(0, 100) + '…(2,000,000 chars)');
  assert.deepEqual(shorten('short', 100), { text: 'short', truncated: false, length: 5 });
  const emoji = 'a' + '😀'.repeat(10);
  const e = shorten(emoji, 4); // 'a' + one pair + the high half of the next
  assert.equal(e.text, 'a😀…(11 chars)');
  assert.equal(charCount(emoji), 11);
});

test('displayText shortens first, escapes the kept part, stringifies non-strings', () => {
  const long = '\u202E' + 'y'.repeat(1000);
  const out = displayText(long, 10);
  assert.equal(out, '⟨U+202E⟩' + 'y'.repeat(9) + '…(1,001 chars)');
  assert.equal(displayText(null), '');
  assert.equal(displayText(42), '42');
  assert.equal(displayText({ a: '\u202E' }), '{"a":"⟨U+202E⟩"}');
  assert.equal(displayFull('z'.repeat(5000)).length, 5000);
});
