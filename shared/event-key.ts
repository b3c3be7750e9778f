// Compact stored forms of CloudTrail identifiers.

/**
 * requestID as stored: a lower-case UUID as its 16 bytes (saves 20 bytes an
 * event; written by electron/ingest/packed.ts), anything else as text.
 */
export function requestIdText(v: string | Uint8Array | null | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  let h = '';
  for (const b of v) h += b.toString(16).padStart(2, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
