// A long-running job (import, checks) with a progress bar and a Cancel button
// (docs/architecture.md, "The renderer"). Polls jobStatus; reports the end state to the caller.
import { useEffect, useState } from 'react';
import type { JobStatus } from '../../shared/types.ts';
import { getApi } from '../api/transport.ts';
import { bytes, num } from '../lib/format.ts';

export function JobProgress({ jobId, title, onDone }: { jobId: string; title: string; onDone?: (s: JobStatus) => void }) {
  const [status, setStatus] = useState<JobStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const s = await getApi().jobStatus({ id: jobId });
        if (stop) return;
        setStatus(s);
        if (s.state === 'running') timer = setTimeout(poll, 300);
        else onDone?.(s);
      } catch (e) {
        if (!stop) setError((e as Error).message);
      }
    };
    poll();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [jobId]);
  const p = status?.progress;
  const frac = p && p.total ? Math.min(1, p.done / p.total) : null;
  const amount = (v: number) => (p?.unit === 'bytes' ? bytes(v) : num(v));
  return (
    <div className={`job job-${status?.state ?? 'running'}`} role="status" aria-label={title}>
      <div className="job-head">
        <strong>{title}</strong>
        <span className="job-state">{status?.state ?? 'starting'}</span>
        {status?.state === 'running' && (
          <button
            disabled={cancelling}
            onClick={async () => {
              setCancelling(true);
              try {
                await getApi().cancelJob({ id: jobId });
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        )}
      </div>
      <progress max={1} value={frac ?? undefined} />
      <div className="job-detail">
        {p ? `${p.phase}: ${amount(p.done)}${p.total ? ` of ${amount(p.total)}` : ''}${p.detail ? ` — ${p.detail}` : ''}` : ''}
        {status?.error && <span className="error-text"> {status.error}</span>}
        {error && <span className="error-text"> {error}</span>}
      </div>
    </div>
  );
}
