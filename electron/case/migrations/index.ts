// Numbered schema migrations (Signal's pattern): each runs in one transaction
// that also sets PRAGMA user_version, and each has its own test in
// test/case/migrations.test.ts (create at N-1, add rows, migrate, check).
import type Database from 'better-sqlite3';
import { migration0001 } from './0001-initial.ts';
import { migration0002 } from './0002-analysis.ts';
import { migration0003 } from './0003-analysis-index.ts';
import { migration0004 } from './0004-timeline.ts';
import { migration0005 } from './0005-timeline-ip.ts';
import { migration0006 } from './0006-checkpoint-timestamps.ts';
import { migration0007 } from './0007-enrichment.ts';
import { migration0008 } from './0008-saved-queries.ts';
import { migration0009 } from './0009-detections.ts';
import { migration0010 } from './0010-key-time-index.ts';

export interface Migration {
  version: number;
  name: string;
  up: string[] | ((db: Database.Database) => void);
}

export const MIGRATIONS: Migration[] = [migration0001, migration0002, migration0003, migration0004, migration0005, migration0006, migration0007, migration0008, migration0009, migration0010];
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** Apply every migration above the file's user_version; returns the versions applied. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number[] {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(`case schema ${current} is newer than this TrailCase understands (${SCHEMA_VERSION}); upgrade TrailCase`);
  }
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current || m.version > target) continue;
    db.transaction(() => {
      if (typeof m.up === 'function') m.up(db);
      else for (const sql of m.up) db.exec(sql);
      db.pragma(`user_version = ${m.version}`);
    })();
    applied.push(m.version);
  }
  return applied;
}
