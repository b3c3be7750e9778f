// Evidence text in the UI (docs/architecture.md, "Display integrity"). Every value that comes from a record (or
// from anything the person under investigation could write) is rendered with
// <Ev>: isolated in a <bdi> so it cannot reorder the text around it, every
// hidden or direction-changing character shown as a styled ⟨U+…⟩ escape, and a
// very long value shortened with its full length stated. `tip` is the same for
// title attributes (tooltips obey bidi controls too). The stored record and the
// exports keep every value exactly.
import { useState } from 'react';
import { DISPLAY_MAX, displayParts, displayText, shorten } from '../../shared/text/display.ts';
import { num } from '../lib/format.ts';

function Parts({ s, keepLayout }: { s: string; keepLayout?: boolean }) {
  return (
    <>
      {displayParts(s, { keepLayout }).map((p, i) =>
        p.escape ? (
          <span key={i} className="esc" title={`U+${p.codePoint.toString(16).toUpperCase().padStart(4, '0')} is in the value here (hidden or direction-changing character)`}>
            {p.text}
          </span>
        ) : (
          p.text
        ),
      )}
    </>
  );
}

/** A value from the evidence: isolated, escaped, shortened past `max` (the length stated); `keepLayout` for tool-written text with its own line breaks. */
export function Ev({ v, max = DISPLAY_MAX, className, keepLayout }: { v: unknown; max?: number; className?: string; keepLayout?: boolean }) {
  if (v === null || v === undefined || v === '') return null;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (s.length <= max) {
    return (
      <bdi className={className}>
        <Parts s={s} keepLayout={keepLayout} />
      </bdi>
    );
  }
  const sh = shorten(s, max);
  return (
    <bdi className={className}>
      <Parts s={sh.text.slice(0, sh.text.lastIndexOf('…('))} keepLayout={keepLayout} />
      <span className="ev-len">…({num(sh.length)} chars)</span>
    </bdi>
  );
}

/** A value that may be very long, with "show full value" one click away (the inspector). */
export function EvFull({ v, max = DISPLAY_MAX, className }: { v: unknown; max?: number; className?: string }) {
  const [full, setFull] = useState(false);
  if (v === null || v === undefined || v === '') return null;
  const s = typeof v === 'string' ? v : String(v);
  if (s.length <= max) return <Ev v={s} max={max} className={className} />;
  return (
    <>
      {full ? (
        <div className="ev-full" aria-label="Full value">
          <bdi className={className}>
            <Parts s={s} />
          </bdi>
        </div>
      ) : (
        <Ev v={s} max={max} className={className} />
      )}{' '}
      <button className="mini" onClick={() => setFull(!full)} aria-expanded={full}>
        {full ? 'show shortened' : 'show full value'}
      </button>
    </>
  );
}

/** A multi-line block (the record view): exact text, line breaks and tabs kept, every other hidden character escaped. */
export function EvBlock({ text }: { text: string }) {
  return <Parts s={text} keepLayout />;
}

/** A title attribute (tooltip) for evidence text. */
export function tip(v: unknown, max = 1000): string {
  return displayText(v, max);
}
