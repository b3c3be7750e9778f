// `trailcase query CASE "SQL"` and `trailcase search CASE --q "…"` (docs/queries.md):
// every row streamed to stdout (no row limit), in text, CSV, JSON or NDJSON;
// the run's row count, result hash and custody entry on stderr.
import { displayText } from '../../../shared/text/display.ts';
import { once } from 'node:events';
import { UserError } from '../../errors.ts';
import { dispatch } from '../../api/handlers.ts';
import type { QueryRecheckItem, QueryRunResult } from '../../../shared/api/query.ts';
import { csvCell } from '../../report/csv.ts';
import { registerCommand, type CliIO } from '../registry.ts';
import { needCase, runJob, withCase } from './foundation.ts';
import { ProgressBar } from '../progress.ts';
import { volatileWarning } from '../../../shared/query/determinism.ts';

type Format = 'text' | 'csv' | 'json' | 'ndjson';

async function write(s: string): Promise<void> {
  if (!process.stdout.write(s)) await once(process.stdout, 'drain');
}

/** Terminal text: every value on one line, through the shared display rule (shared/text/display.ts: controls, line breaks and bidi characters escaped), never shortened. */
function textCell(v: unknown): string {
  return v === null || v === undefined ? '' : displayText(v, Infinity);
}

export async function streamQuery(casePath: string, a: { mode: 'sql' | 'search'; text: string; savedQuery?: string }, format: Format, io: CliIO): Promise<number> {
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let names: string[] = [];
  let first = true;
  let done: QueryRunResult | undefined;
  try {
    await withCase(casePath, (ctx) => {
      ctx.querySignal = controller.signal;
      ctx.querySink = {
        onColumns(cols) {
          names = cols.map((c) => c.name);
          if (format === 'csv') process.stdout.write(names.map(csvCell).join(',') + '\r\n');
          else if (format === 'text') process.stdout.write(names.map(textCell).join('\t') + '\n');
          else if (format === 'json') process.stdout.write(`{"columns":${JSON.stringify(cols)},"rows":[\n`);
        },
        async onRows(rows) {
          let s = '';
          for (const r of rows) {
            if (format === 'csv') s += r.map((v) => csvCell(v !== null && typeof v === 'object' ? JSON.stringify(v) : v)).join(',') + '\r\n';
            else if (format === 'text') s += r.map(textCell).join('\t') + '\n';
            else if (format === 'ndjson') s += JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]]))) + '\n';
            else {
              s += (first ? '' : ',\n') + JSON.stringify(r);
              first = false;
            }
          }
          await write(s);
        },
        onDone(r) {
          done = r;
        },
      };
      return dispatch(ctx, 'runQuery', { mode: a.mode, text: a.text, limit: 0, ...(a.savedQuery ? { savedQuery: a.savedQuery } : {}) });
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
  const r = done!;
  if (format === 'json') await write(`\n],"rowCount":${r.rowCount},"resultSha256":"${r.resultSha256}","engine":${JSON.stringify(r.engine)},"checkpoint":${JSON.stringify(r.checkpoint)},"custodySeq":${r.custodySeq},"sql":${JSON.stringify(r.sql)},"params":${JSON.stringify(r.params)},"threads":${r.threads},"volatile":${JSON.stringify(r.volatile)}}\n`);
  io.err(`${r.rowCount} rows  sha256 ${r.resultSha256}  ${r.engine}  tree ${r.checkpoint.treeSize}  custody #${r.custodySeq}`);
  if (a.mode === 'search' && format !== 'json') io.err(`SQL: ${r.sql}  params: ${JSON.stringify(r.params)}`);
  const warning = volatileWarning(r.volatile);
  if (warning) io.err(`warning: ${warning}`);
  return 0;
}

export function formatOf(values: Record<string, unknown>, io: CliIO): Format {
  const chosen = (['csv', 'ndjson'] as const).filter((f) => values[f]);
  if (io.json) chosen.push('json' as never);
  if (chosen.length > 1) throw new UserError('choose one of --json, --csv, --ndjson');
  return (chosen[0] as Format | undefined) ?? 'text';
}

registerCommand({
  name: 'query',
  summary: 'SQL over every field of every event (read-only, custody-logged); every row streamed',
  usage: [
    'trailcase query CASE "SQL" [--json|--csv|--ndjson] | trailcase query CASE --saved NAME | trailcase query CASE --save NAME "SQL" [--notes TEXT] | trailcase query CASE --list',
    '       trailcase query CASE --promote NAME --id ID --title TEXT --severity S --explanation TEXT [--attack T1530]... [--category C] [--remediation TEXT]...',
    '       trailcase query CASE --checks | trailcase query CASE --unpromote ID',
    '       trailcase query CASE --recheck [SEQ...]   run the logged queries (or the custody entries SEQ) again over the events each first ran over; exit 1 when a hash differs or a query cannot be checked',
    '  --promote: the saved query NAME becomes a check that runs with the built-in checks (trailcase check); it must return an eventID column',
  ].join('\n'),
  options: {
    csv: { type: 'boolean' },
    ndjson: { type: 'boolean' },
    saved: { type: 'string' },
    save: { type: 'string' },
    notes: { type: 'string' },
    search: { type: 'boolean' },
    list: { type: 'boolean' },
    promote: { type: 'string' },
    id: { type: 'string' },
    title: { type: 'string' },
    severity: { type: 'string' },
    attack: { type: 'string', multiple: true },
    category: { type: 'string' },
    explanation: { type: 'string' },
    remediation: { type: 'string', multiple: true },
    checks: { type: 'boolean' },
    unpromote: { type: 'string' },
    recheck: { type: 'boolean' },
  },
  async run({ positionals, values, io }) {
    const casePath = needCase(positionals);
    const text = positionals.slice(1).join(' ');
    const mode = values.search ? 'search' : 'sql';
    if (values.promote !== undefined) {
      const need = (k: string) => {
        if (values[k] === undefined) throw new UserError(`--promote needs --${k}`);
        return String(values[k]);
      };
      const args = {
        savedQuery: String(values.promote),
        id: need('id'),
        title: need('title'),
        severity: need('severity'),
        explanation: need('explanation'),
        attack: (values.attack as string[] | undefined) ?? [],
        remediation: (values.remediation as string[] | undefined) ?? [],
        ...(values.category !== undefined ? { category: String(values.category) } : {}),
      };
      const r = await withCase(casePath, (ctx) => dispatch(ctx, 'promoteQuery', args as never));
      io.result(r, () => `promoted ${textCell(r.check.savedQuery)} to check ${r.check.checkId}@${r.check.version} (query text SHA-256 ${r.check.textSha256}; custody entry ${r.seq}); it runs with trailcase check`);
      return 0;
    }
    if (values.recheck) {
      const seqs = positionals.slice(1).map((p) => {
        if (!/^#?\d+$/.test(p)) throw new UserError(`--recheck takes custody entry numbers, not ${textCell(p)}`);
        return Number(p.replace('#', ''));
      });
      const r = await withCase(casePath, async (ctx) => runJob<{ items: QueryRecheckItem[] }>(ctx, await dispatch(ctx, 'recheckQueries', seqs.length ? { seqs } : {}), new ProgressBar('recheck')));
      const count = (o: QueryRecheckItem['outcome']) => r.items.filter((i) => i.outcome === o).length;
      io.result(r, () =>
        [
          ...r.items.map(
            (i) =>
              `#${i.seq}  ${i.outcome.toUpperCase()}  over ${i.treeSize} events  recorded ${i.recorded.slice(0, 16)}…${i.now ? `  now ${i.now.slice(0, 16)}… (custody #${i.recheckSeq})` : ''}  ${displayText(i.text, 120)}${i.note ? `\n      ${displayText(i.note, 500)}` : ''}`,
          ),
          `${r.items.length} query runs checked: ${count('same')} same, ${count('different')} different, ${count('not-repeatable')} not repeatable, ${count('other-events')} over other events, ${count('failed')} failed`,
        ].join('\n'),
      );
      return count('different') + count('other-events') + count('failed') > 0 ? 1 : 0;
    }
    if (values.unpromote !== undefined) {
      const r = await withCase(casePath, (ctx) => dispatch(ctx, 'removePromotedCheck', { id: String(values.unpromote) }));
      io.result(r, () => `check query:${textCell(values.unpromote)} withdrawn (custody entry ${r.seq})`);
      return 0;
    }
    if (values.checks) {
      const r = await withCase(casePath, (ctx) => dispatch(ctx, 'listDetections', {}), true);
      io.result(r, () =>
        [
          ...r.checks.map((c) => `${c.checkId}@${c.version}  ${c.severity}  ${textCell(c.title)}  <- ${textCell(c.savedQuery)} [${c.mode}] SHA-256 ${c.textSha256}`),
          ...r.sigmaFiles.map((f) => `sigma file ${textCell(f.file)}  SHA-256 ${f.sha256}`),
          `${r.checks.length} promoted checks, ${r.sigmaFiles.length} Sigma rule files`,
        ].join('\n'),
      );
      return 0;
    }
    if (values.list) {
      const r = await withCase(casePath, (ctx) => dispatch(ctx, 'listSavedQueries', {}), true);
      io.result(r, () => r.items.map((q) => `${textCell(q.name)}  [${q.mode}]  ${textCell(q.text)}${q.notes ? `  — ${textCell(q.notes)}` : ''}`).join('\n'));
      return 0;
    }
    if (values.save) {
      if (!text) throw new UserError('missing the query text to save');
      const r = await withCase(casePath, (ctx) => dispatch(ctx, 'saveQuery', { name: values.save, mode, text, notes: values.notes ?? '' }));
      io.result(r, () => `saved as ${textCell(values.save)} (custody entry ${r.seq})`);
      return 0;
    }
    if (!text && !values.saved) throw new UserError('missing the SQL (e.g. trailcase query case.trailcase "SELECT eventName, count(*) FROM events GROUP BY 1")');
    return streamQuery(casePath, { mode, text, savedQuery: values.saved }, formatOf(values, io), io);
  },
});
