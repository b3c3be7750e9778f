// Acquisition state read back from the case: where an interrupted LookupEvents,
// Lake or Athena run continues, which pages and objects are already preserved,
// and the custody records of S3 duplicates. Sources stay in ingest/aws; the SQL
// over evidence origin metadata and custody details lives here.
import { cached, type ReadableDB } from './db.ts';

/** The origin metadata (JSON text) of the latest LookupEvents page of one region, account and attribute. */
export function lastLookupPageMeta(db: ReadableDB, region: string, account: string, attributeKey: string, attributeValue: string): string | undefined {
  const r = cached(
    db,
    `SELECT origin_meta FROM evidence WHERE kind = 'api-page' AND json_extract(origin_meta, '$.api') = 'LookupEvents'
         AND json_extract(origin_meta, '$.region') = ? AND coalesce(json_extract(origin_meta, '$.account'), '') = ?
         AND coalesce(json_extract(origin_meta, '$.attributeKey'), '') = ? AND coalesce(json_extract(origin_meta, '$.attributeValue'), '') = ?
       ORDER BY id DESC LIMIT 1`,
  ).get(region, account, attributeKey, attributeValue) as { origin_meta: string } | undefined;
  return r?.origin_meta;
}

/** The origin metadata (JSON text) of the latest Lake result page of one statement, data store and account. */
export function lastLakePageMeta(db: ReadableDB, sqlSha256: string, edsId: string, account: string): string | undefined {
  const r = cached(
    db,
    `SELECT origin_meta FROM evidence WHERE kind = 'api-page' AND json_extract(origin_meta, '$.api') = 'GetQueryResults'
         AND json_extract(origin_meta, '$.sqlSha256') = ? AND json_extract(origin_meta, '$.eventDataStoreId') = ?
         AND coalesce(json_extract(origin_meta, '$.account'), '') = ? ORDER BY id DESC LIMIT 1`,
  ).get(sqlSha256, edsId, account) as { origin_meta: string } | undefined;
  return r?.origin_meta;
}

/** Details (JSON text) of every `acquire.athena.query` entry, newest first. */
export function athenaQueryDetails(db: ReadableDB): string[] {
  return (cached(db, "SELECT details FROM custody WHERE action = 'acquire.athena.query' ORDER BY seq DESC").all() as { details: string }[]).map((r) => r.details);
}

/** Whether an Athena query's objects were all acquired (or the run was abandoned) by a logged run. */
export function athenaQueryDone(db: ReadableDB, queryId: string): boolean {
  return !!cached(
    db,
    "SELECT 1 FROM custody WHERE action IN ('acquire.athena', 'acquire.athena.abandoned') AND json_extract(details, '$.queryId') = ? AND json_extract(details, '$.complete') IS NOT 0 LIMIT 1",
  ).get(queryId);
}

/**
 * Result pages of an Athena query preserved in the case: as their own items,
 * and (when the bytes were already there) the custody records naming the item.
 */
export function athenaStoredPages(db: ReadableDB, queryId: string): { own: AthenaPageRow[]; duplicates: AthenaPageRow[] } {
  const own = cached(
    db,
    `SELECT id, json_extract(origin_meta, '$.page') AS page, json_extract(origin_meta, '$.nextToken') AS nextToken FROM evidence
        WHERE kind = 'api-page' AND json_extract(origin_meta, '$.api') = 'GetQueryResults' AND json_extract(origin_meta, '$.queryExecutionId') = ?`,
  ).all(queryId) as AthenaPageRow[];
  const duplicates = cached(
    db,
    `SELECT json_extract(details, '$.duplicateOf') AS id, json_extract(details, '$.page') AS page, json_extract(details, '$.nextToken') AS nextToken FROM custody
        WHERE action = 'acquire.athena.page' AND json_extract(details, '$.api') = 'GetQueryResults' AND json_extract(details, '$.queryExecutionId') = ?`,
  ).all(queryId) as AthenaPageRow[];
  return { own, duplicates };
}

export interface AthenaPageRow {
  id: number;
  page: number;
  nextToken: string | null;
}

/** Details (JSON text) of every custody entry of one action, in order (S3 duplicates). */
export function custodyDetailsOf(db: ReadableDB, action: string): string[] {
  return (cached(db, 'SELECT details FROM custody WHERE action = ? ORDER BY seq').all(action) as { details: string }[]).map((r) => r.details);
}

export function custodyActionCount(db: ReadableDB, action: string): number {
  return (cached(db, 'SELECT count(*) AS n FROM custody WHERE action = ?').get(action) as { n: number }).n;
}
