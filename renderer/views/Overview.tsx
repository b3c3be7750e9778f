// The case overview (docs/architecture.md, "The renderer"): metadata and scope; evidence items with hashes
// and validation status; events by account, region and day; import warnings;
// verification with a button; the custody log. Imports and checks start here
// and run as cancellable jobs with progress bars.
import { useEffect, useRef, useState } from 'react';
import type { CustodyEntry, JobStatus, VerifyReport } from '../../shared/types.ts';
import { OTHER_GROUP, type TimelineDensity } from '../../shared/api/timeline-types.ts';
import { getApi } from '../api/transport.ts';
import { analysisAvailable } from '../api/analysis.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { JobProgress } from '../components/JobProgress.tsx';
import { bytes, num, shortHash, utc } from '../lib/format.ts';
import { Ev, tip } from '../components/Ev.tsx';

const DAY = 86_400_000;
const CUSTODY_PAGE = 100;
/** Columns of the per-day strips at most (one pixel column each). */
const MAX_COLUMNS = 300;

export function Overview() {
  const { state } = useAppState();
  const info = useAsync(() => getApi().caseInfo({}), [state.version]);
  const c = info.value;
  return (
    <section className="overview" aria-label="Case overview">
      <ErrorBox error={info.error} retry={info.reload} />
      {c && (
        <div className="card case-card">
          <h2>
            <Ev v={c.title} />
          </h2>
          <dl className="meta">
            <dt>Case</dt>
            <dd className="mono">{c.caseId}</dd>
            <dt>Examiner</dt>
            <dd>
              <Ev v={c.examiner} />
            </dd>
            <dt>Created</dt>
            <dd>
              {utc(c.createdAt)} with {c.toolVersion} (schema {c.schemaVersion})
            </dd>
            <dt>Scope</dt>
            <dd>
              {[
                c.scope.since || c.scope.until ? `${c.scope.since ?? '…'} – ${c.scope.until ?? '…'}` : null,
                c.scope.accounts?.length ? `accounts ${c.scope.accounts.join(', ')}` : null,
                c.scope.regions?.length ? `regions ${c.scope.regions.join(', ')}` : null,
                c.scope.suspectedCredentials?.length ? `suspected ${c.scope.suspectedCredentials.join(', ')}` : null,
                c.scope.notes ?? null,
              ]
                .filter(Boolean)
                .join(' · ') || 'not limited'}
            </dd>
            <dt>Events</dt>
            <dd>
              {num(c.counts.events)} ({num(c.counts.copies)} copies from other sources, {num(c.counts.conflicts)} conflicts)
            </dd>
            <dt>Time range</dt>
            <dd>
              {utc(c.timeRange.first)} – {utc(c.timeRange.last)}
            </dd>
            <dt>Evidence</dt>
            <dd>
              {num(c.counts.evidence)} items, {num(c.counts.warnings)} warnings
            </dd>
            <dt>Checkpoint</dt>
            <dd>
              {c.lastCheckpoint ? (
                <>
                  #{c.lastCheckpoint.seq}, {num(c.lastCheckpoint.treeSize)} leaves, root <span className="mono" title={c.lastCheckpoint.root}>{shortHash(c.lastCheckpoint.root, 16)}</span>,{' '}
                  {utc(c.lastCheckpoint.createdAt)}
                </>
              ) : (
                'none'
              )}
            </dd>
            <dt>Keys</dt>
            <dd>
              {c.keys.map((k) => (
                <span key={k.fingerprint} className="keyline">
                  {k.examiner} <span className="mono" title={k.fingerprint}>{shortHash(k.fingerprint, 16)}</span>
                </span>
              ))}
            </dd>
          </dl>
          <p className="path mono small">{c.path}</p>
        </div>
      )}
      <VerifyCard />
      <JobsCard />
      <ActivityCard />
      <EvidenceCard />
      <WarningsCard />
      <CustodyCard />
    </section>
  );
}

function VerifyCard() {
  const { state, dispatch } = useAppState();
  const last = useAsync(async () => {
    // The most recent verify entry in the custody log (verify logs one every time).
    const head = await getApi().custodyLog({ limit: 1 });
    const from = Math.max(0, head.total - 500);
    const page = await getApi().custodyLog({ offset: from, limit: 500 });
    return [...page.items].reverse().find((e) => e.action === 'verify') ?? null;
  }, [state.version]);
  const [report, setReport] = useState<VerifyReport | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      setReport(await getApi().verify({}));
      dispatch({ type: 'changed' });
    } catch (e) {
      setError(e);
    } finally {
      setRunning(false);
    }
  };
  const l = last.value;
  return (
    <div className="card">
      <h3>Verification</h3>
      <p>
        {l ? (
          <>
            Last verified {utc(l.at)} by {l.actor}:{' '}
            <span className={l.details.ok ? 'ok-text' : 'error-text'}>{l.details.ok ? 'intact' : `${String(l.details.problems)} problems`}</span>
          </>
        ) : (
          'Not verified yet in this case.'
        )}{' '}
        <button onClick={run} disabled={running}>
          {running ? 'Verifying…' : 'Verify now'}
        </button>
      </p>
      <ErrorBox error={error || last.error} />
      {report && (
        <div className={report.ok ? 'ok-box' : 'error-box'} role="status">
          <strong>{report.ok ? 'Every hash and signature checks out.' : 'Verification found problems.'}</strong> {num(report.counts.events)} events,{' '}
          {num(report.counts.evidence)} evidence items, {num(report.counts.checkpoints)} checkpoints, {num(report.counts.custody)} custody entries; SQLite:{' '}
          {report.integrityCheck}; root <span className="mono">{shortHash(report.root, 16)}</span>.
          {report.problems.length > 0 && (
            <ul>
              {report.problems.map((p, i) => (
                <li key={i}>
                  <Ev className="mono" v={p.where} />: <Ev v={p.message} max={4000} />
                </li>
              ))}
            </ul>
          )}
          {report.warnings.length > 0 && (
            <ul className="muted">
              {report.warnings.map((p, i) => (
                <li key={i}>
                  <Ev className="mono" v={p.where} />: <Ev v={p.message} max={4000} />
                </li>
              ))}
            </ul>
          )}
          {report.sourceValidation.length > 0 && (
            <p className="small">
              CloudTrail digests: {report.sourceValidation.filter((s) => s.result === 'valid').length} of {report.sourceValidation.length} sources valid.
            </p>
          )}
        </div>
      )}
    </div>
  );
}

/** Start an import (local paths, as the host sees them) or the checks, and follow them. */
function JobsCard() {
  const { dispatch } = useAppState();
  const [paths, setPaths] = useState('');
  const [jobs, setJobs] = useState<{ id: string; title: string }[]>([]);
  const [error, setError] = useState<unknown>(null);
  const startImport = async () => {
    setError(null);
    const list = paths.split('\n').map((s) => s.trim()).filter(Boolean);
    if (!list.length) return;
    try {
      const r = await getApi().importPaths({ paths: list });
      setJobs((j) => [{ id: r.jobId, title: `Import of ${list.length === 1 ? list[0] : `${list.length} paths`}` }, ...j]);
      setPaths('');
    } catch (e) {
      setError(e);
    }
  };
  const startChecks = async () => {
    setError(null);
    try {
      const r = await getApi().runChecks({});
      setJobs((j) => [{ id: r.jobId, title: 'Checks and Sigma rules' }, ...j]);
    } catch (e) {
      setError(e);
    }
  };
  const done = async (s: JobStatus) => {
    if (s.kind === 'import' && s.state !== 'failed') {
      // New events: extend the timeline's rollup, then let every view reload.
      try {
        await getApi().timelineIndex({});
      } catch (e) {
        setError(e);
      }
    }
    dispatch({ type: 'changed' });
  };
  return (
    <div className="card">
      <h3>Import and analyse</h3>
      <form
        className="import-form"
        onSubmit={(e) => {
          e.preventDefault();
          startImport();
        }}
      >
        <textarea
          aria-label="Paths to import"
          placeholder="Files or folders to import, one per line (paths on the machine running TrailCase)"
          rows={2}
          value={paths}
          onChange={(e) => setPaths(e.target.value)}
        />
        <button type="submit" disabled={!paths.trim()}>
          Import
        </button>
        {analysisAvailable('runChecks') && (
          <button type="button" onClick={startChecks}>
            Run checks
          </button>
        )}
      </form>
      <ErrorBox error={error} />
      {jobs.map((j) => (
        <JobProgress key={j.id} jobId={j.id} title={j.title} onDone={done} />
      ))}
    </div>
  );
}

/** A per-day strip of counts: one cell per day, darker for more. */
function DayStrip({ cells, startMs, days, bucketMs, max, onDay }: { cells: Map<number, number>; startMs: number; days: number; bucketMs: number; max: number; onDay: (ms: number, span: number) => void }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    c.width = Math.max(1, days);
    c.height = 1;
    const img = ctx.createImageData(c.width, 1);
    const scale = Math.log1p(max);
    for (const [day, n] of cells) {
      const x = Math.round((day - startMs) / bucketMs);
      if (x < 0 || x >= days) continue;
      img.data.set([37, 99, 185, Math.round(255 * (0.25 + (0.75 * Math.log1p(n)) / scale))], x * 4);
    }
    ctx.putImageData(img, 0, 0);
  }, [cells, startMs, days, bucketMs, max]);
  return (
    <canvas
      ref={ref}
      className="day-strip"
      title="Click to open that time on the timeline"
      onClick={(e) => {
        const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
        const x = Math.floor(((e.clientX - r.left) / r.width) * days);
        onDay(startMs + x * bucketMs, bucketMs);
      }}
    />
  );
}

function ActivityCard() {
  const { state, dispatch } = useAppState();
  // A column per UTC day while that fits (~300 px of strip); longer cases get whole multiples of a day per column.
  const bucket = async () => {
    const info = await getApi().caseInfo({});
    const a = info.timeRange.first ? Date.parse(info.timeRange.first) : 0;
    const b = info.timeRange.last ? Date.parse(info.timeRange.last) : 0;
    const days = Math.ceil((b - a + 1) / DAY);
    return days <= MAX_COLUMNS ? DAY : Math.ceil(days / MAX_COLUMNS) * DAY;
  };
  const byAccount = useAsync(async () => getApi().timelineDensity({ groupBy: 'account', bucketMs: await bucket(), maxGroups: 30 }), [state.version]);
  const byRegion = useAsync(async () => getApi().timelineDensity({ groupBy: 'region', bucketMs: await bucket(), maxGroups: 40 }), [state.version]);
  const openDay = (ms: number, span: number) => {
    dispatch({ type: 'focus', startMs: ms, endMs: ms + span - 1 });
    dispatch({ type: 'view', view: 'timeline' });
  };
  return (
    <div className="card">
      <h3>Events by account, region and day (UTC)</h3>
      <ErrorBox error={byAccount.error || byRegion.error} retry={() => (byAccount.reload(), byRegion.reload())} />
      {byAccount.value && <DensityTable d={byAccount.value} onDay={openDay} />}
      {byRegion.value && <DensityTable d={byRegion.value} onDay={openDay} />}
    </div>
  );
}

function DensityTable({ d, onDay }: { d: TimelineDensity; onDay: (ms: number, span: number) => void }) {
  const days = Math.round((d.endMs + 1 - d.startMs) / d.bucketMs);
  const byGroup = new Map<string, Map<number, number>>();
  let max = 1;
  for (const c of d.cells) {
    let m = byGroup.get(c.group);
    if (!m) byGroup.set(c.group, (m = new Map()));
    m.set(c.bucketMs, c.count);
    max = Math.max(max, c.count);
  }
  const title = d.groupBy === 'account' ? 'Account' : 'Region';
  return (
    <table className="density-table">
      <thead>
        <tr>
          <th>{title}</th>
          <th className="num">Events</th>
          <th>
            {utc(d.startMs, 'day')} … {utc(d.endMs, 'day')} ({d.bucketMs === DAY ? `${num(days)} days` : `${num(days)} columns of ${d.bucketMs / DAY} days`})
          </th>
        </tr>
      </thead>
      <tbody>
        {d.groups.map((g) => (
          <tr key={g.id}>
            <td className={g.id === OTHER_GROUP ? 'muted' : 'mono'}>
              <Ev v={g.label} max={200} />
            </td>
            <td className="num">{num(g.count)}</td>
            <td>
              <DayStrip cells={byGroup.get(g.id) ?? new Map()} startMs={d.startMs} days={days} bucketMs={d.bucketMs} max={max} onDay={onDay} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EvidenceCard() {
  const { state } = useAppState();
  const [limit, setLimit] = useState(100);
  const ev = useAsync(() => getApi().listEvidence({ limit }), [limit, state.version]);
  return (
    <div className="card">
      <h3>Evidence {ev.value ? `(${num(ev.value.total)})` : ''}</h3>
      <ErrorBox error={ev.error} retry={ev.reload} />
      {ev.value && (
        <div className="scroll-x">
          <table className="grid">
            <thead>
              <tr>
                <th>#</th>
                <th>Origin</th>
                <th>Kind</th>
                <th className="num">Size</th>
                <th>SHA-256</th>
                <th className="num">Events</th>
                <th>Acquired (UTC)</th>
                <th>CloudTrail validation</th>
              </tr>
            </thead>
            <tbody>
              {ev.value.items.map((e) => (
                <tr key={e.id}>
                  <td>{e.id}</td>
                  <td className="mono small" title={tip(e.origin)}>
                    <Ev v={e.origin.length > 70 ? `…${e.origin.slice(-70)}` : e.origin} />
                  </td>
                  <td>
                    {e.kind}
                    {e.compression === 'gzip' ? ' (gz)' : ''}
                  </td>
                  <td className="num">{bytes(e.size)}</td>
                  <td className="mono small" title={e.sha256}>
                    {shortHash(e.sha256, 16)}
                  </td>
                  <td className="num" title={`${e.counts.copies} copies, ${e.counts.rejected} rejected, ${e.counts.excluded} out of scope`}>
                    {num(e.counts.events)}
                  </td>
                  <td>{utc(e.acquiredAt)}</td>
                  <td>
                    <span className={`validation v-${(e.validation ?? 'none').replace(/\W+/g, '-')}`}>{e.validation ?? 'not applicable'}</span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {ev.value.total > ev.value.items.length && <button onClick={() => setLimit(limit * 4)}>Show more</button>}
        </div>
      )}
    </div>
  );
}

function WarningsCard() {
  const { state } = useAppState();
  const w = useAsync(() => getApi().listWarnings({ limit: 200 }), [state.version]);
  if (w.value && w.value.total === 0) return null;
  return (
    <div className="card">
      <h3>Import warnings {w.value ? `(${num(w.value.total)})` : ''}</h3>
      <ErrorBox error={w.error} retry={w.reload} />
      {w.value && (
        <ul className="warnings">
          {w.value.items.map((x) => (
            <li key={x.id}>
              <span className="code">{x.code}</span> <Ev className="mono small" v={x.origin} />
              {x.recordIndex !== null ? ` record ${x.recordIndex}` : ''}: <Ev v={x.message} max={4000} />
            </li>
          ))}
          {w.value.total > w.value.items.length && <li className="muted">… and {num(w.value.total - w.value.items.length)} more (trailcase warnings CASE)</li>}
        </ul>
      )}
    </div>
  );
}

function CustodyCard() {
  const { state } = useAppState();
  const [pages, setPages] = useState(1);
  // Newest first: read the tail of the log.
  const log = useAsync(async () => {
    const head = await getApi().custodyLog({ limit: 1 });
    const n = Math.min(head.total, pages * CUSTODY_PAGE);
    const r = await getApi().custodyLog({ offset: head.total - n, limit: Math.max(1, n) });
    return { items: [...r.items].reverse() as CustodyEntry[], total: head.total };
  }, [pages, state.version]);
  return (
    <div className="card">
      <h3>Chain of custody {log.value ? `(${num(log.value.total)} entries, newest first)` : ''}</h3>
      <ErrorBox error={log.error} retry={log.reload} />
      {log.value && (
        <div className="scroll-x">
          <table className="grid custody" aria-label="Custody log">
            <thead>
              <tr>
                <th>#</th>
                <th>When (UTC)</th>
                <th>Who</th>
                <th>Action</th>
                <th>Details</th>
                <th>Hash</th>
              </tr>
            </thead>
            <tbody>
              {log.value.items.map((e) => (
                <tr key={e.seq}>
                  <td>{e.seq}</td>
                  <td>{utc(e.at)}</td>
                  <td>
                    <Ev v={e.actor} />
                  </td>
                  <td className="mono">{e.action}</td>
                  <td className="details small">
                    <Ev v={JSON.stringify(e.details)} max={300} />
                  </td>
                  <td className="mono small" title={e.hash}>
                    {shortHash(e.hash, 10)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {log.value.total > log.value.items.length && <button onClick={() => setPages(pages + 1)}>Older entries</button>}
        </div>
      )}
    </div>
  );
}


