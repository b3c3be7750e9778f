// Queries over the whole case (docs/queries.md): SQL over the derived `events` table
// and the search bar, read-only and custody-logged; saved queries.
import { z } from 'zod';
import { read, write } from './define.ts';
import type { FieldInfo } from '../query/schema.ts';

export type QueryCell = null | boolean | number | string | QueryCell[] | { [k: string]: QueryCell };

export interface QueryRunResult {
  columns: { name: string; type: string }[];
  rows: QueryCell[][];
  rowCount: number;
  truncated: boolean;
  resultSha256: string;
  /** The SQL that ran (the search bar's compiled SQL, or the SQL with CloudTrail paths rewritten). */
  sql: string;
  params: (string | number | boolean | null)[];
  engine: string;
  checkpoint: { treeSize: number; root: string };
  custodySeq: number;
  ms: number;
  /** Threads it ran on: two only where the answer cannot depend on them (docs/queries.md "The same answer again"). */
  threads: 1 | 2;
  /** Volatile functions it names (now(), random(), current_setting(), …): its answer, and hash, change from one run to the next. */
  volatile: string[];
  /**
   * Rows of this result the app can page through with queryResultPage (every row unless the
   * result's text is over 512 MB; the CLI streams any size). Absent where nothing is kept (the CLI).
   */
  keptRows?: number;
}

/** One logged query run, run again over the events it first ran over (recheckQueries; docs/queries.md). */
export interface QueryRecheckItem {
  /** The custody entry of the run checked. */
  seq: number;
  /** What the examiner typed (their text: display it as such). */
  text: string;
  treeSize: number;
  recorded: string;
  /** The hash of the run again (null when it was not run again). */
  now: string | null;
  /** The custody entry of the run again. */
  recheckSeq: number | null;
  /** same / different; not-repeatable (it reads now(), random(), …); other-events (the case no longer holds the events it ran over); failed (it did not run). */
  outcome: 'same' | 'different' | 'not-repeatable' | 'other-events' | 'failed';
  note?: string;
}

/** A page of a kept result (queryResultPage). */
export interface QueryResultPage {
  columns: { name: string; type: string }[];
  rows: QueryCell[][];
  offset: number;
  keptRows: number;
  rowCount: number;
}

export interface SavedQuery {
  name: string;
  mode: 'sql' | 'search';
  text: string;
  notes: string;
  at: string;
  actor: string;
}

const mode = z.enum(['sql', 'search']);

/** A saved query promoted to a check (docs/queries.md, item 6), as stored in the case. */
export interface PromotedCheckInfo {
  id: string;
  checkId: string;
  version: string;
  savedQuery: string;
  title: string;
  severity: 'informational' | 'low' | 'medium' | 'high' | 'critical';
  attack: string[];
  category: string;
  explanation: string;
  remediation: string[];
  mode: 'sql' | 'search';
  text: string;
  textSha256: string;
  at: string;
  actor: string;
  custodySeq: number;
}

export const queryApi = {
  runQuery: write(
    z
      .object({
        mode: mode.default('sql'),
        text: z.string().max(100_000),
        /** Rows to return (all rows are counted and hashed). */
        limit: z.number().int().min(0).max(100_000).default(1000),
        savedQuery: z.string().max(200).optional(),
      })
      .strict(),
    'Run a read-only SQL query or a search over every field of every event; custody-logged (query.run) with its result hash. Runs as a job: poll jobStatus, cancel with cancelJob.',
  ).returns<{ jobId: string }>(),
  recheckQueries: write(
    z.object({ seqs: z.array(z.number().int().min(1)).max(10_000).optional() }).strict(),
    'Run the logged queries again (all, or the custody entries listed), each over the events it first ran over, and compare their result hashes with the recorded ones; each run again is a query.run custody entry with recheckOf. Runs as a job: poll jobStatus; its result is { items: QueryRecheckItem[] }.',
  ).returns<{ jobId: string }>(),
  queryResultPage: read(
    z.object({ custodySeq: z.number().int().min(1), offset: z.number().int().min(0), limit: z.number().int().min(1).max(5000).default(500) }).strict(),
    "Rows of a query run's result from this session (the last three runs of the case are kept until it is closed), in the order the query returned them: the rows it hashed.",
  ).returns<QueryResultPage>(),
  compileSearch: read(z.object({ text: z.string().max(10_000) }).strict(), 'The SQL and parameters a search compiles to, or the parse error with its position.').returns<
    { ok: true; sql: string; params: (string | number)[] } | { ok: false; error: string; position: number }
  >(),
  queryFields: read(z.object({}).strict(), 'Field paths for completion: the typed columns, then the keys the case\'s own records use inside requestParameters, responseElements, additionalEventData and serviceEventDetails (once the query database is built).').returns<{ fields: FieldInfo[] }>(),
  listSavedQueries: read(z.object({}).strict(), 'Saved queries, by name.').returns<{ items: SavedQuery[] }>(),
  saveQuery: write(
    z.object({ name: z.string().min(1).max(200), mode, text: z.string().min(1).max(100_000), notes: z.string().max(10_000).default('') }).strict(),
    'Save (or replace) a named query with notes; custody-logged.',
  ).returns<{ seq: number }>(),
  promoteQuery: write(
    z
      .object({
        savedQuery: z.string().min(1).max(200),
        id: z.string().min(1).max(64),
        title: z.string().min(1).max(300),
        severity: z.enum(['informational', 'low', 'medium', 'high', 'critical']),
        attack: z.array(z.string().max(20)).max(20).default([]),
        category: z
          .enum(['persistence', 'privilege-escalation', 'defense-evasion', 'exfiltration', 'collection', 'initial-access', 'credential-access', 'discovery', 'execution', 'lateral-movement', 'impact'])
          .optional(),
        explanation: z.string().min(1).max(10_000),
        remediation: z.array(z.string().max(2000)).max(20).default([]),
      })
      .strict(),
    'Promote a saved query to a check that runs with the built-in checks; its text is frozen with the definition; custody-logged (detection.promoted). The query must return an eventID column.',
  ).returns<{ seq: number; check: PromotedCheckInfo }>(),
  listDetections: read(z.object({}).strict(), "The case's own detections: promoted query checks and Sigma rule files (name and SHA-256).").returns<{
    checks: PromotedCheckInfo[];
    sigmaFiles: { file: string; sha256: string; at: string; actor: string }[];
  }>(),
  removePromotedCheck: write(z.object({ id: z.string().min(1).max(64) }).strict(), 'Withdraw a promoted check; custody-logged.').returns<{ seq: number }>(),
  deleteSavedQuery: write(z.object({ name: z.string().min(1).max(200) }).strict(), 'Remove a saved query; custody-logged.').returns<{ seq: number }>(),
};
