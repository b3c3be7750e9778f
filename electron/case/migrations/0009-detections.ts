// Schema 9: the examiner's own detections (docs/queries.md, item 6), kept in the case
// so a receiver re-runs exactly what the examiner ran: saved queries promoted
// to checks (kind 'query-check', key = check id, body = the definition and the
// query text) and Sigma rule files (kind 'sigma-file', key = file name, body =
// the text). Append-only like saved_queries (0008): every add or removal is a
// new row and a custody entry; the current set is the latest row per
// (kind, key) whose op is 'add'. sha256: of the query text or the rule file.
import type { Migration } from './index.ts';

export const migration0009: Migration = {
  version: 9,
  name: 'detections',
  up: [
    `CREATE TABLE detections (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL CHECK (kind IN ('query-check', 'sigma-file')),
      key TEXT NOT NULL,
      body TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      op TEXT NOT NULL CHECK (op IN ('add', 'remove')),
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      custody_seq INTEGER NOT NULL
    )`,
    `CREATE INDEX detections_key ON detections(kind, key, id)`,
    `CREATE TRIGGER detections_no_update BEFORE UPDATE ON detections BEGIN SELECT RAISE(ABORT, 'detections is append-only'); END`,
    `CREATE TRIGGER detections_no_delete BEFORE DELETE ON detections BEGIN SELECT RAISE(ABORT, 'detections is append-only'); END`,
  ],
};
