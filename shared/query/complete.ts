// Field completion for the Query view (docs/queries.md "The search bar"): which field path is
// being typed at the caret, the case's fields that complete it, and how a chosen path is written.
// Field paths from the case's own records are the suspect's text (a key of requestParameters can be
// anything): the view shows them through Ev, SQL gets odd segments quoted, and the search bar, whose
// field names are plain words, is offered only paths it can address. Pure: no node imports.
import { quoteIdent, type FieldInfo } from './schema.ts';

export type QueryMode = 'sql' | 'search';

const SIMPLE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUGGESTIONS_MAX = 12;

/**
 * The field path being typed at the caret (letters, digits, `_` and dots back to the last other
 * character), or null where no field is being named: inside a quoted string, a search value after
 * `:`, or fewer than two characters.
 */
export function fieldAtCaret(text: string, caret: number, mode: QueryMode): { from: number; token: string } | null {
  let from = caret;
  while (from > 0 && /[A-Za-z0-9_.]/.test(text[from - 1])) from--;
  const token = text.slice(from, caret);
  if (token.length < 2 || /^[0-9]/.test(token)) return null;
  const before = text.slice(0, from);
  const quote = mode === 'sql' ? "'" : '"';
  if ((before.split(quote).length - 1) % 2 === 1) return null;
  if (mode === 'sql' && (before.split('"').length - 1) % 2 === 1) return null;
  if (mode === 'search' && /[:<>=]$/.test(before)) return null;
  return { from, token };
}

/** Can the search bar name this field (its field names are plain words joined by dots)? */
function searchable(f: FieldInfo): boolean {
  const dot = f.path.indexOf('.');
  const segments = f.kind === 'json' && dot >= 0 ? [f.path.slice(0, dot), f.path.slice(dot + 1)] : f.path.split('.');
  return segments.every((seg) => SIMPLE_SEGMENT.test(seg));
}

/** Fields whose path starts with the token, then those with a segment starting with it; case-insensitive. */
export function suggestFields(fields: FieldInfo[], token: string, mode: QueryMode): FieldInfo[] {
  const t = token.toLowerCase();
  const usable = fields.filter((f) => mode === 'sql' || searchable(f));
  const first = usable.filter((f) => f.path.toLowerCase().startsWith(t));
  const then = usable.filter((f) => !f.path.toLowerCase().startsWith(t) && f.path.toLowerCase().includes(`.${t}`));
  const out = [...first, ...then];
  return out.length === 1 && out[0].path === token ? [] : out.slice(0, SUGGESTIONS_MAX);
}

/**
 * A field as it is written in the query: `path:` in the search bar; in SQL with an odd segment
 * quoted. A field found inside a JSON column is that column and one key of its objects, the key
 * whole even where it holds dots.
 */
export function pathText(f: FieldInfo, mode: QueryMode): string {
  if (mode === 'search') return `${f.path}:`;
  const dot = f.path.indexOf('.');
  const segments = dot < 0 ? [f.path] : f.kind === 'json' ? [f.path.slice(0, dot), f.path.slice(dot + 1)] : f.path.split('.');
  return segments.map((seg, i) => (i === 0 || SIMPLE_SEGMENT.test(seg) ? seg : quoteIdent(seg))).join('.');
}
