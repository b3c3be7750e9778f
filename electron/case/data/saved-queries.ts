// Saved queries (migration 0008): an append-only history of saves and removals
// by name; the current set is each name's last row when that row is a save.
// The rules around them (a name is required, each change is a custody entry in
// the same transaction) are electron/query/saved.ts's.
import type { SavedQuery } from '../../../shared/api/query.ts';
import { cached, type ReadableDB, type WritableDB } from './db.ts';

/** The saved queries in force, by name. */
export function currentSavedQueries(db: ReadableDB): SavedQuery[] {
  return cached(
    db,
    `SELECT s.name, s.mode, s.text, s.notes, s.at, s.actor FROM saved_queries s
     JOIN (SELECT name, max(id) AS id FROM saved_queries GROUP BY name) l ON l.id = s.id
     WHERE s.op = 'save' ORDER BY s.name`,
  ).all() as SavedQuery[];
}

/** Append one row of the history: a save of `q`, or the removal of the query `q` was. */
export function appendSavedQuery(
  db: WritableDB,
  op: 'save' | 'delete',
  q: { name: string; mode: 'sql' | 'search'; text: string; notes: string },
  at: string,
  actor: string,
  custodySeq: number,
): void {
  cached(db, 'INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
    q.name,
    q.mode,
    q.text,
    q.notes,
    op,
    at,
    actor,
    custodySeq,
  );
}
