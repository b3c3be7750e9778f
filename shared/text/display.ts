// Display integrity (docs/architecture.md, "Display integrity"). Every text field of a CloudTrail record is
// chosen by the person under investigation; a user name holding U+202E
// (RIGHT-TO-LEFT OVERRIDE) reverses the rest of a sentence, one holding U+200B
// looks exactly like another user. Wherever evidence text is shown or printed
// (UI, report HTML/PDF, CLI text) it goes through `displayText`: every
// character a reader cannot see, or that changes the order of what follows,
// becomes a visible escape `⟨U+202E⟩`. The stored record, report.json, --json
// output and every hash keep the exact value; only what a person reads changes.
//
// The escape's own bracket (U+27E8) is escaped too, so a value cannot forge an
// escape: a literal "⟨U+202E⟩" in a record shows as "⟨U+27E8⟩U+202E⟩".

/** The opening bracket of an escape; escaped itself wherever it occurs in a value. */
export const ESCAPE_OPEN = '\u27E8';
export const ESCAPE_CLOSE = '\u27E9';

// Bidirectional controls: embeddings, overrides, isolates, marks (UAX #9).
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;

// What a reader cannot see or that is not text: controls (Cc, C0 and C1),
// format characters (Cf: zero-width, soft hyphen, tag characters, bidi,
// U+FEFF…), lone surrogates (Cs), unassigned and private use are left visible
// as the font shows them. Added by hand: variation selectors (Mn), line and
// paragraph separators, every space other than U+0020 (a no-break space looks
// like a space), fillers and blanks that render as nothing, and our own bracket.
const HIDDEN =
  /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000\uFE00-\uFE0F\u{E0100}-\u{E01EF}\u180B-\u180F\u034F\u115F\u1160\u17B4\u17B5\u2800\u3164\uFFA0\uFFFC\u27E8]/u;
const HIDDEN_ALL = new RegExp(HIDDEN.source, 'gu');

const NAMES: Record<number, string> = {
  0x00ad: 'SOFT HYPHEN',
  0x061c: 'ARABIC LETTER MARK',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
  0x00a0: 'NO-BREAK SPACE',
};

function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `⟨U+202E⟩` for one code point. */
export function escapeCodePoint(cp: number): string {
  return `${ESCAPE_OPEN}${hex(cp)}${ESCAPE_CLOSE}`;
}

/** Would this single code point (a string of one) be escaped? */
export function isHidden(ch: string): boolean {
  return HIDDEN.test(ch);
}

export interface DisplayOptions {
  /** Keep line feeds and tabs as they are (multi-line blocks such as the verbatim record); everything else is still escaped. */
  keepLayout?: boolean;
  /** For text already made of escaped values (a safety net over whole output): leave the escape bracket alone. */
  escaped?: boolean;
}

/** The value with every invisible, control, direction-changing or format character written as a visible escape. */
export function escapeHidden(s: string, opts: DisplayOptions = {}): string {
  if (!HIDDEN.test(s)) return s;
  return s.replace(HIDDEN_ALL, (ch) =>
    (opts.keepLayout && (ch === '\n' || ch === '\t')) || (opts.escaped && ch === ESCAPE_OPEN) ? ch : escapeCodePoint(ch.codePointAt(0)!),
  );
}

/** One piece of a value as displayed: plain text, or an escape (to be styled apart in HTML). */
export type DisplayPart = { text: string; escape?: false } | { text: string; escape: true; codePoint: number };

/** The same as escapeHidden, split so a UI can style each escape (a literal bracket in data is escaped, so styles are not needed for safety). */
export function displayParts(s: string, opts: DisplayOptions = {}): DisplayPart[] {
  const parts: DisplayPart[] = [];
  let last = 0;
  for (const m of s.matchAll(HIDDEN_ALL)) {
    if (opts.keepLayout && (m[0] === '\n' || m[0] === '\t')) continue;
    if (m.index! > last) parts.push({ text: s.slice(last, m.index) });
    const cp = m[0].codePointAt(0)!;
    parts.push({ text: escapeCodePoint(cp), escape: true, codePoint: cp });
    last = m.index! + m[0].length;
  }
  if (last < s.length || !parts.length) parts.push({ text: s.slice(last) });
  return parts;
}

export interface HiddenChar {
  codePoint: string; // "U+202E"
  name: string | null;
  bidi: boolean;
  count: number;
}

/** Which hidden characters a value holds (for flags and warnings), in order of first appearance. */
export function findHidden(s: string): HiddenChar[] {
  if (!HIDDEN.test(s)) return [];
  const seen = new Map<number, HiddenChar>();
  for (const m of s.matchAll(HIDDEN_ALL)) {
    const cp = m[0].codePointAt(0)!;
    const h = seen.get(cp);
    if (h) h.count++;
    else seen.set(cp, { codePoint: hex(cp), name: NAMES[cp] ?? (cp >= 0xe0000 && cp <= 0xe007f ? 'TAG CHARACTER' : null), bidi: BIDI.test(m[0]), count: 1 });
  }
  return [...seen.values()];
}

// ------------------------------------------------------------ mixed scripts

// Scripts whose letters are confusable with Latin or with one another; a name
// mixing any two of them (or any other two scripts, except the CJK mixes that
// Japanese and Korean writing use: UTS #39 "highly restrictive") is flagged.
const SCRIPTS = [
  'Latin', 'Cyrillic', 'Greek', 'Armenian', 'Georgian', 'Cherokee', 'Coptic', 'Arabic', 'Hebrew', 'Devanagari', 'Thai',
  'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo',
] as const;
const SCRIPT_RE = SCRIPTS.map((name) => ({ name, re: new RegExp(`\\p{Script=${name}}`, 'u') }));
const CJK = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo']);
const LETTER = /\p{L}/u;

/** The scripts of a value's letters (digits and punctuation belong to none); "Other" for letters of scripts not listed. */
export function scriptsOf(s: string): string[] {
  const found = new Set<string>();
  for (const ch of s) {
    if (ch.charCodeAt(0) < 0x80) {
      if (/[A-Za-z]/.test(ch)) found.add('Latin');
      continue;
    }
    if (!LETTER.test(ch)) continue;
    found.add(SCRIPT_RE.find((x) => x.re.test(ch))?.name ?? 'Other');
  }
  return [...found];
}

/** The scripts a name mixes, or null when it does not (Latin with Han/Kana/Hangul is allowed, as in UTS #39). */
export function mixedScripts(s: string): string[] | null {
  const all = scriptsOf(s);
  if (all.length < 2) return null;
  const other = all.filter((x) => !CJK.has(x));
  if (other.length === 0) return null;
  if (other.length === 1 && other[0] === 'Latin') return null;
  return all;
}

/** Why a principal or resource name deserves a second look (empty when it does not): hidden characters, mixed scripts. */
export function nameFlags(s: string | null | undefined): string[] {
  if (!s) return [];
  const out: string[] = [];
  const hidden = findHidden(s);
  if (hidden.length) {
    const bidi = hidden.some((h) => h.bidi);
    out.push(
      `contains ${bidi ? 'direction-changing or invisible' : 'invisible or control'} characters: ${hidden
        .map((h) => `${h.codePoint}${h.name ? ` ${h.name}` : ''}${h.count > 1 ? ` ×${h.count}` : ''}`)
        .join(', ')}`,
    );
  }
  const mixed = mixedScripts(s);
  if (mixed) out.push(`mixes scripts (${mixed.join(', ')}): letters that look alike may differ`);
  return out;
}

// ------------------------------------------------------------ long values

/** Values longer than this are shortened in tables and the PDF (the full value stays in the record, report.json and one click away in the UI). */
export const DISPLAY_MAX = 500;

/** The number of characters (code points) in a value: what "(N chars)" states. */
export function charCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export interface Shortened {
  text: string;
  truncated: boolean;
  /** Characters (code points) in the whole value. */
  length: number;
}

/** The first `max` UTF-16 units (never splitting a surrogate pair) and "…(2,000,000 chars)" when the value is longer. */
export function shorten(s: string, max = DISPLAY_MAX): Shortened {
  if (s.length <= max) return { text: s, truncated: false, length: charCount(s) };
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  const length = charCount(s);
  return { text: `${s.slice(0, end)}…(${length.toLocaleString('en-US')} chars)`, truncated: true, length };
}

/**
 * A value as a person should read it: shortened past `max` (the length
 * stated) and every hidden character escaped. Null and undefined give ''.
 * The only function display code needs; the rest is for flags and styling.
 */
export function displayText(v: unknown, max: number = DISPLAY_MAX, opts: DisplayOptions = {}): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (s.length <= max) return escapeHidden(s, opts);
  const sh = shorten(s, max);
  // Escape only the kept prefix: a 2 MB value costs one length count, not a 2 MB rewrite.
  const cut = sh.text.lastIndexOf('…(');
  return escapeHidden(sh.text.slice(0, cut), opts) + sh.text.slice(cut);
}

/** displayText without shortening (inspector fields and the full value on request). */
export function displayFull(v: unknown): string {
  return displayText(v, Infinity);
}
