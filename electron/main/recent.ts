// Recent cases (docs/packaging.md), kept in the app's userData folder as JSON. Besides
// the menu, the list is how the shell decides whether a case "came from
// elsewhere": when the app closes a case it records the case id and the head
// of its custody chain (last seq + hash) and the file's size and mtime; a case
// opened later with a different head, or one never seen, is fully verified
// before the examiner works on it. The list is also the only set of paths the
// renderer may ask to open without a native dialog (openCase), so a
// compromised page cannot make the app open arbitrary files.
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RecentCase } from '../../shared/api/app.ts';

export const RECENT_FILE = 'recent-cases.json';
export const RECENT_MAX = 20;

/** What the app knew about a case when it last closed it. */
export interface CustodyHead {
  caseId: string;
  custodySeq: number;
  custodyHash: string;
}

export interface RecentEntry extends CustodyHead {
  path: string;
  title: string;
  lastOpenedAt: string;
  /** Set when the app closed the case cleanly; absent while it is open or after a crash. */
  closed?: { size: number; mtimeMs: number };
}

interface RecentFileV1 {
  format: 'trailcase-recent/1';
  items: RecentEntry[];
}

export class RecentCases {
  readonly file: string;
  private items: RecentEntry[];
  /** Problems met reading the file (shown once, never fatal: the list is a convenience). */
  readonly problems: string[] = [];

  constructor(userDataDir: string) {
    this.file = join(userDataDir, RECENT_FILE);
    this.items = this.load();
  }

  private load(): RecentEntry[] {
    if (!existsSync(this.file)) return [];
    try {
      const data = JSON.parse(readFileSync(this.file, 'utf8')) as RecentFileV1;
      if (data?.format !== 'trailcase-recent/1' || !Array.isArray(data.items)) throw new Error('not a TrailCase recent-cases file');
      return data.items.filter(
        (e) => e && typeof e.path === 'string' && typeof e.caseId === 'string' && typeof e.custodySeq === 'number' && typeof e.custodyHash === 'string',
      );
    } catch (e) {
      this.problems.push(`${this.file}: ${(e as Error).message}; starting with an empty recent-cases list`);
      return [];
    }
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = this.file + '.tmp';
    const body: RecentFileV1 = { format: 'trailcase-recent/1', items: this.items };
    writeFileSync(tmp, JSON.stringify(body, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  list(): RecentCase[] {
    return this.items.map((e) => ({ path: e.path, caseId: e.caseId, title: e.title, lastOpenedAt: e.lastOpenedAt, exists: existsSync(e.path) }));
  }

  get(path: string): RecentEntry | undefined {
    const p = resolve(path);
    return this.items.find((e) => e.path === p);
  }

  has(path: string): boolean {
    return !!this.get(path);
  }

  /** A case was opened: move it to the top; its closed-state is cleared until it is closed again. */
  opened(path: string, head: CustodyHead & { title: string }, now = new Date()): void {
    const p = resolve(path);
    this.items = this.items.filter((e) => e.path !== p);
    this.items.unshift({ path: p, caseId: head.caseId, title: head.title, custodySeq: head.custodySeq, custodyHash: head.custodyHash, lastOpenedAt: now.toISOString() });
    this.items = this.items.slice(0, RECENT_MAX);
    this.save();
  }

  /** The app closed the case: remember its custody head and file state, so an unchanged reopen need not re-verify. */
  closed(path: string, head: CustodyHead): void {
    const e = this.get(path);
    if (!e) return;
    e.caseId = head.caseId;
    e.custodySeq = head.custodySeq;
    e.custodyHash = head.custodyHash;
    try {
      const st = statSync(e.path);
      e.closed = { size: st.size, mtimeMs: st.mtimeMs };
    } catch {
      delete e.closed;
    }
    this.save();
  }

  /**
   * What the case should look like if nobody touched it since the app closed
   * it: its custody head, provided the app closed it cleanly and the file's
   * size and mtime are unchanged. Call BEFORE opening (opening a case writes
   * to it). null means "unknown or changed: verify it".
   */
  expectedHead(path: string): CustodyHead | null {
    const e = this.get(path);
    if (!e || !e.closed) return null;
    let st;
    try {
      st = statSync(e.path);
    } catch {
      return null;
    }
    if (st.size !== e.closed.size || st.mtimeMs !== e.closed.mtimeMs) return null;
    return { caseId: e.caseId, custodySeq: e.custodySeq, custodyHash: e.custodyHash };
  }

  remove(path: string): void {
    const p = resolve(path);
    this.items = this.items.filter((e) => e.path !== p);
    this.save();
  }
}
