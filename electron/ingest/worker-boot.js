// Worker entry: make TypeScript loadable in this thread, then run the worker.
// (Module hooks registered with --import or tsx's API are not inherited by
// worker threads on Node 20, so every worker registers its own.)
const { register } = await import('tsx/esm/api');
register();
await import('./parse-worker.ts');
