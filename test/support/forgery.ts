// Forgeries a careful person with sqlite3 could make (docs/verification.md): each keeps the
// file consistent with itself, so only a check against the signed checkpoint
// (or the signed report) finds it. Used by the case and report tests, for both
// `trailcase verify` and docs/verify-case.py.
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export const VERIFY_CASE_PY = join(import.meta.dirname, '..', '..', 'docs', 'verify-case.py');

/** Run docs/verify-case.py; status and combined output. */
export function verifyCasePy(args: string[], cwd?: string): { status: number; out: string } {
  const r = spawnSync('python3', [VERIFY_CASE_PY, ...args], { encoding: 'utf8', cwd, timeout: 300_000 });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Drop every append-only trigger, run `edit`, re-create the triggers with byte-identical text: one transaction. */
export function withTriggersRecreated(path: string, edit: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    db.transaction(() => {
      const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all() as { name: string; sql: string }[];
      for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
      edit(db);
      for (const t of triggers) db.exec(t.sql);
    })();
  } finally {
    db.close();
  }
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Change one record's source IP inside the preserved bytes of an evidence
 * item, then fix up what a naive check compares: evidence.sha256 and size,
 * and the event's leaf_hash. Returns the altered event's leaf and eventID.
 */
export function forgeRecordBytes(path: string, evidenceId: number): { leaf: number; eventId: string } {
  let out = { leaf: -1, eventId: '' };
  withTriggersRecreated(path, (db) => {
    const e = db.prepare('SELECT compression FROM evidence WHERE id = ?').get(evidenceId) as { compression: string };
    const original = Buffer.concat((db.prepare('SELECT data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq').all(evidenceId) as { data: Buffer }[]).map((r) => r.data));
    const decoded = e.compression === 'gzip' ? gunzipSync(original) : Buffer.from(original);
    const ev = db.prepare('SELECT leaf, event_id, pos, len, enc FROM events WHERE evidence_id = ? AND enc = 0 ORDER BY leaf LIMIT 1').get(evidenceId) as { leaf: number; event_id: string; pos: number; len: number };
    const rec = decoded.subarray(ev.pos, ev.pos + ev.len);
    const at = rec.indexOf('"sourceIPAddress"');
    const digit = rec.indexOf('.', at) - 1; // the last digit of the first octet (or of a host name's first label)
    rec[digit] = rec[digit] === 0x31 ? 0x32 : 0x31;
    const stored = e.compression === 'gzip' ? gzipSync(decoded) : decoded;
    db.prepare('DELETE FROM evidence_chunks WHERE evidence_id = ?').run(evidenceId);
    const CHUNK = 1 << 20;
    for (let i = 0, seq = 0; i < stored.length; i += CHUNK, seq++) {
      db.prepare('INSERT INTO evidence_chunks(evidence_id, seq, data) VALUES (?, ?, ?)').run(evidenceId, seq, stored.subarray(i, i + CHUNK));
    }
    db.prepare('UPDATE evidence SET sha256 = ?, size = ? WHERE id = ?').run(sha(stored), stored.length, evidenceId);
    db.prepare('UPDATE events SET leaf_hash = ? WHERE leaf = ?').run(createHash('sha256').update(Buffer.from([0])).update(rec).digest(), ev.leaf);
    out = { leaf: ev.leaf, eventId: ev.event_id };
  });
  return out;
}

/** Point one event's name column at another string (a normalised column no hash covers). */
export function forgeEventName(path: string, leaf: number): { eventId: string; from: string; to: string } {
  let out = { eventId: '', from: '', to: '' };
  withTriggersRecreated(path, (db) => {
    const ev = db.prepare('SELECT e.event_id, e.name, s.s FROM events e JOIN strings s ON s.id = e.name WHERE e.leaf = ?').get(leaf) as { event_id: string; name: number; s: string };
    const other = db.prepare('SELECT id, s FROM strings WHERE id IN (SELECT name FROM events) AND id != ? LIMIT 1').get(ev.name) as { id: number; s: string };
    db.prepare('UPDATE events SET name = ? WHERE leaf = ?').run(other.id, leaf);
    out = { eventId: ev.event_id, from: ev.s, to: other.s };
  });
  return out;
}

/** Flip one byte of one evidence item's first chunk, nothing fixed up. */
export function flipEvidenceByte(path: string, evidenceId: number): void {
  withTriggersRecreated(path, (db) => {
    const row = db.prepare('SELECT id, data FROM evidence_chunks WHERE evidence_id = ? ORDER BY seq LIMIT 1').get(evidenceId) as { id: number; data: Buffer };
    const data = Buffer.from(row.data);
    data[Math.floor(data.length / 2)] ^= 0x01;
    db.prepare('UPDATE evidence_chunks SET data = ? WHERE id = ?').run(data, row.id);
  });
}
