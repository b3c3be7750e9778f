// "Pivot from here" (issue 6, IOC panel): the hops the back end's pivot found
// from one key, IP or principal - each indicator with the hop it was found at,
// why, and whether its events were followed - and a button to put the
// resulting events on the timeline and in the table.
import { callAnalysis } from '../api/analysis.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { num } from '../lib/format.ts';

export type PivotSeedArg = { key: string } | { ip: string } | { principal: string };

interface PivotAnswer {
  events: { eventId: string; eventTime: string | null; hop: number }[];
  indicators: { type: string; value: string; reason: string; viaEventId: string | null; hop: number; followed: boolean }[];
  context?: { kind: string; value: string; note: string }[];
  hops: number;
  truncated?: boolean;
}

export function PivotResults({ seed, onClose }: { seed: PivotSeedArg; onClose: () => void }) {
  const { dispatch } = useAppState();
  const r = useAsync(() => callAnalysis<PivotAnswer>('pivot', seed), [JSON.stringify(seed)]);
  const seedText = Object.entries(seed).map(([k, v]) => `${k} ${v}`).join('');
  const a = r.value;
  const show = () => {
    if (!a) return;
    const times = a.events.map((e) => (e.eventTime ? Date.parse(e.eventTime) : NaN)).filter(Number.isFinite);
    dispatch({ type: 'filter', filter: { eventIds: a.events.map((e) => e.eventId) }, eventIdsLabel: `pivot from ${seedText}` });
    if (times.length) dispatch({ type: 'focus', startMs: Math.min(...times), endMs: Math.max(...times) });
    dispatch({ type: 'view', view: 'timeline' });
  };
  return (
    <div className="pivot" aria-label="Pivot results">
      <div className="pivot-head">
        <strong>Pivot from {seedText}</strong>
        <button className="close" onClick={onClose} aria-label="Close the pivot">
          ×
        </button>
      </div>
      <ErrorBox error={r.error} retry={r.reload} />
      {r.loading && <p className="muted">Following the trail…</p>}
      {a && (
        <>
          <p>
            {num(a.events.length)} events over {a.hops} hop{a.hops === 1 ? '' : 's'}
            {a.truncated ? ' (truncated)' : ''}.{' '}
            <button disabled={!a.events.length} onClick={show}>
              Show these events
            </button>
          </p>
          <ol className="hops">
            {a.indicators
              .slice()
              .sort((x, y) => x.hop - y.hop)
              .map((i, k) => (
                <li key={k} className={i.followed ? '' : 'not-followed'}>
                  <span className="hop">hop {i.hop}</span> <span className="ioc-type">{i.type}</span> <span className="mono">{i.value}</span>
                  {!i.followed && <span className="muted"> (reported, not followed)</span>}
                  <div className="small muted">{i.reason}</div>
                </li>
              ))}
          </ol>
          {a.context && a.context.length > 0 && (
            <details>
              <summary>Seen but not followed ({a.context.length})</summary>
              <ul>
                {a.context.map((c, k) => (
                  <li key={k} className="small">
                    {c.kind}: <span className="mono">{c.value}</span> — {c.note}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </div>
  );
}
