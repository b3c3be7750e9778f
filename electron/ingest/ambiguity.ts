// Ambiguities a strict JSON reader would refuse but JSON.parse accepts (issue
// #12, "Parser ambiguities"): a key repeated in one object, an unpaired UTF-16
// surrogate written as a \u escape, a number that a double cannot hold. Each
// can make the same record read differently in another tool (a reader that
// keeps the first of two keys, one that refuses the record, one that keeps a
// 64-bit integer exactly), so each is reported per record, naming where.
//
// TrailCase keeps JSON.parse's reading (the last of duplicate keys, the lone
// surrogate as is, the nearest double) for its columns and says so in the
// warning; the verbatim record stays byte-exact in the evidence.
//
// Cost: this runs on every record in the parser workers. quickCheck is one
// allocation-free pass over the text that jumps from quote to quote; only a
// record it cannot clear (more key tokens than parsed keys, a \uD8xx-\uDFxx
// escape, a long or exponent number) gets the full scan that builds paths.
import type { NormalizeIssue } from '../../shared/record.ts';

const MAX_VALUE_CHARS = 200;
const MAX_REPORTS = 20; // per kind and record: a hostile record cannot flood the warnings table

/** Number of keys in a parsed JSON value, counted over every object at any depth. */
function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) if (x !== null && typeof x === 'object') n += countKeys(x);
    return n;
  }
  for (const k in v as Record<string, unknown>) {
    n++;
    const x = (v as Record<string, unknown>)[k];
    if (x !== null && typeof x === 'object') n += countKeys(x);
  }
  return n;
}

/** Index of the quote that closes the string opened at `open`, or -1. */
function stringEnd(s: string, open: number): number {
  let j = open + 1;
  for (;;) {
    const q = s.indexOf('"', j);
    if (q === -1) return -1;
    let bs = 0;
    for (let k = q - 1; s.charCodeAt(k) === 0x5c; k--) bs++;
    if ((bs & 1) === 0) return q;
    j = q + 1;
  }
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * True when the record may hold an ambiguity and needs the full scan. False
 * means it cannot: every key token is a distinct parsed key, no surrogate
 * escape, no number a double could misread.
 */
export function needsFullScan(text: string, parsed: unknown): boolean {
  // A surrogate escape anywhere (inside a string or a key): a full scan decides whether it is paired.
  if (text.indexOf('\\u') !== -1 && /\\u[dD][89a-fA-F]/.test(text)) return true;
  let keyTokens = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      const q = stringEnd(text, i);
      if (q === -1) return true;
      let k = q + 1;
      while (k < n && isWs(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) === 0x3a) keyTokens++;
      i = k;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      // A number token: 15 significant digits always round-trip through a double; longer ones or exponents may not.
      const start = i;
      let digits = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) digits++;
        else if (d === 0x65 || d === 0x45) return true;
        else if (d !== 0x2e && d !== 0x2d && d !== 0x2b) break;
        i++;
      }
      if (digits > 15 && i > start) return true;
      continue;
    }
    i++;
  }
  return keyTokens !== countKeys(parsed);
}

/**
 * Record text quoted in a warning: the record is the suspect's, so format and
 * control characters (bidi overrides, zero-width) are written as visible escapes
 * and long values are cut, wherever the warning is later shown.
 */
export function visible(s: string): string {
  return s.replace(/[\p{Cf}\p{Cc}\u2028\u2029]/gu, (c) => `⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

function show(s: string): string {
  return visible(s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS)}… (${s.length} characters)` : s);
}

function pathOf(parts: (string | number)[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_@$][\w@$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return visible(out) || '(top level)';
}

/** Canonical exact decimal of a JSON number text: sign, significant digits, exponent ("" for zero). */
function canonicalDecimal(t: string): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!m) return t;
  let digits = m[2] + (m[3] ?? '');
  let exp = Number(m[4] ?? 0) - (m[3] ?? '').length;
  digits = digits.replace(/^0+/, '');
  const trail = /0*$/.exec(digits)![0].length;
  if (digits.length === trail) return '0';
  digits = digits.slice(0, digits.length - trail);
  exp += trail;
  return `${m[1]}${digits}e${exp}`;
}

/** Does the number as written differ from what JSON.parse makes of it? Returns what it reads, or null. */
export function lostPrecision(t: string): string | null {
  const v = Number(t);
  if (!Number.isFinite(v)) return String(v);
  const read = String(v);
  return canonicalDecimal(t) === canonicalDecimal(read) ? null : read;
}

class Scanner {
  i = 0;
  dups: NormalizeIssue[] = [];
  surrogates: NormalizeIssue[] = [];
  numbers: NormalizeIssue[] = [];
  constructor(private readonly s: string) {}

  private ws(): void {
    while (this.i < this.s.length && isWs(this.s.charCodeAt(this.i))) this.i++;
  }

  /** Read a string token at this.i; returns its decoded value, notes a lone surrogate escape. */
  private string(path: (string | number)[], what: string): string {
    const open = this.i;
    const q = stringEnd(this.s, open);
    if (q === -1) throw new Error('unterminated string');
    const raw = this.s.slice(open, q + 1);
    this.i = q + 1;
    const value = JSON.parse(raw) as string;
    if (raw.indexOf('\\u') !== -1 && this.surrogates.length < MAX_REPORTS) {
      for (let k = 0; k < value.length; k++) {
        const c = value.charCodeAt(k);
        if (c < 0xd800 || c > 0xdfff) continue;
        const paired = c <= 0xdbff && k + 1 < value.length && (value.charCodeAt(k + 1) & 0xfc00) === 0xdc00;
        if (paired) {
          k++;
          continue;
        }
        this.surrogates.push({
          code: 'lone-surrogate',
          message: `${what === 'key in' ? `key ${visible(JSON.stringify(value))} in` : what} ${pathOf(path)} holds an unpaired UTF-16 surrogate \\u${c.toString(16).toUpperCase()} (escaped in the record): not valid Unicode; a strict reader refuses the record, others replace it with U+FFFD. TrailCase keeps the text as JSON.parse reads it (stored columns show U+FFFD); the verbatim record is unchanged`,
        });
        break;
      }
    }
    return value;
  }

  /** Skip one value starting at this.i, reporting what is inside; returns its raw text span. */
  value(path: (string | number)[]): [number, number] {
    this.ws();
    const start = this.i;
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) this.object(path);
    else if (c === 0x5b) {
      this.i++;
      this.ws();
      if (this.s.charCodeAt(this.i) === 0x5d) this.i++;
      else {
        for (let idx = 0; ; idx++) {
          this.value([...path, idx]);
          this.ws();
          const d = this.s.charCodeAt(this.i++);
          if (d === 0x5d) break;
          if (d !== 0x2c) throw new Error('bad array');
        }
      }
    } else if (c === 0x22) this.string(path, 'value at');
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const m = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
      m.lastIndex = this.i;
      const t = m.exec(this.s)![0];
      this.i += t.length;
      const read = lostPrecision(t);
      if (read !== null && this.numbers.length < MAX_REPORTS) {
        this.numbers.push({
          code: 'number-precision',
          message: `number at ${pathOf(path)} is ${show(t)} in the record but reads as ${read} (a double cannot hold it); a reader with exact integers or decimals shows ${show(t)}. TrailCase keeps ${read}; the verbatim record is unchanged`,
        });
      }
    } else {
      // true, false, null
      this.i += c === 0x66 ? 5 : 4;
    }
    return [start, this.i];
  }

  private object(path: (string | number)[]): void {
    this.i++; // {
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return;
    }
    const seen = new Map<string, [number, number][]>();
    for (;;) {
      this.ws();
      const key = this.string(path, 'key in');
      this.ws();
      this.i++; // :
      const span = this.value([...path, key]);
      const l = seen.get(key);
      if (l) l.push(span);
      else seen.set(key, [span]);
      this.ws();
      const d = this.s.charCodeAt(this.i++);
      if (d === 0x7d) break;
      if (d !== 0x2c) throw new Error('bad object');
    }
    for (const [key, spans] of seen) {
      if (spans.length < 2 || this.dups.length >= MAX_REPORTS) continue;
      const values = spans.map(([a, b]) => show(this.s.slice(a, b)));
      this.dups.push({
        code: 'duplicate-key',
        message: `key ${pathOf([...path, key])} appears ${spans.length} times with values ${values.join(', ')}; CloudTrail never writes a key twice; other readers may take the first value (DuckDB's json_extract does) or refuse the record (DuckDB's read_json). TrailCase uses the last (${values[values.length - 1]}), as JSON.parse does`,
      });
    }
  }
}

/**
 * Ambiguities in one record's text (already accepted by JSON.parse as `parsed`).
 * Returns an empty list for nearly every record after the quick check alone.
 */
export function findAmbiguities(text: string, parsed: unknown): NormalizeIssue[] {
  if (!needsFullScan(text, parsed)) return [];
  const sc = new Scanner(text);
  try {
    sc.value([]);
  } catch {
    return []; // JSON.parse accepted the text, so this scanner cannot fail on it; never let it block an import
  }
  return [...sc.dups, ...sc.surrogates, ...sc.numbers];
}
