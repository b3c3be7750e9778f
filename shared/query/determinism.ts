// Whether a query's result can depend on how DuckDB shares its work between threads, and
// whether it reads something that changes between runs (docs/queries.md "The same answer
// again"). A query's result hash is what another examiner checks by running it again on the
// handed-over case, so a result must not depend on which thread finished first: with two
// threads, `list(eventName)` per group came back in a different order on each run of the same
// query on the same case, as did `first()`, `any_value()`, a sum of DOUBLEs (added in another
// order, it differs in the last bits) and the rows a LIMIT keeps after a GROUP BY.
//
// DuckDB's physical plan (EXPLAIN (FORMAT json)) is read against an allowlist: scans, filters,
// projections, joins, sorts and unions give the same rows (as a multiset: the hash sorts the
// rows' hashes) however the threads share them, and so do the aggregates listed in
// ORDER_FREE_AGGREGATES, and a LIMIT straight over a scan keeps the first rows in leaf order.
// Anything else (a window, a top-N, a LIMIT over anything else, a sample, any other
// aggregate, an operator this list does not know) runs on one thread, where the rows are read
// in leaf order and every step is the same each time. Pure: engine.ts gets the plan and the
// parse tree from DuckDB and hands them here.

/** Operators whose output rows, as a multiset, do not depend on the threads. */
const ORDER_FREE_OPERATORS = new Set([
  'SEQ_SCAN',
  'TABLE_SCAN',
  'FILTER',
  'PROJECTION',
  'ORDER_BY',
  'HASH_JOIN',
  'NESTED_LOOP_JOIN',
  'PIECEWISE_MERGE_JOIN',
  'BLOCKWISE_NL_JOIN',
  'CROSS_PRODUCT',
  'IE_JOIN',
  'UNNEST',
  'DUMMY_SCAN',
  'EMPTY_RESULT',
  'COLUMN_DATA_SCAN',
  'CHUNK_SCAN',
  'DELIM_SCAN',
  'DELIM_JOIN',
  'LEFT_DELIM_JOIN',
  'RIGHT_DELIM_JOIN',
  'UNION',
  'CTE',
  'CTE_SCAN',
  'HASH_GROUP_BY',
  'PERFECT_HASH_GROUP_BY',
  'UNGROUPED_AGGREGATE',
]);

const AGGREGATE_OPERATORS = new Set(['HASH_GROUP_BY', 'PERFECT_HASH_GROUP_BY', 'UNGROUPED_AGGREGATE']);

/**
 * A LIMIT (or OFFSET) straight over these keeps the first rows in the table's order, which is
 * leaf order: the read-only instance preserves insertion order (DuckDB's
 * `preserve_insertion_order`, on), so `… WHERE record ILIKE '%x%' LIMIT 100` may use both
 * threads and still keep the same rows. Over anything else (a join, an aggregate) it keeps
 * whichever rows came first.
 */
const LIMIT_OPERATORS = new Set(['LIMIT', 'STREAMING_LIMIT']);
const IN_TABLE_ORDER = new Set(['SEQ_SCAN', 'TABLE_SCAN', 'FILTER', 'PROJECTION']);

function inTableOrder(n: PlanNode): boolean {
  const stack: unknown[] = Array.isArray(n.children) ? [...n.children] : [];
  if (n.children !== undefined && !Array.isArray(n.children)) return false;
  while (stack.length) {
    const m = stack.pop() as PlanNode | null;
    if (!m || typeof m !== 'object' || typeof m.name !== 'string' || !IN_TABLE_ORDER.has(m.name.trim())) return false;
    if (m.children === undefined) continue;
    if (!Array.isArray(m.children)) return false;
    stack.push(...m.children);
  }
  return true;
}

/**
 * Aggregates whose value does not depend on the order rows reach them: counting, the least and
 * greatest, boolean and bit folds, a HyperLogLog (its registers keep maxima), a histogram (counts
 * per value) and an integer sum DuckDB has proved cannot overflow (`sum_no_overflow`; a plain
 * `sum` may be of DOUBLEs). `count(DISTINCT x)` counts too.
 */
const ORDER_FREE_AGGREGATES = new Set(['count_star', 'count', 'min', 'max', 'bool_and', 'bool_or', 'bit_and', 'bit_or', 'bit_xor', 'approx_count_distinct', 'histogram', 'sum_no_overflow']);

/** Functions and keywords whose value changes from one run to the next, or from one machine to another. */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'setseed',
  'uuid',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'nextval',
  'currval',
  'now',
  'get_current_timestamp',
  'get_current_time',
  'transaction_timestamp',
  'current_localtimestamp',
  'current_localtime',
  'today',
  'current_setting',
  'current_query',
]);
const SAMPLE_WITHOUT_SEED = 'USING SAMPLE without a seed';
/** CURRENT_TIMESTAMP and its kind parse as column names, bound at run time. */
const VOLATILE_KEYWORDS = new Set(['current_timestamp', 'current_date', 'current_time', 'localtimestamp', 'localtime']);

interface PlanNode {
  name?: unknown;
  children?: unknown;
  extra_info?: unknown;
}

/**
 * Whether the plan's rows, as a multiset, are the same however many threads run it; when not,
 * the first reason found (an operator, or an aggregate and its operator).
 */
export function planThreadFree(plan: unknown): { free: true } | { free: false; reason: string } {
  const nodes: unknown[] = Array.isArray(plan) ? [...plan] : [plan];
  while (nodes.length) {
    const n = nodes.pop() as PlanNode | null;
    if (!n || typeof n !== 'object') return { free: false, reason: 'a plan that could not be read' };
    const name = typeof n.name === 'string' ? n.name.trim() : '';
    if (LIMIT_OPERATORS.has(name) && inTableOrder(n)) {
      if (Array.isArray(n.children)) nodes.push(...n.children);
      continue;
    }
    if (!ORDER_FREE_OPERATORS.has(name)) return { free: false, reason: name ? `${name.toLowerCase().replace(/_/g, ' ')}` : 'an unnamed plan step' };
    if (AGGREGATE_OPERATORS.has(name)) {
      const info = (n.extra_info ?? {}) as Record<string, unknown>;
      const aggs = info.Aggregates;
      const list = Array.isArray(aggs) ? aggs : typeof aggs === 'string' && aggs.trim() ? [aggs] : [];
      for (const a of list) {
        const fn = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(String(a))?.[1]?.toLowerCase();
        if (!fn || !ORDER_FREE_AGGREGATES.has(fn)) return { free: false, reason: `the aggregate ${fn ?? String(a).slice(0, 40)}` };
      }
    }
    if (n.children !== undefined) {
      if (!Array.isArray(n.children)) return { free: false, reason: 'a plan that could not be read' };
      nodes.push(...n.children);
    }
  }
  return { free: true };
}

/**
 * The volatile functions and keywords a statement names, from DuckDB's parse tree
 * (json_serialize_sql): each once, sorted. A column of the events view is never one
 * of these names, so a COLUMN_REF with one of them is the keyword.
 */
export function volatileCalls(ast: unknown): string[] {
  const found = new Set<string>();
  const stack: unknown[] = [ast];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      stack.push(...v);
      continue;
    }
    if (!v || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    if (o.class === 'FUNCTION' && typeof o.function_name === 'string' && VOLATILE_FUNCTIONS.has(o.function_name.toLowerCase())) found.add(o.function_name.toLowerCase());
    if (o.class === 'COLUMN_REF' && Array.isArray(o.column_names) && o.column_names.length === 1 && VOLATILE_KEYWORDS.has(String(o.column_names[0]).toLowerCase())) found.add(String(o.column_names[0]).toLowerCase());
    // A sample without a seed draws other rows each time (with one, on one thread, the same rows).
    if (o.sample && typeof o.sample === 'object' && Number((o.sample as Record<string, unknown>).seed ?? -1) < 0) found.add(SAMPLE_WITHOUT_SEED);
    for (const k of Object.keys(o)) if (o[k] && typeof o[k] === 'object') stack.push(o[k]);
  }
  return [...found].sort();
}

/** Volatile names as written in SQL: `now()`, `CURRENT_DATE`, `EXPLAIN ANALYZE`. */
export function volatileList(names: readonly string[]): string {
  return names.map((n) => (n.includes(' ') ? n : VOLATILE_KEYWORDS.has(n) ? n.toUpperCase() : `${n}()`)).join(', ');
}

/** "reads now(), which changes from one run to the next" (one name) or "…, which change …" (several). */
export function readsVolatile(names: readonly string[]): string {
  return `reads ${volatileList(names)}, which change${names.length === 1 ? 's' : ''} from one run to the next`;
}

/** What the examiner is told when a query names volatile functions (the Query view, the CLI); null when it names none. */
export function volatileWarning(names: readonly string[]): string | null {
  if (!names.length) return null;
  return `this query ${readsVolatile(names)}: running it again, here or on the handed-over case, can give another answer and another result hash. Write times and values as literals to make it repeatable.`;
}
