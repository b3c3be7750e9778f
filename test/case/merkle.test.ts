import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_ROOT, inclusionProof, leafHash, merkleRoot, MerkleBuilder, nodeHash, verifyInclusion } from '../../electron/case/merkle.ts';

// RFC 6962 §2.1.3 reference tree: the Certificate Transparency test inputs and
// the tree heads every conforming implementation computes for sizes 0..8.
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const LEAVES = INPUTS.map(leafHash);

test('tree heads match the RFC 6962 reference for sizes 0..8', () => {
  assert.equal(EMPTY_ROOT.toString('hex'), ROOTS[0]);
  for (let n = 0; n <= 8; n++) assert.equal(merkleRoot(LEAVES.slice(0, n)).toString('hex'), ROOTS[n], `size ${n}`);
});

test('the streaming builder gives the same root at every prefix', () => {
  const b = new MerkleBuilder();
  assert.equal(b.root().toString('hex'), ROOTS[0]);
  LEAVES.forEach((l, i) => {
    b.push(l);
    assert.equal(b.root().toString('hex'), ROOTS[i + 1]);
  });
  const again = MerkleBuilder.fromFrontier(b.frontier());
  assert.equal(again.root().toString('hex'), ROOTS[8]);
});

test('reference inclusion proofs (leaf 0 and leaf 5 of 8)', () => {
  assert.deepEqual(inclusionProof(LEAVES, 0).map((h) => h.toString('hex')), [
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ]);
  assert.deepEqual(inclusionProof(LEAVES, 5).map((h) => h.toString('hex')), [
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  ]);
});

test('every inclusion proof verifies in every tree size up to 33, and a wrong one does not', () => {
  const many = Array.from({ length: 33 }, (_, i) => leafHash(Buffer.from(`record-${i}`)));
  for (let n = 1; n <= many.length; n++) {
    const leaves = many.slice(0, n);
    const root = merkleRoot(leaves);
    for (let i = 0; i < n; i++) {
      const proof = inclusionProof(leaves, i);
      assert.ok(verifyInclusion(leaves[i], i, n, proof, root), `leaf ${i} of ${n}`);
      assert.ok(!verifyInclusion(leafHash(Buffer.from('forged')), i, n, proof, root));
      if (n > 1) assert.ok(!verifyInclusion(leaves[i], (i + 1) % n, n, proof, root) || leaves[i].equals(leaves[(i + 1) % n]));
    }
  }
});

test('leaf and node hashes are domain-separated', () => {
  const a = leafHash(Buffer.from('a'));
  const b = leafHash(Buffer.from('b'));
  // A node hash is not the leaf hash of the concatenation (second-preimage resistance).
  assert.notEqual(nodeHash(a, b).toString('hex'), leafHash(Buffer.concat([a, b])).toString('hex'));
});

test('the event tree is continued from the last checkpoint only when its frontier gives the signed root', async () => {
  const { tempCase } = await import('../support/case.ts');
  const { importPaths } = await import('../../electron/ingest/import-files.ts');
  const { eventTreeStart, extendEventTree } = await import('../../electron/case/tree.ts');
  const c = tempCase('tree');
  try {
    const STRATUS = 'test/fixtures/stratus-red-team/detonation-logs';
    const files = (await import('node:fs')).readdirSync(STRATUS).sort();
    await importPaths(c.store, c.signer, { sources: files.slice(0, 10).map((f) => `${STRATUS}/${f}`) });
    const first = c.store.lastCheckpoint()!;
    await importPaths(c.store, c.signer, { sources: files.slice(10).map((f) => `${STRATUS}/${f}`) });
    const leaves = (c.store.db.prepare('SELECT leaf_hash FROM events ORDER BY leaf').raw().all() as [Buffer][]).map((r) => r[0]);
    const full = merkleRoot(leaves);
    assert.ok(first.treeSize > 0 && first.treeSize < leaves.length);
    assert.equal(c.store.lastCheckpoint()!.root, full.toString('hex'), 'the second import signed the root over every leaf');
    // Continue from the second checkpoint: nothing to add.
    const start = eventTreeStart(c.store.db);
    assert.equal(start.from, leaves.length);
    assert.deepEqual(extendEventTree(c.store.db, start).root(), full);
    // From the first checkpoint's frontier, adding the leaves after it.
    const cp1 = c.store.db.prepare('SELECT frontier FROM checkpoints WHERE tree_size = ? ORDER BY seq LIMIT 1').get(first.treeSize) as { frontier: string };
    const f1 = JSON.parse(cp1.frontier);
    assert.deepEqual(extendEventTree(c.store.db, { frontier: f1, from: f1.size }).root(), full);
    // A frontier that does not give its checkpoint's signed root is not trusted: the tree is rebuilt from leaf 0.
    c.store.db.exec('DROP TRIGGER checkpoints_no_update');
    const bad = { ...f1, nodes: f1.nodes.map((n: string, i: number) => (i === 0 ? 'ff' + n.slice(2) : n)) };
    const lastSeq = (c.store.db.prepare('SELECT max(seq) AS s FROM checkpoints').get() as { s: number }).s;
    c.store.db.prepare('UPDATE checkpoints SET frontier = ? WHERE seq = ?').run(JSON.stringify({ ...bad, size: leaves.length }), lastSeq);
    assert.deepEqual(eventTreeStart(c.store.db), { frontier: null, from: 0 });
    assert.deepEqual(c.store.eventTreeBuilder().root(), full);
  } finally {
    c.cleanup();
  }
});
