// The IOC filter panel (docs/architecture.md, "The renderer"): the case's indicators of every type with hit
// counts, add / remove / enable-disable, import a list (CSV, text, STIX 2.1),
// "IOC matches only" for the timeline and the table, and "pivot from here".
// Every change is custody-logged by the back end (docs/analysis.md).
import { useState } from 'react';
import type { IocType } from '../../shared/analysis/ioc.ts';
import { analysisAvailable, IOC_TYPE_NAMES, type IocRow } from '../api/analysis.ts';
import { getApi } from '../api/transport.ts';
import { useAppState } from '../state.tsx';
import { useAsync } from '../components/useAsync.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { num, utc } from '../lib/format.ts';
import { PivotResults, type PivotSeedArg } from './Pivot.tsx';
import { Ev, tip } from '../components/Ev.tsx';

const PIVOTABLE: Record<string, (v: string) => PivotSeedArg> = {
  ip: (v) => ({ ip: v }),
  'access-key': (v) => ({ key: v }),
  principal: (v) => ({ principal: v }),
};

export function IocPanel() {
  const { state, dispatch } = useAppState();
  const available = analysisAvailable('listIocs');
  const hits = useAsync(
    () => (available ? getApi().iocHits({ includeDisabled: true }) : Promise.resolve({ items: [] as IocRow[] })),
    [state.version, available],
  );
  const [type, setType] = useState<IocType | ''>('');
  const [value, setValue] = useState('');
  const [label, setLabel] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [importOpen, setImportOpen] = useState(false);
  const [importText, setImportText] = useState('');
  const [importFormat, setImportFormat] = useState<'text' | 'csv' | 'stix'>('text');
  const [importResult, setImportResult] = useState<string | null>(null);
  const [pivot, setPivot] = useState<PivotSeedArg | null>(null);
  if (!available) {
    return (
      <div className="ioc-panel" aria-label="Indicators">
        <h2>Indicators</h2>
        <p className="muted small">The IOC list is not available from this back end.</p>
      </div>
    );
  }
  const act = async (call: () => Promise<unknown>) => {
    setError(null);
    try {
      await call();
      dispatch({ type: 'changed' });
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const add = async () => {
    const ok = await act(() => getApi().addIoc({ value: value.trim(), ...(type ? { type } : {}), ...(label.trim() ? { label: label.trim() } : {}) }));
    if (ok) {
      setValue('');
      setLabel('');
    }
  };
  const doImport = async (text: string, format: 'text' | 'csv' | 'stix', source?: string) => {
    setError(null);
    setImportResult(null);
    try {
      const r = await getApi().importIocs({
        body: text,
        format,
        ...(source ? { source } : {}),
      });
      setImportResult(
        `${r.added.length} added, ${r.unchanged.length} already there, ${r.skipped.length} skipped${r.skipped.length ? `: ${r.skipped.slice(0, 3).map((s) => `${s.where} ${s.reason}`).join('; ')}` : ''}`,
      );
      setImportText('');
      dispatch({ type: 'changed' });
    } catch (e) {
      setError(e);
    }
  };
  const onFile = (file: File) => {
    const format = /\.csv$/i.test(file.name) ? 'csv' : /\.json$/i.test(file.name) ? 'stix' : 'text';
    file.text().then((t) => doImport(t, format, file.name), (e) => setError(e));
  };
  const items = hits.value?.items ?? [];
  return (
    <div className="ioc-panel" aria-label="Indicators">
      <h2>Indicators</h2>
      <form
        className="ioc-add"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) add();
        }}
      >
        <select aria-label="Indicator type" value={type} onChange={(e) => setType(e.target.value as IocType | '')}>
          <option value="">(infer type)</option>
          {IOC_TYPE_NAMES.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <input aria-label="Indicator value" placeholder="value" value={value} onChange={(e) => setValue(e.target.value)} />
        <input aria-label="Indicator label" placeholder="label (optional)" value={label} onChange={(e) => setLabel(e.target.value)} />
        <button type="submit" disabled={!value.trim()}>
          Add
        </button>
      </form>
      <div className="ioc-tools">
        <label>
          <input type="checkbox" checked={!!state.filter.ioc} onChange={(e) => dispatch({ type: 'patchFilter', patch: { ioc: e.target.checked } })} /> show only matches
        </label>
        <button className="link" onClick={() => setImportOpen(!importOpen)} aria-expanded={importOpen}>
          Import list…
        </button>
      </div>
      {importOpen && (
        <div className="ioc-import">
          <textarea aria-label="Indicators to import" rows={4} placeholder="One indicator per line, CSV, or a STIX 2.1 bundle" value={importText} onChange={(e) => setImportText(e.target.value)} />
          <select aria-label="Import format" value={importFormat} onChange={(e) => setImportFormat(e.target.value as typeof importFormat)}>
            <option value="text">plain text</option>
            <option value="csv">CSV</option>
            <option value="stix">STIX 2.1</option>
          </select>
          <button disabled={!importText.trim()} onClick={() => doImport(importText, importFormat)}>
            Import
          </button>
          <input aria-label="Import a file" type="file" accept=".txt,.csv,.json" onChange={(e) => e.target.files?.[0] && onFile(e.target.files[0])} />
        </div>
      )}
      {importResult && <p className="ok-text small" role="status">{importResult}</p>}
      <ErrorBox error={error || hits.error} retry={hits.reload} />
      {items.length === 0 && !hits.loading && <p className="muted small">No indicators yet.</p>}
      <ul className="ioc-list" aria-label="Indicator list">
        {items.map((i) => (
          <li key={`${i.type}:${i.value}`} className={i.enabled ? '' : 'disabled'}>
            <div className="ioc-row">
              <input
                type="checkbox"
                aria-label={`Enable ${tip(i.value)}`}
                checked={i.enabled}
                onChange={(e) => act(() => getApi().setIocEnabled({ type: i.type, value: i.value, enabled: e.target.checked }))}
              />
              <span className="ioc-type">{i.type}</span>
              <span className="mono ioc-value" title={tip(i.label ?? i.value)}>
                <Ev v={i.value} />
              </span>
              <span className={`hits${i.hits ? ' some' : ''}`} title={i.firstSeen ? `${utc(i.firstSeen)} – ${utc(i.lastSeen)}` : 'no matching events'}>
                {num(i.hits)}
              </span>
            </div>
            <div className="ioc-actions">
              {i.label && <Ev className="muted small" v={i.label} />}
              {i.hits > 0 && i.firstSeen && (
                <button
                  className="link"
                  onClick={() => {
                    dispatch({ type: 'focus', startMs: Date.parse(i.firstSeen!), endMs: Date.parse(i.lastSeen ?? i.firstSeen!) });
                    dispatch({ type: 'view', view: 'timeline' });
                  }}
                >
                  when
                </button>
              )}
              {PIVOTABLE[i.type] && analysisAvailable('pivot') && (
                <button className="link" onClick={() => setPivot(PIVOTABLE[i.type](i.value))}>
                  pivot from here
                </button>
              )}
              <button className="link danger" onClick={() => act(() => getApi().removeIoc({ type: i.type, value: i.value }))} aria-label={`Remove ${tip(i.value)}`}>
                remove
              </button>
              {i.note && (
                <div className="small warning-text">
                  <Ev v={i.note} max={4000} />
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
      {pivot && <PivotResults seed={pivot} onClose={() => setPivot(null)} />}
    </div>
  );
}
