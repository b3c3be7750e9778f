// What an import source is, and the registry every door asks: `trailcase
// import` (by the form of each argument), the API's `acquire` and
// `importPaths`, and through them the UI. Each source declares its argument
// form, its options once as a zod schema (shared/sources.ts), how CLI flags map
// onto them, and how it runs. The composition is ./source-list.ts; recipe in
// docs/architecture.md, "Add a source".
import type { ParseArgsConfig } from 'node:util';
import type { z } from 'zod';
import type { ImportSummary, Progress } from '../../shared/types.ts';
import { UserError } from '../errors.ts';
import type { Signer } from '../case/keys.ts';
import type { CaseStore } from '../case/store.ts';

export interface SourceRunContext {
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** A line the examiner should see (e.g. what an Athena query scanned and cost), not a warning. */
  notice?: (line: string) => void;
  /** Parser threads (CLI --workers); a tuning knob, not part of what is imported. */
  workers?: number;
}

export interface ImportSource<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Unique; also the name the CLI and messages use. */
  name: string;
  /** The argument's form for messages, e.g. s3://BUCKET/PREFIX. */
  form: string;
  /** Usage of the argument and its options, shown by `trailcase import --help`. */
  usage: string;
  matches(arg: string): boolean;
  /** Several arguments of this source make one import (files and folders); otherwise each argument is its own import. */
  together?: boolean;
  /** The options, declared once: every door validates with this before run. */
  options: S;
  /** The CLI flags of this source and how their values become the options (validated with `options` after). */
  cli: { flags: NonNullable<ParseArgsConfig['options']>; options(values: Record<string, any>): unknown };
  run(store: CaseStore, signer: Signer, args: string[], options: z.output<S>, ctx: SourceRunContext): Promise<ImportSummary>;
}

/** The flag a schema key comes from, for messages (the flags are the examiner's words). */
const FLAG_OF: Record<string, string> = {
  accounts: 'account',
  regions: 'region',
  endpointUrl: 'endpoint-url',
  publicKeysFile: 'public-keys',
  useIocs: 'ioc',
  outputLocation: 'output',
  athenaRegion: 'athena-region',
  s3EndpointUrl: 's3-endpoint-url',
};

/** Options through the source's schema; a problem is a UserError naming the source and the option. */
export function sourceOptions<S extends z.ZodTypeAny>(src: ImportSource<S>, input: unknown, from: 'cli' | 'api'): z.output<S> {
  const r = src.options.safeParse(input);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const key = String(i.path[0] ?? '');
  const name = from === 'cli' ? `--${FLAG_OF[key] ?? key}` : key;
  throw new UserError(`${src.name}: ${name}: ${i.message}`);
}

/** Comma-separated and repeated option values as one list. */
export function optionList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  const out = arr.flatMap((x) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

/** A positive whole number from a CLI flag (the schema sets the upper bound). */
export function positiveInt(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--${name} must be a positive whole number`);
  return n;
}

/** The case-scope flags every source shares (--account, --region, --since, --until). */
export const SCOPE_FLAGS: NonNullable<ParseArgsConfig['options']> = {
  account: { type: 'string', multiple: true },
  region: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
};

export class SourceRegistry {
  readonly all: readonly ImportSource[];

  constructor(sources: readonly ImportSource[]) {
    const names = new Set<string>();
    for (const s of sources) {
      if (names.has(s.name)) throw new Error(`import source ${s.name} registered twice`);
      names.add(s.name);
    }
    this.all = [...sources];
  }

  /** The first source (in registration order) whose form the argument has. */
  for(arg: string): ImportSource | undefined {
    return this.all.find((s) => s.matches(arg));
  }

  get(name: string): ImportSource {
    const s = this.all.find((x) => x.name === name);
    if (!s) throw new Error(`no import source ${name}`);
    return s;
  }

  /** Every source's flags, for one parse of the command line (the same flag means the same thing to each). */
  flags(): NonNullable<ParseArgsConfig['options']> {
    return Object.assign({}, ...this.all.map((s) => s.cli.flags));
  }

  /** Arguments grouped into imports, in order: one per argument, or one for all of a `together` source's. */
  plan(args: string[]): { source: ImportSource; args: string[] }[] {
    const out: { source: ImportSource; args: string[] }[] = [];
    for (const a of args) {
      const source = this.for(a);
      if (!source) throw new UserError(`no importer for ${a.slice(0, 200)}`);
      const joined = source.together ? out.find((g) => g.source === source) : undefined;
      if (joined) joined.args.push(a);
      else out.push({ source, args: [a] });
    }
    return out;
  }
}
