// The Electron main process of the TrailCase desktop app (docs/packaging.md). Thin on
// purpose: the policies live in security.ts (one marked block), IPC in ipc.ts
// (one validating wrapper), the app's behaviour in app-controller.ts, the case
// in a utility process (case-process.ts) so the window never waits on SQLite,
// an import or a check. Bundled by build/bundle-app.ts into
// <app>/electron/main.mjs, next to preload.cjs, case-process.mjs and
// worker-boot.js; the UI bundle is <app>/renderer/, this shell's start page
// <app>/shell/.
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, safeStorage, session, shell, utilityProcess } from 'electron';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpenCaseResult } from '../../shared/api/app.ts';
import type { JobStatus } from '../../shared/types.ts';
import type { PdfPrintOptions } from '../report/pdf.ts';
import { AppController } from './app-controller.ts';
import { CaseBridge, type ChildLike } from './case-bridge.ts';
import { CASE_EXTENSION, electronDialogs } from './dialogs.ts';
import { registerIpc } from './ipc.ts';
import { KeyVault } from './key-vault.ts';
import { menuTemplate } from './menu.ts';
import { electronPdfPrinter } from './pdf-printer.ts';
import { serveAppRequest } from './protocol.ts';
import { RecentCases } from './recent.ts';
import {
  APP_INDEX_URL,
  APP_ORIGIN,
  APP_PARTITION,
  APP_SCHEME,
  applySessionPolicy,
  applyWebContentsPolicy,
  COMMAND_LINE_SWITCHES,
  mainWindowOptions,
  openExternalUrl,
  PRIVILEGED_SCHEMES,
} from './security.ts';

declare const __TRAILCASE_BUILD_HASH__: string | undefined;

const here = dirname(fileURLToPath(import.meta.url));
const APP_DIR = join(here, '..');
const PATHS = {
  preload: join(here, 'preload.cjs'),
  caseProcess: join(here, 'case-process.mjs'),
  renderer: join(APP_DIR, 'renderer'),
  shellPages: join(APP_DIR, 'shell'),
};
const LAUNCHER_URL = `${APP_ORIGIN}/__shell/index.html`;
const devTools = !app.isPackaged || process.env.TRAILCASE_DEVTOOLS === '1';
const log = (line: string) => process.stderr.write(`[trailcase] ${line}\n`);

// The build hash of the sources this bundle was made from (electron/version.ts
// would otherwise hash files that are not in the package); the case process inherits it.
if (typeof __TRAILCASE_BUILD_HASH__ === 'string' && !process.env.TRAILCASE_BUILD_HASH) process.env.TRAILCASE_BUILD_HASH = __TRAILCASE_BUILD_HASH__;

// ---- `TrailCase --cli COMMAND …`: the command line, no window -----------------
// The installed app's `trailcase` command (build/resources/cli/, docs/packaging.md)
// runs the bundled CLI (electron/cli.mjs) in this process. Not ELECTRON_RUN_AS_NODE:
// the RunAsNode fuse stays off (build/after-pack.mjs), and this runs only our own code.
const cliAt = process.argv.indexOf('--cli');
if (cliAt >= 0) {
  app.dock?.hide();
  const cli = join(here, 'cli.mjs');
  process.argv = [process.argv[0], cli, ...process.argv.slice(cliAt + 1)];
  await import(pathToFileURL(cli).href);
  // The CLI exits the process itself once its output is written; nothing of the desktop app may start meanwhile.
  await new Promise<never>(() => {});
}

// Tests (and examiners who keep a portable profile) may put the app's data elsewhere.
if (process.env.TRAILCASE_USER_DATA) app.setPath('userData', resolve(process.env.TRAILCASE_USER_DATA));

// ---- before ready: process-wide policy -------------------------------------
protocol.registerSchemesAsPrivileged(PRIVILEGED_SCHEMES.map((s) => ({ scheme: s.scheme, privileges: { ...s.privileges } })));
app.enableSandbox();
for (const [name, value] of COMMAND_LINE_SWITCHES) app.commandLine.appendSwitch(name, value);
app.on('web-contents-created', (_e, contents) => applyWebContentsPolicy(contents, shell));

if (!app.requestSingleInstanceLock()) {
  app.quit();
}

let win: BrowserWindow | null = null;
let controller: AppController | null = null;
let quitting = false;
/** A case named on the command line or by the OS (file association): chosen by the examiner, like a dialog. */
let pendingOpen: string | null = caseArg(process.argv);

function caseArg(argv: string[]): string | null {
  const p = argv.slice(1).find((a) => !a.startsWith('-') && a.toLowerCase().endsWith(CASE_EXTENSION));
  return p && existsSync(p) ? resolve(p) : null;
}

app.on('open-file', (e, path) => {
  e.preventDefault();
  if (controller) void openChosen(path);
  else pendingOpen = path;
});
app.on('second-instance', (_e, argv) => {
  const p = caseArg(argv);
  if (p && controller) void openChosen(p);
  if (win) {
    if (win.isMinimized()) win.restore();
    win.focus();
  }
});

async function openChosen(path: string): Promise<void> {
  try {
    const r = await controller!.openPath(path);
    await reportOpen(r);
  } catch (e) {
    await message('error', 'The case could not be opened', (e as Error).message);
  }
}

async function message(kind: 'info' | 'warning' | 'error', title: string, detail: string): Promise<void> {
  const o = { type: kind, title, message: title, detail, buttons: ['OK'] };
  if (win) await dialog.showMessageBox(win, o);
  else await dialog.showMessageBox(o);
}

/** Tell the examiner what verification on open found. */
async function reportOpen(r: OpenCaseResult): Promise<void> {
  if (r.verification === 'failed') {
    const problems = r.verify?.problems.slice(0, 8).map((p) => `${p.where}: ${p.message}`) ?? [];
    await message(
      'warning',
      'This case did not verify: opened read-only',
      [r.refusal, ...problems, r.verify && r.verify.problems.length > 8 ? `… ${r.verify.problems.length - 8} more` : ''].filter(Boolean).join('\n'),
    );
  } else if (r.verification === 'received') {
    await message('info', 'Handoff received', `Verified (${r.receipt?.verified.events} events, root ${r.receipt?.verified.root}); your receipt is logged and signed.`);
  }
}

function loadPage(): void {
  if (!win) return;
  void win.loadURL(controller?.openCase ? APP_INDEX_URL : LAUNCHER_URL);
  win.setTitle(controller?.openCase ? `TrailCase — ${controller.openCase.title}${controller.openCase.readonly ? ' (read-only)' : ''}` : 'TrailCase');
}

async function rebuildMenu(): Promise<void> {
  if (!controller) return;
  const status = (await controller.app.keyStatus({})) as { unlocked: boolean };
  const recent = (await controller.app.recentCases({})).items;
  const run = (fn: () => Promise<unknown>) => () =>
    void fn().catch((e: Error) => message('error', 'TrailCase', e.message));
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate(
        { platform: process.platform, keyUnlocked: status.unlocked, current: controller.openCase, recent, devTools },
        {
          newCase: run(async () => {
            // The title is asked by the start page; from the menu, close the case and show it.
            await controller!.closeCurrent();
          }),
          openCase: run(async () => {
            const r = await controller!.app.openCaseDialog({});
            if (!('cancelled' in r)) await reportOpen(r);
          }),
          openRecent: (p) => void openChosen(p),
          closeCase: run(() => controller!.closeCurrent()),
          importFiles: run(() => importFromDialog(false)),
          importFolders: run(() => importFromDialog(true)),
          verify: run(async () => {
            const r = (await controller!.callChecked('verify', {})) as { ok: boolean; problems: { where: string; message: string }[]; treeSize: number; root: string };
            if (r.ok) await message('info', 'The case verifies', `${r.treeSize} events, Merkle root ${r.root}. The check is in the custody log.`);
            else await message('warning', `The case does NOT verify (${r.problems.length} problems)`, r.problems.slice(0, 10).map((p) => `${p.where}: ${p.message}`).join('\n'));
            loadPage();
          }),
          report: run(produceReport),
          quit: () => app.quit(),
        },
      ),
    ),
  );
}

async function waitForJob(jobId: string, label: string): Promise<JobStatus> {
  for (;;) {
    const s = (await controller!.callChecked('jobStatus', { id: jobId })) as JobStatus;
    const p = s.progress;
    win?.setProgressBar(p && p.total ? Math.min(1, p.done / p.total) : 2 /* indeterminate */);
    if (s.state !== 'running') {
      win?.setProgressBar(-1);
      return s;
    }
    if (win) win.setTitle(`TrailCase — ${label}${p?.detail ? `: ${p.detail}` : '…'}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function importFromDialog(folders: boolean): Promise<void> {
  const { paths } = await controller!.app.chooseImportSources({ folders });
  if (!paths.length) return;
  const { jobId } = (await controller!.callChecked('importPaths', { paths })) as { jobId: string };
  const s = await waitForJob(jobId, 'importing');
  loadPage();
  if (s.state === 'done') {
    const r = s.result as { events?: number; duplicates?: number; warnings?: number; objects?: number } | undefined;
    await message('info', 'Import finished', `${r?.objects ?? '?'} files, ${r?.events ?? '?'} events, ${r?.duplicates ?? 0} duplicates, ${r?.warnings ?? 0} warnings.`);
  } else await message('error', `Import ${s.state}`, s.error ?? '');
}

async function produceReport(): Promise<void> {
  const { path } = await controller!.app.chooseReportFolder({});
  if (!path) return;
  const { jobId } = (await controller!.callChecked('generateReport', { outDir: path })) as { jobId: string };
  const s = await waitForJob(jobId, 'writing the report');
  loadPage();
  if (s.state !== 'done') return message('error', `Report ${s.state}`, s.error ?? '');
  const r = s.result as { outDir: string; files: { name: string }[]; manifestSha256: string; reportId: string };
  await message('info', 'Report written', `${r.outDir}\n${r.files.map((f) => f.name).join(', ')}\nmanifest.json SHA-256 ${r.manifestSha256}\nreport ${r.reportId}`);
  shell.showItemInFolder(join(r.outDir, 'report.pdf'));
}

app.whenReady().then(async () => {
  // The app window's session: in memory, every policy of the security block, our protocol only.
  const appSession = session.fromPartition(APP_PARTITION, { cache: false });
  applySessionPolicy(appSession);
  applySessionPolicy(session.defaultSession); // nothing should use it; refuse there too
  appSession.protocol.handle(APP_SCHEME, (req) => serveAppRequest(req, { root: PATHS.renderer, mounts: { __shell: PATHS.shellPages } }));

  const printer = electronPdfPrinter({ BrowserWindow, session, shell });
  const bridge = new CaseBridge(
    () =>
      utilityProcess.fork(PATHS.caseProcess, [], {
        serviceName: 'TrailCase case process',
        stdio: 'inherit',
        env: { ...process.env, TRAILCASE_PDF_PRINTER_NAME: printer.name },
      }) as unknown as ChildLike,
    async (kind, payload) => {
      if (kind === 'printPdf') return printer.print(String(payload.html), payload.options as PdfPrintOptions);
      throw new Error(`unknown request ${kind} from the case process`);
    },
  );
  const userData = app.getPath('userData');
  controller = new AppController({
    bridge,
    recent: new RecentCases(userData),
    vault: new KeyVault({ userData, safeStorage, envPassphrase: process.env.TRAILCASE_PASSPHRASE }),
    dialogs: electronDialogs(dialog, () => win, () => app.getPath('documents')),
    openExternal: (url) => openExternalUrl(url, shell),
    onCaseChanged: () => {
      loadPage();
      void rebuildMenu();
    },
    log,
  });
  registerIpc(ipcMain, {
    trusted: () => (win && !win.isDestroyed() ? win.webContents : null),
    call: async (method, args) => {
      const r = await controller!.call(method, args);
      // Key changes alter the menu (New/Open enabled once the key is unlocked).
      if (method === 'createKey' || method === 'unlockKey' || method === 'forgetPassphrase') void rebuildMenu();
      return r;
    },
    onRefused: (channel, reason) => log(`IPC refused on ${channel}: ${reason}`),
  });

  win = new BrowserWindow(mainWindowOptions(PATHS.preload, { devTools }));
  win.once('ready-to-show', () => win?.show());
  win.on('closed', () => (win = null));

  const status = await controller.startup().catch((e: Error) => {
    log(`key: ${e.message}`);
    return null;
  });
  if (pendingOpen && status?.unlocked) {
    const p = pendingOpen;
    pendingOpen = null;
    await openChosen(p);
  }
  loadPage();
  await rebuildMenu();
});

app.on('window-all-closed', () => app.quit());
app.on('before-quit', (e) => {
  // Close the case cleanly first: its custody head is recorded, its WAL folded back.
  if (quitting || !controller) return;
  e.preventDefault();
  quitting = true;
  controller
    .shutdown()
    .catch((err: Error) => log(`closing the case: ${err.message}`))
    .finally(() => app.quit());
});
