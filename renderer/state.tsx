// The workstation's shared state: the one filter every view applies (timeline,
// table, findings links), the grouping, the selected event (the inspector),
// a requested timeline window, and a version counter that views watch to
// reload after a change (a note, a tag, an IOC, an import).
import { createContext, useContext, useReducer, type Dispatch, type ReactNode } from 'react';
import type { EventFilter } from '../shared/types.ts';
import type { TimelineGroupBy } from '../shared/api/timeline.ts';

export type View = 'overview' | 'timeline' | 'events' | 'findings' | 'profile' | 'query';

/** Whose behaviour profile the Profile view shows (README.md, "Addresses and profiles"). */
export interface ProfileSubject {
  kind: 'principal' | 'key' | 'ip' | 'account';
  value: string;
}
export type Filter = EventFilter & { ioc?: boolean };

export interface Focus {
  startMs: number;
  endMs: number;
  /** Bumped on every request so the same window can be asked twice. */
  seq: number;
}

export interface State {
  view: View;
  filter: Filter;
  /** A short description of an eventIds filter (e.g. the finding it came from). */
  eventIdsLabel: string | null;
  groupBy: TimelineGroupBy;
  selected: string | null;
  focus: Focus | null;
  version: number;
  iocPanel: boolean;
  profile: ProfileSubject | null;
}

export type Action =
  | { type: 'view'; view: View }
  | { type: 'filter'; filter: Filter; eventIdsLabel?: string | null }
  | { type: 'patchFilter'; patch: Partial<Filter> }
  | { type: 'groupBy'; groupBy: TimelineGroupBy }
  | { type: 'select'; eventId: string | null }
  | { type: 'focus'; startMs: number; endMs: number }
  | { type: 'changed' }
  | { type: 'iocPanel'; open: boolean }
  | { type: 'profile'; subject: ProfileSubject };

export function initialState(search = typeof location !== 'undefined' ? location.search : ''): State {
  const p = new URLSearchParams(search);
  const view = p.get('view');
  return {
    view: view === 'timeline' || view === 'events' || view === 'findings' || view === 'overview' || view === 'query' ? view : 'overview',
    profile: null,
    filter: {},
    eventIdsLabel: null,
    groupBy: 'principal',
    selected: null,
    focus: null,
    version: 0,
    iocPanel: true,
  };
}

/** Drop empty lists and false flags, so "no filter" is always {}. */
export function cleanFilter(f: Filter): Filter {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === false || v === '') continue;
    if (Array.isArray(v) && v.length === 0 && k !== 'eventIds') continue;
    out[k] = v;
  }
  return out as Filter;
}

export function reducer(s: State, a: Action): State {
  switch (a.type) {
    case 'view':
      return { ...s, view: a.view };
    case 'filter': {
      const filter = cleanFilter(a.filter);
      return { ...s, filter, eventIdsLabel: filter.eventIds ? (a.eventIdsLabel ?? s.eventIdsLabel) : null };
    }
    case 'patchFilter': {
      const filter = cleanFilter({ ...s.filter, ...a.patch });
      return { ...s, filter, eventIdsLabel: filter.eventIds ? s.eventIdsLabel : null };
    }
    case 'groupBy':
      return { ...s, groupBy: a.groupBy };
    case 'select':
      return { ...s, selected: a.eventId };
    case 'focus':
      return { ...s, focus: { startMs: a.startMs, endMs: a.endMs, seq: (s.focus?.seq ?? 0) + 1 } };
    case 'changed':
      return { ...s, version: s.version + 1 };
    case 'iocPanel':
      return { ...s, iocPanel: a.open };
    case 'profile':
      return { ...s, profile: a.subject, view: 'profile' };
  }
}

const Ctx = createContext<{ state: State; dispatch: Dispatch<Action> } | null>(null);

export function StateProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState());
  return <Ctx.Provider value={{ state, dispatch }}>{children}</Ctx.Provider>;
}

export function useAppState() {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAppState outside StateProvider');
  return v;
}

/** A filter as a stable string key (for effects and caches). */
export function filterKey(f: Filter): string {
  return JSON.stringify(Object.keys(f).sort().map((k) => [k, (f as Record<string, unknown>)[k]]));
}
