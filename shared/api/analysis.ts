// Analysis on the case (docs/analysis.md): the IOC list and its matches, pivots,
// running the built-in checks and Sigma rules, findings and decisions,
// baselines, coverage and gaps. Write methods are custody-logged by their
// handlers (electron/api/analysis-handlers.ts).
import { z } from 'zod';
import { read, write } from './define.ts';
import { IOC_TYPES, type Ioc, type IocType } from '../analysis/ioc.ts';
import {
  PIVOT_EVENT_LIMIT, type BaselineReport, type FindingList, type GapReport, type IocHit, type IocImportResult, type PivotResult,
} from '../analysis/types.ts';
import type { FindingWithDecision } from '../analysis/types.ts';

export const iocTypeSchema = z.enum(IOC_TYPES);
export const iocFormatSchema = z.enum(['csv', 'text', 'stix']);
const value = z.string().min(1).max(2048);
const label = z.string().max(500).optional();

export const analysisApi = {
  listIocs: read(z.object({ includeRemoved: z.boolean().default(false) }).strict(), 'The case IOC list (current state of each indicator).').returns<{
    items: (Ioc & { removed: boolean })[];
  }>(),
  addIoc: write(
    z.object({ type: iocTypeSchema.optional(), value, label, source: z.string().max(500).optional(), enabled: z.boolean().default(true) }).strict(),
    'Add an indicator (type inferred when omitted); custody-logged.',
  ).returns<{ ioc: Ioc; seq: number }>(),
  removeIoc: write(z.object({ type: iocTypeSchema.optional(), value }).strict(), 'Remove an indicator; custody-logged.').returns<{ ioc: Ioc; seq: number }>(),
  setIocEnabled: write(
    z.object({ type: iocTypeSchema.optional(), value, enabled: z.boolean() }).strict(),
    'Enable or disable an indicator (disabled ones are kept but not matched); custody-logged.',
  ).returns<{ ioc: Ioc; seq: number | null }>(),
  importIocs: write(
    z.object({ body: z.string().max(50_000_000), format: iocFormatSchema, source: z.string().max(500).optional() }).strict(),
    'Import indicators from CSV, plain text or a STIX 2.1 bundle; one custody entry for the import.',
  ).returns<IocImportResult>(),
  exportIocs: read(
    z.object({ format: iocFormatSchema, includeDisabled: z.boolean().default(true) }).strict(),
    'Export the IOC list as CSV, plain text (enabled only) or a STIX 2.1 bundle.',
  ).returns<{ body: string; count: number }>(),
  iocHits: write(
    z.object({ includeDisabled: z.boolean().default(true) }).strict(),
    'Hit counts and first/last seen per indicator (SQL). Writes only when bucket indicators need the event index brought up to date (custody-logged).',
  ).returns<{ items: IocHit[] }>(),
  pivot: write(
    z
      .object({
        key: z.string().max(128).optional(),
        ip: z.string().max(100).optional(),
        principal: z.string().max(2048).optional(),
        followCreators: z.boolean().default(false),
        since: z.string().max(64).optional(),
        until: z.string().max(64).optional(),
        maxEvents: z.number().int().min(1).max(1_000_000).default(100_000),
        /** How many attacker events to list (the earliest); eventCount always counts them all. */
        eventLimit: z.number().int().min(0).max(1_000_000).default(PIVOT_EVENT_LIMIT),
        /** Also return every attacker eventID (eventIds), for a timeline filter. */
        allEventIds: z.boolean().default(false),
      })
      .strict()
      .refine((a) => a.key || a.ip || a.principal, { message: 'a seed is needed: key, ip or principal' }),
    'Follow what an attacker created and used from one seed indicator, each hop explained; counts every attacker event and lists the earliest eventLimit. Writes only to bring the event index up to date (custody-logged).',
  ).returns<PivotResult>(),
  runChecks: write(
    z
      .object({
        /** The examiner's own Sigma rule files: they become the case's rule set (custody-logged) before the run; refused as a whole if one is bad. */
        rules: z.array(z.object({ file: z.string().min(1).max(500), text: z.string().max(512 * 1024) }).strict()).max(2000).optional(),
      })
      .strict(),
    "Run every built-in check, every Sigma rule (bundled and the case's own) and every promoted query check on the case as a background job; the result is stored as an analysis run (custody-logged). Returns the job id; the job result is the run summary.",
  ).returns<{ jobId: string }>(),
  listFindings: read(
    z
      .object({
        severity: z.array(z.enum(['informational', 'low', 'medium', 'high', 'critical'])).max(5).optional(),
        category: z.array(z.string().max(50)).max(20).optional(),
        source: z.array(z.enum(['check', 'sigma'])).max(2).optional(),
        decision: z.array(z.enum(['accepted', 'dismissed', 'open'])).max(3).optional(),
        checkId: z.string().max(200).optional(),
        eventId: z.string().max(200).optional(),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(100_000).default(500),
      })
      .strict(),
    'Findings of the latest analysis run with their decisions; says when the run is stale.',
  ).returns<FindingList>(),
  getFinding: read(z.object({ id: z.string().min(1).max(64) }).strict(), 'One finding of the latest run, with its decision.').returns<FindingWithDecision>(),
  decideFinding: write(
    z.object({ id: z.string().min(1).max(64), decision: z.enum(['accepted', 'dismissed', 'open']), note: z.string().max(10_000).optional() }).strict(),
    'Accept, dismiss (with a note) or reopen a finding; custody-logged.',
  ).returns<{ seq: number }>(),
  baselines: read(
    z
      .object({
        learnFraction: z.number().gt(0).lt(1).optional(),
        learnUntil: z.string().max(64).optional(),
        minEvents: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict(),
    'First-seen values per principal after a learning window, rare APIs, hourly volume spikes.',
  ).returns<BaselineReport>(),
  gaps: read(z.object({ digest: z.boolean().default(true) }).strict(), 'Coverage per account/region/hour, empty hours, digest-chain gaps, logging changes, LookupEvents limits.').returns<GapReport>(),
};

export type { IocType };
