// DuckDB, loaded on first use. Importing it costs about 350 ms and 35 MB in a
// process, and every process that reaches the API table (the CLI for any
// command, the case process, the host) would pay it at start-up although most
// never query. It is a CommonJS package, so a synchronous require on first use
// keeps the callers unchanged; the bundles leave it external (build/bundle-app.ts).
import { createRequire } from 'node:module';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type DuckDB = typeof import('@duckdb/node-api');
let mod: DuckDB | null = null;

export function duck(): DuckDB {
  return (mod ??= createRequire(import.meta.url)('@duckdb/node-api') as DuckDB);
}

/** The engine and version recorded with every derived-form build and query run. */
export function engineName(): string {
  return `DuckDB ${duck().version()}`;
}

let collect: (() => void) | null | undefined;

/**
 * Let go of the result chunks read so far. A chunk's rows are native memory
 * that DuckDB frees only when V8 collects the chunk's JS wrapper, and V8 does
 * not count that memory, so a fast reader piles chunks up: streaming the 1.36M
 * events of one key from the 10M case held 1.1 GB (a scan alone: 2048 rows a
 * chunk). A minor collection every few chunks frees them (the same stream then
 * peaked at ~410 MB; ~2 ms a call). V8 exposes it only with --expose-gc, which
 * can be set at run time for a fresh context; without it this does nothing.
 */
export function releaseChunks(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as ((o?: { type: 'minor' }) => void) | undefined;
      collect = typeof gc === 'function' ? () => gc({ type: 'minor' }) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
