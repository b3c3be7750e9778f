// CloudTrail paths in SQL (docs/queries.md). Examiners write `requestParameters.bucketName`
// as they would in a CloudTrail Lake query; in the derived table the nested
// objects whose shape varies by API are JSON columns, which DuckDB does not
// address with dots. This small rewriter turns such a dotted chain into
// json_extract_string(column, '$."bucketName"'). It works on tokens, so text
// inside strings, quoted identifiers and comments is never touched; typed
// struct paths (userIdentity.sessionContext.sessionIssuer.arn) are left as they
// are because DuckDB addresses them natively.
import { JSON_COLUMNS, jsonPath, quoteIdent } from './schema.ts';

export interface Token {
  kind: 'ident' | 'qident' | 'string' | 'comment' | 'space' | 'punct' | 'other';
  text: string;
  start: number;
}

/** Split SQL into tokens; never throws (an unterminated string runs to the end, and DuckDB reports it). */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const start = i;
    if (c === "'" || c === '"') {
      i++;
      while (i < n) {
        if (sql[i] === c) {
          if (sql[i + 1] === c) i += 2;
          else {
            i++;
            break;
          }
        } else i++;
      }
      out.push({ kind: c === "'" ? 'string' : 'qident', text: sql.slice(start, i), start });
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      out.push({ kind: 'comment', text: sql.slice(start, i), start });
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      out.push({ kind: 'comment', text: sql.slice(start, i), start });
    } else if (c === '$' && sql[i + 1] === '$') {
      const end = sql.indexOf('$$', i + 2);
      i = end < 0 ? n : end + 2;
      out.push({ kind: 'string', text: sql.slice(start, i), start });
    } else if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i])) i++;
      out.push({ kind: 'space', text: sql.slice(start, i), start });
    } else if (/[A-Za-z_\u0080-\uffff]/.test(c)) {
      while (i < n && /[A-Za-z0-9_$\u0080-\uffff]/.test(sql[i])) i++;
      out.push({ kind: 'ident', text: sql.slice(start, i), start });
    } else if ('.,;()[]{}'.includes(c)) {
      i++;
      out.push({ kind: 'punct', text: c, start });
    } else {
      i++;
      out.push({ kind: 'other', text: c, start });
    }
  }
  return out;
}

const CLAUSES = new Set(['SELECT', 'FROM', 'WHERE', 'GROUP', 'ORDER', 'HAVING', 'LIMIT', 'QUALIFY', 'WINDOW', 'UNION', 'EXCEPT', 'INTERSECT', 'ON', 'USING', 'JOIN']);
const identName = (t: Token) => (t.kind === 'qident' ? t.text.slice(1, -1).replace(/""/g, '"') : t.text);
const JSON_COLS = new Map(JSON_COLUMNS.map((c) => [c.toLowerCase(), c]));

/** Rewrite dotted paths into JSON columns; everything else is kept byte for byte. */
export function rewritePaths(sql: string): string {
  const t = tokenize(sql);
  let out = '';
  let i = 0;
  // Where we are, so a rewritten path in a SELECT list keeps its CloudTrail name as the column name.
  let depth = 0;
  const clauseAt: string[] = [''];
  while (i < t.length) {
    const tok = t[i];
    if (tok.text === '(') {
      depth++;
      clauseAt[depth] = '';
    } else if (tok.text === ')') depth = Math.max(0, depth - 1);
    else if (tok.kind === 'ident' && CLAUSES.has(tok.text.toUpperCase())) clauseAt[depth] = tok.text.toUpperCase();
    const prevIsDot = i > 0 && t[i - 1].text === '.';
    if ((tok.kind === 'ident' || tok.kind === 'qident') && !prevIsDot) {
      // Collect the chain a.b."c".d (no spaces around the dots).
      const chain: Token[] = [tok];
      let j = i + 1;
      while (j + 1 < t.length && t[j].text === '.' && (t[j + 1].kind === 'ident' || t[j + 1].kind === 'qident')) {
        chain.push(t[j + 1]);
        j += 2;
      }
      // The JSON column is the first element, or the second after a table alias (e.requestParameters.x).
      const at = chain.findIndex((c, k) => k <= 1 && JSON_COLS.has(identName(c).toLowerCase()));
      const followedByCall = t[j]?.text === '(';
      if (at >= 0 && chain.length > at + 1 && !followedByCall) {
        const col = (at === 1 ? `${chain[0].text}.` : '') + quoteIdent(JSON_COLS.get(identName(chain[at]).toLowerCase())!);
        out += `json_extract_string(${col}, '${jsonPath(chain.slice(at + 1).map(identName)).replace(/'/g, "''")}')`;
        let k = j;
        while (t[k]?.kind === 'space' || t[k]?.kind === 'comment') k++;
        const next = t[k];
        const endsItem = !next || next.text === ',' || next.text === ')' || next.text === ';' || (next.kind === 'ident' && next.text.toUpperCase() === 'FROM');
        if (clauseAt[depth] === 'SELECT' && endsItem) out += ` AS ${quoteIdent(chain.slice(at).map(identName).join('.'))}`;
        i = j;
        continue;
      }
      out += t.slice(i, j).map((x) => x.text).join('');
      i = j;
      continue;
    }
    out += tok.text;
    i++;
  }
  return out;
}

/** The first keyword of the statement (after comments, white space and opening parentheses), upper-cased. */
export function leadingKeyword(sql: string): string {
  for (const tok of tokenize(sql)) {
    if (tok.kind === 'space' || tok.kind === 'comment' || tok.text === '(') continue;
    return tok.kind === 'ident' ? tok.text.toUpperCase() : tok.text;
  }
  return '';
}
