// Handlers for the local methods (shared/api/local.ts): creating a case,
// receiving a handoff file, time-stamping a checkpoint. The CLI and the desktop
// shell's case process both call these, so a case created or received either
// way carries the same custody entries.
import { resolve } from 'node:path';
import type { localApi } from '../../shared/api/local.ts';
import { CaseStore } from '../case/store.ts';
import { timestampCheckpoint } from '../case/timestamp.ts';
import { receiveCase } from '../report/handoff.ts';
import type { HandlerTable } from './handlers.ts';

export const localHandlers: HandlerTable<typeof localApi> = {
  createCase: async (ctx, a) => {
    const signer = await ctx.signer();
    const store = CaseStore.create(a.path, { title: a.title, examiner: a.examiner ?? signer.examiner, scope: a.scope }, signer);
    try {
      return { path: resolve(a.path), ...store.meta() };
    } finally {
      store.close();
    }
  },
  receiveCase: async (ctx, a) => receiveCase(a.file, await ctx.signer(), { examiner: a.examiner, expectSha256: a.expectSha256 }),
  timestampCheckpoint: (ctx, a) => timestampCheckpoint(ctx.store, a.tsa, { seq: a.seq, caFile: a.caFile }),
};
