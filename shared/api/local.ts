// Methods only the local transports call: the CLI and the desktop shell's own
// case process. They take a file path the examiner typed (or chose in a native
// dialog) and write there, or reach out to a network service, so no page may
// call them: they are not in `api` (so not in RendererApi, not an IPC channel,
// not a host route) but they are in the one handler table and go through
// `dispatch` like every other method.
import { z } from 'zod';
import { write } from './define.ts';
import { scopeSchema } from './app.ts';
import { tsaUrl, type ReceiveSummary } from './report.ts';
import type { CaseInfo } from '../types.ts';

const path = z.string().min(1).max(4096);

/** Result of createCase and `trailcase new --json`: where, and the case's metadata. */
export type CreatedCase = { path: string } & Pick<CaseInfo, 'caseId' | 'title' | 'examiner' | 'scope' | 'createdAt' | 'toolVersion'>;

/** Result of timestampCheckpoint. */
export interface TimestampSummary {
  checkpointSeq: number;
  tsa: string;
  genTime: string;
  tokenSha256: string;
}

export const localApi = {
  createCase: write(
    z.object({ path, title: z.string().max(500), examiner: z.string().max(200).optional(), scope: scopeSchema.optional() }).strict(),
    "Create a case file (the examiner's key signs its first checkpoint); custody `case.created`.",
    { needs: 'none' },
  ).returns<CreatedCase>(),
  receiveCase: write(
    z
      .object({ file: path, examiner: z.string().max(200), expectSha256: z.string().regex(/^[0-9a-fA-F]{64}$/, '64 hex digits').optional() })
      .strict(),
    'Receive a handoff file: verify it completely, then log its acceptance and sign a checkpoint with the examiner key; refuses a file that fails.',
    { needs: 'none' },
  ).returns<ReceiveSummary>(),
  timestampCheckpoint: write(
    z.object({ tsa: tsaUrl, caFile: path.optional(), seq: z.number().int().min(1).optional() }).strict(),
    'Time-stamp a checkpoint (default: the last) at an RFC 3161 TSA and store the token in the case.',
  ).returns<TimestampSummary>(),
};

export type LocalApi = typeof localApi;
