// Handlers for the report domain (shared/api/report.ts, docs/verification.md).
import type { reportApi } from '../../shared/api/report.ts';
import { exportCase } from '../report/handoff.ts';
import { generateReport } from '../report/generate.ts';
import { exportRedacted, verifyRedactedBundle } from '../report/redacted.ts';
import { verifyReportDir } from '../report/verify-report.ts';
import { UserError } from '../errors.ts';
import type { HandlerTable } from './handlers.ts';

export const reportHandlers: HandlerTable<typeof reportApi> = {
  generateReport: async (ctx, a) => {
    const signer = await ctx.signer();
    const jobId = ctx.jobs.start('report', (report, signal) =>
      generateReport(ctx.store, signer, {
        outDir: a.outDir,
        templatePath: a.templatePath,
        force: a.force,
        tsa: a.tsa,
        tsaCaFile: a.tsaCaFile,
        signal,
        onProgress: report,
      }),
    );
    return { jobId };
  },
  exportCase: async (ctx, a) => {
    const signer = await ctx.signer();
    const jobId = ctx.jobs.start('export', async (report) => {
      report({ phase: 'export', done: 0, total: 1, unit: 'steps' });
      return exportCase(ctx.store, signer, { out: a.out, to: a.to, reason: a.reason });
    });
    return { jobId };
  },
  exportRedacted: async (ctx, a) => {
    const signer = await ctx.signer();
    const jobId = ctx.jobs.start('export-redacted', async (report) => {
      report({ phase: 'export', done: 0, total: 1, unit: 'steps' });
      return exportRedacted(ctx.store, signer, { out: a.out, filter: a.filter });
    });
    return { jobId };
  },
  verifyReport: (ctx, a) => {
    if (a.checkCase && !ctx.store) throw new UserError('verifyReport: checkCase needs an open case (or give casePath)');
    return verifyReportDir(a.dir, {
      publicKeyPem: a.publicKeyPem,
      fingerprint: a.fingerprint,
      ...(a.checkCase ? { caseStore: ctx.store } : a.casePath ? { casePath: a.casePath } : {}),
    });
  },
  verifyRedacted: (_ctx, a) => verifyRedactedBundle(a.file, { publicKeyPem: a.publicKeyPem, fingerprint: a.fingerprint }),
};
