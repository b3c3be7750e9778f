// Long-running work (imports, checks, reports) runs as a job: it reports
// progress, can be cancelled at its next safe point, and keeps its result or
// error for the UI to pick up. Transports poll jobStatus.
import { randomUUID } from 'node:crypto';
import type { JobStatus, Progress } from '../../shared/types.ts';

interface Job extends JobStatus {
  controller: AbortController;
  /** What the work threw, kept whole for an in-process caller (`outcome`); transports see `error` (its message). */
  thrown?: unknown;
}

export class JobRegistry {
  private jobs = new Map<string, Job>();

  start<T>(kind: string, run: (report: (p: Progress) => void, signal: AbortSignal) => Promise<T>): string {
    const id = randomUUID();
    const job: Job = { id, kind, state: 'running', progress: null, controller: new AbortController() };
    this.jobs.set(id, job);
    run((p) => (job.progress = p), job.controller.signal).then(
      (result) => {
        job.result = result;
        job.state = job.controller.signal.aborted ? 'cancelled' : 'done';
      },
      (e: Error) => {
        job.thrown = e;
        job.error = e.message;
        job.state = job.controller.signal.aborted ? 'cancelled' : 'failed';
      },
    );
    return id;
  }

  status(id: string): JobStatus {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`no job ${id}`);
    const { controller: _c, thrown: _t, ...rest } = j;
    return rest;
  }

  cancel(id: string): boolean {
    const j = this.jobs.get(id);
    if (!j || j.state !== 'running') return false;
    j.controller.abort();
    return true;
  }

  /**
   * Wait for a job and give its result, or throw what it threw (the error's
   * class is what the transports map to a code or an exit status). The CLI
   * runs jobs this way; `onProgress` sees the job's progress as it changes.
   */
  async outcome(id: string, onProgress?: (p: Progress) => void, pollMs = 20): Promise<unknown> {
    let last: Progress | null = null;
    for (;;) {
      const s = this.status(id);
      if (s.progress && s.progress !== last) onProgress?.((last = s.progress));
      if (s.state === 'done') return s.result;
      if (s.state !== 'running') throw this.jobs.get(id)?.thrown ?? new Error(s.error ?? `job ${id} ${s.state}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Wait for a job (tests, CLI). */
  async wait(id: string, pollMs = 20): Promise<JobStatus> {
    for (;;) {
      const s = this.status(id);
      if (s.state !== 'running') return s;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
