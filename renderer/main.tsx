// Renderer entry (bundled by electron/host/bundle.ts into dist/renderer/app.js).
// Styles are imported here so esbuild emits them as app.css: no inline styles.
import 'vis-timeline/styles/vis-timeline-graph2d.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { StateProvider } from './state.tsx';
import { App } from './App.tsx';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';

// Errors outside React (a rejected promise nobody awaited) still reach the examiner.
function showFatal(message: string) {
  const bar = document.getElementById('fatal') ?? document.body.appendChild(Object.assign(document.createElement('div'), { id: 'fatal', className: 'fatal-bar', role: 'alert' }));
  bar.textContent = `Something went wrong: ${message}`;
}
window.addEventListener('unhandledrejection', (e) => showFatal(e.reason instanceof Error ? e.reason.message : String(e.reason)));
window.addEventListener('error', (e) => showFatal(e.message));

createRoot(document.getElementById('root')!).render(
  <ErrorBoundary where="workstation">
    <StateProvider>
      <App />
    </StateProvider>
  </ErrorBoundary>,
);
