// A windowed list (docs/architecture.md, "The renderer": the event table is virtualised): only the rows in
// view (plus a few) exist in the DOM, whatever the row count. Fixed row height
// keeps it to arithmetic; the scroller's spacer has the full height.
import { useEffect, useRef, useState, type ReactNode, type KeyboardEvent } from 'react';

interface Props {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ReactNode;
  /** Called with the first and last visible index whenever they change (to fetch pages). */
  onRange?: (first: number, last: number) => void;
  /** Keyboard selection. */
  selected?: number | null;
  onSelect?: (index: number) => void;
  onActivate?: (index: number) => void;
  className?: string;
  label: string;
  overscan?: number;
}

export function VirtualList({ count, rowHeight, renderRow, onRange, selected, onSelect, onActivate, className, label, overscan = 8 }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  useEffect(() => {
    if (count > 0) onRange?.(first, last);
  }, [first, last, count, onRange]);
  // Keep the keyboard selection in view.
  useEffect(() => {
    const el = ref.current;
    if (!el || selected === null || selected === undefined) return;
    const top = selected * rowHeight;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight > el.scrollTop + el.clientHeight) el.scrollTop = top + rowHeight - el.clientHeight;
  }, [selected, rowHeight]);
  const onKey = (e: KeyboardEvent) => {
    if (!onSelect || count === 0) return;
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const cur = selected ?? -1;
    let next: number | null = null;
    if (e.key === 'ArrowDown' || e.key === 'j') next = Math.min(count - 1, cur + 1);
    else if (e.key === 'ArrowUp' || e.key === 'k') next = Math.max(0, cur - 1);
    else if (e.key === 'PageDown') next = Math.min(count - 1, cur + page);
    else if (e.key === 'PageUp') next = Math.max(0, cur - page);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = count - 1;
    else if (e.key === 'Enter' && cur >= 0) {
      onActivate?.(cur);
      e.preventDefault();
      return;
    }
    if (next !== null) {
      e.preventDefault();
      onSelect(next);
    }
  };
  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) rows.push(renderRow(i));
  return (
    <div
      ref={ref}
      className={`vlist ${className ?? ''}`}
      tabIndex={0}
      role="grid"
      aria-label={label}
      aria-rowcount={count}
      onScroll={(e) => setScrollTop((e.target as HTMLDivElement).scrollTop)}
      onKeyDown={onKey}
    >
      <div className="vlist-spacer" style={{ height: count * rowHeight }}>
        <div className="vlist-rows" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
