// Development/test entry of the case process from the TypeScript sources:
// register tsx in this thread (module hooks are not inherited by worker
// threads on Node 20), then run case-process.ts. The packaged app runs the
// esbuild bundle of case-process.ts instead (build/bundle-app.ts).
const { register } = await import('tsx/esm/api');
register();
await import('./case-process.ts');
