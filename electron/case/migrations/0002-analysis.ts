// Schema 2: analysis state. Indicators (IOCs) and finding decisions change over
// an investigation, so they are kept as append-only *histories*: every add,
// remove, enable, disable, accept or dismiss is a new row (and a custody entry);
// the current state is the latest row per key.
import type { Migration } from './index.ts';

export const migration0002: Migration = {
  version: 2,
  name: 'analysis',
  up: [
    `CREATE TABLE ioc_history (
      id INTEGER PRIMARY KEY,
      ioc_type TEXT NOT NULL,
      value TEXT NOT NULL,
      op TEXT NOT NULL,
      enabled INTEGER NOT NULL,
      label TEXT,
      source TEXT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE INDEX ioc_history_key ON ioc_history(ioc_type, value, id)`,
    `CREATE TABLE finding_decisions (
      id INTEGER PRIMARY KEY,
      finding_id TEXT NOT NULL,
      decision TEXT NOT NULL,
      note TEXT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE INDEX finding_decisions_id ON finding_decisions(finding_id, id)`,
    ...['ioc_history', 'finding_decisions'].flatMap((t) => [
      `CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
      `CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END`,
    ]),
  ],
};
