// A one-line progress bar on a terminal; when stderr is not a TTY, silent, or
// (`lineEveryMs`) one plain line now and then for long work written to a log.
export class ProgressBar {
  private last = 0;
  private lastLine = 0;
  private readonly tty = !!process.stderr.isTTY;
  private readonly started = Date.now();
  constructor(
    private readonly label: string,
    private readonly opts: { lineEveryMs?: number } = {},
  ) {}

  update(done: number, total: number | null, extra = ''): void {
    if (!this.tty) {
      const every = this.opts.lineEveryMs;
      const now = Date.now();
      if (every && now - Math.max(this.lastLine, this.started) >= every) {
        this.lastLine = now;
        const pct = total ? ` (${Math.floor((Math.min(1, done / total)) * 100)}%)` : '';
        process.stderr.write(`${this.label}: ${done.toLocaleString('en-US')}${total ? ` of ${total.toLocaleString('en-US')}` : ''}${pct} ${extra}, ${Math.round((now - this.started) / 1000)} s\n`);
      }
      return;
    }
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    const width = 28;
    const frac = total ? Math.min(1, done / total) : 0;
    const bar = total ? '#'.repeat(Math.round(frac * width)).padEnd(width, ' ') : '';
    const pct = total ? `${(frac * 100).toFixed(0).padStart(3)}% ` : '';
    const secs = (now - this.started) / 1000;
    const eta = total && frac > 0.02 ? ` eta ${Math.max(0, Math.round(secs / frac - secs))}s` : '';
    process.stderr.write(`\r${this.label} [${bar}] ${pct}${extra}${eta}`.slice(0, (process.stderr.columns || 100) - 1).padEnd(Math.min(100, (process.stderr.columns || 100) - 1)));
  }

  done(): void {
    if (this.tty) process.stderr.write('\r' + ' '.repeat(Math.min(100, (process.stderr.columns || 100) - 1)) + '\r');
  }
}

export { formatBytes as fmtBytes } from '../../shared/bytes.ts';
