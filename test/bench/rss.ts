// Memory of every process a bench step starts (README.md, "Speed and size"): the step runs as a
// child process and its whole process tree (its threads share its RSS; the
// report's Chromium and its helpers are children of their own) is sampled from
// /proc every 200 ms. Reported: the largest single process (what the < 500 MB
// target is about), the largest sum over the tree at one moment (shared pages
// counted in each process, so an upper bound), and the peak of each program.
// Linux only; elsewhere the peaks are null and the step still runs.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export interface ProcessPeak {
  /** Largest RSS of any one process of the tree, MB. */
  maxProcessMB: number | null;
  /** Largest sum of the tree's RSS at one sample, MB (upper bound: shared pages counted per process). */
  treeMB: number | null;
  /** Peak RSS per program name (/proc/PID/comm), MB, and how many processes of it were seen. */
  byProgram: Record<string, { mb: number; processes: number }>;
  /** The step's own process: the kernel's peak (VmHWM), MB. */
  mainMB: number | null;
}

export interface SampledRun extends ProcessPeak {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

const PROC = '/proc';

function rssKB(pid: number): { rss: number; hwm: number; comm: string } | null {
  try {
    const status = readFileSync(`${PROC}/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    let comm = /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?';
    // Chromium's processes share one name: tell them apart by their --type (renderer, gpu-process, utility…).
    if (/chrom/i.test(comm)) {
      const type = /--type=([a-z-]+)/.exec(readFileSync(`${PROC}/${pid}/cmdline`, 'latin1'))?.[1];
      comm = `${comm} ${type ?? 'browser'}`;
    }
    return { rss, hwm, comm };
  } catch {
    return null; // gone between listing and reading
  }
}

/** Every descendant of `root` (and root), from each process's parent id. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync(PROC)) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`${PROC}/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(d));
      else children.set(ppid, [Number(d)]);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    out.push(p);
    for (const c of children.get(p) ?? []) todo.push(c);
  }
  return out;
}

/** Sample a process tree until stop() (the root's own peak is read at the end from its VmHWM while it lives). */
export function sampleTree(root: number, everyMs = 200): { stop: () => ProcessPeak } {
  const linux = existsSync(`${PROC}/self/status`);
  const perPid = new Map<number, { comm: string; kb: number }>();
  let treeKB = 0;
  let mainHwm = 0;
  const tick = () => {
    if (!linux) return;
    let sum = 0;
    for (const pid of tree(root)) {
      const r = rssKB(pid);
      if (!r) continue;
      sum += r.rss;
      const peak = Math.max(r.rss, r.hwm);
      const cur = perPid.get(pid);
      if (!cur || cur.kb < peak) perPid.set(pid, { comm: r.comm, kb: peak });
      if (pid === root) mainHwm = Math.max(mainHwm, r.hwm);
    }
    treeKB = Math.max(treeKB, sum);
  };
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop() {
      clearInterval(timer);
      tick(); // the peaks (VmHWM) of whatever is still alive, in case the event loop was busy meanwhile
      if (!linux) return { maxProcessMB: null, treeMB: null, byProgram: {}, mainMB: null };
      const byProgram: Record<string, { mb: number; processes: number }> = {};
      let max = 0;
      for (const { comm, kb } of perPid.values()) {
        max = Math.max(max, kb);
        const b = (byProgram[comm] ??= { mb: 0, processes: 0 });
        b.mb = Math.max(b.mb, kb / 1024);
        b.processes++;
      }
      return { maxProcessMB: max / 1024, treeMB: treeKB / 1024, byProgram, mainMB: mainHwm / 1024 };
    },
  };
}

/** Run a command to its end, sampling its process tree. */
export function runSampled(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<SampledRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const sampler = sampleTree(child.pid!);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (status) => {
      const peak = sampler.stop();
      // The kernel's own peak of the main process (rusage) is printed by the CLI when asked (TRAILCASE_REPORT_RSS).
      const stderr = Buffer.concat(err).toString('utf8');
      const kb = /rss-max-kb (\d+)/.exec(stderr);
      if (kb) {
        peak.mainMB = Math.max(peak.mainMB ?? 0, Number(kb[1]) / 1024);
        peak.maxProcessMB = Math.max(peak.maxProcessMB ?? 0, peak.mainMB);
      }
      resolve({ ...peak, status, stdout: Buffer.concat(out).toString('utf8'), stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}
