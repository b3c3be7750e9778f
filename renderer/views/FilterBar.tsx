// The one filter every view applies (docs/architecture.md, "The renderer": "the timeline and the table
// filter live"): chips for what is in force, a field + value to add, the
// indicator (IOC) switch, and Clear.
import { useState } from 'react';
import { useAppState, type Filter } from '../state.tsx';
import { analysisAvailable } from '../api/analysis.ts';
import { num, parseUtc } from '../lib/format.ts';
import { Ev, tip } from '../components/Ev.tsx';

type ListField = 'ips' | 'principals' | 'accessKeys' | 'eventNames' | 'eventSources' | 'regions' | 'accounts' | 'userAgents' | 'errorCodes';

export const FILTER_FIELDS: { key: ListField | 'since' | 'until'; title: string; placeholder: string }[] = [
  { key: 'ips', title: 'Source IP', placeholder: '203.0.113.7 or 203.0.113.0/24' },
  { key: 'principals', title: 'Principal', placeholder: 'ARN, user or role name' },
  { key: 'accessKeys', title: 'Access key', placeholder: 'AKIA… / ASIA…' },
  { key: 'eventNames', title: 'Event name', placeholder: 'CreateAccessKey' },
  { key: 'eventSources', title: 'Service', placeholder: 'iam.amazonaws.com' },
  { key: 'regions', title: 'Region', placeholder: 'us-east-1' },
  { key: 'accounts', title: 'Account', placeholder: '123456789012' },
  { key: 'userAgents', title: 'User agent contains', placeholder: 'python-requests' },
  { key: 'errorCodes', title: 'Error code', placeholder: 'AccessDenied' },
  { key: 'since', title: 'Since (UTC)', placeholder: '2024-08-01 12:00' },
  { key: 'until', title: 'Until (UTC)', placeholder: '2024-08-02' },
];

export function FilterBar() {
  const { state, dispatch } = useAppState();
  const [field, setField] = useState<(typeof FILTER_FIELDS)[number]['key']>('ips');
  const [value, setValue] = useState('');
  const [err, setErr] = useState<string | null>(null);
  const f = state.filter;
  const add = () => {
    const v = value.trim();
    if (!v) return;
    if (field === 'since' || field === 'until') {
      const ms = parseUtc(v);
      if (ms === null) return setErr(`${v} is not a time (use e.g. 2024-08-01 or 2024-08-01 12:00, UTC)`);
      dispatch({ type: 'patchFilter', patch: { [field]: new Date(ms).toISOString() } });
    } else {
      const cur = (f[field] as string[] | undefined) ?? [];
      const vals = v.split(/[\s,]+/).filter(Boolean).filter((x) => !cur.includes(x));
      dispatch({ type: 'patchFilter', patch: { [field]: [...cur, ...vals] } });
    }
    setErr(null);
    setValue('');
  };
  const remove = (k: keyof Filter, v?: string) => {
    if (v === undefined) dispatch({ type: 'patchFilter', patch: { [k]: undefined } });
    else dispatch({ type: 'patchFilter', patch: { [k]: ((f[k] as string[]) ?? []).filter((x) => x !== v) } });
  };
  const chips: { k: keyof Filter; label: string; v?: string }[] = [];
  for (const d of FILTER_FIELDS) {
    const cur = f[d.key];
    if (Array.isArray(cur)) for (const v of cur) chips.push({ k: d.key, label: `${d.title}: ${v}`, v });
    else if (typeof cur === 'string') chips.push({ k: d.key, label: `${d.title}: ${cur.replace('T', ' ').replace(/:00\.000Z$/, 'Z')}` });
  }
  if (f.eventIds) chips.push({ k: 'eventIds', label: `${state.eventIdsLabel ?? 'selected events'} (${num(f.eventIds.length)})` });
  if (f.ioc) chips.push({ k: 'ioc', label: 'Matching enabled indicators' });
  const iocs = analysisAvailable('listIocs');
  return (
    <div className="filter-bar" role="search" aria-label="Filter">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <select aria-label="Filter field" value={field} onChange={(e) => setField(e.target.value as typeof field)}>
          {FILTER_FIELDS.map((d) => (
            <option key={d.key} value={d.key}>
              {d.title}
            </option>
          ))}
        </select>
        <input aria-label="Filter value" value={value} placeholder={FILTER_FIELDS.find((d) => d.key === field)?.placeholder} onChange={(e) => setValue(e.target.value)} />
        <button type="submit" disabled={!value.trim()}>
          Add filter
        </button>
      </form>
      <label className={iocs ? '' : 'disabled'} title={iocs ? 'Only events that match an enabled indicator' : 'The IOC list is not available from this back end'}>
        <input type="checkbox" disabled={!iocs} checked={!!f.ioc} onChange={(e) => dispatch({ type: 'patchFilter', patch: { ioc: e.target.checked } })} /> IOC matches only
      </label>
      <ul className="chips" aria-label="Filters in force">
        {chips.map((c, i) => (
          <li key={i} className="chip">
            <Ev v={c.label} max={200} />
            <button aria-label={`Remove filter ${tip(c.label, 200)}`} onClick={() => remove(c.k, c.v)}>
              ×
            </button>
          </li>
        ))}
      </ul>
      {chips.length > 0 && (
        <button className="clear" onClick={() => dispatch({ type: 'filter', filter: {} })}>
          Clear
        </button>
      )}
      {err && <span className="error-text">{err}</span>}
    </div>
  );
}
