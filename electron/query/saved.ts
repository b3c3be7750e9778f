// Saved queries (schema 8): named, with notes, kept in the case as an
// append-only history; each save or removal is a custody entry in the same
// transaction. The rows are electron/case/data/saved-queries.ts's.
import type { SavedQuery } from '../../shared/api/query.ts';
import type { CaseStore } from '../case/store.ts';
import { appendSavedQuery, currentSavedQueries } from '../case/data/saved-queries.ts';
import { custodyOfAction } from '../case/data/custody.ts';
import { UserError } from '../errors.ts';

export function listSavedQueries(store: CaseStore): SavedQuery[] {
  return currentSavedQueries(store.reader);
}

export function getSavedQuery(store: CaseStore, name: string): SavedQuery {
  const q = listSavedQueries(store).find((s) => s.name === name);
  if (!q) throw new UserError(`no saved query named ${JSON.stringify(name.slice(0, 200))}`);
  return q;
}

export function saveQuery(store: CaseStore, actor: string, q: { name: string; mode: 'sql' | 'search'; text: string; notes: string }): { seq: number } {
  if (!q.name.trim()) throw new UserError('a saved query needs a name');
  return store.transaction(() => {
    const seq = store.appendCustody(actor, 'query.saved', { name: q.name, mode: q.mode, text: q.text, notes: q.notes });
    appendSavedQuery(store.writer, 'save', q, new Date().toISOString(), actor, seq);
    return { seq };
  });
}

export function deleteSavedQuery(store: CaseStore, actor: string, name: string): { seq: number } {
  const q = getSavedQuery(store, name);
  return store.transaction(() => {
    const seq = store.appendCustody(actor, 'query.deleted', { name });
    appendSavedQuery(store.writer, 'delete', q, new Date().toISOString(), actor, seq);
    return { seq };
  });
}

/** Every query run recorded in the custody log (for the report's methodology). */
export function queryRuns(store: CaseStore): { seq: number; at: string; actor: string; details: Record<string, unknown> }[] {
  return custodyOfAction(store.reader, 'query.run').map((e) => ({ seq: e.seq, at: e.at, actor: e.actor, details: e.details }));
}
