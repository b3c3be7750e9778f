// DuckDB, loaded on first use. Importing it costs about 350 ms and 35 MB in a
// process, and every process that reaches the API table (the CLI for any
// command, the case process, the host) would pay it at start-up although most
// never query. It is a CommonJS package, so a synchronous require on first use
// keeps the callers unchanged; the bundles leave it external (build/bundle-app.ts).
import { createRequire } from 'node:module';

type DuckDB = typeof import('@duckdb/node-api');
let mod: DuckDB | null = null;

export function duck(): DuckDB {
  return (mod ??= createRequire(import.meta.url)('@duckdb/node-api') as DuckDB);
}

/** The engine and version recorded with every derived-form build and query run. */
export function engineName(): string {
  return `DuckDB ${duck().version()}`;
}
