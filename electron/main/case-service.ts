// The case process (docs/packaging.md: "the database, imports and checks run off the
// window's thread"). The shell runs this in an Electron utilityProcess
// (case-process.ts); tests run the very same code in a worker thread. It owns
// the one open CaseStore and its HandlerContext and answers the shell's
// requests; every API call goes through dispatch() from electron/api/handlers.ts
// (arguments validated again here: the main process is trusted, but one rule
// for every transport is simpler to reason about). The main process never
// opens SQLite.
//
// Protocol (structured-clone messages):
//   main -> case   { id, op, ...payload }
//   case -> main   { id, ok: true, value } | { id, ok: false, error: { message, code } }
//                  { rpc, kind, ... }  (a request from this process to main, e.g. printing a PDF)
//   main -> case   { rpcReply, ok, value | error }
import type { ApiError } from '../../shared/api/index.ts';
import type { OpenCaseResult } from '../../shared/api/app.ts';
import type { ReceiveSummary } from '../../shared/api/report.ts';
import type { CaseScope, VerifyReport } from '../../shared/types.ts';
import { makeContext, type HandlerContext, type ToolContext } from '../api/context.ts';
import { dispatch } from '../api/handlers.ts';
import { JobRegistry } from '../api/jobs.ts';
import { ensureTimelineRollup } from '../case/data/timeline-rollup.ts';
import { readKeyFile, unlockKey, type Signer } from '../case/keys.ts';
import { CaseStore } from '../case/store.ts';
import { derivedPath } from '../query/derived.ts';
import { closeHeld } from '../query/readonly-db.ts';
import { dropKept } from '../query/kept-results.ts';
import { custodyHead, lastCustodyOf } from '../case/data/custody.ts';
import { verifyCase } from '../case/verify.ts';
import { BadRequest, toApiError, UserError } from '../errors.ts';
import { HandoffRefused } from '../report/handoff.ts';
import type { CustodyHead } from './recent.ts';

export type CaseRequest =
  | { id: number; op: 'unlock'; passphrase: string }
  | { id: number; op: 'lock' }
  | { id: number; op: 'open'; path: string; expect: CustodyHead | null }
  | { id: number; op: 'create'; path: string; title: string; scope?: CaseScope }
  | { id: number; op: 'close' }
  | { id: number; op: 'call'; method: string; args: unknown }
  | { id: number; op: 'ping' };

export type CaseReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: ApiError['error'] };

export interface OpenedCase {
  result: OpenCaseResult;
  head: CustodyHead & { title: string };
}

export interface ServicePort {
  onMessage(fn: (msg: unknown) => void): void;
  post(msg: unknown): void;
}

export class CaseService {
  private store: CaseStore | null = null;
  private ctx: HandlerContext | null = null;
  private signer: Signer | null = null;
  private readonly jobs = new JobRegistry();
  private readonly jobIds: string[] = [];
  private current: OpenCaseResult | null = null;
  /** Non-fatal problems, for the main process's log. */
  readonly problems: string[] = [];

  unlock(passphrase: string): { examiner: string; fingerprint: string } {
    const kf = readKeyFile();
    if (!kf) throw new UserError('no examiner key: create one first');
    this.signer = unlockKey(kf, passphrase);
    if (this.store && this.ctx && !this.store.readonly) this.ctx = this.context(this.store);
    return { examiner: this.signer.examiner, fingerprint: this.signer.fingerprint };
  }

  lock(): void {
    this.signer = null;
  }

  private context(store: CaseStore): HandlerContext;
  private context(store: undefined): ToolContext;
  private context(store: CaseStore | undefined): ToolContext {
    const ctx = makeContext(store, { jobs: this.jobs, signer: this.signer ?? undefined });
    if (!this.signer) {
      ctx.signer = async () => {
        throw new UserError('the examiner key is locked: unlock it in TrailCase first');
      };
    }
    return ctx;
  }

  private needSigner(): Signer {
    if (!this.signer) throw new UserError('the examiner key is locked: unlock it in TrailCase first');
    return this.signer;
  }

  static custodyHead(store: CaseStore): CustodyHead & { title: string } {
    const m = store.meta();
    const last = custodyHead(store.reader);
    return { caseId: m.caseId, title: m.title, custodySeq: last?.seq ?? 0, custodyHash: last?.hash ?? '' };
  }

  /**
   * A handoff file written by `trailcase export` and not yet received: its last
   * custody entry of the handoff family is the export itself (the sender's own
   * case records `handoff.file` after it; a received one `handoff.received`).
   */
  static pendingHandoff(store: CaseStore): boolean {
    const row = lastCustodyOf(store.reader, ['handoff.exported', 'handoff.file', 'handoff.received']);
    return row?.action === 'handoff.exported';
  }

  /**
   * Open a case. If it is the one the app closed, unchanged (expect matches its
   * custody head), it opens directly. Otherwise it came from elsewhere or
   * changed, and nothing is written to it before it is checked completely:
   *   - a handoff file (trailcase export) is received through the report
   *     module's receiveCase: verified, then the receipt logged and signed
   *     with the examiner's key (docs/verification.md);
   *   - any other case is verified (verifyCase) read-only, and the check
   *     custody-logged once it passes.
   * A case that fails stays open read-only, with the report and the reason.
   */
  async open(path: string, expect: CustodyHead | null): Promise<OpenedCase> {
    await this.close();
    const probe = CaseStore.open(path, { readonly: true });
    let head: CustodyHead & { title: string };
    let report: VerifyReport | undefined;
    let handoff = false;
    try {
      head = CaseService.custodyHead(probe);
      const known = !!expect && expect.caseId === head.caseId && expect.custodySeq === head.custodySeq && expect.custodyHash === head.custodyHash;
      if (!known) {
        handoff = CaseService.pendingHandoff(probe);
        if (!handoff) report = verifyCase(probe);
      }
    } finally {
      probe.close();
    }
    let receipt: ReceiveSummary | undefined;
    let refusal: string | undefined;
    if (handoff) {
      const signer = this.needSigner();
      try {
        // The same method `trailcase receive` calls: the receipt's custody entries are the same either way.
        receipt = await dispatch(this.context(undefined), 'receiveCase', { file: path, examiner: signer.examiner });
      } catch (e) {
        if (!(e instanceof HandoffRefused)) throw e;
        refusal = e.message;
        const again = CaseStore.open(path, { readonly: true });
        try {
          report = verifyCase(again);
        } finally {
          again.close();
        }
      }
    }
    if (refusal || (report && !report.ok)) {
      const store = CaseStore.open(path, { readonly: true });
      this.attach(store);
      this.current = {
        path: store.path,
        caseId: head.caseId,
        title: head.title,
        readonly: true,
        verification: 'failed',
        ...(report ? { verify: report } : {}),
        ...(refusal ? { refusal } : {}),
      };
      return { result: this.current, head };
    }
    const store = CaseStore.open(path);
    this.attach(store);
    if (report) {
      // Same entry the verify handler writes, so the custody log shows who checked the case on arrival.
      store.transaction(() => {
        if (this.signer) store.ensureKey(this.signer);
        store.appendCustody(this.ctx!.actor, 'verify', {
          ok: report!.ok,
          treeSize: report!.treeSize,
          root: report!.root,
          problems: report!.problems.length,
          warnings: report!.warnings.length,
          integrityCheck: report!.integrityCheck,
          sourceFailures: report!.sourceValidation.filter((s) => s.result !== 'valid').length,
          reason: 'opened in the desktop app: not known unchanged since this workstation last closed it',
        });
      });
    }
    this.extendTimelineIndex(store);
    head = CaseService.custodyHead(store);
    this.current = {
      path: store.path,
      caseId: head.caseId,
      title: head.title,
      readonly: false,
      verification: receipt ? 'received' : report ? 'verified' : 'known-unchanged',
      ...(report ? { verify: report } : {}),
      ...(receipt ? { receipt } : {}),
    };
    return { result: this.current, head };
  }

  /** As `trailcase serve` does at start: a case whose timeline rollups are behind (imported by an earlier version) has them built now, once (custody-logged); imports keep them current. */
  private extendTimelineIndex(store: CaseStore): void {
    try {
      ensureTimelineRollup(store, this.ctx!.actor);
    } catch (e) {
      // An optimisation only: the timeline counts directly without it.
      this.problems.push(`timeline index not extended: ${(e as Error).message}`);
    }
  }

  async create(path: string, title: string, scope: CaseScope | undefined): Promise<OpenedCase> {
    await this.close();
    this.needSigner();
    // The same method `trailcase new` calls (custody `case.created` the same either way); then open it here.
    const created = await dispatch(this.context(undefined), 'createCase', { path, title, ...(scope ? { scope } : {}) });
    const store = CaseStore.open(created.path);
    this.attach(store);
    this.extendTimelineIndex(store);
    const head = CaseService.custodyHead(store);
    this.current = { path: store.path, caseId: head.caseId, title: head.title, readonly: false, verification: 'created' };
    return { result: this.current, head };
  }

  private attach(store: CaseStore): void {
    this.store = store;
    this.ctx = this.context(store);
  }

  /** Close the case (waiting for its jobs to stop); returns the custody head the app records. */
  async close(): Promise<(CustodyHead & { title: string }) | null> {
    if (!this.store) return null;
    for (const id of this.jobIds.splice(0)) {
      let s;
      try {
        s = this.jobs.status(id);
      } catch {
        continue;
      }
      if (s.state === 'running') {
        this.jobs.cancel(id);
        await this.jobs.wait(id);
      }
    }
    const head = CaseService.custodyHead(this.store);
    // Let go of the query database's kept read-only instance and the kept query results with the case
    // (electron/query/readonly-db.ts, kept-results.ts).
    closeHeld(derivedPath(this.store.path));
    dropKept(derivedPath(this.store.path));
    this.store.close();
    this.store = null;
    this.ctx = null;
    this.current = null;
    return head;
  }

  currentCase(): OpenCaseResult | null {
    return this.current;
  }

  async call(method: string, args: unknown): Promise<unknown> {
    // Without an open case only the methods declared `needs: 'none'` run (dispatch says "no case is open" for the rest).
    const value = await dispatch(this.ctx ?? this.context(undefined), method, args);
    const jobId = (value as { jobId?: unknown } | null)?.jobId;
    if (typeof jobId === 'string') this.jobIds.push(jobId);
    return value;
  }

  async handle(req: CaseRequest): Promise<unknown> {
    switch (req.op) {
      case 'unlock':
        return this.unlock(req.passphrase);
      case 'lock':
        return this.lock();
      case 'open':
        return this.open(req.path, req.expect);
      case 'create':
        return this.create(req.path, req.title, req.scope);
      case 'close':
        return this.close();
      case 'call':
        return this.call(req.method, req.args);
      case 'ping':
        return 'pong';
      default:
        throw new BadRequest(`unknown operation ${String((req as { op?: unknown }).op).slice(0, 40)}`);
    }
  }
}

export type RpcFn = (kind: string, payload: Record<string, unknown>) => Promise<unknown>;

/**
 * Serve requests arriving on a port; requests run concurrently (imports are
 * jobs; reads answer meanwhile). Returns the service and `rpc`, which asks the
 * main process for something only it can do (printing a PDF with Chromium).
 */
export function serveCaseRequests(port: ServicePort, service = new CaseService()): { service: CaseService; rpc: RpcFn } {
  let nextRpc = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const rpc: RpcFn = (kind, payload) =>
    new Promise((resolve, reject) => {
      const n = nextRpc++;
      waiting.set(n, { resolve, reject });
      port.post({ ...payload, rpc: n, kind });
    });
  port.onMessage((msg) => {
    const m = msg as { rpcReply?: number; ok?: boolean; value?: unknown; error?: { message: string } };
    if (m && typeof m === 'object' && typeof m.rpcReply === 'number') {
      const w = waiting.get(m.rpcReply);
      if (!w) return;
      waiting.delete(m.rpcReply);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(m.error?.message ?? 'failed'));
      return;
    }
    const req = msg as CaseRequest;
    if (!req || typeof req !== 'object' || typeof req.id !== 'number') return;
    service.handle(req).then(
      (value) => port.post({ id: req.id, ok: true, value: value ?? null } satisfies CaseReply),
      (e) => port.post({ id: req.id, ok: false, error: toApiError(e).error } satisfies CaseReply),
    );
  });
  return { service, rpc };
}
