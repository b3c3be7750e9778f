// Local files and folders as an import source: every argument that is no other
// source's form. All of them make one import (parsed in worker threads by
// ./import-files.ts).
import { filesSourceOptions } from '../../shared/sources.ts';
import { importPaths } from './import-files.ts';
import { optionList, SCOPE_FLAGS, type ImportSource } from './sources.ts';

export const filesSource: ImportSource<typeof filesSourceOptions> = {
  name: 'files',
  form: 'PATH',
  usage: 'PATH... [--account A] [--region R] [--since T] [--until T] [--workers N]',
  // Last in the list: whatever no other source claims (a path that cannot be read is a warning of the import).
  matches: () => true,
  together: true,
  options: filesSourceOptions,
  cli: {
    flags: { ...SCOPE_FLAGS, workers: { type: 'string' } },
    options: (v) => ({ accounts: optionList(v.account), regions: optionList(v.region), since: v.since, until: v.until }),
  },
  run(store, signer, paths, o, ctx) {
    return importPaths(store, signer, { sources: paths, ...o }, {
      workers: ctx.workers,
      signal: ctx.signal,
      onProgress: ctx.onProgress && ((p) => ctx.onProgress!({ phase: p.phase, done: p.bytes, total: p.totalBytes, unit: 'bytes', detail: `${p.events} events; ${p.detail ?? ''}` })),
    });
  },
};
