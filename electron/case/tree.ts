// The case's event tree (RFC 6962, merkle.ts) continued from the last signed
// checkpoint: the checkpoint row keeps the tree's frontier (the roots of its
// complete subtrees), so a new checkpoint hashes only the leaves added since.
// The frontier is trusted only when it gives that checkpoint's signed root;
// otherwise the tree is rebuilt from every leaf. `verify` never uses it (it
// recomputes every leaf and node from the preserved bytes).
//
// A bulk import runs extendEventTree in a parser thread with its own read-only
// connection while the main thread sorts the secondary indexes in (WAL lets one
// writer and readers work at once), so the tree costs the import no time of its own.
import type Database from 'better-sqlite3';
import { MerkleBuilder, type Frontier } from './merkle.ts';

export interface TreeStart {
  /** Frontier of the first `from` leaves (null: start from the empty tree). */
  frontier: Frontier | null;
  from: number;
}

/** Where to continue the event tree: the last checkpoint's frontier when it is sound and covers no more leaves than the case holds. */
export function eventTreeStart(db: Database.Database): TreeStart {
  const n = (db.prepare('SELECT coalesce(max(leaf) + 1, 0) AS n FROM events').get() as { n: number }).n;
  const cp = db.prepare('SELECT tree_size, root, frontier FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as
    | { tree_size: number; root: string; frontier: string | null }
    | undefined;
  if (cp?.frontier && cp.tree_size <= n) {
    try {
      const f = JSON.parse(cp.frontier) as Frontier;
      if (f.size === cp.tree_size && MerkleBuilder.fromFrontier(f).root().toString('hex') === cp.root) return { frontier: f, from: f.size };
    } catch {
      /* rebuilt from every leaf below */
    }
  }
  return { frontier: null, from: 0 };
}

/** The tree over every event (or the first `upto`): `start` continued with the leaf hashes of leaves from start.from on, in leaf order. */
export function extendEventTree(db: Database.Database, start: TreeStart, upto = Infinity): MerkleBuilder {
  const b = start.frontier ? MerkleBuilder.fromFrontier(start.frontier) : new MerkleBuilder();
  const limit = Number.isFinite(upto) ? Math.max(0, upto - start.from) : -1;
  for (const [h] of db.prepare('SELECT leaf_hash FROM events WHERE leaf >= ? ORDER BY leaf LIMIT ?').raw().iterate(start.from, limit) as Iterable<[Buffer]>) b.push(h);
  return b;
}
