// The case's IOC list as stored (ioc_history, schema 2): its current state,
// read by the analysis (electron/analysis/ioc.ts, which also writes it) and by
// acquisition's query builders (Lake, Athena), which sit below analysis.
import { iocKey, isIocType, type Ioc } from '../../shared/analysis/ioc.ts';
import type { CaseStore } from './store.ts';
import { iocHistoryRows } from './data/iocs.ts';

/** Current state of every indicator ever added (removed ones only with includeRemoved), in the order first added. */
export function listIocs(store: CaseStore, opts: { includeRemoved?: boolean } = {}): (Ioc & { removed: boolean })[] {
  const state = new Map<string, Ioc & { removed: boolean }>();
  for (const r of iocHistoryRows(store.reader)) {
    if (!isIocType(r.ioc_type)) continue;
    const k = iocKey(r.ioc_type, r.value);
    const prev = state.get(k);
    if (r.op === 'add' && (!prev || prev.removed)) {
      state.delete(k); // re-added: it moves to the end and starts a new life
      state.set(k, {
        type: r.ioc_type,
        value: r.value,
        enabled: r.enabled === 1,
        label: r.label,
        source: r.source,
        addedAt: r.at,
        addedBy: r.actor,
        updatedAt: r.at,
        removed: false,
      });
    } else if (prev) {
      prev.enabled = r.enabled === 1;
      prev.updatedAt = r.at;
      if (r.op === 'remove') prev.removed = true;
      if (r.label !== null) prev.label = r.label;
    }
  }
  const all = [...state.values()];
  return opts.includeRemoved ? all : all.filter((i) => !i.removed);
}

