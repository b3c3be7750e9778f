// The foundation's commands: keygen, new, info, import, verify, search, note, custody, warnings.
import { existsSync } from 'node:fs';
import type { EventFilter, EventSummary, ImportSummary, VerifyReport } from '../../../shared/types.ts';
import { askPassphrase, generateKey, keyPath, trailcaseHome, type Signer } from '../../case/keys.ts';
import { CaseStore } from '../../case/store.ts';
import { warningsOfImports } from '../../case/data/warnings.ts';
import { isSourceFailure, verifyExitCode } from '../../case/verify.ts';
import { makeContext, type HandlerContext, type ToolContext } from '../../api/context.ts';
import { dispatch } from '../../api/handlers.ts';
import { SOURCES } from '../../ingest/source-list.ts';
import { positiveInt, sourceOptions } from '../../ingest/sources.ts';
import { UserError } from '../../errors.ts';
import { fmtBytes, ProgressBar } from '../progress.ts';
import { registerCommand, shown } from '../registry.ts';

/** A repeatable, comma-separable option as a list (undefined when not given). */
export function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const arr = Array.isArray(v) ? v : [v];
  const out = arr.flatMap((x: string) => String(x).split(',')).map((s) => s.trim()).filter(Boolean);
  return out.length ? out : undefined;
}

/** The event-filter flags shared by `search`, `export --only` and others. */
export const EVENT_FILTER_OPTIONS = {
  ip: { type: 'string', multiple: true },
  ua: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  principal: { type: 'string', multiple: true },
  event: { type: 'string', multiple: true },
  source: { type: 'string', multiple: true },
  region: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  error: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

export function filterFromFlags(values: Record<string, any>): EventFilter {
  const f: EventFilter = {
    ips: list(values.ip),
    userAgents: values.ua,
    accessKeys: list(values.key),
    principals: values.principal,
    eventNames: list(values.event),
    eventSources: list(values.source),
    regions: list(values.region),
    accounts: list(values.account),
    errorCodes: list(values.error),
    since: values.since,
    until: values.until,
  };
  for (const k of Object.keys(f) as (keyof EventFilter)[]) if (f[k] === undefined) delete f[k];
  return f;
}

export function needCase(positionals: string[], what = 'CASE'): string {
  const p = positionals[0];
  if (!p) throw new UserError(`missing ${what} (the .trailcase file)`);
  return p;
}

export function openCase(path: string, readonly = false): CaseStore {
  return CaseStore.open(path, { readonly });
}

/** Open a case, run fn with a handler context, close it whatever happens. */
export async function withCase<T>(path: string, fn: (ctx: HandlerContext) => Promise<T> | T, readonly = false, signer?: Signer): Promise<T> {
  const store = openCase(path, readonly);
  try {
    return await fn(makeContext(store, { signer }));
  } finally {
    store.close();
  }
}

/** A context without a case, for the methods that run outside one (creating or receiving a case, checking a report). */
export function noCase(signer?: Signer): ToolContext {
  return makeContext(undefined, { signer });
}

/**
 * Run a job-shaped method (one that answers { jobId }) to its end, in this
 * process, drawing its progress on the terminal: the CLI's way of calling the
 * same methods the UI polls with jobStatus. Returns the job's result or throws
 * what the job threw.
 */
export async function runJob<T>(ctx: ToolContext, started: { jobId: string }, bar: ProgressBar): Promise<T> {
  try {
    return (await ctx.jobs.outcome(started.jobId, (p) => bar.update(p.done, p.total, [p.unit === 'bytes' ? fmtBytes(p.done) : p.phase, p.detail].filter(Boolean).join(' ')))) as T;
  } finally {
    bar.done();
  }
}

registerCommand({
  name: 'keygen',
  summary: "create the examiner's Ed25519 signing key",
  usage: 'trailcase keygen --examiner NAME [--force]',
  options: { examiner: { type: 'string' }, force: { type: 'boolean' } },
  async run({ values, io }) {
    const examiner = values.examiner ?? process.env.TRAILCASE_EXAMINER;
    if (!examiner) throw new UserError('missing --examiner NAME');
    const pass = await askPassphrase('New passphrase for the examiner key: ');
    if (!process.env.TRAILCASE_PASSPHRASE && process.stdin.isTTY) {
      const again = await askPassphrase('Repeat the passphrase: ');
      if (again !== pass) throw new UserError('the passphrases differ');
    }
    const kf = generateKey(examiner, pass, trailcaseHome(), !!values.force);
    io.result({ examiner: kf.examiner, fingerprint: kf.fingerprint, path: keyPath() }, () =>
      `Key created for ${kf.examiner}\n  fingerprint ${kf.fingerprint}\n  stored in ${keyPath()} (private part encrypted with your passphrase)`,
    );
    return 0;
  },
});

registerCommand({
  name: 'new',
  summary: 'create a case file',
  usage: 'trailcase new CASE --title T --examiner NAME [--since T] [--until T] [--account A]... [--region R]... [--suspect KEY|ARN]... [--notes TEXT]',
  options: {
    title: { type: 'string' },
    examiner: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    account: { type: 'string', multiple: true },
    region: { type: 'string', multiple: true },
    suspect: { type: 'string', multiple: true },
    notes: { type: 'string' },
  },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    const r = await dispatch(noCase(), 'createCase', {
      path,
      title: values.title ?? '',
      examiner: values.examiner,
      scope: {
        since: values.since,
        until: values.until,
        accounts: list(values.account),
        regions: list(values.region),
        suspectedCredentials: list(values.suspect),
        notes: values.notes,
      },
    });
    io.result(r, () => `Created case ${r.caseId} "${r.title}" at ${r.path}`);
    return 0;
  },
});

registerCommand({
  name: 'info',
  summary: 'show case metadata, counts and the last checkpoint',
  usage: 'trailcase info CASE',
  async run({ positionals, io }) {
    const info = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'caseInfo', {}), true);
    io.result(info, () =>
      [
        `Case       ${info.caseId}`,
        `Title      ${info.title}`,
        `Examiner   ${info.examiner}`,
        `Created    ${info.createdAt} with ${info.toolVersion}`,
        `Scope      ${JSON.stringify(info.scope)}`,
        `Events     ${info.counts.events} (+${info.counts.copies} copies from other sources, ${info.counts.conflicts} conflicts)`,
        `Evidence   ${info.counts.evidence} items; ${info.counts.warnings} warnings`,
        `Time       ${info.timeRange.first ?? '-'} .. ${info.timeRange.last ?? '-'} (UTC)`,
        `Custody    ${info.counts.custody} entries`,
        `Checkpoint ${info.lastCheckpoint ? `#${info.lastCheckpoint.seq} size ${info.lastCheckpoint.treeSize} root ${info.lastCheckpoint.root} (${info.lastCheckpoint.createdAt}, key ${info.lastCheckpoint.keyFingerprint.slice(0, 16)}…)` : 'none'}`,
        ...info.keys.map((k) => `Key        ${k.examiner} ${k.fingerprint}`),
      ].join('\n'),
    );
    return 0;
  },
});

registerCommand({
  name: 'import',
  summary: 'import CloudTrail files/folders (and, where registered, s3://, lookup:, lake:, athena:)',
  get usage() {
    return [
      'trailcase import CASE PATH... [--account A] [--region R] [--since T] [--until T] [--workers N] [--tsa URL [--tsa-ca PEM]]',
      ...SOURCES.all.filter((s) => !s.together).map((s) => `       trailcase import CASE ${s.usage}`),
    ].join('\n');
  },
  get options() {
    const base: Record<string, any> = {
      account: { type: 'string', multiple: true },
      region: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      workers: { type: 'string' },
      tsa: { type: 'string' },
      'tsa-ca': { type: 'string' },
    };
    Object.assign(base, SOURCES.flags());
    return base;
  },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    const inputs = positionals.slice(1);
    if (!inputs.length) throw new UserError('nothing to import: give files, folders or a source (s3://…, lookup:)');
    const { loadSigner } = await import('../../case/keys.ts');
    const store = openCase(path);
    try {
      const signer = await loadSigner();
      const remoteSourceFor = (a: string) => (SOURCES.for(a)?.together ? undefined : SOURCES.for(a));
      const ctx = makeContext(store, { signer });
      const local = inputs.filter((a) => !remoteSourceFor(a));
      const remote = inputs.filter((a) => remoteSourceFor(a));
      for (const a of local) if (/^[a-z0-9]+:/.test(a) && !existsSync(a)) throw new UserError(`no importer for ${a} (and no such file)`);
      const summaries: ImportSummary[] = [];
      const bar = new ProgressBar('import');
      if (local.length) {
        // The same method and job the UI's import runs (custody identical either way).
        const started = await dispatch(ctx, 'importPaths', {
          paths: local,
          accounts: list(values.account),
          regions: list(values.region),
          since: values.since,
          until: values.until,
          ...(values.workers ? { workers: positiveInt(values.workers, 'workers') } : {}),
        });
        summaries.push(await runJob<ImportSummary>(ctx, started, bar));
      }
      for (const a of remote) {
        const src = remoteSourceFor(a)!;
        summaries.push(
          await src.run(
            store,
            signer,
            [a],
            sourceOptions(src, src.cli.options(values), 'cli'),
            {
              workers: positiveInt(values.workers, 'workers'),
              onProgress: (p) => bar.update(p.done, p.total, `${p.done} ${p.unit} ${p.detail ?? ''}`),
              notice: (line) => {
                bar.done();
                io.err(line);
              },
            },
          ),
        );
      }
      bar.done();
      // Trusted time (docs/verification.md): on a connected machine, an RFC 3161 time-stamp of the checkpoint the import just signed.
      let tsaFailed = false;
      if (values.tsa) {
        try {
          const t = await dispatch(ctx, 'timestampCheckpoint', { tsa: values.tsa, caFile: values['tsa-ca'] });
          io.err(`Time-stamp: checkpoint #${t.checkpointSeq} by ${t.tsa} at ${t.genTime} (token SHA-256 ${t.tokenSha256})`);
        } catch (e) {
          io.err(`NOT TIME-STAMPED: ${(e as Error).message}`);
          tsaFailed = true;
        }
      }
      const warnings = warningsOfImports(store.reader, summaries.map((s) => s.importId), 20);
      io.result(summaries.length === 1 ? summaries[0] : summaries, () =>
        summaries
          .map(
            (s) =>
              `Import ${s.importId}: ${s.objects} objects (${s.skippedObjects} already in the case), ${s.events} events, ` +
              `${s.duplicates} duplicates, ${s.conflicts} conflicts, ${s.warnings} warnings, ${s.excluded} out of scope, ` +
              `${fmtBytes(s.bytes)} in ${s.seconds.toFixed(1)} s\n` +
              (s.checkpoint ? `Checkpoint #${s.checkpoint.seq}: ${s.checkpoint.treeSize} events, root ${s.checkpoint.root}` : ''),
          )
          .join('\n') +
          (warnings.length
            ? '\nWarnings' + (summaries.reduce((a, s) => a + s.warnings, 0) > warnings.length ? ' (first 20; `trailcase warnings CASE` lists all)' : '') + ':\n' +
              warnings.map((w) => `  ${w.origin}: ${w.message}`).join('\n')
            : ''),
      );
      return tsaFailed ? 1 : 0;
    } finally {
      store.close();
    }
  },
});

function verifyText(r: VerifyReport): string {
  const lines = [
    `${r.ok ? 'INTACT' : 'DAMAGED'}: ${r.counts.evidence} evidence items, ${r.counts.events} events, ${r.counts.copies} copies, ${r.counts.checkpoints} checkpoints, ${r.counts.custody} custody entries`,
    `Merkle root ${r.root} over ${r.treeSize} events; integrity_check: ${r.integrityCheck}`,
  ];
  for (const p of r.problems) lines.push(`  PROBLEM ${p.where}: ${p.message}`);
  for (const w of r.warnings) lines.push(`  warning ${w.where}: ${w.message}`);
  const bad = r.sourceValidation.filter((s) => s.result !== 'valid');
  if (r.sourceValidation.length) {
    lines.push(`CloudTrail validation: ${r.sourceValidation.length - bad.length}/${r.sourceValidation.length} source objects valid`);
    // Grouped by result, failures first, a few names each (`trailcase validate CASE` lists every object).
    const byResult = new Map<string, typeof bad>();
    for (const s of bad) byResult.set(s.result, [...(byResult.get(s.result) ?? []), s]);
    const order = [...byResult.keys()].sort((a, b) => Number(isSourceFailure(b)) - Number(isSourceFailure(a)) || a.localeCompare(b));
    for (const result of order) {
      const list = byResult.get(result)!;
      lines.push(`  ${isSourceFailure(result) ? 'FAILED' : 'warning'} ${result}: ${list.length} object${list.length === 1 ? '' : 's'}`);
      const shown = isSourceFailure(result) ? 50 : 5;
      for (const s of list.slice(0, shown)) lines.push(`    ${s.origin}${s.detail ? ` (${s.detail})` : ''}`);
      if (list.length > shown) lines.push(`    … and ${list.length - shown} more (trailcase validate CASE lists them all)`);
    }
  }
  return lines.join('\n');
}

registerCommand({
  name: 'verify',
  summary: 'recompute every hash and signature; exit 0 intact, 3 a source fails CloudTrail validation, 1 damaged',
  usage: 'trailcase verify CASE',
  async run({ positionals, io }) {
    const path = needCase(positionals);
    let r: VerifyReport;
    try {
      r = await withCase(path, async (ctx) => {
        // A job, for its progress: on a terminal a bar, in a log a line every 15 s (a 10M-event case takes minutes).
        const { jobId } = await dispatch(ctx, 'verifyJob', {});
        const bar = new ProgressBar('verify', { lineEveryMs: 15_000 });
        for (;;) {
          const s = ctx.jobs.status(jobId);
          if (s.progress) bar.update(s.progress.done, s.progress.total, s.progress.phase === 'events' ? 'events' : `events; ${s.progress.phase}`);
          if (s.state !== 'running') {
            bar.done();
            if (s.state !== 'done') throw new Error(s.error ?? `verify ${s.state}`);
            return s.result as VerifyReport;
          }
          await new Promise((res) => setTimeout(res, 100));
        }
      });
    } catch (e) {
      if (e instanceof UserError) throw e;
      // A case too damaged to open read-write: verify read-only, without logging.
      const { verifyCase } = await import('../../case/verify.ts');
      r = await withCase(path, (ctx) => verifyCase(ctx.store), true);
    }
    io.result(r, () => verifyText(r));
    return verifyExitCode(r);
  },
});

function eventLine(e: EventSummary): string {
  return [e.eventTime, e.eventName, e.eventSource, e.awsRegion, e.sourceIPAddress, e.accessKeyId, e.principalArn ?? e.userName, e.errorCode ?? '', e.eventId].map((v) => (v === '' ? '' : shown(v))).join('  ');
}

registerCommand({
  name: 'search',
  summary: 'find events (time order)',
  usage:
    'trailcase search CASE [--ip IP|CIDR]... [--ua TEXT]... [--key ACCESSKEYID]... [--principal ARN|USER]... [--event NAME]... [--source SVC]... [--region R]... [--account A]... [--error CODE]... [--since T] [--until T] [--ioc] [--limit N] [--offset N] | trailcase search CASE --q "field:value …" [--json|--csv|--ndjson]',
  options: {
    ...EVENT_FILTER_OPTIONS,
    ioc: { type: 'boolean' },
    limit: { type: 'string' },
    offset: { type: 'string' },
    q: { type: 'string' },
    csv: { type: 'boolean' },
    ndjson: { type: 'boolean' },
  },
  async run({ positionals, values, io }) {
    // The search bar's language over every field (docs/queries.md), every match streamed: electron/cli/commands/query.ts.
    if (values.q !== undefined) {
      const { streamQuery, formatOf } = await import('./query.ts');
      return streamQuery(needCase(positionals), { mode: 'search', text: values.q }, formatOf(values, io), io);
    }
    const limit = values.limit ? Number(values.limit) : 100;
    if (!Number.isInteger(limit) || limit < 1) throw new UserError('--limit must be a positive whole number');
    const filter = { ...filterFromFlags(values), ...(values.ioc ? { ioc: true } : {}) };
    const r = await withCase(
      needCase(positionals),
      (ctx) => dispatch(ctx, 'searchEvents', { filter, limit, offset: values.offset ? Number(values.offset) : 0 }),
      true,
    );
    io.result(r, () => [...r.events.map(eventLine), `${r.events.length} of ${r.total} events`].join('\n'));
    return 0;
  },
});

registerCommand({
  name: 'note',
  summary: 'add a note to the chain-of-custody log',
  usage: 'trailcase note CASE TEXT [--target event:ID|evidence:N|finding:ID]',
  options: { target: { type: 'string' } },
  async run({ positionals, values, io }) {
    const text = positionals.slice(1).join(' ');
    if (!text) throw new UserError('missing note TEXT');
    const r = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'addNote', { text, target: values.target }));
    io.result(r, () => `Note recorded as custody entry ${r.seq}`);
    return 0;
  },
});

registerCommand({
  name: 'custody',
  summary: 'print the chain-of-custody log',
  usage: 'trailcase custody CASE',
  async run({ positionals, io }) {
    const r = await withCase(needCase(positionals), (ctx) => dispatch(ctx, 'custodyLog', { limit: 100_000 }), true);
    io.result(r, () => r.items.map((e) => `${e.seq}  ${e.at}  ${shown(e.actor)}  ${e.action}  ${shown(JSON.stringify(e.details))}`).join('\n'));
    return 0;
  },
});

registerCommand({
  name: 'warnings',
  summary: 'list import warnings',
  usage: 'trailcase warnings CASE [--import N]',
  options: { import: { type: 'string' } },
  async run({ positionals, values, io }) {
    const r = await withCase(
      needCase(positionals),
      (ctx) => dispatch(ctx, 'listWarnings', { limit: 100_000, ...(values.import ? { importId: Number(values.import) } : {}) }),
      true,
    );
    io.result(r, () => r.items.map((w) => `${w.importId}  ${w.code}  ${shown(w.origin)}${w.recordIndex !== null ? ` #${w.recordIndex}` : ''}: ${shown(w.message, 2000)}`).join('\n'));
    return 0;
  },
});
