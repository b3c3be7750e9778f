// The import sources, composed: this list is the whole of what `import`,
// `acquire` and `importPaths` can reach. The first source whose form an
// argument has takes it, so local files and folders, which take anything, come
// last. To add a source: a unit (./sources.ts says what it declares), its
// options in shared/sources.ts, one line here; docs/architecture.md, "Add a source".
import { athenaSource, lakeSource, lookupSource, s3Source } from './aws/index.ts';
import { filesSource } from './files-source.ts';
import { SourceRegistry } from './sources.ts';

export const SOURCES = new SourceRegistry([s3Source, lookupSource, lakeSource, athenaSource, filesSource]);
