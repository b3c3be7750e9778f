// The compact lookup key of an eventID: a 53-bit FNV-1a-style hash, exact in a
// JavaScript number and an 8-byte SQLite INTEGER. events.id_key is indexed
// instead of the 36-character text (half the index size, twice the insert
// speed); lookups always compare the text too, so a hash collision is harmless.
export function eventIdKey(id: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  // 32 bits of h1 and 21 bits of h2: 53 bits, always a safe integer.
  return (h1 >>> 0) * 0x200000 + ((h2 >>> 0) & 0x1fffff);
}
