// Schema 8: saved queries (docs/queries.md). An examiner's questions are part of the
// case: kept as an append-only history like the IOC list (0002), every save,
// change or removal a new row and a custody entry; the current set is the
// latest row per name whose op is 'save'. mode: 'sql' or 'search' (the search bar).
import type { Migration } from './index.ts';

export const migration0008: Migration = {
  version: 8,
  name: 'saved-queries',
  up: [
    `CREATE TABLE saved_queries (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      mode TEXT NOT NULL CHECK (mode IN ('sql', 'search')),
      text TEXT NOT NULL,
      notes TEXT NOT NULL,
      op TEXT NOT NULL CHECK (op IN ('save', 'delete')),
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE INDEX saved_queries_name ON saved_queries(name, id)`,
    `CREATE TRIGGER saved_queries_no_update BEFORE UPDATE ON saved_queries BEGIN SELECT RAISE(ABORT, 'saved_queries is append-only'); END`,
    `CREATE TRIGGER saved_queries_no_delete BEFORE DELETE ON saved_queries BEGIN SELECT RAISE(ABORT, 'saved_queries is append-only'); END`,
  ],
};
