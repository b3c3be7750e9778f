// "Pivot from here" (docs/architecture.md, "The renderer", IOC panel): the hops the back end's pivot found
// from one key, IP or principal - each indicator with the hop it was found at,
// why, whether its events were followed and how many it brought in - and a
// button to put every attacker event on the timeline and in the table. The
// pivot lists only the earliest attacker events (eventLimit) and counts them
// all; when the list is partial the button reads every eventID first.
import { useState } from 'react';
import { getApi } from '../api/transport.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { num } from '../lib/format.ts';
import { Ev } from '../components/Ev.tsx';
import { ProfileLink } from './Profile.tsx';

/** Pivot indicator types that have a profile. */
const PROFILE_KIND: Partial<Record<string, 'principal' | 'key' | 'ip'>> = { 'access-key': 'key', ip: 'ip', principal: 'principal', user: 'principal', role: 'principal' };

export type PivotSeedArg = { key: string } | { ip: string } | { principal: string };

export function PivotResults({ seed, onClose }: { seed: PivotSeedArg; onClose: () => void }) {
  const { dispatch } = useAppState();
  const r = useAsync(() => getApi().pivot(seed), [JSON.stringify(seed)]);
  const [reading, setReading] = useState(false);
  const [readError, setReadError] = useState<unknown>(null);
  const seedText = Object.entries(seed).map(([k, v]) => `${k} ${v}`).join('');
  const a = r.value;
  const showIds = (ids: string[]) => {
    if (!a) return;
    dispatch({ type: 'filter', filter: { eventIds: ids }, eventIdsLabel: `pivot from ${seedText}` });
    const start = a.firstEventTime ? Date.parse(a.firstEventTime) : NaN;
    const end = a.lastEventTime ? Date.parse(a.lastEventTime) : NaN;
    if (Number.isFinite(start) && Number.isFinite(end)) dispatch({ type: 'focus', startMs: start, endMs: end });
    dispatch({ type: 'view', view: 'timeline' });
  };
  const show = () => {
    if (!a) return;
    if (!a.eventsTruncated) return showIds(a.events.map((e) => e.eventId));
    // The answer lists only the earliest events: ask for every eventID (the same pivot, no summaries).
    setReading(true);
    setReadError(null);
    getApi().pivot({ ...seed, eventLimit: 0, allEventIds: true }).then(
      (all) => {
        setReading(false);
        showIds(all.eventIds ?? []);
      },
      (e) => {
        setReading(false);
        setReadError(e);
      },
    );
  };
  return (
    <div className="pivot" aria-label="Pivot results">
      <div className="pivot-head">
        <strong>
          Pivot from <Ev v={seedText} />
        </strong>
        <button className="close" onClick={onClose} aria-label="Close the pivot">
          ×
        </button>
      </div>
      <ErrorBox error={r.error} retry={r.reload} />
      {r.loading && <p className="muted">Following the trail…</p>}
      {a && (
        <>
          <p>
            {num(a.eventCount)} attacker event{a.eventCount === 1 ? '' : 's'} over {a.hops} hop{a.hops === 1 ? '' : 's'}
            {a.truncated ? ' (stopped at the event limit: incomplete)' : ''}.{' '}
            <button disabled={!a.eventCount || reading} onClick={show}>
              Show these events
            </button>
            {reading && <span className="muted"> Reading all {num(a.eventCount)} event IDs…</span>}
          </p>
          <ErrorBox error={readError} retry={show} />
          <ol className="hops">
            {a.indicators
              .slice()
              .sort((x, y) => x.hop - y.hop)
              .map((i, k) => (
                <li key={k} className={i.followed ? '' : 'not-followed'}>
                  <span className="hop">hop {i.hop}</span> <span className="ioc-type">{i.type}</span> <Ev className="mono" v={i.value} />
                  <ProfileLink kind={PROFILE_KIND[i.type] ?? 'principal'} value={PROFILE_KIND[i.type] ? i.value : null} />
                  {!i.followed && <span className="muted"> (reported, not followed)</span>}
                  {i.followed && <span className="muted"> ({num(i.events)} event{i.events === 1 ? '' : 's'})</span>}
                  <div className="small muted">
                    <Ev v={i.reason} max={4000} />
                  </div>
                </li>
              ))}
          </ol>
          {a.context && a.context.length > 0 && (
            <details>
              <summary>Seen but not followed ({a.context.length})</summary>
              <ul>
                {a.context.map((c, k) => (
                  <li key={k} className="small">
                    {c.kind}: <Ev className="mono" v={c.value} /> — <Ev v={c.note} max={4000} />
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
