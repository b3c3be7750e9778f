// Compact stored forms of CloudTrail identifiers.

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
