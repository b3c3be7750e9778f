// What every handler gets: the open case, who is acting, the examiner's key
// (unlocked on first need), and the job registry.
import { loadSigner, type Signer } from '../case/keys.ts';
import { currentActor, type CaseStore } from '../case/store.ts';
import { JobRegistry } from './jobs.ts';
import type { QueryStreamSink } from './query-handlers.ts';

export interface HandlerContext {
  /** The open case. For a `read` method, dispatch hands its read view (a read-only connection: CaseStore.readView). */
  store: CaseStore;
  actor: string;
  jobs: JobRegistry;
  /** The examiner's signing key; asks for the passphrase (env or terminal) on first use. */
  signer(): Promise<Signer>;
  /** Set by a transport that streams query rows (the CLI): runQuery then runs in place, every row to the sink. */
  querySink?: QueryStreamSink;
  querySignal?: AbortSignal;
}

export function makeContext(store: CaseStore, opts: { signer?: Signer; jobs?: JobRegistry; actor?: string } = {}): HandlerContext {
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
