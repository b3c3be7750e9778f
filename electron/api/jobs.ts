// Long-running work (imports, checks, reports) runs as a job: it reports
// progress, can be cancelled at its next safe point, and keeps its result or
// error for the UI to pick up. Transports poll jobStatus.
import { randomUUID } from 'node:crypto';
import type { JobStatus, Progress } from '../../shared/types.ts';

interface Job extends JobStatus {
  controller: AbortController;
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
        job.error = e.message;
        job.state = job.controller.signal.aborted ? 'cancelled' : 'failed';
      },
    );
    return id;
  }

  status(id: string): JobStatus {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`no job ${id}`);
    const { controller: _c, ...rest } = j;
    return rest;
  }

  cancel(id: string): boolean {
    const j = this.jobs.get(id);
    if (!j || j.state !== 'running') return false;
    j.controller.abort();
    return true;
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
