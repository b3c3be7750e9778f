// The behaviour profile of one principal, access key or address (README.md, "Addresses and profiles"):
// what it did, from where (country, network, AWS range, as the case's
// enrichment databases say), with a split time so that what appears only after
// the suspected compromise is marked NEW. Reached from the inspector, the
// event table, findings and pivots (ProfileLink). Every value shown comes from
// the records or the databases and is rendered as React text, never as markup.
import { useState } from 'react';
import { getApi } from '../api/transport.ts';
import { asLabel, placeLabel } from '../../shared/analysis/enrichment.ts';
import type { Profile, ProfileItem } from '../../shared/analysis/profile.ts';
import { useAppState, type ProfileSubject } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { num, utc } from '../lib/format.ts';
import { Ev } from '../components/Ev.tsx';

const KIND_NAME: Record<ProfileSubject['kind'], string> = { principal: 'principal', key: 'access key', ip: 'address', account: 'account' };

/** A small "profile" button next to a principal, key, address or account. */
export function ProfileLink({ kind, value, label = 'profile', text }: { kind: ProfileSubject['kind']; value: string | null | undefined; label?: string; text?: string }) {
  const { dispatch } = useAppState();
  if (!value) return null;
  return (
    // Its accessible name differs from the inspector's pivot buttons of the same label ("this key").
    <button className="mini profile-link" aria-label={label === 'profile' ? undefined : `Profile of ${label}`} title={`Behaviour profile of this ${KIND_NAME[kind]}`} onClick={(ev) => {
        // In the event table the row under the button would be selected too.
        ev.stopPropagation();
        dispatch({ type: 'profile', subject: { kind, value } });
      }}
    >
      {text ?? label}
    </button>
  );
}

function Items({ title, items, extra }: { title: string; items: ProfileItem[]; extra?: (i: number) => React.ReactNode }) {
  if (!items.length) return null;
  return (
    <section className="profile-section">
      <h3>{title}</h3>
      <table className="profile-table">
        <thead>
          <tr>
            <th></th>
            <th>Value</th>
            {extra && <th>Where</th>}
            <th className="num">Events</th>
            <th className="num">Before</th>
            <th className="num">After</th>
            <th>First</th>
            <th>Last</th>
          </tr>
        </thead>
        <tbody>
          {items.map((it, i) => (
            <tr key={it.value} className={it.isNew ? 'new' : ''}>
              <td>{it.isNew ? <span className="badge-new">NEW</span> : null}</td>
              <td className="mono wrap">
                <Ev v={it.value} />
              </td>
              {extra && <td className="small">{extra(i)}</td>}
              <td className="num">{num(it.count)}</td>
              <td className="num">{num(it.before)}</td>
              <td className="num">{num(it.after)}</td>
              <td className="t small">{utc(it.first)}</td>
              <td className="t small">{utc(it.last)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ProfileView() {
  const { state, dispatch } = useAppState();
  const subject = state.profile;
  const [split, setSplit] = useState('');
  const [applied, setApplied] = useState('');
  const r = useAsync(
    () => (subject ? getApi().profile({ [subject.kind]: subject.value, ...(applied ? { split: applied } : {}) }) : Promise.resolve(null)),
    [subject?.kind, subject?.value, applied, state.version],
  );
  if (!subject) {
    return (
      <section className="profile">
        <p className="muted">Choose "profile" next to a principal, an access key, an address or an account (in the inspector, the event table, a finding or a pivot) to see its behaviour here.</p>
      </section>
    );
  }
  const p: Profile | null = r.value ?? null;
  const filterBy = () => {
    const f =
      subject.kind === 'key' ? { accessKeys: [subject.value] } : subject.kind === 'ip' ? { ips: [subject.value] } : subject.kind === 'account' ? { accounts: [subject.value] } : { principals: [subject.value] };
    dispatch({ type: 'filter', filter: f });
    dispatch({ type: 'view', view: 'events' });
  };
  return (
    <section className="profile" aria-label="Profile">
      <header className="profile-head">
        <h2>
          Profile of {KIND_NAME[subject.kind]} <Ev className="mono" v={subject.value} />
        </h2>
        <form
          className="profile-split"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied(split.trim());
          }}
        >
          <label>
            Split at (UTC){' '}
            <input aria-label="Split time" placeholder="2026-03-05T20:00:00Z" value={split} onChange={(e) => setSplit(e.target.value)} />
          </label>
          <button type="submit">Apply</button>
          <button type="button" onClick={filterBy}>Show its events</button>
        </form>
      </header>
      <ErrorBox error={r.error} retry={r.reload} />
      {r.loading && <p className="muted">Reading the profile…</p>}
      {p && (
        <>
          <p className="profile-summary">
            {num(p.eventCount)} events{p.first ? ` from ${utc(p.first)} to ${utc(p.last)}` : ''}
            {p.split ? `; split at ${utc(p.split)}: ${num(p.before)} before, ${num(p.after)} after (NEW: seen only after)` : ''}.
          </p>
          {p.findings.length > 0 && (
            <section className="profile-section">
              <h3>Findings citing these events</h3>
              <ul>
                {p.findings.map((f) => (
                  <li key={f.id}>
                    <span className={`sev sev-${f.severity}`}>{f.severity}</span> {f.title} <span className="muted small">({f.checkId}, {num(f.events)} events)</span>
                  </li>
                ))}
              </ul>
            </section>
          )}
          <Items
            title="Addresses"
            items={p.addresses}
            extra={(i) => {
              const info = p.addresses[i].info;
              if (!info) return <span className="muted">not enriched</span>;
              if (info.class !== 'public') return <span>{info.class}</span>;
              return (
                <span>
                  {placeLabel(info)} · {asLabel(info)}
                  {info.aws ? ` · AWS ${info.aws.service} ${info.aws.region}` : ''}
                </span>
              );
            }}
          />
          <Items title="Principals" items={p.principals} />
          <Items title="Access keys" items={p.keys} />
          <Items title="Role sessions" items={p.sessions} />
          <Items title="Roles assumed" items={p.rolesAssumed} />
          <Items title="Assumed by" items={p.assumedBy} />
          <Items title="User agents" items={p.userAgents} />
          <Items title="Regions" items={p.regions} />
          <Items title="APIs" items={p.apis} />
          <Items title="Errors" items={p.errors} />
          <Items title="Resources" items={p.resources} />
          {p.notes.map((n, i) => (
            <p key={i} className="note small">
              <Ev v={n} keepLayout />
            </p>
          ))}
          {p.enrichment.sources.length > 0 && (
            <p className="muted small profile-attribution">
              Address data (derived, not evidence):{' '}
              {p.enrichment.sources.map((s) => `${s.name} ${s.version} (SHA-256 ${s.sha256.slice(0, 12)}…)`).join('; ')}. {p.enrichment.sources.map((s) => s.attribution).join(' ')}
            </p>
          )}
        </>
      )}
    </section>
  );
}
