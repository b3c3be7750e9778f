// Worker entry: make TypeScript loadable in this thread, then run the worker
// (module hooks are not inherited by worker threads on Node 20; see ../worker-boot.js).
const { register } = await import('tsx/esm/api');
register();
await import('./object-parse-worker.ts');
