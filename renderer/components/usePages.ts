// Rows of a virtualised list fetched a page at a time (the event table, the query result grid):
// each page is asked for once while `key` is the same; a new key drops every page and asks for
// the first again, and answers that come back for an older key are dropped.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Pages<T> {
  /** Row i, or null while its page is on its way. */
  rowAt(i: number): T | null;
  /** For VirtualList's onRange: ask for the pages the visible rows are on. */
  onRange(first: number, last: number): void;
  /** The total the last answer gave (null until one has, and after a new key). */
  total: number | null;
  error: unknown;
  /** Draw again (after an error). */
  retry(): void;
}

/**
 * `load(offset, limit)` gives a page's rows and, where it knows it, the total. `first`: the first
 * page, already at hand (the query grid gets it with the run); without it the first page is asked for.
 */
export function usePages<T>(key: string, pageSize: number, load: (offset: number, limit: number) => Promise<{ rows: T[]; total?: number }>, first?: T[]): Pages<T> {
  const pages = useRef(new Map<number, T[] | 'loading'>(first ? [[0, first]] : []));
  const keyRef = useRef(key);
  const loadRef = useRef(load);
  loadRef.current = load;
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [, setTick] = useState(0);

  const fetchPage = useCallback(
    async (p: number) => {
      if (pages.current.has(p)) return;
      pages.current.set(p, 'loading');
      const myKey = keyRef.current;
      try {
        const r = await loadRef.current(p * pageSize, pageSize);
        if (keyRef.current !== myKey) return;
        pages.current.set(p, r.rows);
        if (r.total !== undefined) setTotal(r.total);
        setError(null);
        setTick((t) => t + 1);
      } catch (e) {
        if (keyRef.current !== myKey) return;
        pages.current.delete(p);
        setError(e);
      }
    },
    [pageSize],
  );

  const given = useRef(!!first);
  useEffect(() => {
    if (given.current) {
      given.current = false; // the first page came with the rows: nothing to ask for yet
      return;
    }
    keyRef.current = key;
    pages.current = new Map();
    setTotal(null);
    fetchPage(0);
  }, [key, fetchPage]);

  const onRange = useCallback(
    (from: number, to: number) => {
      for (let p = Math.floor(from / pageSize); p <= Math.floor(to / pageSize); p++) fetchPage(p);
    },
    [fetchPage, pageSize],
  );

  const rowAt = (i: number): T | null => {
    const p = pages.current.get(Math.floor(i / pageSize));
    return p && p !== 'loading' ? (p[i % pageSize] ?? null) : null;
  };
  return { rowAt, onRange, total, error, retry: () => setTick((t) => t + 1) };
}
