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

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * requestID as stored: a lower-case UUID as its 16 bytes (saves 20 bytes an
 * event), anything else as text. Bijective with requestIdText.
 */
export function requestIdValue(id: string | null): string | Uint8Array | null {
  if (id === null || !UUID_RE.test(id)) return id;
  const out = new Uint8Array(16);
  const h = id.replace(/-/g, '');
  for (let i = 0; i < 16; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function requestIdText(v: string | Uint8Array | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  let h = '';
  for (const b of v) h += b.toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
