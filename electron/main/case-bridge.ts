// Main-process side of the case process: sends requests, matches replies,
// answers the case process's own requests (rpc, e.g. "print this HTML to PDF",
// which needs a Chromium window only the main process has). Works over any
// child with postMessage/on('message')/on('exit') - an Electron
// UtilityProcess in the app, a worker thread in the tests.
import type { CaseScope } from '../../shared/types.ts';
import { CodedError, toApiError } from '../errors.ts';
import type { CaseReply, OpenedCase } from './case-service.ts';
import type { CustodyHead } from './recent.ts';

export interface ChildLike {
  postMessage(msg: unknown): void;
  on(ev: 'message', fn: (msg: any) => void): unknown;
  on(ev: 'exit', fn: (code: number) => void): unknown;
  kill(): unknown;
}

export type RpcHandler = (kind: string, payload: Record<string, unknown>) => Promise<unknown>;

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

export class CaseBridge {
  private child: ChildLike | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private exitListeners: ((code: number) => void)[] = [];
  /** How many case processes were started (a new one must be unlocked again). */
  spawnCount = 0;

  constructor(
    private readonly spawn: () => ChildLike,
    private readonly rpc: RpcHandler = async (kind) => {
      throw new Error(`no handler for ${kind}`);
    },
  ) {}

  /** Called when the case process stops unexpectedly (the controller forgets the open case). */
  onExit(fn: (code: number) => void): void {
    this.exitListeners.push(fn);
  }

  get running(): boolean {
    return !!this.child;
  }

  private ensure(): ChildLike {
    if (this.child) return this.child;
    const child = this.spawn();
    this.spawnCount++;
    child.on('message', (msg: unknown) => this.onMessage(child, msg));
    child.on('exit', (code: number) => {
      if (this.child !== child) return;
      this.child = null;
      const err = new CodedError(`the case process stopped (exit code ${code}); open the case again`, 'failed');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      for (const fn of this.exitListeners) fn(code);
    });
    this.child = child;
    return child;
  }

  private onMessage(child: ChildLike, msg: any): void {
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.rpc === 'number') {
      this.rpc(String(msg.kind), msg).then(
        (value) => child.postMessage({ rpcReply: msg.rpc, ok: true, value }),
        (e: Error) => child.postMessage({ rpcReply: msg.rpc, ok: false, error: toApiError(e).error }),
      );
      return;
    }
    const r = msg as CaseReply;
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.ok) p.resolve(r.value);
    else p.reject(new CodedError(r.error.message, r.error.code));
  }

  request<T>(op: string, payload: Record<string, unknown> = {}): Promise<T> {
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      try {
        child.postMessage({ ...payload, id, op });
      } catch (e) {
        this.pending.delete(id);
        reject(e as Error);
      }
    });
  }

  unlock(passphrase: string) {
    return this.request<{ examiner: string; fingerprint: string }>('unlock', { passphrase });
  }
  open(path: string, expect: CustodyHead | null) {
    return this.request<OpenedCase>('open', { path, expect });
  }
  create(path: string, title: string, scope?: CaseScope) {
    return this.request<OpenedCase>('create', { path, title, scope });
  }
  close() {
    return this.request<(CustodyHead & { title: string }) | null>('close');
  }
  call(method: string, args: unknown) {
    return this.request<unknown>('call', { method, args });
  }

  /** Close the case cleanly, then stop the process. */
  async stop(): Promise<(CustodyHead & { title: string }) | null> {
    if (!this.child) return null;
    let head = null;
    try {
      head = await this.close();
    } finally {
      const c = this.child;
      this.child = null;
      c?.kill();
    }
    return head;
  }
}
