// Names to check (docs/architecture.md, "Display integrity"): a principal or resource name of this event that
// holds invisible or direction-changing characters, or mixes scripts, looks
// like (or reads as) another name. Listed in the inspector with the reason;
// the report lists the case's such names under Warnings (electron/report/names.ts).
import type { EventDetail } from '../../shared/types.ts';
import { nameFlags } from '../../shared/text/display.ts';
import { Ev } from '../components/Ev.tsx';

/** Principal fields of the summary, shown in the Fields table too. */
export const NAME_FIELDS = ['principalArn', 'userName', 'principalId', 'sessionIssuerArn', 'accessKeyId'] as const;

interface Flagged {
  where: string;
  value: string;
  reasons: string[];
}

// Keys under requestParameters / responseElements that name a principal or resource.
const NAME_KEY = /(name|arn|id)$/i;

function collect(v: unknown, path: string, out: { where: string; value: string }[], depth: number): void {
  if (depth > 4 || out.length > 500 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    v.slice(0, 100).forEach((x, i) => collect(x, `${path}[${i}]`, out, depth + 1));
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string' && NAME_KEY.test(k)) out.push({ where: `${path}.${k}`, value: x });
    else collect(x, `${path}.${k}`, out, depth + 1);
  }
}

/** Flagged names of one event: its principal fields, resources[].ARN, and names in requestParameters / responseElements / sessionContext. */
export function flaggedNamesOf(d: EventDetail): Flagged[] {
  const candidates: { where: string; value: string }[] = [];
  for (const k of NAME_FIELDS) {
    const v = d.summary[k];
    if (typeof v === 'string') candidates.push({ where: k, value: v });
  }
  try {
    const r = JSON.parse(d.record) as Record<string, unknown>;
    collect(r.resources, 'resources', candidates, 0);
    collect(r.requestParameters, 'requestParameters', candidates, 0);
    collect(r.responseElements, 'responseElements', candidates, 0);
    collect((r.userIdentity as Record<string, unknown> | undefined)?.sessionContext, 'userIdentity.sessionContext', candidates, 0);
  } catch {
    /* a record that is not JSON has no names to read; its fields above are still checked */
  }
  const out: Flagged[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (seen.has(`${c.where}\u0000${c.value}`)) continue;
    seen.add(`${c.where}\u0000${c.value}`);
    const reasons = nameFlags(c.value);
    if (reasons.length) out.push({ ...c, reasons });
  }
  return out;
}

export function NameFlags({ detail }: { detail: EventDetail }) {
  const flagged = flaggedNamesOf(detail);
  if (!flagged.length) return null;
  return (
    <div className="warning-box name-flags" role="alert" aria-label="Names to check">
      <strong>Names to check.</strong> {flagged.length === 1 ? 'This name' : `These ${flagged.length} names`} may look like, or read as, another name:
      <ul>
        {flagged.map((f, i) => (
          <li key={i}>
            <span className="mono small">{f.where}</span> <Ev v={f.value} className="mono" />: {f.reasons.map((r, j) => (
              <span key={j}>
                {j ? '; ' : ''}
                <Ev v={r} max={2000} />
              </span>
            ))}
          </li>
        ))}
      </ul>
    </div>
  );
}
