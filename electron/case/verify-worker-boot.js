// Worker entry: make TypeScript loadable in this thread, then run the worker
// (module hooks are not inherited by worker threads on Node 20; see ../ingest/worker-boot.js).
// The packaged app and the compiled CLI bundle verify-worker.ts under this name instead.
const { register } = await import('tsx/esm/api');
register();
await import('./verify-worker.ts');
