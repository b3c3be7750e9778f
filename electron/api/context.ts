// What every handler gets: who is acting, the examiner's key (unlocked on
// first need), the job registry, and - for the methods that run on a case
// (nearly all) - the open case.
import { loadSigner, type Signer } from '../case/keys.ts';
import { currentActor, type CaseStore } from '../case/store.ts';
import { JobRegistry } from './jobs.ts';
import type { QueryStreamSink } from './query-handlers.ts';

/** The context of a method declared `needs: 'none'` (shared/api/define.ts): a case may or may not be open. */
export interface ToolContext {
  store?: CaseStore;
  actor: string;
  jobs: JobRegistry;
  /** The examiner's signing key; asks for the passphrase (env or terminal) on first use. */
  signer(): Promise<Signer>;
  /** Set by a transport that streams query rows (the CLI): runQuery then runs in place, every row to the sink. */
  querySink?: QueryStreamSink;
  querySignal?: AbortSignal;
}

/** The context of a method that runs on the open case. */
export interface HandlerContext extends ToolContext {
  /** The open case. For a `read` method, dispatch hands its read view (a read-only connection: CaseStore.readView). */
  store: CaseStore;
}

type ContextOptions = { signer?: Signer; jobs?: JobRegistry; actor?: string };

export function makeContext(store: CaseStore, opts?: ContextOptions): HandlerContext;
export function makeContext(store: CaseStore | undefined, opts?: ContextOptions): ToolContext;
export function makeContext(store: CaseStore | undefined, opts: ContextOptions = {}): ToolContext {
  let cached: Signer | undefined = opts.signer;
  return {
    store,
    actor: opts.actor ?? opts.signer?.examiner ?? currentActor(),
    jobs: opts.jobs ?? new JobRegistry(),
    async signer() {
      cached ??= await loadSigner();
      return cached;
    },
  };
}
