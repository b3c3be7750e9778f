// The timeline (docs/architecture.md, "The renderer"). vis-timeline draws it, but it is never handed more
// than a bounded number of items: for a wide window the back end answers with
// density (counts per group per bucket, in SQL) which is drawn as ONE item per
// group - a canvas strip, one pixel column per bucket - and individual events
// only arrive once the window holds at most `itemLimit` of them. Every zoom or
// pan asks the back end again for the new window (debounced).
import { useCallback, useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Timeline as VisTimeline, type TimelineOptions } from 'vis-timeline/peer';
import { DataSet } from 'vis-data/peer';
import moment from 'moment';
import {
  OTHER_GROUP, TIMELINE_GROUPINGS, TIMELINE_DEFAULT_ITEMS, TIMELINE_MAX_ITEMS, type DensityCell, type TimelineGroupBy, type TimelineWindow,
} from '../../shared/api/timeline-types.ts';
import { getApi } from '../api/transport.ts';
import { filterKey, useAppState } from '../state.tsx';
import { duration, num, parseUtc, shortArn, utc } from '../lib/format.ts';
import { ErrorBox } from '../components/ErrorBoundary.tsx';
import { displayText } from '../../shared/text/display.ts';

const GROUP_TITLES: Record<TimelineGroupBy, string> = {
  principal: 'Principal',
  role: 'Principal (sessions under their role)',
  ip: 'Source IP',
  service: 'Service',
  account: 'Account',
  region: 'Region',
  country: 'Country (address enrichment)',
  asn: 'Network / ASN (address enrichment)',
};

/** The item bound: ?itemLimit=N in the page URL (tests and benchmarks), else the default. */
export function itemLimit(search = location.search): number {
  const v = Number(new URLSearchParams(search).get('itemLimit'));
  return Number.isInteger(v) && v >= 1 ? Math.min(v, TIMELINE_MAX_ITEMS) : TIMELINE_DEFAULT_ITEMS;
}

interface VisItem {
  id: string;
  group: string;
  start: Date;
  end?: Date;
  type: 'point' | 'range';
  content: string | HTMLElement;
  title?: string;
  className?: string;
  selectable?: boolean;
  limitSize?: boolean;
  align?: 'left';
}

interface VisGroup {
  id: string;
  content: HTMLElement;
  title: string;
  order: number;
  className?: string;
}

type Cause = 'first-paint' | 'zoom' | 'pan' | 'filter' | 'group' | 'focus' | 'reload';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A label from the evidence (docs/architecture.md, "Display integrity"): isolated (<bdi>), hidden characters escaped, shortened. */
function textEl(text: string, cls?: string): HTMLElement {
  const e = document.createElement('bdi');
  e.textContent = displayText(text, 200);
  if (cls) e.className = cls;
  return e;
}

function groupLabel(groupBy: TimelineGroupBy, label: string): string {
  // Sessions differ at the end of the ARN: drop the "assumed-role/" prefix so the session name stays visible (the full ARN is the row's title).
  return groupBy === 'principal' ? shortArn(label).replace(/^assumed-role\//, '') : label;
}

/** One group's density as a canvas strip: a pixel column per bucket, darker for more events, red where indicators matched. */
function densityCanvas(reuse: HTMLCanvasElement | undefined, cells: DensityCell[], startMs: number, bucketMs: number, buckets: number, max: number): HTMLCanvasElement {
  // The same element is redrawn in place on every zoom: vis-timeline then sees unchanged content and moves the item instead of rebuilding it.
  const c = reuse ?? document.createElement('canvas');
  c.width = Math.max(1, buckets); // also clears it
  c.height = 1;
  c.className = 'density-strip';
  const ctx = c.getContext('2d');
  if (!ctx) return c;
  const img = ctx.createImageData(c.width, 1);
  const scale = Math.log1p(max);
  for (const cell of cells) {
    const x = Math.floor((cell.bucketMs - startMs) / bucketMs);
    if (x < 0 || x >= c.width) continue;
    // Log scale, with a floor so that a single event is still visible.
    const a = 0.25 + 0.75 * (Math.log1p(cell.count) / scale);
    const o = x * 4;
    if (cell.ioc > 0) [img.data[o], img.data[o + 1], img.data[o + 2]] = [200, 30, 45];
    else [img.data[o], img.data[o + 1], img.data[o + 2]] = [37, 99, 185];
    img.data[o + 3] = Math.round(255 * a);
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

interface Shown {
  mode: TimelineWindow['mode'];
  startMs: number;
  endMs: number;
  total: number;
  groups: number;
  otherValues: number;
  bucketMs?: number;
  items?: number;
  /** Country and ASN groupings: what the enrichment answers cannot say yet. */
  note?: string;
}

export function TimelineView() {
  const { state, dispatch } = useAppState();
  const hostRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const tlRef = useRef<VisTimeline | null>(null);
  const itemsRef = useRef(new DataSet<VisItem>());
  const groupsRef = useRef(new DataSet<VisGroup>());
  const seqRef = useRef(0);
  const shownRef = useRef<Shown | null>(null);
  const cellsRef = useRef(new Map<string, Map<number, DensityCell>>());
  const labelsRef = useRef(new Map<string, string>());
  const eventOrderRef = useRef<{ id: string; t: number }[]>([]);
  const debounceRef = useRef<ReturnType<typeof setTimeout> | null>(null);
  const firstPaintDone = useRef(false);
  const maxDomItems = useRef(0);
  const groupSigRef = useRef('');
  const canvasesRef = useRef(new Map<string, HTMLCanvasElement>());
  /** The window vis-timeline shows, as last seen by rangechanged or set by a fit. */
  const lastRange = useRef<{ start: number; end: number } | null>(null);
  const [shown, setShown] = useState<Shown | null>(null);
  const [enriching, setEnriching] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const [hover, setHover] = useState<string>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const limit = useRef(itemLimit()).current;
  // The latest props for callbacks registered once on the vis instance.
  const live = useRef({ filter: state.filter, groupBy: state.groupBy, selected: state.selected });
  live.current = { filter: state.filter, groupBy: state.groupBy, selected: state.selected };

  /** Ask the back end for a window (undefined: the whole filtered case) and draw the answer. */
  const load = useCallback(async (win: { startMs: number; endMs: number } | undefined, cause: Cause, t0 = performance.now()) => {
    const tl = tlRef.current;
    if (!tl) return;
    const seq = ++seqRef.current;
    const tAsk = performance.now();
    setLoading(true);
    wrapRef.current?.setAttribute('data-state', 'loading');
    const width = hostRef.current?.clientWidth ?? 1000;
    let w: TimelineWindow;
    try {
      w = await getApi().timelineWindow({
        filter: live.current.filter,
        groupBy: live.current.groupBy,
        ...(win ? { startMs: Math.round(win.startMs), endMs: Math.round(win.endMs) } : {}),
        maxItems: limit,
        // About one bucket per 4 px of timeline.
        buckets: Math.max(20, Math.min(600, Math.round(width / 4))),
      });
    } catch (e) {
      if (seq === seqRef.current) {
        setError(e);
        setLoading(false);
        wrapRef.current?.setAttribute('data-state', 'error');
      }
      return;
    }
    if (seq !== seqRef.current) return; // a newer request superseded this one
    const tFetched = performance.now();
    setError(null);
    draw(w, win === undefined);
    const tDrawn = performance.now();
    // Wait for vis-timeline's redraw and the browser's next frame: that is when the examiner sees it.
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        tl.off('changed', finish);
        requestAnimationFrame(() => resolve());
      };
      tl.on('changed', finish);
      tl.redraw();
      setTimeout(finish, 1000);
    });
    if (seq !== seqRef.current) return;
    const domItems = hostRef.current?.querySelectorAll('.vis-item').length ?? 0;
    maxDomItems.current = Math.max(maxDomItems.current, domItems);
    const name = firstPaintDone.current ? `timeline:${cause}` : 'timeline:first-paint';
    const tEnd = performance.now();
    performance.measure(name, { start: firstPaintDone.current ? t0 : 0, end: tEnd });
    // Where the time went: asking the back end, filling vis-timeline's data sets, vis-timeline's redraw and the frame.
    performance.measure('timeline:part:before', { start: Math.min(t0, tAsk), end: tAsk });
    performance.measure('timeline:part:fetch', { start: tAsk, end: tFetched });
    performance.measure('timeline:part:data', { start: tFetched, end: tDrawn });
    performance.measure('timeline:part:render', { start: tDrawn, end: tEnd });
    firstPaintDone.current = true;
    const el = wrapRef.current;
    if (el) {
      el.setAttribute('data-state', 'ready');
      el.setAttribute('data-mode', w.mode);
      el.setAttribute('data-seq', String(seq));
      el.setAttribute('data-dom-items', String(domItems));
      el.setAttribute('data-max-dom-items', String(maxDomItems.current));
    }
    setLoading(false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  /** Put one answer into vis-timeline's data sets (replacing the previous window's). */
  const draw = (w: TimelineWindow, fit: boolean) => {
    const tl = tlRef.current!;
    const groupBy = live.current.groupBy;
    const groups: VisGroup[] = w.groups.map((g, i) => ({
      id: g.id,
      content: textEl(g.id === OTHER_GROUP ? g.label : groupLabel(groupBy, g.label), g.id === OTHER_GROUP ? 'group-other' : undefined),
      // No count here: a title that changes with every zoom would make vis-timeline lay the groups out again.
      title: displayText(g.label, 1000),
      order: i,
    }));
    labelsRef.current = new Map(w.groups.map((g) => [g.id, g.label]));
    let items: VisItem[];
    cellsRef.current = new Map();
    if (w.mode === 'density') {
      const buckets = Math.round((w.endMs + 1 - w.startMs) / w.bucketMs);
      const byGroup = new Map<string, DensityCell[]>();
      let max = 1;
      for (const c of w.cells) {
        let list = byGroup.get(c.group);
        if (!list) byGroup.set(c.group, (list = []));
        list.push(c);
        max = Math.max(max, c.count);
        let m = cellsRef.current.get(c.group);
        if (!m) cellsRef.current.set(c.group, (m = new Map()));
        m.set(c.bucketMs, c);
      }
      items = w.groups.map((g) => {
        const cells = byGroup.get(g.id) ?? [];
        return {
          id: `d:${g.id}`,
          group: g.id,
          start: new Date(w.startMs),
          end: new Date(w.endMs + 1),
          type: 'range',
          content: densityCanvas(canvasesRef.current.get(g.id), cells, w.startMs, w.bucketMs, buckets, max),
          className: 'density',
          selectable: false,
          limitSize: false,
          align: 'left',
        };
      });
      canvasesRef.current = new Map(items.map((it) => [it.group, it.content as HTMLCanvasElement]));
      eventOrderRef.current = [];
    } else {
      const labels = w.items.length <= 150;
      items = w.items.map((it) => {
        // The back end marks each event with the highest severity of the findings resting on it.
        const s = it.severity;
        const cls = ['ev', it.ioc ? 'ioc' : '', it.errorCode ? 'err' : '', s ? `sev-${s}` : ''].filter(Boolean).join(' ');
        return {
          id: it.eventId,
          group: it.group,
          start: new Date(it.timeMs),
          type: 'point',
          content: labels ? textEl(it.eventName ?? '?') : '',
          title: escapeHtml(`${utc(it.timeMs)}  ${displayText(it.eventSource, 200)} ${displayText(it.eventName, 200)}${it.errorCode ? `  (${displayText(it.errorCode, 200)})` : ''}${it.ioc ? '  IOC match' : ''}${s ? `  finding: ${s}` : ''}`),
          className: cls,
        };
      });
      eventOrderRef.current = w.items.map((it) => ({ id: it.eventId, t: it.timeMs }));
    }
    // Replace the data: remove what is gone, then add/update the rest (vis only re-renders what changed).
    const ids = new Set(items.map((i) => i.id));
    const gone = itemsRef.current.getIds().filter((id) => !ids.has(String(id)));
    itemsRef.current.remove(gone);
    // Groups are only touched when they change (a relayout of every row otherwise).
    const sig = w.groups.map((g) => `${g.id}\u0001${g.label}`).join('\u0002');
    if (sig !== groupSigRef.current) {
      groupSigRef.current = sig;
      const gids = new Set(groups.map((g) => g.id));
      groupsRef.current.remove(groupsRef.current.getIds().filter((id) => !gids.has(String(id))));
      groupsRef.current.update(groups);
    }
    itemsRef.current.update(items);
    const s: Shown = {
      mode: w.mode,
      startMs: w.startMs,
      endMs: w.endMs,
      total: w.total,
      groups: w.groups.length,
      otherValues: w.otherValues,
      bucketMs: w.mode === 'density' ? w.bucketMs : undefined,
      items: w.mode === 'items' ? w.items.length : undefined,
      note: w.note,
    };
    shownRef.current = s;
    setShown(s);
    if (fit && w.total > 0) {
      // A little margin so the first and last events are not on the edge.
      const pad = Math.max(5_000, (w.endMs - w.startMs) * 0.02);
      lastRange.current = { start: w.startMs - pad, end: w.endMs + pad };
      tl.setWindow(w.startMs - pad, w.endMs + pad, { animation: false });
    }
    if (live.current.selected && ids.has(live.current.selected)) tl.setSelection([live.current.selected]);
  };

  /** A new window on screen: load it after `delay` ms (the examiner may still be moving), unless it is the one already asked for. */
  const onRange = (start: number, end: number, delay: number, t0: number) => {
    const prev = lastRange.current;
    if (prev && Math.abs(prev.start - start) < 1 && Math.abs(prev.end - end) < 1) return;
    const zoomed = !prev || Math.abs(end - start - (prev.end - prev.start)) > 1;
    lastRange.current = { start, end };
    if (debounceRef.current) clearTimeout(debounceRef.current);
    debounceRef.current = setTimeout(() => load({ startMs: start, endMs: end }, zoomed ? 'zoom' : 'pan', t0), delay);
  };
  /** Show a window chosen here (keys, buttons, a click, a finding) and ask for it at once. */
  const show = (start: number, end: number) => {
    const tl = tlRef.current;
    if (!tl) return;
    const t0 = performance.now();
    tl.setWindow(start, end, { animation: false });
    const w = tl.getWindow(); // as vis-timeline clamped it (zoomMin, zoomMax)
    onRange(w.start.getTime(), w.end.getTime(), 0, t0);
  };

  // Create the vis-timeline once.
  useEffect(() => {
    const el = hostRef.current!;
    const options: TimelineOptions = {
      stack: false,
      orientation: { axis: 'top', item: 'top' },
      // Whole case down to ten seconds on screen.
      zoomMin: 10_000,
      zoomMax: 20 * 365 * 86_400_000,
      // All times UTC (docs/architecture.md, "The renderer"), whatever the machine's zone.
      moment: (d: moment.MomentInput) => moment(d).utc(),
      showCurrentTime: false,
      selectable: true,
      multiselect: false,
      height: '100%',
      verticalScroll: true,
      horizontalScroll: false,
      groupOrder: 'order',
      margin: { item: { horizontal: 0, vertical: 3 }, axis: 4 },
      tooltip: { followMouse: false, delay: 150, overflowMethod: 'cap' },
      xss: { disabled: false },
    };
    const tl = new VisTimeline(el, itemsRef.current as never, groupsRef.current as never, options);
    // vis-timeline fits its window to the items once, on its first 'changed' event. When the first
    // answer was drawn before that event (a busy machine), that fit replaced the window this view
    // had chosen (the events with a margin) and, through 'rangechanged', asked for a second window:
    // the cause of an intermittent failure of "the timeline's window is one request". This view
    // chooses every window itself, so the one-time fit is marked done.
    (tl as unknown as { initialFitDone: boolean }).initialFitDone = true;
    tlRef.current = tl;
    // The examiner dragging or wheeling: ask once the movement pauses. vis-timeline's own
    // 'rangechanged' comes 200 ms after a programmatic change, too late; it is only a fallback here.
    tl.on('rangechange', (p: { start: Date; end: Date; byUser: boolean }) => {
      if (p.byUser) onRange(p.start.getTime(), p.end.getTime(), 150, performance.now());
    });
    tl.on('rangechanged', (p: { start: Date; end: Date }) => onRange(p.start.getTime(), p.end.getTime(), 0, performance.now()));
    tl.on('select', (p: { items: (string | number)[] }) => {
      const id = p.items[0];
      if (id !== undefined && !String(id).startsWith('d:')) dispatch({ type: 'select', eventId: String(id) });
    });
    tl.on('click', (p: { item: string | number | null; time: Date; what: string }) => {
      // Clicking density zooms in eight times around that moment.
      if (p.item !== null && String(p.item).startsWith('d:')) {
        const w = tl.getWindow();
        const span = (w.end.getTime() - w.start.getTime()) / 8;
        const t = p.time.getTime();
        show(t - span / 2, t + span / 2);
      }
    });
    tl.on('mouseMove', (p: { group: string | number | null; time: Date; what: string | null }) => {
      const s = shownRef.current;
      if (!s || s.mode !== 'density' || p.group === null || !s.bucketMs) return setHover('');
      const t = p.time.getTime();
      const b = s.startMs + Math.floor((t - s.startMs) / s.bucketMs) * s.bucketMs;
      const cell = cellsRef.current.get(String(p.group))?.get(b);
      const label = displayText(labelsRef.current.get(String(p.group)) ?? '', 200);
      setHover(`${label} · ${utc(b, 'min')} – ${utc(b + s.bucketMs, 'min')} · ${num(cell?.count ?? 0)} events${cell?.ioc ? `, ${num(cell.ioc)} matching indicators` : ''}`);
    });
    return () => {
      tl.destroy();
      tlRef.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The filter changed: fit to the filtered events (this is what "filter by this IP" means to an examiner).
  const fk = filterKey(state.filter);
  const firstLoad = useRef(true);
  useEffect(() => {
    const cause: Cause = firstLoad.current ? 'first-paint' : 'filter';
    firstLoad.current = false;
    load(undefined, cause);
  }, [fk, load]);

  // Grouping or an examiner's change: same window, new answer.
  const skipGroup = useRef(true);
  useEffect(() => {
    if (skipGroup.current) {
      skipGroup.current = false;
      return;
    }
    const r = lastRange.current;
    load(r ? { startMs: r.start, endMs: r.end } : undefined, 'group');
  }, [state.groupBy, state.version, load]);

  // A window requested elsewhere (a finding, the overview).
  useEffect(() => {
    const f = state.focus;
    if (!f || !tlRef.current) return;
    const pad = Math.max(30_000, (f.endMs - f.startMs) * 0.1);
    show(f.startMs - pad, f.endMs + pad);
    // Only a new request moves the window; `show` reads refs and is remade every render.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state.focus]);

  // Keep the selection in sync with the inspector.
  useEffect(() => {
    const tl = tlRef.current;
    if (!tl) return;
    if (state.selected && itemsRef.current.get(state.selected)) tl.setSelection([state.selected]);
    else tl.setSelection([]);
  }, [state.selected]);

  const zoom = (factor: number) => {
    const tl = tlRef.current;
    if (!tl) return;
    const w = tl.getWindow();
    const c = (w.start.getTime() + w.end.getTime()) / 2;
    const half = ((w.end.getTime() - w.start.getTime()) * factor) / 2;
    show(c - half, c + half);
  };
  const pan = (fraction: number) => {
    const tl = tlRef.current;
    if (!tl) return;
    const w = tl.getWindow();
    const d = (w.end.getTime() - w.start.getTime()) * fraction;
    show(w.start.getTime() + d, w.end.getTime() + d);
  };
  const step = (dir: 1 | -1) => {
    const order = eventOrderRef.current;
    if (!order.length) return;
    const cur = live.current.selected ? order.findIndex((o) => o.id === live.current.selected) : -1;
    const next = cur < 0 ? (dir > 0 ? 0 : order.length - 1) : Math.max(0, Math.min(order.length - 1, cur + dir));
    dispatch({ type: 'select', eventId: order[next].id });
    tlRef.current?.setSelection([order[next].id]);
  };
  const onKey = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).closest('input, select, textarea, button')) return;
    const k = e.key;
    if (k === '+' || k === '=') zoom(0.5);
    else if (k === '-' || k === '_') zoom(2);
    else if (k === 'ArrowLeft') pan(-0.2);
    else if (k === 'ArrowRight') pan(0.2);
    else if (k === 'Home' || k === '0') load(undefined, 'reload');
    else if (k === ']' || k === 'n') step(1);
    else if (k === '[' || k === 'p') step(-1);
    else return;
    e.preventDefault();
  };
  /** Country/ASN groupings before enrichment: answer the case's addresses (a custody-logged write), then draw again. */
  const enrich = async () => {
    setEnriching(true);
    try {
      await getApi().enrichAddresses({});
      await load(lastRange.current ? { startMs: lastRange.current.start, endMs: lastRange.current.end } : undefined, 'reload');
    } catch (e) {
      setError(e);
    } finally {
      setEnriching(false);
    }
  };
  const goTo = () => {
    const a = parseUtc(from);
    const b = parseUtc(to);
    if (a === null || b === null || b <= a) {
      setError(new Error('Give a start and an end time in UTC, e.g. 2024-08-01 12:00 and 2024-08-01 13:00; the end after the start.'));
      return;
    }
    setError(null);
    show(a, b);
  };

  return (
    <section className="timeline-view" aria-label="Timeline">
      <div className="toolbar">
        <label>
          Group by{' '}
          <select value={state.groupBy} onChange={(e) => dispatch({ type: 'groupBy', groupBy: e.target.value as TimelineGroupBy })} aria-label="Group by">
            {TIMELINE_GROUPINGS.map((g) => (
              <option key={g} value={g}>
                {GROUP_TITLES[g]}
              </option>
            ))}
          </select>
        </label>
        <span className="btn-group">
          <button onClick={() => zoom(0.5)} title="Zoom in (+)" aria-label="Zoom in">+</button>
          <button onClick={() => zoom(2)} title="Zoom out (-)" aria-label="Zoom out">−</button>
          <button onClick={() => load(undefined, 'reload')} title="Whole case (Home)">Fit</button>
        </span>
        <form
          className="window-form"
          onSubmit={(e) => {
            e.preventDefault();
            goTo();
          }}
        >
          <input aria-label="Window start (UTC)" placeholder="from (UTC)" value={from} onChange={(e) => setFrom(e.target.value)} size={17} />
          <input aria-label="Window end (UTC)" placeholder="to (UTC)" value={to} onChange={(e) => setTo(e.target.value)} size={17} />
          <button type="submit">Go</button>
        </form>
        <span className="timeline-status" aria-live="polite">
          {loading ? 'Loading… ' : ''}
          {shown &&
            (shown.mode === 'density'
              ? `${num(shown.total)} events · density per ${duration(shown.bucketMs!)} · zoom in to see events (≤ ${num(limit)})`
              : `${num(shown.items!)} events shown`)}
          {shown && shown.otherValues > 0 ? ` · ${num(shown.otherValues)} smaller groups merged into "others"` : ''}
        </span>
      </div>
      {shown?.note && (
        <p className="timeline-note" role="status">
          {shown.note}{' '}
          <button onClick={enrich} disabled={enriching}>
            {enriching ? 'Enriching…' : 'Enrich addresses'}
          </button>
        </p>
      )}
      <ErrorBox error={error} retry={() => load(lastRange.current ? { startMs: lastRange.current.start, endMs: lastRange.current.end } : undefined, 'reload')} />
      <div ref={wrapRef} className="timeline-wrap" tabIndex={0} onKeyDown={onKey} aria-label="Timeline: + and - zoom, arrows pan, n and p step through events" data-state="loading">
        <div ref={hostRef} className="timeline-host" />
        {shown && shown.total === 0 && !loading && <div className="empty-note">No events match the filter.</div>}
      </div>
      <div className="timeline-foot">
        <span className="legend">
          <i className="lg lg-density" /> events <i className="lg lg-ioc" /> indicator match <i className="lg lg-err" /> error
          <i className="lg lg-sev" /> finding
        </span>
        <span className="hover-readout">{hover || `Times in UTC${shown ? ` · window ${utc(shown.startMs, 'min')} – ${utc(shown.endMs, 'min')}` : ''}`}</span>
      </div>
    </section>
  );
}

