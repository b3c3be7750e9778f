// RFC 6962 (Certificate Transparency) Merkle tree hashing, §2.1:
//   leaf hash  = SHA-256(0x00 || data)
//   node hash  = SHA-256(0x01 || left || right)
// The prefixes are the domain separation that stops a leaf being passed off as
// an inner node (second-preimage). The tree over n leaves splits at the largest
// power of two smaller than n. Used for events and evidence; checkpoints sign
// (size, root), and inclusion proofs let a receiver check one event against a
// signed root without the rest of the case (handoff issue).
import * as crypto from 'node:crypto';
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

// One-shot crypto.hash (Node >= 20.12) is ~35% cheaper than createHash for
// small inputs, and there is one leaf hash per event and about one node hash
// per event: the prefixed bytes are assembled in a reused scratch buffer.
const oneShot = (crypto as unknown as { hash?: (alg: string, data: Uint8Array, enc: 'buffer') => Buffer }).hash;
let scratch = Buffer.alloc(4096);
const nodeScratch = Buffer.alloc(65);

export function leafHash(data: Uint8Array): Buffer {
  if (!oneShot) return createHash('sha256').update(LEAF).update(data).digest();
  if (scratch.length < data.length + 1) scratch = Buffer.alloc(Math.max(data.length + 1, scratch.length * 2));
  scratch[0] = 0;
  scratch.set(data, 1);
  return oneShot('sha256', scratch.subarray(0, data.length + 1), 'buffer');
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  if (!oneShot || left.length !== 32 || right.length !== 32) return createHash('sha256').update(NODE).update(left).update(right).digest();
  nodeScratch[0] = 1;
  nodeScratch.set(left, 1);
  nodeScratch.set(right, 33);
  return oneShot('sha256', nodeScratch, 'buffer');
}

export const EMPTY_ROOT = createHash('sha256').digest();

/** The roots of a tree's complete power-of-two subtrees, left to right (hex), with their sizes. */
export interface Frontier {
  size: number;
  nodes: string[];
  sizes: number[];
}

/**
 * Streaming tree builder: push leaf hashes in order, read the root of the
 * prefix seen so far at any time in O(log n). Memory is O(log n): the stack
 * holds the roots of complete power-of-two subtrees (the "frontier").
 */
export class MerkleBuilder {
  private stack: { h: Buffer; size: number }[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  push(leaf: Buffer): void {
    let cur = { h: leaf, size: 1 };
    while (this.stack.length && this.stack[this.stack.length - 1].size === cur.size) {
      const left = this.stack.pop()!;
      cur = { h: nodeHash(left.h, cur.h), size: left.size * 2 };
    }
    this.stack.push(cur);
    this.n++;
  }

  /** Root of all leaves pushed so far (RFC 6962 MTH). */
  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let h = this.stack[this.stack.length - 1].h;
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.stack[i].h, h);
    return h;
  }

  /** Serialisable frontier, so an import can continue the tree without rereading all leaves. */
  frontier(): Frontier {
    return { size: this.n, nodes: this.stack.map((s) => s.h.toString('hex')), sizes: this.stack.map((s) => s.size) };
  }

  static fromFrontier(f: Frontier): MerkleBuilder {
    const b = new MerkleBuilder();
    b.n = f.size;
    b.stack = f.nodes.map((h, i) => ({ h: Buffer.from(h, 'hex'), size: f.sizes[i] }));
    return b;
  }
}

/** MTH over a full list of leaf hashes (reference implementation for proofs and tests). */
export function merkleRoot(leaves: Buffer[]): Buffer {
  const b = new MerkleBuilder();
  for (const l of leaves) b.push(l);
  return b.root();
}

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 §2.1.1 audit path for leaf m in a tree of leaves. */
export function inclusionProof(leaves: Buffer[], m: number): Buffer[] {
  const path = (lo: number, hi: number, idx: number): Buffer[] => {
    const n = hi - lo;
    if (n <= 1) return [];
    const k = largestPowerOfTwoBelow(n);
    if (idx < k) return [...path(lo, lo + k, idx), merkleRoot(leaves.slice(lo + k, hi))];
    return [...path(lo + k, hi, idx - k), merkleRoot(leaves.slice(lo, lo + k))];
  };
  if (m < 0 || m >= leaves.length) throw new Error(`leaf ${m} outside a tree of ${leaves.length}`);
  return path(0, leaves.length, m);
}

/** Verify an audit path (RFC 9162 §2.1.3.2 algorithm, equivalent for RFC 6962 trees). */
export function verifyInclusion(leaf: Buffer, index: number, treeSize: number, proof: Buffer[], root: Buffer): boolean {
  if (index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}
