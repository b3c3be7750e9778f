// The examiner's workstation (docs/architecture.md, "The renderer"): tabs for the overview, the timeline,
// the event table and the findings; the filter bar and the IOC panel apply to
// all of them; the inspector opens beside whichever view selected an event.
// Each region has its own error boundary: one failure never blanks the window.
import { useEffect } from 'react';
import { getApi, transportName } from './api/transport.ts';
import { useAppState, type View } from './state.tsx';
import { useAsync } from './components/useAsync.ts';
import { ErrorBoundary, ErrorBox } from './components/ErrorBoundary.tsx';
import { Overview } from './views/Overview.tsx';
import { TimelineView } from './views/Timeline.tsx';
import { EventTable } from './views/EventTable.tsx';
import { Findings } from './views/Findings.tsx';
import { Inspector } from './views/Inspector.tsx';
import { IocPanel } from './views/IocPanel.tsx';
import { FilterBar } from './views/FilterBar.tsx';
import { ProfileView } from './views/Profile.tsx';
import { QueryView } from './views/Query.tsx';

const TABS: { view: View; title: string; key: string }[] = [
  { view: 'overview', title: 'Overview', key: '1' },
  { view: 'timeline', title: 'Timeline', key: '2' },
  { view: 'events', title: 'Events', key: '3' },
  { view: 'findings', title: 'Findings', key: '4' },
  { view: 'profile', title: 'Profile', key: '5' },
  { view: 'query', title: 'Query', key: '6' },
];

export function App() {
  const { state, dispatch } = useAppState();
  const info = useAsync(() => getApi().caseInfo({}), [state.version]);
  useEffect(() => {
    // Alt+1..6 switch views; Esc closes the inspector.
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && !e.ctrlKey && !e.metaKey) {
        const t = TABS.find((x) => x.key === e.key);
        if (t) {
          dispatch({ type: 'view', view: t.view });
          e.preventDefault();
        }
      } else if (e.key === 'Escape' && !(e.target as HTMLElement).closest('input, textarea, select')) {
        dispatch({ type: 'select', eventId: null });
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dispatch]);
  useEffect(() => {
    if (info.value) document.title = `${info.value.title} — TrailCase`;
  }, [info.value]);
  return (
    <div className={`app${state.selected ? ' with-inspector' : ''}${state.iocPanel ? ' with-iocs' : ''}`}>
      <header className="topbar">
        <span className="brand">TrailCase</span>
        <span className="case-title" title={info.value?.path}>
          {info.value ? info.value.title : ''}
        </span>
        <nav className="tabs" role="tablist" aria-label="Views">
          {TABS.map((t) => (
            <button
              key={t.view}
              role="tab"
              aria-selected={state.view === t.view}
              className={state.view === t.view ? 'active' : ''}
              onClick={() => dispatch({ type: 'view', view: t.view })}
              title={`Alt+${t.key}`}
            >
              {t.title}
            </button>
          ))}
        </nav>
        <button className="toggle-iocs" aria-pressed={state.iocPanel} onClick={() => dispatch({ type: 'iocPanel', open: !state.iocPanel })}>
          Indicators
        </button>
        <span className="transport muted small">{transportName() === 'electron' ? 'desktop' : 'browser · loopback host'} · times UTC</span>
      </header>
      <ErrorBox error={info.error} retry={info.reload} />
      <ErrorBoundary where="filter bar">
        <FilterBar />
      </ErrorBoundary>
      <div className="workspace">
        {state.iocPanel && (
          <aside className="side-left">
            <ErrorBoundary where="indicator panel">
              <IocPanel />
            </ErrorBoundary>
          </aside>
        )}
        <main className="main" role="tabpanel" aria-label={TABS.find((t) => t.view === state.view)?.title}>
          <ErrorBoundary where={state.view} resetKey={state.view}>
            {state.view === 'overview' && <Overview />}
            {state.view === 'timeline' && <TimelineView />}
            {state.view === 'events' && <EventTable />}
            {state.view === 'findings' && <Findings />}
            {state.view === 'profile' && <ProfileView />}
            {state.view === 'query' && <QueryView />}
          </ErrorBoundary>
        </main>
        {state.selected && (
          <aside className="side-right">
            <ErrorBoundary where="inspector" resetKey={state.selected}>
              <Inspector key={state.selected} eventId={state.selected} />
            </ErrorBoundary>
          </aside>
        )}
      </div>
    </div>
  );
}
