// The application menu (docs/packaging.md): the native way to create, open, close and
// switch cases, import, verify and produce a report, whatever the page shows.
// Built as plain data from the app's state so tests check it without Electron.
import type { MenuItemConstructorOptions } from 'electron';
import type { OpenCaseResult, RecentCase } from '../../shared/api/app.ts';

export interface MenuState {
  platform: NodeJS.Platform;
  keyUnlocked: boolean;
  current: OpenCaseResult | null;
  recent: RecentCase[];
  devTools: boolean;
}

export interface MenuActions {
  newCase(): void;
  openCase(): void;
  openRecent(path: string): void;
  closeCase(): void;
  importFiles(): void;
  importFolders(): void;
  verify(): void;
  report(): void;
  quit(): void;
}

export function menuTemplate(s: MenuState, a: MenuActions): MenuItemConstructorOptions[] {
  const open = !!s.current;
  const writable = open && !s.current!.readonly;
  const mac = s.platform === 'darwin';
  const file: MenuItemConstructorOptions = {
    label: '&File',
    submenu: [
      { id: 'new-case', label: 'New Case…', accelerator: 'CmdOrCtrl+N', enabled: s.keyUnlocked, click: a.newCase },
      { id: 'open-case', label: 'Open Case…', accelerator: 'CmdOrCtrl+O', enabled: s.keyUnlocked, click: a.openCase },
      {
        id: 'open-recent',
        label: 'Open Recent',
        enabled: s.keyUnlocked && s.recent.length > 0,
        submenu: s.recent.length
          ? s.recent.map((r, i) => ({ id: `recent-${i}`, label: `${r.title}  —  ${r.path}`, enabled: r.exists, click: () => a.openRecent(r.path) }))
          : [{ label: '(none)', enabled: false }],
      },
      { id: 'close-case', label: 'Close Case', accelerator: 'CmdOrCtrl+W', enabled: open, click: a.closeCase },
      { type: 'separator' },
      { id: 'import-files', label: 'Import Log Files…', accelerator: 'CmdOrCtrl+I', enabled: writable, click: a.importFiles },
      { id: 'import-folders', label: 'Import Folders…', enabled: writable, click: a.importFolders },
      { type: 'separator' },
      { id: 'verify', label: 'Verify Case', enabled: writable, click: a.verify },
      { id: 'report', label: 'Produce Report…', accelerator: 'CmdOrCtrl+P', enabled: writable, click: a.report },
      ...(mac ? [] : ([{ type: 'separator' }, { id: 'quit', label: 'Quit', accelerator: 'Ctrl+Q', click: a.quit }] as MenuItemConstructorOptions[])),
    ],
  };
  const edit: MenuItemConstructorOptions = {
    label: '&Edit',
    submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }],
  };
  const view: MenuItemConstructorOptions = {
    label: '&View',
    submenu: [
      { role: 'reload' },
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' },
      ...(s.devTools ? ([{ role: 'toggleDevTools' }] as MenuItemConstructorOptions[]) : []),
    ],
  };
  const appMenu: MenuItemConstructorOptions[] = mac
    ? [{ label: 'TrailCase', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'hide' }, { role: 'hideOthers' }, { type: 'separator' }, { id: 'quit', label: 'Quit TrailCase', accelerator: 'Cmd+Q', click: a.quit }] }]
    : [];
  return [...appMenu, file, edit, view, { role: 'windowMenu' }];
}
