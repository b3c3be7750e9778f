// The inspector (docs/architecture.md, "The renderer"): one event's normalised fields, its verbatim record
// exactly as preserved, its provenance (evidence item, hash, digest
// validation, other sources of the same eventID, conflicts), related events
// (same access key, session, request), and the examiner's tags and notes -
// both custody-logged by the back end.
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EventDetail, EventSummary } from '../../shared/types.ts';
import { getApi } from '../api/transport.ts';
import { analysisAvailable } from '../api/analysis.ts';
import { useAppState, type Filter } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { shortHash, utc } from '../lib/format.ts';
import { PivotResults, type PivotSeedArg } from './Pivot.tsx';
import { Ev, EvBlock, EvFull } from '../components/Ev.tsx';
import { findHidden, nameFlags } from '../../shared/text/display.ts';
import { NAME_FIELDS, NameFlags } from './NameFlags.tsx';
import { ProfileLink } from './Profile.tsx';

type FilterField = keyof Pick<Filter, 'ips' | 'principals' | 'accessKeys' | 'eventNames' | 'eventSources' | 'regions' | 'accounts' | 'userAgents' | 'errorCodes'>;

const FIELDS: { key: keyof EventSummary; title: string; filter?: FilterField }[] = [
  { key: 'eventTime', title: 'Time (UTC)' },
  { key: 'eventName', title: 'Event', filter: 'eventNames' },
  { key: 'eventSource', title: 'Service', filter: 'eventSources' },
  { key: 'awsRegion', title: 'Region', filter: 'regions' },
  { key: 'sourceIPAddress', title: 'Source IP', filter: 'ips' },
  { key: 'userAgent', title: 'User agent', filter: 'userAgents' },
  { key: 'identityType', title: 'Identity type' },
  { key: 'principalArn', title: 'Principal ARN', filter: 'principals' },
  { key: 'userName', title: 'User name', filter: 'principals' },
  { key: 'principalId', title: 'Principal ID' },
  { key: 'accessKeyId', title: 'Access key', filter: 'accessKeys' },
  { key: 'sessionIssuerArn', title: 'Session issuer', filter: 'principals' },
  { key: 'recipientAccountId', title: 'Account', filter: 'accounts' },
  { key: 'errorCode', title: 'Error', filter: 'errorCodes' },
  { key: 'readOnly', title: 'Read-only' },
  { key: 'eventCategory', title: 'Category' },
  { key: 'requestId', title: 'Request ID' },
  { key: 'eventId', title: 'Event ID' },
];

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** Hidden characters in a record other than the layout the view keeps (line breaks, tabs). */
function hiddenInRecord(record: string): number {
  return findHidden(record).filter((h) => h.codePoint !== 'U+000A' && h.codePoint !== 'U+0009').reduce((a, h) => a + h.count, 0);
}

function pretty(record: string): string {
  try {
    return JSON.stringify(JSON.parse(record), null, 2);
  } catch {
    return record;
  }
}

export function Inspector({ eventId }: { eventId: string }) {
  const { state, dispatch } = useAppState();
  const detail = useAsync(() => getApi().getEvent({ eventId }), [eventId]);
  const tags = useAsync(() => getApi().listTags({ eventId }), [eventId, state.version]);
  const [verbatim, setVerbatim] = useState(true);
  const [related, setRelated] = useState<{ by: string; events: EventSummary[] } | null>(null);
  const [relError, setRelError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [tag, setTag] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [pivot, setPivot] = useState<PivotSeedArg | null>(null);
  const d: EventDetail | undefined = detail.value;
  // Counted once per record (a record can be megabytes), not on every re-render.
  const hidden = useMemo(() => (d ? hiddenInRecord(d.record) : 0), [d]);
  const top = useRef<HTMLDivElement>(null);
  // A newly selected event starts at the top of the panel (each event mounts a fresh inspector).
  useEffect(() => {
    top.current?.parentElement?.scrollTo?.(0, 0);
  }, []);

  const addFilter = (field: FilterField, value: string) => {
    const cur = (state.filter[field] as string[] | undefined) ?? [];
    if (!cur.includes(value)) dispatch({ type: 'patchFilter', patch: { [field]: [...cur, value] } });
  };
  const loadRelated = async (by: 'accessKey' | 'session' | 'request') => {
    setRelError(null);
    try {
      const r = await getApi().relatedEvents({ eventId, by, limit: 200 });
      setRelated({ by, events: r.events });
    } catch (e) {
      setRelError(e);
    }
  };
  const save = async (kind: 'note' | 'tag') => {
    setSaveError(null);
    setSaved(null);
    try {
      if (kind === 'note') {
        const r = await getApi().addNote({ target: `event:${eventId}`, text: note.trim() });
        setNote('');
        setSaved(`Note recorded in the custody log (entry #${r.seq}).`);
      } else {
        const r = await getApi().addTag({ eventId, tag: tag.trim() });
        setTag('');
        setSaved(`Tag recorded in the custody log (entry #${r.seq}).`);
      }
      dispatch({ type: 'changed' });
    } catch (e) {
      setSaveError(e);
    }
  };

  return (
    <div className="inspector" aria-label="Inspector" ref={top}>
      <div className="inspector-head">
        <h2>{d ? (d.summary.eventName ? <Ev v={d.summary.eventName} /> : '(no eventName)') : 'Event'}</h2>
        <button className="close" onClick={() => dispatch({ type: 'select', eventId: null })} aria-label="Close the inspector" title="Close (Esc)">
          ×
        </button>
      </div>
      <ErrorBox error={detail.error} retry={detail.reload} />
      {!d && !detail.error && <p className="muted">Loading…</p>}
      {d && (
        <>
          <p className="muted">
            {utc(d.summary.eventTime)} · <Ev v={d.summary.eventSource} />
          </p>
          <h3>Fields</h3>
          <table className="kv">
            <tbody>
              {FIELDS.map((f) => {
                const v = d.summary[f.key];
                return (
                  <tr key={f.key}>
                    <th>{f.title}</th>
                    <td>
                      <span className="value">{typeof v === 'string' ? <EvFull v={v} /> : show(v)}</span>
                      {(NAME_FIELDS as readonly string[]).includes(f.key) && typeof v === 'string' && nameFlags(v).length > 0 && (
                        <span className="name-flag" title={nameFlags(v).join('; ')} aria-label={`Name to check: ${nameFlags(v).join('; ')}`}>
                          ⚠ name to check
                        </span>
                      )}
                      {f.filter && v !== null && v !== undefined && (
                        <button className="mini" title={`Filter by this ${f.title.toLowerCase()}`} onClick={() => addFilter(f.filter!, String(v))}>
                          filter
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <NameFlags detail={d} />

          {analysisAvailable('pivot') && (
            <div className="pivot-buttons">
              Pivot from:{' '}
              {d.summary.accessKeyId && <button onClick={() => setPivot({ key: d.summary.accessKeyId! })}>this key</button>}
              {d.summary.sourceIPAddress && <button onClick={() => setPivot({ ip: d.summary.sourceIPAddress! })}>this IP</button>}
              {(d.summary.principalArn ?? d.summary.userName) && (
                <button onClick={() => setPivot({ principal: (d.summary.principalArn ?? d.summary.userName)! })}>this principal</button>
              )}
            </div>
          )}
          <div className="pivot-buttons profile-buttons">
            Profile of:{' '}
            <ProfileLink kind="key" value={d.summary.accessKeyId} label="this key" />
            <ProfileLink kind="ip" value={d.summary.sourceIPAddress} label="this IP" />
            <ProfileLink kind="principal" value={d.summary.principalArn ?? d.summary.userName} label="this principal" />
            <ProfileLink kind="account" value={d.summary.recipientAccountId} label="this account" />
          </div>
          {pivot && <PivotResults seed={pivot} onClose={() => setPivot(null)} />}

          <h3>Provenance</h3>
          {d.provenance.map((p, i) => (
            <div key={i} className={`prov${p.identical ? '' : ' conflict'}`}>
              <div>
                <strong>{i === 0 ? 'Stored copy' : p.identical ? 'Also in' : 'Different copy in'}</strong> evidence #{p.evidenceId}: <Ev v={p.origin} className="mono" />
              </div>
              <div className="mono small" title={p.sha256}>
                sha256 {p.sha256}
              </div>
              <div className="small">
                bytes {p.offset}+{p.length} · {p.encoding} · leaf {shortHash(p.leafHash, 16)} · CloudTrail digest:{' '}
                <span className={`validation v-${(p.validation ?? 'none').replace(/\W+/g, '-')}`}>{p.validation ?? 'not validated'}</span>
              </div>
            </div>
          ))}
          {d.conflicts.length > 0 && (
            <div className="warning-box">
              {d.conflicts.length} other source{d.conflicts.length > 1 ? 's hold' : ' holds'} a different record with this eventID (evidence{' '}
              {d.conflicts.map((c) => `#${c.evidenceId}`).join(', ')}).
            </div>
          )}
          {d.warnings.length > 0 && (
            <div className="warning-box" aria-label="Record warnings">
              <strong>{d.warnings.length === 1 ? 'Warning' : `${d.warnings.length} warnings`} about this record</strong>
              <ul className="record-warnings">
                {d.warnings.map((w, i) => (
                  <li key={i}>
                    <span className="mono">{w.code}</span> (evidence #{w.evidenceId}): {w.message}
                  </li>
                ))}
              </ul>
            </div>
          )}

          <h3>
            Record{' '}
            <button className="mini" onClick={() => setVerbatim(!verbatim)} aria-pressed={!verbatim}>
              {verbatim ? 'pretty-print' : 'show verbatim'}
            </button>
          </h3>
          {/* The record's exact text; a hidden or direction-changing character is shown as a marked ⟨U+…⟩ in its place
              (line breaks and tabs kept), so nothing in the record is invisible and nothing reorders the view. */}
          <pre className="record" aria-label={verbatim ? 'Verbatim record' : 'Pretty-printed record'}>
            <EvBlock text={verbatim ? d.record : pretty(d.record)} />
          </pre>
          {hidden > 0 && (
            <p className="small warning-text">
              {hidden} hidden or direction-changing character{hidden === 1 ? '' : 's'} in this record shown as ⟨U+…⟩; the
              preserved bytes and every hash are unchanged.
            </p>
          )}

          <h3>Related events</h3>
          <div className="btn-group">
            <button disabled={!d.summary.accessKeyId} onClick={() => loadRelated('accessKey')}>
              Same access key
            </button>
            <button disabled={!d.summary.principalId} onClick={() => loadRelated('session')}>
              Same session
            </button>
            <button disabled={!d.summary.requestId} onClick={() => loadRelated('request')}>
              Same request
            </button>
          </div>
          <ErrorBox error={relError} />
          {related && (
            <ul className="related">
              {related.events.length === 0 && <li className="muted">No other events.</li>}
              {related.events.map((e) => (
                <li key={e.eventId}>
                  <button className="link" onClick={() => dispatch({ type: 'select', eventId: e.eventId })}>
                    {utc(e.eventTime)} <Ev v={e.eventName} />
                  </button>{' '}
                  <Ev className="muted" v={e.sourceIPAddress} />
                </li>
              ))}
            </ul>
          )}

          <h3>Tags and notes</h3>
          <ErrorBox error={tags.error} />
          <div className="tags">
            {tags.value?.items.map((t, i) => (
              <span key={i} className="tag" title={`${t.actor}, ${utc(t.at)}`}>
                <Ev v={t.tag} />
              </span>
            ))}
          </div>
          <form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (tag.trim()) save('tag');
            }}
          >
            <input aria-label="New tag" placeholder="tag" value={tag} onChange={(e) => setTag(e.target.value)} maxLength={100} />
            <button type="submit" disabled={!tag.trim()}>
              Add tag
            </button>
          </form>
          <form
            className="note-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (note.trim()) save('note');
            }}
          >
            <textarea aria-label="Note on this event" placeholder="A note on this event (kept in the custody log)" value={note} onChange={(e) => setNote(e.target.value)} rows={3} />
            <button type="submit" disabled={!note.trim()}>
              Add note
            </button>
          </form>
          <ErrorBox error={saveError} />
          {saved && <p className="ok-text" role="status">{saved}</p>}
        </>
      )}
    </div>
  );
}
