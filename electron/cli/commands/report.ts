// Court-ready output commands (docs/verification.md): report, export (handoff or redacted),
// receive, verify-report, verify-redacted.
import { statSync, readFileSync } from 'node:fs';
import type { ExportSummary, RedactedSummary, ReportSummary } from '../../../shared/api/report.ts';
import { dispatch } from '../../api/handlers.ts';
import { loadSigner } from '../../case/keys.ts';
import { UserError } from '../../errors.ts';
import { verifyRedactedText } from '../../report/redacted.ts';
import { verifyReportText } from '../../report/verify-report.ts';
import { ProgressBar } from '../progress.ts';
import { registerCommand } from '../registry.ts';
import { EVENT_FILTER_OPTIONS, filterFromFlags, needCase, noCase, runJob, withCase } from './foundation.ts';


function readPem(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`--key ${path}: ${(e as Error).message}`);
  }
}

registerCommand({
  name: 'report',
  summary: 'write the signed report (PDF, JSON, timeline CSV, signed manifest) for a case',
  usage: 'trailcase report CASE --out DIR [--template CERTIFICATION.md] [--force] [--tsa URL [--tsa-ca PEM]]',
  options: { out: { type: 'string' }, template: { type: 'string' }, force: { type: 'boolean' }, tsa: { type: 'string' }, 'tsa-ca': { type: 'string' } },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    if (!values.out) throw new UserError('missing --out DIR (the folder for the report files)');
    const signer = await loadSigner();
    return withCase(
      path,
      async (ctx) => {
        const started = await dispatch(ctx, 'generateReport', {
          outDir: values.out,
          templatePath: values.template,
          force: !!values.force,
          tsa: values.tsa,
          tsaCaFile: values['tsa-ca'],
        });
        const r = await runJob<ReportSummary>(ctx, started, new ProgressBar('report'));
        io.result(r, () =>
          [
            `Report ${r.reportId} written to ${r.outDir}`,
            `  built from checkpoint #${r.checkpoint.seq}${r.checkpoint.fresh ? ' (signed now)' : ''}: ${r.checkpoint.treeSize} events, root ${r.checkpoint.root}`,
            `  ${r.findings} findings, ${r.timelineEvents} timeline events; PDF by ${r.renderer}`,
            ...r.files.map((f) => `  ${f.sha256}  ${f.name}`),
            `  signed by ${signer.examiner}, key ${signer.fingerprint}; logged as custody entry ${r.custodySeq}`,
            `Check it with: trailcase verify-report ${r.outDir} --fingerprint ${signer.fingerprint}`,
          ].join('\n'),
        );
        return 0;
      },
      false,
      signer,
    );
  },
});

registerCommand({
  name: 'export',
  summary: 'hand a case off as one self-contained file, or (--only) export a verifiable subset of its events',
  usage:
    'trailcase export CASE --out FILE [--to NAME] [--reason TEXT]\n       trailcase export CASE --out FILE --only [--ip IP|CIDR]... [--key AKIA…]... [--principal ARN|USER]... [--event NAME]... [--since T] [--until T] [--ua T] [--source S] [--region R] [--account A] [--error C]',
  options: { out: { type: 'string' }, to: { type: 'string' }, reason: { type: 'string' }, only: { type: 'boolean' }, ...EVENT_FILTER_OPTIONS },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    if (!values.out) throw new UserError('missing --out FILE');
    const filter = filterFromFlags(values);
    const filtered = Object.keys(filter).length > 0;
    if (values.only && !filtered) throw new UserError('--only needs at least one filter (--ip, --key, --principal, --event, --since, --until, ...)');
    if (!values.only && filtered) throw new UserError('filter options select events for a redacted export: add --only (a handoff always carries the whole case)');
    if (values.only && (values.to || values.reason)) throw new UserError('--to and --reason belong to a handoff, not to a redacted export (--only)');
    const signer = await loadSigner();
    return withCase(
      path,
      async (ctx) => {
        if (values.only) {
          const r = await runJob<RedactedSummary>(ctx, await dispatch(ctx, 'exportRedacted', { out: values.out, filter }), new ProgressBar('export'));
          io.result(r, () =>
            [
              `Redacted export of ${r.events} events written to ${r.out}`,
              `  ${r.sha256}  (${r.bytes} bytes)`,
              `  inclusion proofs against checkpoint #${r.checkpoint.seq}: ${r.checkpoint.treeSize} events, root ${r.checkpoint.root}`,
              `  logged as custody entry ${r.custodySeq}. Check it with: trailcase verify-redacted ${r.out}`,
            ].join('\n'),
          );
          return 0;
        }
        const r = await runJob<ExportSummary>(
          ctx,
          await dispatch(ctx, 'exportCase', { out: values.out, to: values.to, reason: values.reason }),
          new ProgressBar('export'),
        );
        io.result(r, () =>
          [
            `Handoff file written to ${r.out}${r.to ? ` for ${r.to}` : ''}`,
            `  SHA-256 ${r.sha256} (${r.bytes} bytes): give this value to the receiver separately`,
            `  handoff checkpoint #${r.checkpoint.seq}: ${r.checkpoint.treeSize} events, root ${r.checkpoint.root}; transfer logged as custody entry ${r.handoffSeq}`,
            `The receiver runs: trailcase receive FILE --examiner "THEIR NAME" --sha256 ${r.sha256}`,
          ].join('\n'),
        );
        return 0;
      },
      false,
      signer,
    );
  },
});

registerCommand({
  name: 'receive',
  summary: 'verify a handed-off case file completely and log its acceptance with your key; refuses a file that fails',
  usage: 'trailcase receive FILE --examiner NAME [--sha256 HEX]',
  options: { examiner: { type: 'string' }, sha256: { type: 'string' } },
  async run({ positionals, values, io }) {
    const file = needCase(positionals, 'FILE');
    if (!values.examiner) throw new UserError('missing --examiner NAME (the receiving examiner, as on your key)');
    if (values.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(values.sha256)) throw new UserError('--sha256 must be 64 hex digits');
    const signer = await loadSigner();
    const r = await dispatch(noCase(signer), 'receiveCase', { file, examiner: values.examiner, expectSha256: values.sha256 });
    io.result(r, () =>
      [
        `ACCEPTED ${r.file}`,
        `  SHA-256 at receipt ${r.sha256AtReceipt}`,
        `  verified: ${r.verified.events} events, ${r.verified.evidence} evidence items, ${r.verified.checkpoints} checkpoints, ${r.verified.custody} custody entries; integrity_check ${r.verified.integrityCheck}`,
        r.from ? `  handed off by ${r.from.examiner} (key ${r.from.keyFingerprint ?? '?'}), custody entry ${r.handoffSeq}` : '  (no handoff entry)',
        `  acceptance logged as custody entry ${r.acceptanceSeq}, signed in checkpoint #${r.checkpoint.seq} by ${signer.examiner} (key ${signer.fingerprint})`,
      ].join('\n'),
    );
    return 0;
  },
});

registerCommand({
  name: 'verify-report',
  summary: 'check a report folder (manifest signature, every file hash, checkpoint; --case: the case too), or a redacted export file; exit 0 only when all hold',
  usage: 'trailcase verify-report DIR|REDACTED.json [--fingerprint HEX] [--key PUBLIC.pem] [--case CASE]',
  options: { fingerprint: { type: 'string' }, key: { type: 'string' }, case: { type: 'string' } },
  async run({ positionals, values, io }) {
    const target = positionals[0];
    if (!target) throw new UserError('missing DIR (the report folder)');
    let isFile = false;
    try {
      isFile = statSync(target).isFile();
    } catch {
      /* a missing folder is reported by the check itself */
    }
    if (isFile) {
      if (values.case) throw new UserError('--case applies to a report folder, not to a redacted export');
      const r = await dispatch(noCase(), 'verifyRedacted', { file: target, fingerprint: values.fingerprint, publicKeyPem: readPem(values.key) });
      io.result(r, () => verifyRedactedText(r));
      return r.ok ? 0 : 1;
    }
    const r = await dispatch(noCase(), 'verifyReport', { dir: target, fingerprint: values.fingerprint, publicKeyPem: readPem(values.key), casePath: values.case });
    io.result(r, () => verifyReportText(r));
    return r.ok ? 0 : 1;
  },
});

registerCommand({
  name: 'verify-redacted',
  summary: 'check a redacted export: checkpoint signature, bundle signature, every event against the signed root',
  usage: 'trailcase verify-redacted FILE [--fingerprint HEX] [--key PUBLIC.pem]',
  options: { fingerprint: { type: 'string' }, key: { type: 'string' } },
  async run({ positionals, values, io }) {
    const file = positionals[0];
    if (!file) throw new UserError('missing FILE (the redacted export)');
    const r = await dispatch(noCase(), 'verifyRedacted', { file, fingerprint: values.fingerprint, publicKeyPem: readPem(values.key) });
    io.result(r, () => verifyRedactedText(r));
    return r.ok ? 0 : 1;
  },
});
