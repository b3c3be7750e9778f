// The search bar (docs/queries.md) for examiners who do not write SQL:
//   field:value   eventName:ConsoleLogin   userIdentity.arn:*admin*   requestParameters.bucketName:"payroll exports"
//   free text     exploit-kit   "access denied"   (anywhere in the verbatim record, case-insensitive)
//   wildcards     * (any run of characters) and ? (one character), outside quotes
//   AND OR NOT    upper case; juxtaposition is AND; -term is NOT term; parentheses group
//   time          after:2026-03-04 before:2026-03-05T12:00Z   eventTime>=2026-03-04T02:00:00Z
//   numbers       additionalEventData.bytesTransferredOut>1000000
// It compiles to parameterised SQL over the derived `events` table: user values
// only ever travel as parameters, never inside the SQL text. Pure: no node imports.
import { JSON_COLUMNS, jsonPath, quoteIdent, typedFields, type FieldInfo } from './schema.ts';

export class SearchSyntaxError extends Error {
  constructor(message: string, readonly position: number) {
    super(`${message} (at column ${position + 1})`);
    this.name = 'SearchSyntaxError';
  }
}

type Op = ':' | '>=' | '<=' | '>' | '<' | '=';

export type SearchNode =
  | { kind: 'and' | 'or'; items: SearchNode[] }
  | { kind: 'not'; item: SearchNode }
  | { kind: 'text'; value: string; quoted: boolean; pos: number }
  | { kind: 'field'; field: string; op: Op; value: string; quoted: boolean; pos: number; raw: string };

interface Tok {
  t: 'word' | 'quoted' | '(' | ')' | 'AND' | 'OR' | 'NOT' | '-';
  v: string;
  pos: number;
}

function lex(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, v: c, pos: i++ });
    } else if (c === '"') {
      const start = i++;
      let v = '';
      for (;;) {
        if (i >= q.length) throw new SearchSyntaxError('unterminated quoted phrase', start);
        if (q[i] === '\\' && i + 1 < q.length) {
          v += q[i + 1];
          i += 2;
        } else if (q[i] === '"') {
          i++;
          break;
        } else v += q[i++];
      }
      out.push({ t: 'quoted', v, pos: start });
    } else if (c === '-' && i + 1 < q.length && !/[\s)]/.test(q[i + 1]) && (i === 0 || /[\s(]/.test(q[i - 1]))) {
      out.push({ t: '-', v: c, pos: i++ });
    } else {
      const start = i;
      while (i < q.length && !/[\s()"]/.test(q[i])) i++;
      // field:"quoted value" continues into the quote
      const v = q.slice(start, i);
      if (v === 'AND' || v === 'OR' || v === 'NOT') out.push({ t: v, v, pos: start });
      else out.push({ t: 'word', v, pos: start });
    }
  }
  return out;
}

const FIELD_RE = /^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_@-]+)*)(:|>=|<=|>|<|=)(.*)$/s;

export function parseSearch(q: string): SearchNode | null {
  if (q.length > 10_000) throw new SearchSyntaxError('the search is longer than 10,000 characters', 10_000);
  const toks = lex(q);
  let k = 0;
  const peek = () => toks[k];
  const orExpr = (): SearchNode => {
    const items = [andExpr()];
    while (peek()?.t === 'OR') {
      const op = toks[k++];
      if (!peek() || peek().t === ')' || peek().t === 'OR' || peek().t === 'AND') throw new SearchSyntaxError('OR needs a term after it', op.pos);
      items.push(andExpr());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const andExpr = (): SearchNode => {
    const items = [unary()];
    for (;;) {
      const p = peek();
      if (!p || p.t === ')' || p.t === 'OR') break;
      if (p.t === 'AND') {
        k++;
        if (!peek() || peek().t === ')' || peek().t === 'OR' || peek().t === 'AND') throw new SearchSyntaxError('AND needs a term after it', p.pos);
      }
      items.push(unary());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const unary = (): SearchNode => {
    const p = peek();
    if (p && (p.t === 'NOT' || p.t === '-')) {
      k++;
      if (!peek() || peek().t === ')' || peek().t === 'OR' || peek().t === 'AND') throw new SearchSyntaxError(`${p.v} needs a term after it`, p.pos);
      return { kind: 'not', item: unary() };
    }
    return primary();
  };
  const primary = (): SearchNode => {
    const p = toks[k++];
    if (!p) throw new SearchSyntaxError('the search ends where a term was expected', q.length);
    if (p.t === '(') {
      if (peek()?.t === ')') throw new SearchSyntaxError('empty parentheses', p.pos);
      const inner = orExpr();
      if (peek()?.t !== ')') throw new SearchSyntaxError('this parenthesis is never closed', p.pos);
      k++;
      return inner;
    }
    if (p.t === ')') throw new SearchSyntaxError('a closing parenthesis without an opening one', p.pos);
    if (p.t === 'AND' || p.t === 'OR') throw new SearchSyntaxError(`${p.t} needs a term before it`, p.pos);
    if (p.t === 'quoted') return { kind: 'text', value: p.v, quoted: true, pos: p.pos };
    const m = FIELD_RE.exec(p.v);
    if (m) {
      const [, field, op, rest] = m;
      let value = rest;
      let quoted = false;
      if (!value) {
        const nx = peek();
        if (nx?.t === 'quoted' && nx.pos === p.pos + p.v.length) {
          value = nx.v;
          quoted = true;
          k++;
        } else throw new SearchSyntaxError(`${field}${op} needs a value`, p.pos);
      }
      return { kind: 'field', field, op: op as Op, value, quoted, pos: p.pos, raw: p.v };
    }
    return { kind: 'text', value: p.v, quoted: false, pos: p.pos };
  };
  if (toks.length === 0) return null;
  const node = orExpr();
  if (k < toks.length) {
    const p = toks[k];
    throw new SearchSyntaxError(p.t === ')' ? 'a closing parenthesis without an opening one' : `unexpected ${p.v}`, p.pos);
  }
  return node;
}

export type SqlParam = string | number;

export interface CompiledSearch {
  sql: string;
  where: string;
  params: SqlParam[];
}

/** Columns a search returns: enough for the event table, and leaf/eventid to open each event. */
export const SEARCH_COLUMNS =
  'leaf, eventid, eventTime, eventName, eventSource, awsRegion, sourceIPAddress, "userIdentity"."arn" AS principal, "userIdentity"."accessKeyId" AS accessKeyId, errorCode, userAgent';

const FIELDS: Map<string, FieldInfo> = new Map(typedFields().map((f) => [f.path.toLowerCase(), f]));
/** Top-level names a single-word field may have; any other `word:rest` (an ARN, a URL) is free text. */
const TOP_LEVEL = new Set([...[...FIELDS.keys()].map((p) => p.split('.')[0]), ...JSON_COLUMNS.map((c) => c.toLowerCase()), 'after', 'before', 'addendum', 'edgedevicedetails', 'insightdetails']);
const JSON_COLS = new Map<string, string>(JSON_COLUMNS.map((c) => [c.toLowerCase(), c]));

/** ILIKE pattern for a value: * and ? are wildcards unless quoted; %, _ and \ are literal. */
export function likePattern(value: string, wildcards: boolean, contains: boolean): string {
  let p = '';
  for (const ch of value) {
    if (ch === '%' || ch === '_' || ch === '\\') p += '\\' + ch;
    else if (wildcards && ch === '*') p += '%';
    else if (wildcards && ch === '?') p += '_';
    else p += ch;
  }
  return contains ? `%${p}%` : p;
}

/** A time value as DuckDB TIMESTAMP text (UTC); a time without an offset is UTC. */
function timeParam(v: string, pos: number): string {
  if (!/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?(Z|[+-]\d\d:?\d\d)?$/.test(v)) throw new SearchSyntaxError(`"${v.slice(0, 40)}" is not a time (use 2026-03-04 or 2026-03-04T02:10:00Z)`, pos);
  const withZone = /(Z|[+-]\d\d:?\d\d)$/.test(v) ? v : v.length === 10 ? `${v}T00:00:00Z` : `${v.replace(' ', 'T')}Z`;
  const ms = Date.parse(withZone);
  if (Number.isNaN(ms)) throw new SearchSyntaxError(`"${v.slice(0, 40)}" is not a valid time`, pos);
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** The SQL expression for a field path, and whether it is the event time. */
function fieldExpr(field: string, params: SqlParam[]): { expr: string; type: string; list?: { col: string; member: string } } {
  const f = FIELDS.get(field.toLowerCase());
  const parts = field.split('.');
  if (f?.kind === 'typed') return { expr: f.path.split('.').map(quoteIdent).join('.'), type: f.type };
  if (f?.kind === 'list') {
    const [col, member] = f.path.split('.');
    return { expr: '', type: f.type, list: { col, member } };
  }
  const jc = JSON_COLS.get(parts[0].toLowerCase());
  if (jc && parts.length > 1) {
    params.push(jsonPath(parts.slice(1)));
    return { expr: `json_extract_string(${quoteIdent(jc)}, ?)`, type: 'VARCHAR' };
  }
  if (jc) return { expr: `CAST(${quoteIdent(jc)} AS VARCHAR)`, type: 'VARCHAR' };
  // Any other path: read from the verbatim record.
  params.push(jsonPath(parts));
  return { expr: 'json_extract_string(record, ?)', type: 'VARCHAR' };
}

/** Printable ASCII without letters: text that reads the same in any case. */
const CASELESS = /^[\x20-\x40\x5b-\x60\x7b-\x7e]+$/;
/** Printable ASCII: free text the engine can match case-insensitively with a pattern. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** Longer free text is compared by lower-casing the record (the pattern would be ~10 bytes a character). */
const PATTERN_MAX_CHARS = 256;

/**
 * An RE2 pattern that matches where the record text, lower-cased, contains `value` lower-cased, for
 * printable ASCII `value` (null otherwise): each letter is a class of its two cases, plus the only two
 * other characters DuckDB's lower() turns into an ASCII letter (U+0130 İ → i, U+212A Kelvin sign → k;
 * the test asks DuckDB for every code point), every other character is written as \x{..}, so nothing
 * in the value is regex syntax. With `wildcards`, * is any run of characters and ? one character, as in
 * ILIKE. This is the same answer as `contains(lower(record), value)` or ILIKE, without lower-casing
 * every record first: 1.6 times faster at 1M (docs/queries.md, "The search bar").
 */
export function caselessPattern(value: string, wildcards: boolean): string | null {
  if (!PRINTABLE_ASCII.test(value) || value.length > PATTERN_MAX_CHARS) return null;
  let p = '';
  for (const ch of value.toLowerCase()) {
    if (ch >= 'a' && ch <= 'z') p += ch === 'i' ? '[iI\\x{130}]' : ch === 'k' ? '[kK\\x{212A}]' : `[${ch}${ch.toUpperCase()}]`;
    else if (wildcards && ch === '*') p += '(?s:.*)';
    else if (wildcards && ch === '?') p += '(?s:.)';
    else p += `\\x{${ch.charCodeAt(0).toString(16)}}`;
  }
  return p;
}

function compileNode(n: SearchNode, params: SqlParam[]): string {
  switch (n.kind) {
    case 'and':
    case 'or':
      return '(' + n.items.map((x) => compileNode(x, params)).join(n.kind === 'and' ? ' AND ' : ' OR ') + ')';
    case 'not':
      return `(NOT coalesce(${compileNode(n.item, params)}, false))`;
    case 'text': {
      const wild = !n.quoted && /[*?]/.test(n.value);
      // Without a letter (an address, an account id, a date) there is no case to ignore: the record
      // text is searched as stored, without lower-casing all of it first (2.6 times faster at 1M).
      // Only for ASCII: no other character lower-cases to an ASCII digit or sign.
      if (!wild && CASELESS.test(n.value)) {
        params.push(n.value);
        return `contains(CAST(record AS VARCHAR), ?)`;
      }
      // Printable ASCII with letters: a pattern of both cases, the same answer as lower-casing.
      const pattern = caselessPattern(n.value, wild);
      if (pattern !== null) {
        params.push(pattern);
        return `regexp_matches(CAST(record AS VARCHAR), ?)`;
      }
      if (wild) {
        params.push(likePattern(n.value, true, true));
        return `(CAST(record AS VARCHAR) ILIKE ? ESCAPE '\\')`;
      }
      params.push(n.value.toLowerCase());
      return `contains(lower(CAST(record AS VARCHAR)), ?)`;
    }
    case 'field': {
      const fname = n.field.toLowerCase();
      if (n.op === ':' && !fname.includes('.') && !TOP_LEVEL.has(fname)) return compileNode({ kind: 'text', value: n.raw, quoted: false, pos: n.pos }, params);
      if (fname === 'after' || fname === 'before') {
        if (n.op !== ':') throw new SearchSyntaxError(`write ${n.field}:TIME`, n.pos);
        params.push(timeParam(n.value, n.pos));
        return `("eventTime" ${fname === 'after' ? '>=' : '<'} CAST(? AS TIMESTAMP))`;
      }
      if (n.op !== ':') {
        const sqlOp = n.op === '=' ? '=' : n.op;
        if (fname === 'eventtime') {
          params.push(timeParam(n.value, n.pos));
          return `("eventTime" ${sqlOp} CAST(? AS TIMESTAMP))`;
        }
        const num = Number(n.value);
        if (n.value.trim() === '' || !Number.isFinite(num)) throw new SearchSyntaxError(`${n.field}${n.op} compares numbers; "${n.value.slice(0, 40)}" is not one`, n.pos);
        const fe = fieldExpr(n.field, params);
        if (fe.list) throw new SearchSyntaxError(`${n.field} is a list member; use ${n.field}:VALUE`, n.pos);
        params.push(num);
        return `(TRY_CAST(${fe.expr} AS DOUBLE) ${sqlOp} ?)`;
      }
      const fe = fieldExpr(n.field, params);
      const pattern = likePattern(n.value, !n.quoted, false);
      if (fe.list) {
        params.push(pattern);
        return `(len(list_filter(${quoteIdent(fe.list.col)}, lambda x: x.${quoteIdent(fe.list.member)} ILIKE ? ESCAPE '\\')) > 0)`;
      }
      params.push(pattern);
      return `(CAST(${fe.expr} AS VARCHAR) ILIKE ? ESCAPE '\\')`;
    }
  }
}

/** Compile a search to one parameterised SELECT over `events`, in time order. */
export function compileSearch(q: string): CompiledSearch {
  const node = parseSearch(q);
  const params: SqlParam[] = [];
  const where = node ? compileNode(node, params) : 'true';
  return { sql: `SELECT ${SEARCH_COLUMNS} FROM events WHERE ${where} ORDER BY eventTime, leaf`, where, params };
}
