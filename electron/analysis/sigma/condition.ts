// Sigma condition expressions: `and`, `or`, `not`, parentheses, `1 of x*`,
// `all of x*`, `1 of them`, `all of them` (Sigma specification, "Condition").
// Precedence (highest first): not, and, or. Quantifiers are expanded here into
// and/or over the named selections, so evaluation only sees four node kinds.
// Aggregations (`| count() ...`) and `near` are correlations over several
// events; they are rejected with a reason, never silently dropped.
import { SigmaCompileError } from './values.ts';

export type CondNode =
  | { t: 'sel'; name: string }
  | { t: 'and'; kids: CondNode[] }
  | { t: 'or'; kids: CondNode[] }
  | { t: 'not'; kid: CondNode };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  // Every non-space character belongs to some token, so this cannot skip input.
  const re = /\(|\)|[^\s()]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) tokens.push(m[0]);
  return tokens;
}

function globToRegex(pattern: string): RegExp {
  const src = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`);
}

/** Parse a condition into a tree over the given selection names. */
export function parseCondition(text: string, selections: string[]): CondNode {
  const tokens = tokenize(text);
  if (tokens.length === 0) throw new SigmaCompileError('condition is empty');
  if (tokens.some((t) => t.toLowerCase() === 'near')) {
    throw new SigmaCompileError(`condition '${text.trim()}' uses 'near' (temporal correlation of several events); TrailCase matches Sigma rules one event at a time`);
  }
  if (/\|/.test(text)) {
    throw new SigmaCompileError(`condition '${text.trim()}' uses an aggregation ('| count()' and the like) over several events; TrailCase matches Sigma rules one event at a time`);
  }
  let pos = 0;
  const peek = () => tokens[pos]?.toLowerCase();
  const known = new Set(selections);

  const expr = (): CondNode => {
    const kids = [term()];
    while (peek() === 'or') {
      pos++;
      kids.push(term());
    }
    return kids.length === 1 ? kids[0] : { t: 'or', kids };
  };
  const term = (): CondNode => {
    const kids = [unary()];
    while (peek() === 'and') {
      pos++;
      kids.push(unary());
    }
    return kids.length === 1 ? kids[0] : { t: 'and', kids };
  };
  const unary = (): CondNode => {
    if (peek() === 'not') {
      pos++;
      return { t: 'not', kid: unary() };
    }
    return primary();
  };
  const primary = (): CondNode => {
    const tok = tokens[pos];
    if (tok === undefined) throw new SigmaCompileError(`condition '${text.trim()}' ends unexpectedly`);
    const low = tok.toLowerCase();
    if (tok === '(') {
      pos++;
      const inner = expr();
      if (tokens[pos] !== ')') throw new SigmaCompileError(`condition '${text.trim()}' has an unclosed '('`);
      pos++;
      return inner;
    }
    if (tok === ')' || low === 'and' || low === 'or') throw new SigmaCompileError(`condition '${text.trim()}' has an unexpected '${tok}'`);
    if (tokens[pos + 1]?.toLowerCase() === 'of') {
      if (low !== '1' && low !== 'all' && low !== 'any') {
        throw new SigmaCompileError(`condition '${text.trim()}' uses '${tok} of'; Sigma defines only '1 of' and 'all of'`);
      }
      const target = tokens[pos + 2];
      if (target === undefined || target === '(' || target === ')') throw new SigmaCompileError(`condition '${text.trim()}' has '${tok} of' without a target`);
      pos += 3;
      // "them" excludes identifiers starting with an underscore (Sigma spec).
      const names = target.toLowerCase() === 'them' ? selections.filter((s) => !s.startsWith('_')) : selections.filter((s) => globToRegex(target).test(s));
      if (names.length === 0) throw new SigmaCompileError(`condition '${text.trim()}': '${target}' matches no selection`);
      const kids: CondNode[] = names.map((name) => ({ t: 'sel', name }));
      if (kids.length === 1) return kids[0];
      return low === 'all' ? { t: 'and', kids } : { t: 'or', kids };
    }
    if (!known.has(tok)) {
      if (/[*?]/.test(tok)) throw new SigmaCompileError(`condition '${text.trim()}' uses a pattern '${tok}' outside '1 of'/'all of'`);
      throw new SigmaCompileError(`condition '${text.trim()}' names '${tok}', which is not a selection of this rule`);
    }
    pos++;
    return { t: 'sel', name: tok };
  };

  const node = expr();
  if (pos !== tokens.length) throw new SigmaCompileError(`condition '${text.trim()}' has an unexpected '${tokens[pos]}'`);
  return node;
}
