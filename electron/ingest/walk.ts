// Finding the source files of a local import. Folders are walked in sorted
// order (so the same import yields the same leaf order and the same root), and
// CloudTrail's S3 layout - AWSLogs/[o-org/]<account>/CloudTrail[-Digest]/<region>/YYYY/MM/DD/
// as `aws s3 sync` leaves it - is used to prune by account, region and date.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { DAY_MS } from '../../shared/time.ts';
import { UserError } from '../errors.ts';
import type { ParseScope } from './parse.ts';

export interface SourceFile {
  path: string;
  size: number;
  /** Key-like path from AWSLogs/ on, when the file sits in the S3 layout. */
  s3Key: string | null;
  layout: { account?: string; region?: string; date?: string; digest?: boolean } | null;
}

export interface WalkResult {
  files: SourceFile[];
  pruned: number;
  problems: { path: string; message: string }[];
}

const LAYOUT = /(?:^|\/)(AWSLogs\/(?:(o-[a-z0-9]+)\/)?(\d{12})\/(CloudTrail(?:-Digest)?)(?:\/([^/]+)(?:\/(\d{4})(?:\/(\d{2})(?:\/(\d{2}))?)?)?)?)(?:\/|$)/;

export function layoutOf(path: string): SourceFile['layout'] & { key: string | null } {
  const p = path.split(sep).join('/');
  const m = LAYOUT.exec(p);
  if (!m) return { key: null };
  const idx = p.indexOf('AWSLogs/');
  return {
    key: p.slice(idx),
    account: m[3],
    digest: m[4] === 'CloudTrail-Digest',
    region: m[5],
    date: m[6] && m[7] && m[8] ? `${m[6]}-${m[7]}-${m[8]}` : undefined,
  };
}

/** Could anything under this path (file or folder) be in scope? Used for pruning. */
export function layoutInScope(path: string, scope: ParseScope): boolean {
  const l = layoutOf(path);
  if (!l.key) return true;
  if (scope.accounts?.length && l.account && !scope.accounts.includes(l.account)) return false;
  if (scope.regions?.length && l.region && !scope.regions.includes(l.region)) return false;
  if (l.date) {
    const dayStart = Date.parse(l.date + 'T00:00:00Z');
    // CloudTrail files can hold events from just before their folder's day: keep one day either side.
    if (scope.sinceMs !== undefined && dayStart + 2 * DAY_MS <= scope.sinceMs) return false;
    if (scope.untilMs !== undefined && dayStart - DAY_MS > scope.untilMs) return false;
  }
  return true;
}

export function walkSources(paths: string[], scope: ParseScope): WalkResult {
  const out: WalkResult = { files: [], pruned: 0, problems: [] };
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      out.problems.push({ path: p, message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    if (st.isDirectory()) {
      if (!layoutInScope(p + '/', scope)) {
        out.pruned++;
        return;
      }
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch (e) {
        out.problems.push({ path: p, message: `cannot list folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
        return;
      }
      for (const n of names) {
        if (n.startsWith('.')) continue; // .DS_Store, editor files
        visit(join(p, n));
      }
      return;
    }
    if (!st.isFile()) return;
    if (!layoutInScope(p, scope)) {
      out.pruned++;
      return;
    }
    const l = layoutOf(p);
    out.files.push({
      path: p,
      size: st.size,
      s3Key: l.key,
      layout: l.key ? { account: l.account, region: l.region, date: l.date, digest: l.digest } : null,
    });
  };
  for (const p of paths) {
    const abs = resolve(p);
    try {
      statSync(abs);
    } catch {
      throw new UserError(`no such file or folder: ${p}`);
    }
    visit(abs);
  }
  return out;
}
