// App-only methods (docs/packaging.md): things only the desktop shell can do - native
// dialogs, the recent-cases list, which case is open, the examiner's key kept
// with the OS keychain (safeStorage), the allow-listed external opener.
// They are declared here so the renderer's type (RendererApi) includes them,
// but only the Electron main process implements them; every other transport
// (the loopback browser host, the CLI) answers with a clear "not available in
// the browser host" error (electron/api/app-handlers.ts).
import { z } from 'zod';
import { read, write } from './define.ts';
import type { VerifyReport } from '../types.ts';
import type { ReceiveSummary } from './report.ts';

/** The examiner's signing key as the desktop app sees it. Never contains the passphrase or the private key. */
export interface KeyStatus {
  /** A key file exists in TRAILCASE_HOME. */
  exists: boolean;
  examiner: string | null;
  fingerprint: string | null;
  /** Unlocked for this session (the case process can sign). */
  unlocked: boolean;
  /** The passphrase is kept encrypted by the OS (safeStorage), so the examiner is not asked again. */
  remembered: boolean;
  /** Whether this platform offers real OS-backed encryption (not Linux's basic_text fallback). */
  canRemember: boolean;
  /** safeStorage backend (Linux) or 'keychain'/'dpapi', for the examiner's information. */
  storage: string;
}

export interface RecentCase {
  path: string;
  caseId: string;
  title: string;
  lastOpenedAt: string;
  /** The file is still where it was. */
  exists: boolean;
}

/** How a case was vetted when the shell opened it. */
export type OpenVerification =
  /** Opened by this app before and unchanged since it closed it (same custody head): not re-verified. */
  | 'known-unchanged'
  /** Came from elsewhere (or changed since): fully verified, every check passed. */
  | 'verified'
  /** A handoff file (trailcase export) from another examiner: verified, and its receipt logged and signed with our key. */
  | 'received'
  /** Came from elsewhere and failed verification (or was refused as a handoff): opened read-only. */
  | 'failed'
  /** Created in this session. */
  | 'created';

export interface OpenCaseResult {
  path: string;
  caseId: string;
  title: string;
  readonly: boolean;
  verification: OpenVerification;
  /** Present when the case was verified on open. */
  verify?: VerifyReport;
  /** Present when a handoff was received (verification 'received'). */
  receipt?: ReceiveSummary;
  /** Why a handoff was refused (verification 'failed'). */
  refusal?: string;
}

export type Cancellable<T> = T | { cancelled: true };

const passphrase = z.string().min(8).max(1024);
export const scopeSchema = z
  .object({
    since: z.string().max(64).optional(),
    until: z.string().max(64).optional(),
    accounts: z.array(z.string().max(64)).max(1000).optional(),
    regions: z.array(z.string().max(64)).max(1000).optional(),
    suspectedCredentials: z.array(z.string().max(2048)).max(1000).optional(),
    notes: z.string().max(10_000).optional(),
  })
  .strict();

export const appApi = {
  keyStatus: read(z.object({}).strict(), "The examiner's key: present, unlocked, remembered by the OS.").returns<KeyStatus>(),
  createKey: write(
    z.object({ examiner: z.string().min(1).max(200), passphrase, remember: z.boolean().default(false) }).strict(),
    "Create the examiner's key on first use (private part encrypted with the passphrase); optionally remember the passphrase with the OS keychain.",
  ).returns<KeyStatus>(),
  unlockKey: write(
    z.object({ passphrase, remember: z.boolean().default(false) }).strict(),
    "Unlock the examiner's key for this session; optionally remember the passphrase with the OS keychain.",
  ).returns<KeyStatus>(),
  forgetPassphrase: write(z.object({}).strict(), 'Delete the passphrase kept with the OS keychain.').returns<KeyStatus>(),
  recentCases: read(z.object({}).strict(), 'Cases opened recently on this workstation, newest first.').returns<{ items: RecentCase[] }>(),
  currentCase: read(z.object({}).strict(), 'The case open in this window, if any.').returns<{ case: OpenCaseResult | null }>(),
  openCaseDialog: write(z.object({}).strict(), 'Choose a case file with the native dialog and open it (verified if it came from elsewhere).').returns<
    Cancellable<OpenCaseResult>
  >(),
  openCase: write(
    z.object({ path: z.string().min(1).max(4096) }).strict(),
    'Open a case from the recent list (only paths the examiner chose before through a native dialog).',
  ).returns<OpenCaseResult>(),
  newCase: write(
    z.object({ title: z.string().min(1).max(500), scope: scopeSchema.optional() }).strict(),
    'Create a case: the native save dialog chooses the file.',
  ).returns<Cancellable<OpenCaseResult>>(),
  closeCase: write(z.object({}).strict(), 'Close the open case (recording its custody head for the next open).').returns<{ closed: boolean }>(),
  chooseImportSources: read(
    z.object({ folders: z.boolean().default(false) }).strict(),
    'Choose files (or folders) to import with the native dialog; pass the paths to importPaths.',
  ).returns<{ paths: string[] }>(),
  chooseReportFolder: read(z.object({}).strict(), 'Choose a folder for a report with the native dialog.').returns<{ path: string | null }>(),
  openExternal: write(
    z.object({ url: z.string().min(1).max(2048) }).strict(),
    'Open an https link from the small allow list in the system browser; anything else is refused.',
  ).returns<{ opened: boolean }>(),
};

export type AppApi = typeof appApi;
export type AppMethodName = keyof AppApi;
export const APP_METHODS = Object.keys(appApi) as AppMethodName[];

export function isAppMethod(s: string): s is AppMethodName {
  return Object.prototype.hasOwnProperty.call(appApi, s);
}
