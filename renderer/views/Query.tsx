// The Query view (docs/queries.md): SQL over every field of every event, or the
// search bar's language, read-only and on the record. The search shows the SQL
// it compiles to (or the parse error and where) as the examiner types; a run is
// a job with Cancel; results show their row count, result hash and custody
// entry; two-column answers with a count draw as bars (over time when the first column is a
// time); every row of a result can be scrolled to (a virtualised grid paging the rows
// the run kept, electron/query/kept-results.ts), event rows open in the inspector and
// go to the table; export CSV/JSON of
// every kept row; a column's values can become indicators; queries are saved with
// names and notes.
// Every value shown is the suspect's text: React escapes it, nothing is HTML.
import { useEffect, useMemo, useRef, useState } from 'react';
import { getApi } from '../api/transport.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { JobProgress } from '../components/JobProgress.tsx';
import { csvCell } from '../../shared/text/csv.ts';
import { num } from '../lib/format.ts';
import { downloadParts } from '../lib/download.ts';
import { Ev, tip } from '../components/Ev.tsx';
import { VirtualList } from '../components/VirtualList.tsx';
import { usePages } from '../components/usePages.ts';
import type { QueryCell, QueryRecheckItem, QueryRunResult } from '../../shared/api/query.ts';
import type { FieldInfo } from '../../shared/query/schema.ts';
import { fieldAtCaret, pathText, suggestFields } from '../../shared/query/complete.ts';
import { volatileWarning } from '../../shared/query/determinism.ts';

type Mode = 'sql' | 'search';

const EXAMPLES: Record<Mode, string> = {
  sql: "SELECT userIdentity.arn AS principal, eventName, count(*) AS n\nFROM events\nWHERE requestParameters.bucketName IS NOT NULL\nGROUP BY ALL ORDER BY n DESC LIMIT 50",
  search: 'eventName:Put* -errorCode:* after:2026-03-01',
};

const cellText = (v: QueryCell) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

/** Rows of a result fetched per page of the grid, and per request when every kept row is read. */
const RESULT_PAGE = 500;
const BULK_PAGE = 5000;
const RESULT_ROW = 24;
const COLUMN_WIDTH = 220;
/** Most event ids the table's filter takes (shared/event-filter.ts). */
const TABLE_IDS_MAX = 100_000;
/** Most distinct values one "+IOC" adds. */
const IOC_MAX = 500;

const keptOf = (r: QueryRunResult) => r.keptRows ?? r.rows.length;

/**
 * Every kept row of a result, a page at a time (the run's own rows, in its order); `each` returns
 * false to stop early. Rows the run did not keep (a result over 512 MB of text) are not read.
 */
async function eachKeptPage(r: QueryRunResult, each: (rows: QueryCell[][], done: number) => boolean | void, cancelled: () => boolean = () => false): Promise<void> {
  if (r.keptRows === undefined) {
    each(r.rows, r.rows.length);
    return;
  }
  for (let off = 0; off < r.keptRows && !cancelled(); off += BULK_PAGE) {
    const p = await getApi().queryResultPage({ custodySeq: r.custodySeq, offset: off, limit: BULK_PAGE });
    if (each(p.rows, off + p.rows.length) === false || p.rows.length === 0) return;
  }
}

export function QueryView() {
  const { state, dispatch } = useAppState();
  const [mode, setMode] = useState<Mode>('search');
  const [text, setText] = useState(EXAMPLES.search);
  const [jobId, setJobId] = useState<string | null>(null);
  const [result, setResult] = useState<QueryRunResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [savedName, setSavedName] = useState('');
  const [notes, setNotes] = useState('');
  const [info, setInfo] = useState<string | null>(null);
  const saved = useAsync(() => getApi().listSavedQueries({}), [state.version]);
  const detections = useAsync(() => getApi().listDetections({}), [state.version]);
  const [promoting, setPromoting] = useState<string | null>(null);
  const fields = useAsync(() => getApi().queryFields({}), []);
  const [compiled, setCompiled] = useState<{ ok: true; sql: string; params: (string | number)[] } | { ok: false; error: string; position: number } | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const [suggest, setSuggest] = useState<{ from: number; to: number; items: FieldInfo[]; sel: number } | null>(null);
  const updateSuggest = (value: string, caret: number) => {
    const at = fieldAtCaret(value, caret, mode);
    const items = at && fields.value ? suggestFields(fields.value.fields, at.token, mode) : [];
    setSuggest(at && items.length ? { from: at.from, to: caret, items, sel: 0 } : null);
  };
  const acceptSuggestion = (f: FieldInfo) => {
    if (!suggest) return;
    const ins = pathText(f, mode);
    const next = text.slice(0, suggest.from) + ins + text.slice(suggest.to);
    setText(next);
    setSuggest(null);
    const caret = suggest.from + ins.length;
    requestAnimationFrame(() => {
      area.current?.focus();
      area.current?.setSelectionRange(caret, caret);
    });
  };

  useEffect(() => {
    if (mode !== 'search') return setCompiled(null);
    let stop = false;
    const t = setTimeout(() => {
      getApi()
        .compileSearch({ text })
        .then((c) => !stop && setCompiled(c), () => undefined);
    }, 150);
    return () => {
      stop = true;
      clearTimeout(t);
    };
  }, [mode, text]);

  const run = async (savedQuery?: string) => {
    setError(null);
    setInfo(null);
    setResult(null);
    try {
      const r = await getApi().runQuery({ mode, text, limit: RESULT_PAGE, ...(savedQuery ? { savedQuery } : {}) });
      setJobId(r.jobId);
    } catch (e) {
      setError(e);
    }
  };

  const insertField = (f: FieldInfo) => {
    const el = area.current;
    const at = el ? el.selectionStart : text.length;
    const ins = pathText(f, mode);
    setText(text.slice(0, at) + ins + text.slice(el ? el.selectionEnd : at));
    el?.focus();
  };

  const cols = result?.columns ?? [];
  const eventIdCol = cols.findIndex((c) => c.name.toLowerCase() === 'eventid');
  const notRepeatable = result ? volatileWarning(result.volatile) : null;
  const chart = useMemo(() => {
    if (!result || result.columns.length !== 2 || result.rows.length < result.rowCount) return null;
    if (/^(TIMESTAMP|DATE)/.test(result.columns[0].type)) return null; // bars over time: TimeChart
    const numeric = result.rows.every((r) => typeof r[1] === 'number');
    if (!numeric || result.rows.length === 0 || result.rows.length > 200) return null;
    const max = Math.max(...result.rows.map((r) => r[1] as number), 1);
    return { max, rows: result.rows };
  }, [result]);

  const [busy, setBusy] = useState<{ what: string; done: number; total: number } | null>(null);
  const cancelBusy = useRef(false);
  /** Read every kept row with a progress bar and Cancel; false when cancelled or failed. */
  const overKept = async (what: string, each: (rows: QueryCell[][]) => boolean | void): Promise<boolean> => {
    if (!result) return false;
    cancelBusy.current = false;
    setBusy({ what, done: 0, total: keptOf(result) });
    try {
      await eachKeptPage(
        result,
        (rows, done) => {
          setBusy({ what, done, total: keptOf(result) });
          return each(rows);
        },
        () => cancelBusy.current,
      );
      return !cancelBusy.current;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(null);
    }
  };

  const showEvents = async () => {
    if (!result || eventIdCol < 0) return;
    const ids = new Set<string>();
    let more = false;
    const ok = await overKept('event ids', (rows) => {
      for (const r of rows) {
        const v = r[eventIdCol];
        if (typeof v !== 'string' || ids.has(v)) continue;
        if (ids.size === TABLE_IDS_MAX) {
          more = true;
          return false;
        }
        ids.add(v);
      }
    });
    if (!ok && !more) return;
    const part = more || keptOf(result) < result.rowCount ? `, its first ${num(ids.size)} events` : '';
    dispatch({ type: 'filter', filter: { eventIds: [...ids] }, eventIdsLabel: `query (custody #${result.custodySeq}${part})` });
    dispatch({ type: 'view', view: 'events' });
  };

  const addIndicators = async (col: number) => {
    if (!result) return;
    const distinct = new Set<string>();
    let more = false;
    const ok = await overKept('values', (rows) => {
      for (const r of rows) {
        const v = r[col];
        if (typeof v !== 'string' || v.length === 0 || distinct.has(v)) continue;
        if (distinct.size === IOC_MAX) {
          more = true;
          return false;
        }
        distinct.add(v);
      }
    });
    if (!ok && !more) return;
    const values = [...distinct];
    if (!values.length || !confirm(`Add ${values.length}${more ? ` (the first ${IOC_MAX} distinct)` : ''} value(s) of ${cols[col].name} as indicators (type inferred)?`)) return;
    let added = 0;
    const failed: string[] = [];
    for (const v of values) {
      try {
        await getApi().addIoc({ value: v, source: `query, custody #${result.custodySeq}` });
        added++;
      } catch (e) {
        failed.push(`${v.slice(0, 60)}: ${(e as Error).message}`);
      }
    }
    setInfo(`${added} indicator(s) added${failed.length ? `; ${failed.length} refused (${failed.slice(0, 3).join('; ')})` : ''}`);
    dispatch({ type: 'changed' });
  };

  const exportAs = async (format: 'csv' | 'json') => {
    if (!result) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const kept = keptOf(result);
    const parts: string[] = [];
    let first = true;
    if (format === 'csv') parts.push(cols.map((c) => csvCell(c.name)).join(',') + '\r\n');
    else {
      const head = { columns: cols, rowCount: result.rowCount, rowsInFile: kept, resultSha256: result.resultSha256, custodySeq: result.custodySeq, checkpoint: result.checkpoint, engine: result.engine, sql: result.sql, params: result.params };
      parts.push(JSON.stringify(head).slice(0, -1) + ',"rows":[\n');
    }
    const ok = await overKept(format.toUpperCase(), (rows) => {
      if (!rows.length) return;
      if (format === 'csv') parts.push(rows.map((r) => r.map((v) => csvCell(v)).join(',')).join('\r\n') + '\r\n');
      else {
        parts.push((first ? '' : ',\n') + rows.map((r) => JSON.stringify(r)).join(',\n'));
        first = false;
      }
    });
    if (!ok) return;
    if (format === 'csv') downloadParts(`trailcase-query-${stamp}.csv`, parts, 'text/csv;charset=utf-8');
    else {
      parts.push('\n]}\n');
      downloadParts(`trailcase-query-${stamp}.json`, parts, 'application/json');
    }
    if (kept < result.rowCount) setInfo(`exported the first ${num(kept)} of ${num(result.rowCount)} rows (the rows kept for the app); trailcase query ${format === 'csv' ? '--csv' : '--json'} writes them all`);
  };

  return (
    <section className="query-view" aria-label="Query">
      <div className="query-editor">
        <div className="query-modes" role="radiogroup" aria-label="Query language">
          {(['search', 'sql'] as const).map((m) => (
            <label key={m}>
              <input
                type="radio"
                name="query-mode"
                checked={mode === m}
                onChange={() => {
                  setMode(m);
                  setText(EXAMPLES[m]);
                }}
              />{' '}
              {m === 'sql' ? 'SQL' : 'Search'}
            </label>
          ))}
        </div>
        <textarea
          ref={area}
          aria-label={mode === 'sql' ? 'SQL query' : 'Search'}
          className="mono"
          rows={mode === 'sql' ? 6 : 2}
          value={text}
          spellCheck={false}
          onChange={(e) => {
            setText(e.target.value);
            updateSuggest(e.target.value, e.target.selectionStart);
          }}
          onBlur={() => setSuggest(null)}
          onClick={() => setSuggest(null)}
          aria-autocomplete="list"
          aria-controls={suggest ? 'query-field-suggestions' : undefined}
          aria-expanded={!!suggest}
          onKeyDown={(e) => {
            if (suggest && !e.ctrlKey && !e.metaKey && !e.altKey) {
              const n = suggest.items.length;
              if (e.key === 'ArrowLeft' || e.key === 'ArrowRight' || e.key === 'Home' || e.key === 'End') setSuggest(null);
              if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                setSuggest({ ...suggest, sel: (suggest.sel + (e.key === 'ArrowDown' ? 1 : n - 1)) % n });
                return;
              }
              if (e.key === 'Enter' || e.key === 'Tab') {
                e.preventDefault();
                acceptSuggestion(suggest.items[suggest.sel]);
                return;
              }
              if (e.key === 'Escape') {
                e.preventDefault();
                setSuggest(null);
                return;
              }
            }
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              run();
            }
          }}
        />
        {suggest && (
          <ul className="field-suggestions" role="listbox" id="query-field-suggestions" aria-label="Field suggestions">
            {suggest.items.map((f, i) => (
              <li
                key={f.path}
                role="option"
                aria-selected={i === suggest.sel}
                className={i === suggest.sel ? 'selected' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  acceptSuggestion(f);
                }}
              >
                <Ev className="mono" v={f.path} /> <span className="muted small">{f.type}{f.kind === 'list' ? ', any element' : ''}{f.events !== undefined ? ` · ${num(f.events)} events` : ''}</span>
              </li>
            ))}
          </ul>
        )}
        {mode === 'search' && compiled && (compiled.ok ? <pre className="query-sql small muted" aria-label="SQL it runs">{compiled.sql}{'\n'}params: {JSON.stringify(compiled.params)}</pre> : <p className="error small" role="alert">{compiled.error}</p>)}
        <div className="query-actions">
          <button onClick={() => run()} disabled={!!jobId || !text.trim()}>
            Run (Ctrl+Enter)
          </button>
          <input aria-label="Name to save as" placeholder="name" value={savedName} onChange={(e) => setSavedName(e.target.value)} />
          <input aria-label="Notes" placeholder="notes" value={notes} onChange={(e) => setNotes(e.target.value)} />
          <button
            disabled={!savedName.trim() || !text.trim()}
            onClick={() =>
              getApi()
                .saveQuery({ name: savedName.trim(), mode, text, notes })
                .then(() => {
                  setInfo(`saved as ${savedName.trim()}`);
                  saved.reload();
                }, setError)
            }
          >
            Save
          </button>
        </div>
        <details className="query-fields">
          <summary>Fields ({fields.value?.fields.length ?? 0})</summary>
          <div className="chips">
            {fields.value?.fields.map((f) => (
              <button key={f.path} className="chip mono small" title={`${f.type}${f.kind === 'list' ? ' (any element of the list)' : ''}${f.events !== undefined ? ` · in ${f.events} events of this case` : ''}`} onClick={() => insertField(f)}>
                <Ev v={f.path} />
              </button>
            ))}
          </div>
          <p className="small muted">Any other CloudTrail path works too, e.g. requestParameters.bucketName or additionalEventData.MFAUsed.</p>
        </details>
      </div>
      <ErrorBox error={error} />
      {info && <p className="small">{info}</p>}
      {jobId && (
        <JobProgress
          jobId={jobId}
          title="Query"
          onDone={(s) => {
            setJobId(null);
            if (s.state === 'done') {
              setResult(s.result as QueryRunResult);
              dispatch({ type: 'changed' });
            } else if (s.error) setError(new Error(s.error));
          }}
        />
      )}
      {result && (
        <div className="query-result">
          <p className="small">
            {num(result.rowCount)} row{result.rowCount === 1 ? '' : 's'}
            {keptOf(result) < result.rowCount ? ` (the first ${num(keptOf(result))} kept for browsing and export: 512 MB of text; trailcase query streams all)` : ''} · {Math.round(result.ms)} ms{result.threads === 1 ? ' on one thread (so that it gives the same answer again)' : ''} · {result.engine} · over {num(result.checkpoint.treeSize)} events · custody #{result.custodySeq} · result SHA-256{' '}
            <span className="mono hash">{result.resultSha256}</span>
          </p>
          {notRepeatable && (
            <p className="small warning-text" role="alert">
              Not repeatable: {notRepeatable}
            </p>
          )}
          <div className="query-result-actions">
            {eventIdCol >= 0 && (
              <button onClick={showEvents} disabled={!!busy}>
                Show these events in the table
              </button>
            )}
            <button onClick={() => exportAs('csv')} disabled={!!busy}>
              Export CSV
            </button>
            <button onClick={() => exportAs('json')} disabled={!!busy}>
              Export JSON
            </button>
            {busy && (
              <span className="export-progress" role="status">
                {busy.what}: <progress max={busy.total} value={busy.done} /> {num(busy.done)} / {num(busy.total)}
                <button onClick={() => (cancelBusy.current = true)}>Cancel</button>
              </span>
            )}
          </div>
          {!chart && <TimeChart key={result.custodySeq} result={result} />}
          {chart && (
            <div className="query-chart" aria-label="Chart">
              {chart.rows.map((r, i) => (
                <div key={i} className="bar-row">
                  <span className="bar-label small mono" title={tip(cellText(r[0]))}>
                    {cellText(r[0]) ? <Ev v={cellText(r[0])} /> : '(none)'}
                  </span>
                  <span className="bar" style={{ width: `${Math.max(0.5, ((r[1] as number) / chart.max) * 100)}%` }} />
                  <span className="small">{num(r[1] as number)}</span>
                </div>
              ))}
            </div>
          )}
          <ResultGrid key={result.custodySeq} result={result} eventIdCol={eventIdCol} onAddIoc={busy ? undefined : addIndicators} />
          <details>
            <summary className="small">SQL that ran</summary>
            <pre className="small mono">{result.sql}{result.params.length ? `\nparams: ${JSON.stringify(result.params)}` : ''}</pre>
          </details>
        </div>
      )}
      <div className="saved-queries">
        <h3>Saved queries</h3>
        <ErrorBox error={saved.error} retry={saved.reload} />
        <ul>
          {saved.value?.items.map((q) => (
            <li key={q.name}>
              <button
                className="link"
                onClick={() => {
                  setMode(q.mode);
                  setText(q.text);
                  setSavedName(q.name);
                  setNotes(q.notes);
                }}
              >
                <Ev v={q.name} />
              </button>{' '}
              <span className="muted small">[{q.mode}] {q.notes}</span>{' '}
              <button className="small" onClick={() => run(q.name)} disabled={!!jobId}>
                Run
              </button>{' '}
              <button className="small" onClick={() => setPromoting(promoting === q.name ? null : q.name)}>
                Promote to check…
              </button>
              {promoting === q.name && (
                <PromoteForm
                  savedQuery={q.name}
                  onDone={(msg) => {
                    setPromoting(null);
                    setInfo(msg);
                    detections.reload();
                  }}
                />
              )}
            </li>
          ))}
        </ul>
      </div>
      <Detections detections={detections} onChanged={() => detections.reload()} />
      <Recheck />
    </section>
  );
}

/** Most time buckets drawn as bars over time. */
const TIME_BARS_MAX = 5000;

/** A value of a TIMESTAMP or DATE column in the canonical form, as ms since the epoch (UTC), or null. */
function timeOf(v: QueryCell): number | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v.replace(/(\.\d{3})\d+/, '$1'));
  return Number.isFinite(t) ? t : null;
}

/**
 * Bars over time for a two-column answer of a time and a number (`SELECT date_trunc('hour',
 * eventTime) AS hour, count(*) …`), up to TIME_BARS_MAX rows, read from the kept rows: each bar
 * at its time on one axis from the first to the last (gaps show as gaps), its height the number.
 */
function TimeChart({ result }: { result: QueryRunResult }) {
  const [data, setData] = useState<{ points: { t: number; n: number; label: string }[]; untimed: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const eligible = result.columns.length === 2 && /^(TIMESTAMP|DATE)/.test(result.columns[0].type) && /INT|DOUBLE|FLOAT|DECIMAL|REAL/.test(result.columns[1].type) && result.rowCount > 0 && result.rowCount <= TIME_BARS_MAX && keptOf(result) === result.rowCount;
  useEffect(() => {
    if (!eligible) return;
    let stop = false;
    const rows: QueryCell[][] = [];
    eachKeptPage(result, (page) => {
      rows.push(...page);
    }).then(
      () => {
        if (stop) return;
        const points: { t: number; n: number; label: string }[] = [];
        let untimed = 0;
        for (const r of rows) {
          const t = timeOf(r[0]);
          if (t === null || typeof r[1] !== 'number') untimed++;
          else points.push({ t, n: r[1], label: String(r[0]) });
        }
        points.sort((a, b) => a.t - b.t);
        setData({ points, untimed });
      },
      (e) => !stop && setError(e),
    );
    return () => {
      stop = true;
    };
  }, [result, eligible]);
  if (!eligible) return null;
  if (error) return <ErrorBox error={error} />;
  if (!data || data.points.length === 0) return null;
  const { points } = data;
  const t0 = points[0].t;
  let step = Infinity;
  for (let i = 1; i < points.length; i++) if (points[i].t > points[i - 1].t) step = Math.min(step, points[i].t - points[i - 1].t);
  if (!Number.isFinite(step)) step = 1;
  const span = points[points.length - 1].t - t0 + step;
  const max = Math.max(...points.map((p) => p.n), 1);
  const W = 1000;
  const H = 120;
  const barW = Math.max(2, (step / span) * W * 0.85);
  return (
    <figure className="query-time-chart" aria-label="Chart over time">
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${points.length} bars from ${points[0].label} to ${points[points.length - 1].label}, highest ${max}`}>
        {points.map((p, i) => {
          const h = Math.max(1, (p.n / max) * H);
          return (
            <rect key={i} x={((p.t - t0) / span) * W} y={H - h} width={barW} height={h}>
              <title>{`${p.label}: ${num(p.n)}`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption className="small muted">
        <span className="mono">{points[0].label}</span> … <span className="mono">{points[points.length - 1].label}</span> · {num(points.length)} bars, highest {num(max)}
        {data.untimed ? ` · ${num(data.untimed)} row(s) without a time or number not drawn` : ''}
      </figcaption>
    </figure>
  );
}

/**
 * Every kept row of a result in a virtualised grid: only the rows in view exist in the DOM,
 * fetched a page at a time from the case process (the first page came with the result).
 * Arrow keys move the selection; an event row (one with an eventID column) opens in the inspector.
 */
function ResultGrid({ result, eventIdCol, onAddIoc }: { result: QueryRunResult; eventIdCol: number; onAddIoc?: (col: number) => void }) {
  const { state, dispatch } = useAppState();
  const count = keptOf(result);
  const { rowAt, onRange, error } = usePages<QueryCell[]>(
    `custody-${result.custodySeq}`,
    RESULT_PAGE,
    async (offset, limit) => ({ rows: (await getApi().queryResultPage({ custodySeq: result.custodySeq, offset, limit })).rows }),
    result.rows.length >= Math.min(RESULT_PAGE, count) ? result.rows.slice(0, RESULT_PAGE) : undefined,
  );
  const [sel, setSel] = useState<number | null>(null);
  const eventIdAt = (i: number) => {
    const v = eventIdCol >= 0 ? rowAt(i)?.[eventIdCol] : undefined;
    return typeof v === 'string' ? v : null;
  };
  const select = (i: number) => {
    setSel(i);
    const id = eventIdAt(i);
    if (id) dispatch({ type: 'select', eventId: id });
  };
  const cols = result.columns;
  const template = `repeat(${cols.length}, ${COLUMN_WIDTH}px)`;
  return (
    <>
      <ErrorBox error={error} />
      <div className="table-scroll query-grid">
        <div className="table-inner" style={{ width: Math.max(300, cols.length * COLUMN_WIDTH) }}>
          <div className="thead" role="row" style={{ gridTemplateColumns: template }}>
            {cols.map((c, i) => (
              <div key={i} role="columnheader" title={`${c.name} (${c.type})`}>
                <Ev v={c.name} />{' '}
                {onAddIoc && (
                  <button className="link small" title="Add this column's values as indicators" onClick={() => onAddIoc(i)}>
                    +IOC
                  </button>
                )}
              </div>
            ))}
          </div>
          <VirtualList
            label="Query result"
            className="tbody"
            count={count}
            rowHeight={RESULT_ROW}
            onRange={onRange}
            selected={sel}
            onSelect={select}
            onActivate={select}
            renderRow={(i) => {
              const r = rowAt(i);
              const id = eventIdAt(i);
              const cls = `trow${i === sel ? ' selected' : ''}${id && id === state.selected ? ' inspected' : ''}${id ? ' clickable' : ''}`;
              return (
                <div key={i} role="row" aria-rowindex={i + 1} className={cls} style={{ gridTemplateColumns: template, height: RESULT_ROW }} onClick={() => select(i)}>
                  {r ? (
                    r.map((v, j) => (
                      <div key={j} role="gridcell" className="mono small" title={tip(cellText(v))}>
                        <Ev v={cellText(v)} max={500} />
                      </div>
                    ))
                  ) : (
                    <div className="loading-row">…</div>
                  )}
                </div>
              );
            }}
          />
        </div>
      </div>
    </>
  );
}

const SEVERITY_CHOICES = ['informational', 'low', 'medium', 'high', 'critical'] as const;

/**
 * Promote a saved query to a check (docs/queries.md, item 6): it then runs with the
 * built-in checks; its query must return an eventID column, whose events the
 * finding cites. The promotion is custody-logged by the back end.
 */
function PromoteForm({ savedQuery, onDone }: { savedQuery: string; onDone: (msg: string) => void }) {
  const [id, setId] = useState(savedQuery.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64));
  const [title, setTitle] = useState(savedQuery);
  const [severity, setSeverity] = useState<(typeof SEVERITY_CHOICES)[number]>('medium');
  const [attack, setAttack] = useState('');
  const [explanation, setExplanation] = useState('');
  const [remediation, setRemediation] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    setError(null);
    try {
      const r = await getApi().promoteQuery({
        savedQuery,
        id,
        title,
        severity,
        attack: attack.split(/[\s,]+/).filter(Boolean),
        explanation,
        remediation: remediation.split('\n').filter((l) => l.trim()),
      });
      onDone(`promoted to check ${r.check.checkId} (custody #${r.seq}); it runs with the checks`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div className="promote-form" aria-label={`Promote ${savedQuery} to a check`}>
      <label>
        Check id <input value={id} onChange={(e) => setId(e.target.value)} aria-label="Check id" />
      </label>
      <label>
        Title <input value={title} onChange={(e) => setTitle(e.target.value)} aria-label="Check title" />
      </label>
      <label>
        Severity{' '}
        <select value={severity} onChange={(e) => setSeverity(e.target.value as (typeof SEVERITY_CHOICES)[number])} aria-label="Severity">
          {SEVERITY_CHOICES.map((x) => (
            <option key={x}>{x}</option>
          ))}
        </select>
      </label>
      <label>
        ATT&amp;CK ids <input value={attack} placeholder="T1530 T1098.001" onChange={(e) => setAttack(e.target.value)} aria-label="ATT&CK technique ids" />
      </label>
      <label>
        Explanation <textarea value={explanation} onChange={(e) => setExplanation(e.target.value)} aria-label="Explanation" />
      </label>
      <label>
        Remediation (one step a line) <textarea value={remediation} onChange={(e) => setRemediation(e.target.value)} aria-label="Remediation" />
      </label>
      <button onClick={submit} disabled={!id.trim() || !title.trim() || !explanation.trim()}>
        Promote
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

const OUTCOME_TEXT: Record<QueryRecheckItem['outcome'], string> = {
  same: 'same hash',
  different: 'DIFFERENT hash',
  'not-repeatable': 'not repeatable',
  'other-events': 'over other events',
  failed: 'did not run',
};

/**
 * Every query on the case's record run again over the events it first ran over, with its
 * hash compared (docs/queries.md "Checking the logged queries again"): what a receiver of the
 * case does to confirm the queries its report lists. Each run again is on the record too.
 */
function Recheck() {
  const [job, setJob] = useState<string | null>(null);
  const [items, setItems] = useState<QueryRecheckItem[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const start = async () => {
    setError(null);
    setItems(null);
    try {
      setJob((await getApi().recheckQueries({})).jobId);
    } catch (e) {
      setError(e);
    }
  };
  const bad = items?.filter((i) => i.outcome === 'different' || i.outcome === 'other-events' || i.outcome === 'failed').length ?? 0;
  return (
    <div className="recheck">
      <h3>The queries on the record</h3>
      <p className="small muted">Run every logged query again over the events it first ran over and compare its result hash with the recorded one (each run again is logged).</p>
      <button onClick={start} disabled={!!job}>
        Check the logged queries again
      </button>
      <ErrorBox error={error} />
      {job && (
        <JobProgress
          jobId={job}
          title="Checking the logged queries"
          onDone={(s) => {
            setJob(null);
            if (s.state === 'done') setItems((s.result as { items: QueryRecheckItem[] }).items);
            else setError(new Error(s.error ?? s.state));
          }}
        />
      )}
      {items && (
        <>
          <p className={`small ${bad ? 'error-text' : ''}`} role="status">
            {num(items.length)} query runs checked: {num(items.filter((i) => i.outcome === 'same').length)} with the same hash
            {bad ? `, ${num(bad)} not confirmed` : ''}
            {items.some((i) => i.outcome === 'not-repeatable') ? `, ${num(items.filter((i) => i.outcome === 'not-repeatable').length)} not repeatable` : ''}.
          </p>
          <table className="recheck-table small">
            <thead>
              <tr>
                <th>Custody</th>
                <th>Outcome</th>
                <th>Events</th>
                <th>Recorded / now</th>
                <th>Query</th>
              </tr>
            </thead>
            <tbody>
              {items.map((i) => (
                <tr key={i.seq} className={`recheck-${i.outcome}`}>
                  <td>#{i.seq}</td>
                  <td className={i.outcome === 'same' ? '' : i.outcome === 'not-repeatable' ? 'warning-text' : 'error-text'}>{OUTCOME_TEXT[i.outcome]}</td>
                  <td className="num">{num(i.treeSize)}</td>
                  <td className="mono">
                    {i.recorded.slice(0, 16)}…{i.now && i.now !== i.recorded ? <><br />{i.now.slice(0, 16)}…</> : null}
                  </td>
                  <td>
                    <Ev className="mono" v={i.text} max={300} />
                    {i.note && (
                      <div className="muted">
                        <Ev v={i.note} max={500} />
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

/**
 * The case's own detections: promoted checks (withdraw), Sigma rule files with
 * their SHA-256, and adding rule files (read here, sent as text: the back end
 * checks each and refuses the set, naming every bad file, before any run).
 */
function Detections({ detections, onChanged }: { detections: ReturnType<typeof useAsync<Awaited<ReturnType<ReturnType<typeof getApi>['listDetections']>>>>; onChanged: () => void }) {
  const [job, setJob] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [info, setInfo] = useState<string | null>(null);
  const addRules = async (files: FileList | null) => {
    if (!files?.length) return;
    setError(null);
    setInfo(null);
    try {
      const rules = await Promise.all([...files].map(async (f) => ({ file: f.name, text: await f.text() })));
      setJob((await getApi().runChecks({ rules })).jobId);
    } catch (e) {
      setError(e);
    }
  };
  const d = detections.value;
  return (
    <div className="detections">
      <h3>Your detections</h3>
      <ErrorBox error={detections.error ?? error} retry={detections.reload} />
      {info && <p className="small">{info}</p>}
      <ul>
        {d?.checks.map((c) => (
          <li key={c.id}>
            <Ev className="mono" v={c.checkId} /> <span className="muted small">v{c.version}</span> {c.severity} — <Ev v={c.title} />{' '}
            <span className="muted small">
              from <Ev v={c.savedQuery} /> [{c.mode}], text SHA-256 <span className="mono">{c.textSha256.slice(0, 16)}…</span>
            </span>{' '}
            <button
              className="small"
              onClick={async () => {
                try {
                  await getApi().removePromotedCheck({ id: c.id });
                  onChanged();
                } catch (e) {
                  setError(e);
                }
              }}
            >
              Withdraw
            </button>
          </li>
        ))}
        {d?.sigmaFiles.map((f) => (
          <li key={f.file}>
            Sigma rule file <Ev className="mono" v={f.file} /> <span className="muted small">SHA-256 {f.sha256.slice(0, 16)}…</span>
          </li>
        ))}
      </ul>
      <label>
        Run the checks with your Sigma rule files (.yml; they replace the case&apos;s rule set){' '}
        <input type="file" multiple accept=".yml,.yaml" disabled={!!job} onChange={(e) => addRules(e.target.files)} aria-label="Sigma rule files" />
      </label>
      {job && (
        <JobProgress
          jobId={job}
          title="Checks and rules"
          onDone={(s) => {
            setJob(null);
            if (s.state === 'done') setInfo('analysis run stored: see Findings');
            else setError(new Error(s.error ?? s.state));
            onChanged();
          }}
        />
      )}
    </div>
  );
}
