// The event table (docs/architecture.md, "The renderer"): virtualised (only visible rows exist), sortable,
// chosen columns, the same filter as the timeline, export of the filtered set
// to CSV or JSON, keyboard navigation (arrows, j/k, PgUp/PgDn, Home/End, Enter).
import { useEffect, useRef, useState } from 'react';
import type { EventSummary } from '../../shared/types.ts';
import { getApi } from '../api/transport.ts';
import { filterKey, useAppState, type ProfileSubject } from '../state.tsx';
import { VirtualList } from '../components/VirtualList.tsx';
import { usePages } from '../components/usePages.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { csvHeader, csvRows, jsonChunk, type Column } from '../lib/csv.ts';
import { num, shortArn, utc } from '../lib/format.ts';
import { downloadParts } from '../lib/download.ts';
import { Ev, tip } from '../components/Ev.tsx';
import { ProfileLink } from './Profile.tsx';

type SortKey = 'time' | 'eventName' | 'eventSource' | 'awsRegion' | 'sourceIPAddress' | 'userAgent' | 'principalArn' | 'accessKeyId' | 'errorCode';

interface ColumnDef extends Column {
  width: number;
  sort?: SortKey;
  show: (e: EventSummary) => string;
  /** The principal, key, address or account a cell names: its profile is one click away. */
  subject?: (e: EventSummary) => ProfileSubject | null;
}

const subject = (kind: ProfileSubject['kind'], value: string | null | undefined): ProfileSubject | null => (value ? { kind, value } : null);

export const COLUMNS: ColumnDef[] = [
  { key: 'eventTime', title: 'Time (UTC)', width: 170, sort: 'time', show: (e) => utc(e.eventTime) },
  { key: 'eventName', title: 'Event', width: 190, sort: 'eventName', show: (e) => e.eventName ?? '' },
  { key: 'eventSource', title: 'Service', width: 170, sort: 'eventSource', show: (e) => (e.eventSource ?? '').replace('.amazonaws.com', '') },
  { key: 'principalArn', title: 'Principal', width: 240, sort: 'principalArn', show: (e) => (e.principalArn ? shortArn(e.principalArn) : (e.userName ?? e.identityType ?? '')), subject: (e) => subject('principal', e.principalArn ?? e.userName) },
  { key: 'sourceIPAddress', title: 'Source IP', width: 130, sort: 'sourceIPAddress', show: (e) => e.sourceIPAddress ?? '', subject: (e) => subject('ip', e.sourceIPAddress) },
  { key: 'awsRegion', title: 'Region', width: 110, sort: 'awsRegion', show: (e) => e.awsRegion ?? '' },
  { key: 'recipientAccountId', title: 'Account', width: 120, show: (e) => e.recipientAccountId ?? '', subject: (e) => subject('account', e.recipientAccountId) },
  { key: 'accessKeyId', title: 'Access key', width: 170, sort: 'accessKeyId', show: (e) => e.accessKeyId ?? '', subject: (e) => subject('key', e.accessKeyId) },
  { key: 'errorCode', title: 'Error', width: 140, sort: 'errorCode', show: (e) => e.errorCode ?? '' },
  { key: 'userAgent', title: 'User agent', width: 260, sort: 'userAgent', show: (e) => e.userAgent ?? '' },
  { key: 'userName', title: 'User name', width: 130, show: (e) => e.userName ?? '', subject: (e) => subject('principal', e.userName) },
  { key: 'identityType', title: 'Identity type', width: 120, show: (e) => e.identityType ?? '' },
  { key: 'readOnly', title: 'Read-only', width: 80, show: (e) => (e.readOnly === null ? '' : e.readOnly ? 'yes' : 'no') },
  { key: 'eventId', title: 'Event ID', width: 290, show: (e) => e.eventId },
  { key: 'requestId', title: 'Request ID', width: 250, show: (e) => e.requestId ?? '' },
  { key: 'evidenceId', title: 'Evidence', width: 80, show: (e) => String(e.evidenceId) },
];
const DEFAULT_COLUMNS = ['eventTime', 'eventName', 'eventSource', 'principalArn', 'sourceIPAddress', 'awsRegion', 'errorCode'];
const COLUMNS_KEY = 'trailcase.tableColumns';
const PAGE = 200;
/** A cell shows at most this much of a value (a 2 MB user agent included), with the full length stated; the inspector shows it all. */
const CELL_MAX = 300;
const ROW_HEIGHT = 26;
/** The most rows one export writes (a browser holds the file in memory before saving it). */
export const EXPORT_MAX = 1_000_000;
const EXPORT_PAGE = 20_000;

function loadColumns(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(COLUMNS_KEY) ?? 'null');
    if (Array.isArray(v) && v.every((x) => COLUMNS.some((c) => c.key === x))) return v;
  } catch {
    /* default below */
  }
  return DEFAULT_COLUMNS;
}

export function EventTable() {
  const { state, dispatch } = useAppState();
  const [sort, setSort] = useState<SortKey>('time');
  const [desc, setDesc] = useState(false);
  const [cols, setCols] = useState<string[]>(loadColumns);
  const [error, setError] = useState<unknown>(null);
  const [sel, setSel] = useState<number | null>(null);
  const [chooser, setChooser] = useState(false);
  const [exporting, setExporting] = useState<{ done: number; total: number; format: string } | null>(null);
  const cancelExport = useRef(false);
  const key = `${filterKey(state.filter)}|${sort}|${desc}|${state.version}`;
  const { rowAt, onRange, total, error: pageError, retry } = usePages<EventSummary>(key, PAGE, async (offset, limit) => {
    const r = await getApi().searchEvents({ filter: state.filter, offset, limit, sort, desc });
    return { rows: r.events, total: r.total };
  });
  useEffect(() => setSel(null), [key]);

  const shown = COLUMNS.filter((c) => cols.includes(c.key));
  const gridTemplate = shown.map((c) => `${c.width}px`).join(' ');

  const select = (i: number) => {
    setSel(i);
    const e = rowAt(i);
    if (e) dispatch({ type: 'select', eventId: e.eventId });
  };

  const toggleCol = (k: string) => {
    const next = cols.includes(k) ? cols.filter((c) => c !== k) : COLUMNS.filter((c) => c.key === k || cols.includes(c.key)).map((c) => c.key);
    if (!next.length) return;
    setCols(next);
    localStorage.setItem(COLUMNS_KEY, JSON.stringify(next));
  };

  const exportAs = async (format: 'csv' | 'json') => {
    const n = Math.min(total ?? 0, EXPORT_MAX);
    cancelExport.current = false;
    setExporting({ done: 0, total: n, format });
    const parts: string[] = [];
    const columns: Column[] = shown.map(({ key: k, title }) => ({ key: k, title }));
    parts.push(format === 'csv' ? csvHeader(columns) : '[\n');
    try {
      for (let off = 0; off < n && !cancelExport.current; off += EXPORT_PAGE) {
        const r = await getApi().searchEvents({ filter: state.filter, offset: off, limit: Math.min(EXPORT_PAGE, n - off), sort, desc });
        parts.push(format === 'csv' ? csvRows(r.events, columns) : jsonChunk(r.events, off === 0));
        setExporting({ done: Math.min(n, off + r.events.length), total: n, format });
        if (r.events.length === 0) break;
      }
      if (cancelExport.current) return;
      if (format === 'json') parts.push('\n]\n');
      downloadParts(`trailcase-events-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`, parts, format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json');
    } catch (e) {
      setError(e);
    } finally {
      setExporting(null);
    }
  };

  return (
    <section className="table-view" aria-label="Events">
      <div className="toolbar">
        <span className="count">{total === null ? 'Loading…' : `${num(total)} events`}</span>
        <button onClick={() => setChooser(!chooser)} aria-expanded={chooser}>
          Columns…
        </button>
        <button disabled={!total || !!exporting} onClick={() => exportAs('csv')}>
          Export CSV
        </button>
        <button disabled={!total || !!exporting} onClick={() => exportAs('json')}>
          Export JSON
        </button>
        {total !== null && total > EXPORT_MAX && <span className="hint">exports hold the first {num(EXPORT_MAX)} rows in this order</span>}
        {exporting && (
          <span className="export-progress" role="status">
            <progress max={exporting.total} value={exporting.done} /> {num(exporting.done)} / {num(exporting.total)}
            <button onClick={() => (cancelExport.current = true)}>Cancel</button>
          </span>
        )}
      </div>
      {chooser && (
        <div className="column-chooser" role="group" aria-label="Columns">
          {COLUMNS.map((c) => (
            <label key={c.key}>
              <input type="checkbox" checked={cols.includes(c.key)} onChange={() => toggleCol(c.key)} /> {c.title}
            </label>
          ))}
        </div>
      )}
      <ErrorBox error={pageError ?? error} retry={retry} />
      <div className="table-scroll">
        <div className="table-inner" style={{ width: Math.max(600, shown.reduce((w, c) => w + c.width, 0)) }}>
        <div className="thead" role="row" style={{ gridTemplateColumns: gridTemplate }}>
          {shown.map((c) => (
            <div
              key={c.key}
              role="columnheader"
              className={c.sort ? 'sortable' : ''}
              aria-sort={c.sort === sort ? (desc ? 'descending' : 'ascending') : 'none'}
              onClick={() => {
                if (!c.sort) return;
                if (c.sort === sort) setDesc(!desc);
                else {
                  setSort(c.sort);
                  setDesc(false);
                }
              }}
              title={c.sort ? 'Sort' : 'Not sortable (not indexed)'}
            >
              {c.title}
              {c.sort === sort ? (desc ? ' ▼' : ' ▲') : ''}
            </div>
          ))}
        </div>
        <VirtualList
          label="Events"
          className="tbody"
          count={total ?? 0}
          rowHeight={ROW_HEIGHT}
          onRange={onRange}
          selected={sel}
          onSelect={select}
          onActivate={select}
          renderRow={(i) => {
            const e = rowAt(i);
            const cls = `trow${i === sel ? ' selected' : ''}${e && e.eventId === state.selected ? ' inspected' : ''}${e?.errorCode ? ' err' : ''}`;
            return (
              <div key={i} role="row" aria-rowindex={i + 1} className={cls} style={{ gridTemplateColumns: gridTemplate, height: ROW_HEIGHT }} onClick={() => select(i)}>
                {e ? shown.map((c) => {
                  const s = c.subject?.(e);
                  return (
                    <div key={c.key} role="gridcell" title={tip(c.show(e))} className={s ? 'has-profile' : undefined}>
                      {s ? (
                        <span className="cell-text">
                          <Ev v={c.show(e)} max={CELL_MAX} />
                        </span>
                      ) : (
                        <Ev v={c.show(e)} max={CELL_MAX} />
                      )}
                      {s && <ProfileLink kind={s.kind} value={s.value} label={c.title.toLowerCase()} text="profile" />}
                    </div>
                  );
                }) : <div className="loading-row">…</div>}
              </div>
            );
          }}
        />
        </div>
      </div>
    </section>
  );
}
