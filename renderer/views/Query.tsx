// The Query view (docs/queries.md): SQL over every field of every event, or the
// search bar's language, read-only and on the record. The search shows the SQL
// it compiles to (or the parse error and where) as the examiner types; a run is
// a job with Cancel; results show their row count, result hash and custody
// entry; event rows open in the inspector and go to the timeline and the table;
// two-column answers with a count draw as bars; export CSV/JSON; a column's
// values can become indicators; queries are saved with names and notes.
// Every value shown is the suspect's text: React escapes it, nothing is HTML.
import { useEffect, useMemo, useRef, useState } from 'react';
import { getApi } from '../api/transport.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { JobProgress } from '../components/JobProgress.tsx';
import { csvCell } from '../../shared/text/csv.ts';
import { num } from '../lib/format.ts';
import { Ev, tip } from '../components/Ev.tsx';
import type { QueryCell, QueryRunResult } from '../../shared/api/query.ts';

type Mode = 'sql' | 'search';

const EXAMPLES: Record<Mode, string> = {
  sql: "SELECT userIdentity.arn AS principal, eventName, count(*) AS n\nFROM events\nWHERE requestParameters.bucketName IS NOT NULL\nGROUP BY ALL ORDER BY n DESC LIMIT 50",
  search: 'eventName:Put* -errorCode:* after:2026-03-01',
};

const cellText = (v: QueryCell) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function download(name: string, body: string, type: string) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([body], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
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
      const r = await getApi().runQuery({ mode, text, limit: 5000, ...(savedQuery ? { savedQuery } : {}) });
      setJobId(r.jobId);
    } catch (e) {
      setError(e);
    }
  };

  const insertField = (path: string) => {
    const el = area.current;
    const at = el ? el.selectionStart : text.length;
    const ins = mode === 'search' ? `${path}:` : path;
    setText(text.slice(0, at) + ins + text.slice(el ? el.selectionEnd : at));
    el?.focus();
  };

  const cols = result?.columns ?? [];
  const eventIdCol = cols.findIndex((c) => c.name.toLowerCase() === 'eventid');
  const chart = useMemo(() => {
    if (!result || result.columns.length !== 2) return null;
    const numeric = result.rows.every((r) => typeof r[1] === 'number');
    if (!numeric || result.rows.length === 0 || result.rows.length > 200) return null;
    const max = Math.max(...result.rows.map((r) => r[1] as number), 1);
    return { max, rows: result.rows };
  }, [result]);

  const showEvents = () => {
    if (!result || eventIdCol < 0) return;
    const ids = [...new Set(result.rows.map((r) => r[eventIdCol]).filter((v): v is string => typeof v === 'string'))];
    dispatch({ type: 'filter', filter: { eventIds: ids }, eventIdsLabel: `query (custody #${result.custodySeq})` });
    dispatch({ type: 'view', view: 'events' });
  };

  const addIndicators = async (col: number) => {
    if (!result) return;
    const values = [...new Set(result.rows.map((r) => r[col]).filter((v): v is string => typeof v === 'string' && v.length > 0))].slice(0, 500);
    if (!values.length || !confirm(`Add ${values.length} value(s) of ${cols[col].name} as indicators (type inferred)?`)) return;
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

  const exportAs = (format: 'csv' | 'json') => {
    if (!result) return;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (format === 'csv') {
      const lines = [cols.map((c) => csvCell(c.name)).join(','), ...result.rows.map((r) => r.map((v) => csvCell(v)).join(','))];
      download(`trailcase-query-${stamp}.csv`, lines.join('\r\n') + '\r\n', 'text/csv;charset=utf-8');
    } else {
      download(`trailcase-query-${stamp}.json`, JSON.stringify({ columns: cols, rows: result.rows, rowCount: result.rowCount, resultSha256: result.resultSha256, sql: result.sql, params: result.params }, null, 1), 'application/json');
    }
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
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              run();
            }
          }}
        />
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
              <button key={f.path} className="chip mono small" title={`${f.type}${f.kind === 'list' ? ' (any element of the list)' : ''}${f.events !== undefined ? ` · in ${f.events} events of this case` : ''}`} onClick={() => insertField(f.path)}>
                {f.path}
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
            {result.truncated ? ` (first ${num(result.rows.length)} shown; export and the CLI give all)` : ''} · {Math.round(result.ms)} ms · {result.engine} · over {num(result.checkpoint.treeSize)} events · custody #{result.custodySeq} · result SHA-256{' '}
            <span className="mono hash">{result.resultSha256}</span>
          </p>
          <div className="query-result-actions">
            {eventIdCol >= 0 && <button onClick={showEvents}>Show these events in the table</button>}
            <button onClick={() => exportAs('csv')}>Export CSV</button>
            <button onClick={() => exportAs('json')}>Export JSON</button>
          </div>
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
          <div className="query-table-wrap">
            <table className="query-table">
              <thead>
                <tr>
                  {cols.map((c, i) => (
                    <th key={i} title={c.type}>
                      <Ev v={c.name} />{' '}
                      <button className="link small" title="Add this column's values as indicators" onClick={() => addIndicators(i)}>
                        +IOC
                      </button>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r, i) => (
                  <tr
                    key={i}
                    className={eventIdCol >= 0 ? 'clickable' : ''}
                    onClick={() => eventIdCol >= 0 && typeof r[eventIdCol] === 'string' && dispatch({ type: 'select', eventId: r[eventIdCol] as string })}
                  >
                    {r.map((v, j) => (
                      <td key={j} className="mono small">
                        <Ev v={cellText(v)} max={500} />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
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
    </section>
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
