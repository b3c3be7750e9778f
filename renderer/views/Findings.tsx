// Findings (docs/architecture.md, "The renderer"): grouped by category and severity, each linking to its
// events on the timeline and in the table, with accept / dismiss / reopen and
// a note (custody-logged by the back end). Checks run here as a cancellable job.
import { useState } from 'react';
import { findingEventCount, SEVERITIES, severityRank, type Severity } from '../../shared/analysis/findings.ts';
import type { JobStatus } from '../../shared/types.ts';
import { analysisAvailable, type FindingRow } from '../api/analysis.ts';
import { getApi } from '../api/transport.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { JobProgress } from '../components/JobProgress.tsx';
import { num, utc } from '../lib/format.ts';
import { Ev, tip } from '../components/Ev.tsx';
import { ProfileLink } from './Profile.tsx';

/** Finding artefact types that have a profile (README.md, "Addresses and profiles"). */
const ARTEFACT_PROFILE: Partial<Record<string, 'principal' | 'key' | 'ip'>> = { 'access-key': 'key', ip: 'ip', principal: 'principal', 'role-session': 'principal', user: 'principal', role: 'principal' };

export function Findings() {
  const { state, dispatch } = useAppState();
  const available = analysisAvailable('listFindings');
  const list = useAsync(
    () => (available ? getApi().listFindings({ limit: 100_000 }) : Promise.resolve(null)),
    [state.version, available],
  );
  const [job, setJob] = useState<string | null>(null);
  const [jobError, setJobError] = useState<unknown>(null);
  const [hideDismissed, setHideDismissed] = useState(false);
  const [minSeverity, setMinSeverity] = useState<Severity>('informational');
  if (!available) return <section className="findings"><p className="muted">Findings are not available from this back end (the analysis API is missing).</p></section>;
  const run = async () => {
    setJobError(null);
    try {
      setJob((await getApi().runChecks({})).jobId);
    } catch (e) {
      setJobError(e);
    }
  };
  const a = list.value;
  const items = (a?.items ?? []).filter((f) => severityRank(f.severity) >= severityRank(minSeverity) && !(hideDismissed && f.decision === 'dismissed'));
  const byCategory = new Map<string, FindingRow[]>();
  for (const f of items) {
    let l = byCategory.get(f.category);
    if (!l) byCategory.set(f.category, (l = []));
    l.push(f);
  }
  const categories = [...byCategory.entries()].sort(
    (x, y) => Math.max(...y[1].map((f) => severityRank(f.severity))) - Math.max(...x[1].map((f) => severityRank(f.severity))) || x[0].localeCompare(y[0]),
  );
  return (
    <section className="findings" aria-label="Findings">
      <div className="toolbar">
        <button onClick={run} disabled={!!job}>
          Run checks
        </button>
        <label>
          At least{' '}
          <select value={minSeverity} onChange={(e) => setMinSeverity(e.target.value as Severity)} aria-label="Minimum severity">
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          <input type="checkbox" checked={hideDismissed} onChange={(e) => setHideDismissed(e.target.checked)} /> hide dismissed
        </label>
        {a?.run && (
          <span className="muted">
            Run {a.run.runId ?? ''} at {utc(a.run.at)}: {num(a.total)} findings
          </span>
        )}
      </div>
      <ErrorBox error={jobError} />
      {job && (
        <JobProgress
          jobId={job}
          title="Checks and Sigma rules"
          onDone={(s: JobStatus) => {
            if (s.state !== 'running') {
              setJob(null);
              dispatch({ type: 'changed' });
            }
          }}
        />
      )}
      {a?.stale && <div className="warning-box">These findings are out of date: {a.staleReason ?? 'the case changed since the run'}. Run the checks again.</div>}
      <ErrorBox error={list.error} retry={list.reload} />
      {a && !a.run && <p className="muted">No analysis run yet. Run the checks to get findings.</p>}
      {a?.run && items.length === 0 && <p className="muted">No findings at this severity.</p>}
      {categories.map(([cat, fs]) => (
        <div key={cat} className="finding-category">
          <h3>
            {cat} <span className="muted">({fs.length})</span>
          </h3>
          {[...SEVERITIES].reverse().map((sev) => {
            const group = fs.filter((f) => f.severity === sev);
            if (!group.length) return null;
            return (
              <div key={sev} className="severity-group">
                <h4>
                  <span className={`sev sev-${sev}`}>{sev}</span> {group.length}
                </h4>
                {group.map((f) => (
                  <FindingCard key={f.id} f={f} />
                ))}
              </div>
            );
          })}
        </div>
      ))}
    </section>
  );
}

function FindingCard({ f }: { f: FindingRow }) {
  const { dispatch } = useAppState();
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const decide = async (decision: 'accepted' | 'dismissed' | 'open') => {
    setBusy(true);
    setError(null);
    try {
      await getApi().decideFinding({ id: f.id, decision, ...(note.trim() ? { note: note.trim() } : {}) });
      setNote('');
      dispatch({ type: 'changed' });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const show = (view: 'timeline' | 'events') => {
    // A finding lists at most its first 10,000 events (shared/analysis/findings.ts); the label says so.
    const total = findingEventCount(f);
    const label = total > f.eventIds.length ? `finding: ${f.title} (its first ${num(f.eventIds.length)} of ${num(total)} events)` : `finding: ${f.title}`;
    dispatch({ type: 'filter', filter: { eventIds: f.eventIds }, eventIdsLabel: label });
    const a = f.firstSeen ? Date.parse(f.firstSeen) : NaN;
    const b = f.lastSeen ? Date.parse(f.lastSeen) : a;
    if (Number.isFinite(a)) dispatch({ type: 'focus', startMs: a, endMs: Number.isFinite(b) ? b : a });
    if (f.eventIds[0]) dispatch({ type: 'select', eventId: f.eventIds[0] });
    dispatch({ type: 'view', view });
  };
  return (
    <article className={`finding decision-${f.decision ?? 'open'}`} aria-label={tip(f.title)}>
      <header>
        <strong>
          <Ev v={f.title} max={2000} />
        </strong>{' '}
        <span className="muted small">{f.source === 'sigma' ? 'Sigma' : 'check'} {f.checkId} v{f.checkVersion}</span>
        {f.decision && f.decision !== 'open' && <span className={`decision ${f.decision}`}>{f.decision}</span>}
      </header>
      <p>
        <Ev v={f.explanation} max={4000} keepLayout />
      </p>
      <p className="small">
        {num(findingEventCount(f))} event{findingEventCount(f) === 1 ? '' : 's'}
        {findingEventCount(f) > f.eventIds.length ? ` (the first ${num(f.eventIds.length)} listed)` : ''}, {utc(f.firstSeen)}
        {f.lastSeen && f.lastSeen !== f.firstSeen ? ` – ${utc(f.lastSeen)}` : ''}
        {f.attack.length > 0 && <> · ATT&amp;CK {f.attack.join(', ')}</>}
      </p>
      {f.artefacts.length > 0 && (
        <p className="small">
          {f.artefacts.map((x, i) => (
            <span key={i} className="artefact">
              {x.type}: <Ev className="mono" v={x.value} />
              <ProfileLink kind={ARTEFACT_PROFILE[x.type] ?? 'principal'} value={ARTEFACT_PROFILE[x.type] ? x.value : null} />
            </span>
          ))}
        </p>
      )}
      {f.remediation.length > 0 && (
        <details>
          <summary>Remediation</summary>
          <ul>
            {f.remediation.map((r, i) => (
              <li key={i}>
                <Ev v={r} max={4000} />
              </li>
            ))}
          </ul>
        </details>
      )}
      {f.attribution && <p className="small muted">{f.attribution}</p>}
      {f.decisionNote && (
        <p className="small">
          Note by <Ev v={f.decidedBy} /> ({utc(f.decidedAt)}): <Ev v={f.decisionNote} max={4000} />
        </p>
      )}
      <div className="finding-actions">
        <button onClick={() => show('timeline')}>Show on timeline</button>
        <button onClick={() => show('events')}>Show in table</button>
        <input aria-label={`Note on ${tip(f.title)}`} placeholder="note (optional)" value={note} onChange={(e) => setNote(e.target.value)} />
        <button disabled={busy || f.decision === 'accepted'} onClick={() => decide('accepted')}>
          Accept
        </button>
        <button disabled={busy || f.decision === 'dismissed'} onClick={() => decide('dismissed')}>
          Dismiss
        </button>
        {f.decision && f.decision !== 'open' && (
          <button disabled={busy} onClick={() => decide('open')}>
            Reopen
          </button>
        )}
      </div>
      <ErrorBox error={error} />
    </article>
  );
}
