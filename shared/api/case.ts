// Case, evidence, events, custody and verification: the foundation's API.
import { z } from 'zod';
import { read, write } from './define.ts';
import { eventFilterSchema } from '../event-filter.ts';
import { filesSourceOptions, sourceRunOptions } from '../sources.ts';
import type {
  CaseInfo, CustodyEntry, EventDetail, EventSummary, EvidenceItem, ImportWarning, JobStatus, VerifyReport,
} from '../types.ts';

const text = z.string().max(10_000);

export { eventFilterSchema };

export const page = { offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(100_000).default(500) };

export const eventSortSchema = z.enum([
  'time', 'eventName', 'eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'principalArn', 'accessKeyId', 'errorCode',
]);

export const caseApi = {
  caseInfo: read(z.object({}).strict(), 'Case metadata, counts and the last checkpoint.').returns<CaseInfo>(),
  listEvidence: read(z.object({ ...page }).strict(), 'Evidence items, in acquisition order.').returns<{ items: EvidenceItem[]; total: number }>(),
  listWarnings: read(z.object({ ...page, importId: z.number().int().optional() }).strict(), 'Import warnings.').returns<{
    items: ImportWarning[];
    total: number;
  }>(),
  custodyLog: read(z.object({ ...page }).strict(), 'The chain-of-custody log, oldest first.').returns<{ items: CustodyEntry[]; total: number }>(),
  searchEvents: read(
    z.object({ filter: eventFilterSchema.default({}), ...page, sort: eventSortSchema.default('time'), desc: z.boolean().default(false) }).strict(),
    'Events matching a filter.',
  ).returns<{ events: EventSummary[]; total: number }>(),
  getEvent: read(z.object({ eventId: z.string().max(200) }).strict(), 'One event: fields, verbatim record, provenance.').returns<EventDetail>(),
  relatedEvents: read(
    z.object({ eventId: z.string().max(200), by: z.enum(['accessKey', 'session', 'request']), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
    'Events sharing an access key, session or request with this one.',
  ).returns<{ events: EventSummary[] }>(),
  verify: write(z.object({}).strict(), 'Recompute every hash and signature; custody-logged.').returns<VerifyReport>(),
  verifyJob: write(
    z.object({}).strict(),
    'Verify as a background job with progress (events checked of the case); the job result is the verify report; custody-logged.',
  ).returns<{ jobId: string }>(),
  addNote: write(
    z.object({ target: z.string().max(300).optional(), text: text.min(1) }).strict(),
    'A note by the examiner, on the case or on one item (event:ID, finding:ID, evidence:N).',
  ).returns<{ seq: number }>(),
  addTag: write(z.object({ eventId: z.string().max(200), tag: z.string().min(1).max(100) }).strict(), 'Tag an event.').returns<{ seq: number }>(),
  listTags: read(z.object({ eventId: z.string().max(200).optional() }).strict(), 'Tags, for one event or all.').returns<{
    items: { eventId: string; tag: string; at: string; actor: string }[];
  }>(),
  jobStatus: read(z.object({ id: z.string().max(100) }).strict(), 'Progress of a long-running job.').returns<JobStatus>(),
  cancelJob: write(z.object({ id: z.string().max(100) }).strict(), 'Ask a running job to stop at its next safe point.').returns<{ ok: boolean }>(),
  importPaths: write(
    z.object({
      paths: z.array(z.string().max(4096)).min(1).max(1000),
      ...filesSourceOptions.shape,
      ...sourceRunOptions.shape,
    }).strict(),
    'Import local files or folders as a background job; returns the job id; the job result is the ImportSummary.',
  ).returns<{ jobId: string }>(),
};
