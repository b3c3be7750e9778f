// Schema 6: RFC 3161 time-stamp tokens over checkpoints (docs/verification.md). A token is
// its own proof (the TSA's signature over SHA-256 of the checkpoint's signed
// text), so the table is append-only evidence but under no hash of the case:
// a deleted row only loses a proof of time, and an added one must verify
// against the TSA's CA certificate (docs/case-format.md, docs/verification.md).
import type { Migration } from './index.ts';

export const migration0006: Migration = {
  version: 6,
  name: 'checkpoint-timestamps',
  up: [
    `CREATE TABLE checkpoint_timestamps (
      id INTEGER PRIMARY KEY,
      checkpoint_seq INTEGER NOT NULL,
      tsa_url TEXT NOT NULL,
      digest TEXT NOT NULL,
      token BLOB NOT NULL,
      gen_time TEXT NOT NULL,
      received_at TEXT NOT NULL
    )`,
    `CREATE TRIGGER checkpoint_timestamps_no_update BEFORE UPDATE ON checkpoint_timestamps BEGIN SELECT RAISE(ABORT, 'checkpoint_timestamps is append-only'); END`,
    `CREATE TRIGGER checkpoint_timestamps_no_delete BEFORE DELETE ON checkpoint_timestamps BEGIN SELECT RAISE(ABORT, 'checkpoint_timestamps is append-only'); END`,
  ],
};
