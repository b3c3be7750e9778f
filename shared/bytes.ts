// The one byte-size formatter (binary units, as `ls -h` and the evidence
// totals use): the CLI's progress and totals, the findings, the report and the UI.

/**
 * `512 B`, `1.5 KiB`, `3.2 GiB`. `digits: 'auto'` keeps one decimal below 10
 * and none above (the UI's compact columns); the default is always one.
 */
export function formatBytes(n: number, opts: { digits?: 1 | 'auto' } = {}): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(opts.digits === 'auto' && v >= 10 ? 0 : 1)} ${units[i]}`;
}
