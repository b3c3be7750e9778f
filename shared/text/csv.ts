// The one CSV writer (docs/architecture.md, "Display integrity"): every CSV TrailCase writes (report
// timeline.csv, the event table export, the IOC export, query results) goes
// through `csvCell`/`csvLine`, so one rule holds everywhere.
//
// RFC 4180: fields separated by commas, records by CRLF; a field holding a
// comma, a double quote, CR or LF, or starting or ending with white space, is
// put in double quotes with each quote doubled.
//
// OWASP "CSV injection": a spreadsheet runs a cell starting with = + - @, tab
// or CR as a formula, and CloudTrail values (user agents, names, request
// parameters) are chosen by the person under investigation. Such a cell gets
// an apostrophe in front (spreadsheets hide it and show the text). To keep the
// rule reversible, a value that already starts with apostrophes followed by
// one of those characters gets one more: `csvUnneutralise` removes exactly
// one, so our own exports read back exactly (the IOC list round trip).
// report.json and --json output keep every value exactly.

const NEEDS_PREFIX = /^'*[=+\-@\t\r]/;
const PREFIXED = /^'+[=+\-@\t\r]/;

/** The value as written into a cell, before quoting: an apostrophe in front where a spreadsheet would run it. */
export function csvNeutralise(s: string): string {
  return NEEDS_PREFIX.test(s) ? `'${s}` : s;
}

/** The inverse of csvNeutralise for cells our writer produced; any other cell is returned as it is. */
export function csvUnneutralise(s: string): string {
  return PREFIXED.test(s) ? s.slice(1) : s;
}

/** One cell: null/undefined empty, objects as JSON, neutralised, quoted when RFC 4180 needs it. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = csvNeutralise(typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record with its CRLF. */
export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

/** Rows to a CSV document (header first when given). */
export function csvDocument(header: readonly string[] | null, rows: Iterable<readonly unknown[]>): string {
  let out = header ? csvLine(header) : '';
  for (const r of rows) out += csvLine(r);
  return out;
}
