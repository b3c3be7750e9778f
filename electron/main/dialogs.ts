// Native dialogs (docs/packaging.md): create and open cases, choose import sources and
// report folders. The controller sees only the small Dialogs interface (tests
// pass a scripted one); electronDialogs() implements it with Electron's dialog
// module, attached to the app window.
import type { BrowserWindow, Dialog } from 'electron';

/** store.ts CASE_EXTENSION, repeated: the main process must not load the case store (and with it SQLite). */
export const CASE_EXTENSION = '.trailcase';

export interface Dialogs {
  /** A case file to open, or null when cancelled. */
  openCase(): Promise<string | null>;
  /** Where to create a new case (the extension is added if missing), or null. */
  saveCase(suggestedName: string): Promise<string | null>;
  /** Files (or folders) to import; empty when cancelled. */
  importSources(folders: boolean): Promise<string[]>;
  /** A folder for a report, or null. */
  reportFolder(): Promise<string | null>;
  /** Tell the examiner something (a finished job, a refused file). */
  message(kind: 'info' | 'warning' | 'error', title: string, detail: string): Promise<void>;
}

/** A file name from a case title: letters, digits, dash; never empty. */
export function suggestedCaseFileName(title: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/\s+/g, '-')
    .slice(0, 60);
  return (base || 'case') + CASE_EXTENSION;
}

export function withCaseExtension(path: string): string {
  return path.toLowerCase().endsWith(CASE_EXTENSION) ? path : path + CASE_EXTENSION;
}

export function electronDialogs(dialog: Dialog, window: () => BrowserWindow | null, defaultDir: () => string): Dialogs {
  const parent = () => window() ?? undefined;
  const show = <T>(withParent: (w: BrowserWindow) => Promise<T>, without: () => Promise<T>) => {
    const w = parent();
    return w ? withParent(w) : without();
  };
  return {
    async openCase() {
      const o = { title: 'Open a TrailCase case', defaultPath: defaultDir(), properties: ['openFile'] as const, filters: [{ name: 'TrailCase case', extensions: ['trailcase'] }] };
      const r = await show((w) => dialog.showOpenDialog(w, { ...o, properties: [...o.properties] }), () => dialog.showOpenDialog({ ...o, properties: [...o.properties] }));
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    async saveCase(suggestedName) {
      const o = {
        title: 'Create a TrailCase case',
        defaultPath: `${defaultDir()}/${suggestedName}`,
        buttonLabel: 'Create',
        filters: [{ name: 'TrailCase case', extensions: ['trailcase'] }],
        properties: ['createDirectory', 'showOverwriteConfirmation'] as ('createDirectory' | 'showOverwriteConfirmation')[],
      };
      const r = await show((w) => dialog.showSaveDialog(w, o), () => dialog.showSaveDialog(o));
      return r.canceled || !r.filePath ? null : withCaseExtension(r.filePath);
    },
    async importSources(folders) {
      // Windows and Linux cannot offer files and folders in one dialog: the caller picks which.
      const properties: ('openFile' | 'openDirectory' | 'multiSelections')[] = [folders ? 'openDirectory' : 'openFile', 'multiSelections'];
      const o = {
        title: folders ? 'Import folders of CloudTrail logs' : 'Import CloudTrail log files',
        defaultPath: defaultDir(),
        properties,
        filters: folders ? undefined : [{ name: 'CloudTrail logs', extensions: ['json', 'gz', 'jsonl', 'ndjson', 'csv'] }, { name: 'All files', extensions: ['*'] }],
      };
      const r = await show((w) => dialog.showOpenDialog(w, o), () => dialog.showOpenDialog(o));
      return r.canceled ? [] : r.filePaths;
    },
    async reportFolder() {
      const o = { title: 'Choose a folder for the report', defaultPath: defaultDir(), buttonLabel: 'Write report here', properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
      const r = await show((w) => dialog.showOpenDialog(w, o), () => dialog.showOpenDialog(o));
      return r.canceled || !r.filePaths[0] ? null : r.filePaths[0];
    },
    async message(kind, title, detail) {
      const o = { type: kind, title, message: title, detail, buttons: ['OK'] };
      await show((w) => dialog.showMessageBox(w, o), () => dialog.showMessageBox(o));
    },
  };
}
