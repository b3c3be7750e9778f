// What the desktop app does between the window and the case process (docs/packaging.md):
// the app-only methods of shared/api/app.ts, answered in the main process,
// and forwarding of every other method to the case process. Independent of
// Electron (the dialogs, the external opener and the case process come in as
// small interfaces) so the tests drive it with a worker-thread case process
// and scripted dialogs.
//
// Rules it keeps:
//   - a case is only ever opened from a path the examiner chose in a native
//     dialog, or one already on the recent list (a compromised page cannot
//     make the app open arbitrary files);
//   - the examiner's key must be unlocked before a case is opened or created,
//     so every custody entry names the examiner and can be signed;
//   - the custody head of a case is recorded when the app closes it cleanly,
//     and a case that failed verification never is (it is re-verified on
//     every open).
import type { z } from 'zod';
import { api, type MethodName } from '../../shared/api/index.ts';
import { appApi, isAppMethod, type AppApi, type AppMethodName, type KeyStatus, type OpenCaseResult } from '../../shared/api/app.ts';
import type { MethodSpec, ParsedArgsOf, ResultOf } from '../../shared/api/define.ts';
import { BadRequest, CodedError, Forbidden, UserError } from '../errors.ts';
import type { CaseBridge } from './case-bridge.ts';
import { suggestedCaseFileName, type Dialogs } from './dialogs.ts';
import type { KeyVault } from './key-vault.ts';
import type { RecentCases } from './recent.ts';
import { resolve } from 'node:path';

type AppHandlers = { [K in AppMethodName]: (args: ParsedArgsOf<AppApi[K]>) => Promise<ResultOf<AppApi[K]>> };

export interface ControllerDeps {
  bridge: CaseBridge;
  recent: RecentCases;
  vault: KeyVault;
  dialogs: Dialogs;
  /** The allow-listed opener (security.ts openExternalUrl bound to Electron's shell). */
  openExternal(url: string): Promise<boolean>;
  /** The open case changed (main loads the UI or the launcher). */
  onCaseChanged?(c: OpenCaseResult | null): void;
  log?(line: string): void;
}

export class AppController {
  private passphrase: string | null = null;
  private unlockedSpawn = -1;
  private current: OpenCaseResult | null = null;
  readonly app: AppHandlers;

  constructor(private readonly deps: ControllerDeps) {
    deps.bridge.onExit((code) => {
      deps.log?.(`case process exited (code ${code})`);
      if (this.current) {
        this.current = null;
        deps.onCaseChanged?.(null);
      }
    });
    this.app = this.appHandlers();
  }

  get openCase(): OpenCaseResult | null {
    return this.current;
  }

  /** At start: unlock the key without asking when the OS remembers the passphrase (or TRAILCASE_PASSPHRASE is set). */
  async startup(): Promise<KeyStatus> {
    const pass = this.deps.vault.unlockWithoutAsking();
    for (const p of this.deps.vault.problems.splice(0)) this.deps.log?.(p);
    for (const p of this.deps.recent.problems.splice(0)) this.deps.log?.(p);
    if (pass !== null) await this.setPassphrase(pass);
    return this.deps.vault.status();
  }

  private async setPassphrase(pass: string): Promise<void> {
    this.passphrase = pass;
    await this.deps.bridge.unlock(pass);
    this.unlockedSpawn = this.deps.bridge.spawnCount;
  }

  /** The case process may have been restarted since: unlock it again. */
  private async ensureCaseProcessUnlocked(): Promise<void> {
    if (this.passphrase === null) return;
    if (this.deps.bridge.running && this.unlockedSpawn === this.deps.bridge.spawnCount) return;
    await this.setPassphrase(this.passphrase);
  }

  private needKey(): void {
    if (this.passphrase === null || !this.deps.vault.status().unlocked) {
      throw new UserError('unlock (or create) the examiner key first: every change to a case is signed with it');
    }
  }

  /** One checked call from the window (ipc.ts has validated channel, sender and arguments). */
  async call(method: MethodName, args: unknown): Promise<unknown> {
    if (isAppMethod(method)) return (this.app[method] as (a: unknown) => Promise<unknown>)(args);
    if (!this.current) throw new CodedError('no case is open: open or create one first (File menu)', 'failed');
    await this.ensureCaseProcessUnlocked();
    return this.deps.bridge.call(method, args);
  }

  /** Parse with the method's schema and call (menu actions in main use this too). */
  async callChecked(method: MethodName, args: unknown): Promise<unknown> {
    const spec = api[method] as MethodSpec<z.ZodTypeAny, unknown>;
    const parsed = spec.args.safeParse(args ?? {});
    if (!parsed.success) throw new BadRequest(`${method}: bad arguments: ${parsed.error.issues[0]?.message ?? ''}`);
    return this.call(method, parsed.data);
  }

  async openPath(path: string): Promise<OpenCaseResult> {
    this.needKey();
    const abs = resolve(path);
    // Before opening: opening writes to a case, which would change what we compare.
    const expect = this.deps.recent.expectedHead(abs);
    await this.closeCurrent();
    await this.ensureCaseProcessUnlocked();
    const opened = await this.deps.bridge.open(abs, expect);
    this.deps.recent.opened(abs, opened.head);
    this.current = opened.result;
    this.deps.onCaseChanged?.(this.current);
    return this.current;
  }

  async closeCurrent(): Promise<boolean> {
    const c = this.current;
    if (!c) return false;
    this.current = null;
    const head = await this.deps.bridge.close();
    // A case that failed verification is never recorded as known-good.
    if (head && c.verification !== 'failed') this.deps.recent.closed(c.path, head);
    this.deps.onCaseChanged?.(null);
    return true;
  }

  /** Quit: close the case cleanly (recording its head), stop the case process. */
  async shutdown(): Promise<void> {
    try {
      await this.closeCurrent();
    } finally {
      await this.deps.bridge.stop().catch(() => undefined);
    }
  }

  private appHandlers(): AppHandlers {
    const d = this.deps;
    const h: AppHandlers = {
      keyStatus: async () => d.vault.status(),
      createKey: async (a) => {
        const pass = d.vault.create(a.examiner, a.passphrase, a.remember);
        await this.setPassphrase(pass);
        return d.vault.status();
      },
      unlockKey: async (a) => {
        const pass = d.vault.unlock(a.passphrase, a.remember);
        await this.setPassphrase(pass);
        return d.vault.status();
      },
      forgetPassphrase: async () => {
        d.vault.forget();
        return d.vault.status();
      },
      recentCases: async () => ({ items: d.recent.list() }),
      currentCase: async () => ({ case: this.current }),
      openCaseDialog: async () => {
        this.needKey();
        const path = await d.dialogs.openCase();
        if (!path) return { cancelled: true as const };
        return this.openPath(path);
      },
      openCase: async (a) => {
        const abs = resolve(a.path);
        if (!d.recent.has(abs)) {
          throw new Forbidden(`${abs} is not on the recent list: choose it with Open Case… (the app opens only files chosen in its dialogs)`);
        }
        return this.openPath(abs);
      },
      newCase: async (a) => {
        this.needKey();
        const path = await d.dialogs.saveCase(suggestedCaseFileName(a.title));
        if (!path) return { cancelled: true as const };
        await this.closeCurrent();
        await this.ensureCaseProcessUnlocked();
        const created = await d.bridge.create(resolve(path), a.title, a.scope);
        d.recent.opened(created.result.path, created.head);
        this.current = created.result;
        d.onCaseChanged?.(this.current);
        return this.current;
      },
      closeCase: async () => ({ closed: await this.closeCurrent() }),
      chooseImportSources: async (a) => ({ paths: await d.dialogs.importSources(a.folders) }),
      chooseReportFolder: async () => ({ path: await d.dialogs.reportFolder() }),
      openExternal: async (a) => ({ opened: await d.openExternal(a.url) }),
    };
    // Every app method has a handler here (the type says so; this says it at run time too).
    for (const m of Object.keys(appApi)) if (typeof (h as Record<string, unknown>)[m] !== 'function') throw new Error(`no app handler for ${m}`);
    return h;
  }
}
