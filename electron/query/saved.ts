// Saved queries (schema 8): named, with notes, kept in the case as an
// append-only history; each save or removal is a custody entry in the same
// transaction.
import type { SavedQuery } from '../../shared/api/query.ts';
import type { CaseStore } from '../case/store.ts';
import { UserError } from '../errors.ts';

export function listSavedQueries(store: CaseStore): SavedQuery[] {
  const rows = store.db
    .prepare(
      `SELECT s.name, s.mode, s.text, s.notes, s.at, s.actor FROM saved_queries s
       JOIN (SELECT name, max(id) AS id FROM saved_queries GROUP BY name) l ON l.id = s.id
       WHERE s.op = 'save' ORDER BY s.name`,
    )
    .all() as SavedQuery[];
  return rows;
}

export function getSavedQuery(store: CaseStore, name: string): SavedQuery {
  const q = listSavedQueries(store).find((s) => s.name === name);
  if (!q) throw new UserError(`no saved query named ${JSON.stringify(name.slice(0, 200))}`);
  return q;
}

export function saveQuery(store: CaseStore, actor: string, q: { name: string; mode: 'sql' | 'search'; text: string; notes: string }): { seq: number } {
  if (!q.name.trim()) throw new UserError('a saved query needs a name');
  return store.db.transaction(() => {
    const seq = store.appendCustody(actor, 'query.saved', { name: q.name, mode: q.mode, text: q.text, notes: q.notes });
    store
      .stmt(`INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES (?, ?, ?, ?, 'save', ?, ?, ?)`)
      .run(q.name, q.mode, q.text, q.notes, new Date().toISOString(), actor, seq);
    return { seq };
  })();
}

export function deleteSavedQuery(store: CaseStore, actor: string, name: string): { seq: number } {
  const q = getSavedQuery(store, name);
  return store.db.transaction(() => {
    const seq = store.appendCustody(actor, 'query.deleted', { name });
    store
      .stmt(`INSERT INTO saved_queries(name, mode, text, notes, op, at, actor, custody_seq) VALUES (?, ?, ?, ?, 'delete', ?, ?, ?)`)
      .run(q.name, q.mode, q.text, q.notes, new Date().toISOString(), actor, seq);
    return { seq };
  })();
}

/** Every query run recorded in the custody log (for the report's methodology). */
export function queryRuns(store: CaseStore): { seq: number; at: string; actor: string; details: Record<string, unknown> }[] {
  return (store.db.prepare("SELECT seq, at, actor, details FROM custody WHERE action = 'query.run' ORDER BY seq").all() as { seq: number; at: string; actor: string; details: string }[]).map(
    (r) => ({ ...r, details: JSON.parse(r.details) as Record<string, unknown> }),
  );
}
