// Sigma field matching for CloudTrail records: field-path resolution, value
// modifiers and wildcard strings. Pure (no node:*), so it can run anywhere.
//
// Semantics follow the Sigma specification (sigma-specification, "Detection"
// and "Modifiers") as implemented by pySigma:
//  - plain strings match case-insensitively; `*` and `?` are wildcards; `\`
//    escapes `*`, `?` and `\` only and is a literal backslash elsewhere;
//  - `re` is case-sensitive unless the `i` sub-modifier (or a leading `(?i)`) asks;
//  - a list of values is an OR, or an AND with `|all`;
//  - `null` matches a missing or null field.
// CloudTrail specifics (documented because Sigma leaves them to the backend):
//  - a dotted field name is first looked up as a literal key (flattened
//    exports), then walked as a path (`userIdentity.sessionContext.sessionIssuer.type`);
//  - an array met on the way or at the end is searched element by element
//    (`requestParameters.containerDefinitions.command` crosses two arrays);
//    an empty array counts as no value;
//  - an object value (e.g. `requestParameters|contains: 'Suspended'`) is matched
//    as its JSON text, as a SIEM that indexes the raw event would;
//  - numbers and booleans in the record are matched as their text, so
//    `responseElements.publiclyAccessible: 'true'` matches the boolean true.
import { cidrContains, parseCidr, parseIp, type Cidr } from '../../../shared/ip.ts';

/** A test on one resolved leaf value (undefined = field absent). */
export type ValueTest = (v: unknown, rec: Record<string, any>) => boolean;
/** A compiled `field|modifiers: values` entry. */
export type FieldMatcher = (rec: Record<string, any>) => boolean;

export class SigmaCompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SigmaCompileError';
  }
}

// ---------------------------------------------------------------------------
// Field resolution

export interface FieldPath {
  full: string;
  segs: string[];
}

export function fieldPath(name: string): FieldPath {
  return { full: name, segs: name.split('.') };
}

function visit(node: unknown, segs: string[], i: number, rec: Record<string, any>, test: ValueTest): boolean {
  if (Array.isArray(node)) {
    if (node.length === 0) return test(undefined, rec);
    for (let k = 0; k < node.length; k++) if (visit(node[k], segs, i, rec, test)) return true;
    return false;
  }
  if (i === segs.length) return test(node, rec);
  if (node === null || typeof node !== 'object') return test(undefined, rec);
  return visit((node as Record<string, unknown>)[segs[i]], segs, i + 1, rec, test);
}

/** Does some value of the field (walking arrays) satisfy the test? A missing field is tested as undefined. */
export function someValue(rec: Record<string, any>, p: FieldPath, test: ValueTest): boolean {
  if (p.segs.length > 1) {
    const literal = rec[p.full];
    if (literal !== undefined) return visit(literal, p.segs, p.segs.length, rec, test);
  }
  return visit(rec, p.segs, 0, rec, test);
}

// Objects are matched as JSON text; the same object is often tested by several
// rules, so its text is computed once per object.
const jsonCache = new WeakMap<object, string>();

/** The text a string comparison sees for a record value; null when there is none. */
export function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'object') {
    let s = jsonCache.get(v);
    if (s === undefined) {
      s = JSON.stringify(v);
      jsonCache.set(v, s);
    }
    return s;
  }
  return String(v);
}

// ---------------------------------------------------------------------------
// Sigma strings

export const STAR = 0;
export const ONE = 1;
export type SigmaStringPart = string | typeof STAR | typeof ONE;

/** Split a Sigma string into literal text and wildcards, applying pySigma's escape rules. */
export function parseSigmaString(s: string): SigmaStringPart[] {
  const parts: SigmaStringPart[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      const n = s[i + 1];
      if (n === '*' || n === '?' || n === '\\') {
        lit += n;
        i++;
      } else lit += c;
    } else if (c === '*' || c === '?') {
      if (lit) parts.push(lit);
      lit = '';
      parts.push(c === '*' ? STAR : ONE);
    } else lit += c;
  }
  if (lit) parts.push(lit);
  return parts;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isAscii(s: string): boolean {
  // eslint-disable-next-line no-control-regex -- the whole ASCII range, NUL included
  return /^[\x00-\x7f]*$/.test(s);
}

export type StringOp = 'eq' | 'contains' | 'startswith' | 'endswith';

/** Compile one string value with contains/startswith/endswith and wildcards into a test on text. */
export function compileStringTest(value: string, op: StringOp, cased: boolean): (text: string) => boolean {
  let parts = parseSigmaString(value);
  if (op === 'contains' || op === 'endswith') parts = [STAR, ...parts];
  if (op === 'contains' || op === 'startswith') parts = [...parts, STAR];
  let anchorStart = true;
  let anchorEnd = true;
  while (parts.length && parts[0] === STAR) {
    parts = parts.slice(1);
    anchorStart = false;
  }
  while (parts.length && parts[parts.length - 1] === STAR) {
    parts = parts.slice(0, -1);
    anchorEnd = false;
  }
  // Fast path for the common case: exact equality, no wildcards. Comparing
  // lengths first avoids lower-casing most non-matching values; for an ASCII
  // pattern a value can only lower-case to it if it has the same length.
  if (anchorStart && anchorEnd && parts.length <= 1 && typeof (parts[0] ?? '') === 'string') {
    const lit = (parts[0] ?? '') as string;
    if (cased) return (t) => t === lit;
    if (isAscii(lit)) {
      const lower = lit.toLowerCase();
      return (t) => t.length === lit.length && (t === lit || t.toLowerCase() === lower);
    }
  }
  let src = '';
  for (const p of parts) src += p === STAR ? '[\\s\\S]*' : p === ONE ? '[\\s\\S]' : escapeRegex(p);
  const re = new RegExp((anchorStart ? '^' : '') + src + (anchorEnd ? '$' : ''), cased ? '' : 'i');
  return (t) => re.test(t);
}

/** Compile a `re` value. Python-style leading inline flags and named groups are translated. */
export function compileRegex(pattern: string, flags: { i: boolean; m: boolean; s: boolean }): RegExp {
  let src = pattern;
  let f = (flags.i ? 'i' : '') + (flags.m ? 'm' : '') + (flags.s ? 's' : '');
  const inline = /^\(\?([a-zA-Z]+)\)/.exec(src);
  if (inline) {
    for (const c of inline[1]) {
      if (c !== 'i' && c !== 'm' && c !== 's') throw new SigmaCompileError(`regular expression flag (?${c}) is not supported`);
      if (!f.includes(c)) f += c;
    }
    src = src.slice(inline[0].length);
  }
  src = src.replace(/\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/g, '\\k<$1>');
  try {
    return new RegExp(src, f);
  } catch (e) {
    throw new SigmaCompileError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
  }
}

/**
 * The longest run of literal characters that every match of the regex must
 * contain, or null when none of at least 3 characters can be proven. Deliberately
 * conservative: any alternation gives up; only top-level (ungrouped) literals
 * count; a quantified character ends the run (and is dropped unless the
 * quantifier is '+').
 */
export function requiredLiteral(src: string): string | null {
  if (src.includes('|')) return null;
  let best = '';
  let run = '';
  let depth = 0;
  const end = () => {
    if (run.length > best.length) best = run;
    run = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    let lit: string | null = null;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) return null;
      i++;
      // Escaped punctuation is that character; \d, \w, \1, \u.., \k<..> etc. are not
      // literals, and their arguments must be skipped too.
      if (/[A-Za-z0-9]/.test(n)) {
        end();
        const rest = src.slice(i + 1);
        const arg = n === 'u' ? /^(\{[0-9A-Fa-f]+\}|[0-9A-Fa-f]{4})/.exec(rest)
          : n === 'x' ? /^[0-9A-Fa-f]{2}/.exec(rest)
          : n === 'c' ? /^[A-Za-z]/.exec(rest)
          : n === 'p' || n === 'P' ? /^\{[^}]*\}/.exec(rest)
          : n === 'k' ? /^<[^>]*>/.exec(rest)
          : /[0-9]/.test(n) ? /^[0-9]*/.exec(rest) : null;
        if (arg) i += arg[0].length;
        continue;
      }
      lit = n;
    } else if (c === '(') {
      end();
      depth++;
      continue;
    } else if (c === ')') {
      end();
      depth--;
      continue;
    } else if (c === '[') {
      end();
      // Skip the class, honouring escapes and a leading ']' or '^]'.
      let j = i + 1;
      if (src[j] === '^') j++;
      if (src[j] === ']') j++;
      while (j < src.length && src[j] !== ']') j += src[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    } else if (c === '{') {
      end();
      // A {n}, {n,} or {n,m} quantifier: skip its digits (they are not literals).
      const q = /^\{\d+(,\d*)?\}/.exec(src.slice(i));
      if (q) i += q[0].length - 1;
      continue;
    } else if ('.^$*+?}]'.includes(c)) {
      end();
      continue;
    } else lit = c;
    if (depth > 0) continue;
    const q = src[i + 1];
    if (q === '*' || q === '?' || q === '{') {
      end();
      continue;
    }
    run += lit;
    if (q === '+') end();
  }
  end();
  return best.length >= 3 ? best : null;
}

// ---------------------------------------------------------------------------
// Field entries

const KNOWN_MODIFIERS = new Set([
  'contains', 'startswith', 'endswith', 'all', 're', 'i', 'm', 's', 'cidr', 'exists', 'cased', 'fieldref', 'lt', 'lte', 'gt', 'gte',
]);

/** Modifiers we recognise but cannot apply, with the reason given to the examiner. */
const UNSUPPORTED_MODIFIERS: Record<string, string> = {
  expand: "placeholder modifier 'expand' needs organisation-specific value lists, which TrailCase does not configure",
  windash: "modifier 'windash' applies to Windows command lines, not CloudTrail",
  base64: "modifier 'base64' is not supported (not used for CloudTrail)",
  base64offset: "modifier 'base64offset' is not supported (not used for CloudTrail)",
  utf16: "modifier 'utf16' is not supported (not used for CloudTrail)",
  utf16le: "modifier 'utf16le' is not supported (not used for CloudTrail)",
  utf16be: "modifier 'utf16be' is not supported (not used for CloudTrail)",
  wide: "modifier 'wide' is not supported (not used for CloudTrail)",
};

export type SigmaScalar = string | number | boolean | null;

export interface ParsedFieldKey {
  field: string;
  modifiers: string[];
}

export function parseFieldKey(key: string): ParsedFieldKey {
  const [field, ...modifiers] = key.split('|');
  for (const m of modifiers) {
    if (UNSUPPORTED_MODIFIERS[m]) throw new SigmaCompileError(UNSUPPORTED_MODIFIERS[m]);
    if (!KNOWN_MODIFIERS.has(m)) throw new SigmaCompileError(`unknown modifier '${m}' in '${key}'`);
  }
  if (field === '') throw new SigmaCompileError(`keyword search '${key}' (modifiers without a field name) is not supported`);
  return { field, modifiers };
}

function scalarText(v: SigmaScalar): string {
  return typeof v === 'string' ? v : String(v);
}

/**
 * Compile one `field|modifiers: value(s)` entry of a selection.
 * Throws SigmaCompileError with a reason naming the entry when it cannot be applied.
 */
export function compileFieldEntry(key: string, raw: unknown): FieldMatcher {
  const { field, modifiers } = parseFieldKey(key);
  const path = fieldPath(field);
  const has = (m: string) => modifiers.includes(m);
  const values: SigmaScalar[] = Array.isArray(raw) ? raw : [raw as SigmaScalar];
  if (values.length === 0) throw new SigmaCompileError(`'${key}' has an empty value list`);
  for (const v of values) {
    if (v !== null && typeof v === 'object') throw new SigmaCompileError(`'${key}' has a nested ${Array.isArray(v) ? 'list' : 'map'} as a value`);
  }
  const all = has('all');

  const stringOps = ['contains', 'startswith', 'endswith'].filter(has) as StringOp[];
  if (stringOps.length > 1) throw new SigmaCompileError(`'${key}' combines ${stringOps.join(' and ')}`);
  const typeMods = ['re', 'cidr', 'exists', 'lt', 'lte', 'gt', 'gte'].filter(has);
  if (typeMods.length > 1) throw new SigmaCompileError(`'${key}' combines ${typeMods.join(' and ')}`);
  if (typeMods.length && stringOps.length) throw new SigmaCompileError(`'${key}' combines ${typeMods[0]} with ${stringOps[0]}`);
  if ((has('i') || has('m') || has('s')) && !has('re')) throw new SigmaCompileError(`'${key}' uses a regex flag without 're'`);
  if (has('fieldref') && typeMods.length) throw new SigmaCompileError(`'${key}' combines fieldref with ${typeMods[0]}`);
  const typeMod = typeMods[0];

  if (typeMod === 'exists') {
    if (values.length !== 1 || typeof values[0] !== 'boolean') throw new SigmaCompileError(`'${key}' needs true or false`);
    const want = values[0];
    const present: ValueTest = (v) => v !== undefined && v !== null;
    return (rec) => someValue(rec, path, present) === want;
  }

  const tests: ValueTest[] = values.map((v) => compileValue(key, v, typeMod, stringOps[0] ?? 'eq', modifiers));

  if (all) {
    return (rec) => {
      for (let k = 0; k < tests.length; k++) if (!someValue(rec, path, tests[k])) return false;
      return true;
    };
  }
  if (tests.length === 1) {
    const t = tests[0];
    return (rec) => someValue(rec, path, t);
  }
  // Many plain equality values (eventName lists): a set lookup instead of a loop.
  if (!typeMod && !stringOps.length && !has('fieldref') && !has('cased') && values.every((v) => v !== null && !/[*?\\]/.test(scalarText(v)))) {
    const exact = new Set(values.map((v) => scalarText(v as string)));
    const lower = new Set([...exact].map((s) => s.toLowerCase()));
    const lengths = new Set([...exact].map((s) => s.length));
    const asciiOnly = [...exact].every(isAscii);
    const anyOf: ValueTest = (v) => {
      const t = asText(v);
      if (t === null) return false;
      if (exact.has(t)) return true;
      return (!asciiOnly || lengths.has(t.length)) && lower.has(t.toLowerCase());
    };
    return (rec) => someValue(rec, path, anyOf);
  }
  const anyOf: ValueTest = (v, rec) => {
    for (let k = 0; k < tests.length; k++) if (tests[k](v, rec)) return true;
    return false;
  };
  return (rec) => someValue(rec, path, anyOf);
}

function compileValue(key: string, v: SigmaScalar, typeMod: string | undefined, op: StringOp, modifiers: string[]): ValueTest {
  const has = (m: string) => modifiers.includes(m);
  if (v === null) {
    if (typeMod || op !== 'eq' || has('fieldref')) throw new SigmaCompileError(`'${key}' applies a modifier to null`);
    return (x) => x === undefined || x === null;
  }
  if (has('fieldref')) {
    if (typeof v !== 'string') throw new SigmaCompileError(`'${key}' fieldref needs a field name`);
    return compileFieldRef(v, op, has('cased'));
  }
  switch (typeMod) {
    case 're': {
      if (typeof v !== 'string') throw new SigmaCompileError(`'${key}' regex must be a string`);
      const re = compileRegex(v, { i: has('i'), m: has('m'), s: has('s') });
      // Unanchored patterns such as '.+:assumed-role/aws:.+' backtrack at every
      // start position (microseconds per ARN); a required literal rules most
      // values out with one substring search first.
      const lit = re.flags.includes('i') ? null : requiredLiteral(re.source);
      if (lit !== null) {
        return (x) => {
          const t = asText(x);
          return t !== null && t.includes(lit) && re.test(t);
        };
      }
      return (x) => {
        const t = asText(x);
        return t !== null && re.test(t);
      };
    }
    case 'cidr': {
      const c: Cidr | null = typeof v === 'string' ? parseCidr(v) : null;
      if (!c) throw new SigmaCompileError(`'${key}' value ${JSON.stringify(v)} is not a CIDR range`);
      return (x) => {
        const t = asText(x);
        if (t === null) return false;
        const ip = parseIp(t);
        return ip !== null && cidrContains(c, ip);
      };
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const n = typeof v === 'number' ? v : Number(v);
      if (!Number.isFinite(n)) throw new SigmaCompileError(`'${key}' needs a number, got ${JSON.stringify(v)}`);
      return (x) => {
        const t = typeof x === 'number' ? x : typeof x === 'string' && x.trim() !== '' ? Number(x) : NaN;
        if (!Number.isFinite(t)) return false;
        return typeMod === 'lt' ? t < n : typeMod === 'lte' ? t <= n : typeMod === 'gt' ? t > n : t >= n;
      };
    }
  }
  // Numbers and booleans in a rule are plain values: no wildcard parsing.
  const text = typeof v === 'string' ? v : String(v).replace(/[*?\\]/g, '\\$&');
  const test = compileStringTest(text, op, has('cased'));
  return (x) => {
    const t = asText(x);
    return t !== null && test(t);
  };
}

// fieldref (Sigma spec v2): the value names another field of the same event;
// the two values are compared as plain strings (case-insensitive unless cased),
// optionally with contains/startswith/endswith. No wildcard parsing of the
// referenced value: it is data, not a pattern.
function compileFieldRef(ref: string, op: StringOp, cased: boolean): ValueTest {
  const refPath = fieldPath(ref);
  return (x, rec) => {
    let a = asText(x);
    if (a === null) return false;
    if (!cased) a = a.toLowerCase();
    const av = a;
    return someValue(rec, refPath, (y) => {
      let b = asText(y);
      if (b === null) return false;
      if (!cased) b = b.toLowerCase();
      return op === 'eq' ? av === b : op === 'contains' ? av.includes(b) : op === 'startswith' ? av.startsWith(b) : av.endsWith(b);
    });
  };
}
