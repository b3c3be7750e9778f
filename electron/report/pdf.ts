// report.pdf: HTML printed to PDF by Chromium (docs/verification.md). Two printers:
//   - inside Electron the shell passes its own (webContents.printToPDF) through
//     `setDefaultPdfPrinter` or the `printer` option;
//   - everywhere else `chromiumPrinter()` drives a headless Chromium through
//     playwright-core (TRAILCASE_CHROMIUM, default /usr/bin/chromium).
// The PDF must be byte-identical for the same case at the same checkpoint, so:
//   - the table of contents gets its page numbers from the PDF's own named
//     destinations (Skia writes /Dests name -> [page /XYZ ..]) in a second pass;
//   - Chromium stamps /CreationDate and /ModDate with the wall clock: both are
//     rewritten to a value derived from the checkpoint time, byte for byte the
//     same length so every xref offset stays valid.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

export interface PdfPrintOptions {
  /** Paper size; A4 is what courts and most agencies outside the US file. */
  format: 'A4';
  /** Margins in millimetres (Electron's printToPDF wants inches: mm / 25.4). */
  marginMm: { top: number; bottom: number; left: number; right: number };
  /** Chromium header/footer templates (classes pageNumber and totalPages are filled in by Chromium). */
  headerTemplate: string;
  footerTemplate: string;
  printBackground: true;
  /** PDF bookmarks from the headings (Playwright `outline`, Electron `generateDocumentOutline`). */
  outline: true;
  /** Tagged (accessible) PDF (Playwright `tagged`, Electron `generateTaggedPDF`). */
  tagged: true;
}

/** Something that prints a complete HTML document to PDF bytes. */
export interface PdfPrinter {
  /** Shown in the manifest (which renderer produced report.pdf). */
  readonly name: string;
  print(html: string, options: PdfPrintOptions): Promise<Uint8Array>;
  /** Release the browser, if the printer owns one. */
  close?(): Promise<void>;
}

export class ChromiumUnavailable extends UserError {}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The Chromium executable the way the tests find it: TRAILCASE_CHROMIUM, else /usr/bin/chromium. */
export function chromiumPath(): string {
  return process.env.TRAILCASE_CHROMIUM || '/usr/bin/chromium';
}

/** Why Chromium cannot be used here, in one line; null when it can. */
export function chromiumUnavailableReason(): string | null {
  const p = chromiumPath();
  if (!existsSync(p)) return `no Chromium at ${p} (set TRAILCASE_CHROMIUM to a Chromium or Chrome executable to render report.pdf)`;
  return null;
}

/**
 * A printer backed by one headless Chromium (launched on first use, with a
 * fresh user-data-dir, JavaScript off and every network request refused: the
 * report HTML carries attacker-controlled CloudTrail values, escaped, and needs
 * nothing from outside). Call close() when done.
 */
export function chromiumPrinter(): PdfPrinter {
  let ctxPromise: Promise<import('playwright-core').BrowserContext> | null = null;
  let userDataDir: string | null = null;
  let name = 'Chromium (playwright-core)';
  const open = async () => {
    const reason = chromiumUnavailableReason();
    if (reason) throw new ChromiumUnavailable(`cannot render report.pdf: ${reason}`);
    const { chromium } = await import('playwright-core');
    userDataDir = mkdtempSync(join(tmpdir(), 'trailcase-chromium-'));
    try {
      const ctx = await chromium.launchPersistentContext(userDataDir, {
        executablePath: chromiumPath(),
        headless: true,
        args: CHROMIUM_ARGS,
        javaScriptEnabled: false,
        offline: true,
      });
      const v = ctx.browser()?.version();
      if (v) name = `Chromium ${v} (playwright-core)`;
      return ctx;
    } catch (e) {
      throw new ChromiumUnavailable(`cannot render report.pdf: Chromium at ${chromiumPath()} did not start: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  return {
    get name() {
      return name;
    },
    async print(html, o) {
      ctxPromise ??= open();
      const ctx = await ctxPromise;
      const page = await ctx.newPage();
      try {
        await page.route('**/*', (r) => (r.request().url().startsWith('data:') ? r.continue() : r.abort()));
        await page.setContent(html, { waitUntil: 'load' });
        await page.emulateMedia({ media: 'print' });
        const mm = (n: number) => `${n}mm`;
        return await page.pdf({
          format: o.format,
          margin: { top: mm(o.marginMm.top), bottom: mm(o.marginMm.bottom), left: mm(o.marginMm.left), right: mm(o.marginMm.right) },
          displayHeaderFooter: true,
          headerTemplate: o.headerTemplate,
          footerTemplate: o.footerTemplate,
          printBackground: o.printBackground,
          outline: o.outline,
          tagged: o.tagged,
        });
      } finally {
        await page.close();
      }
    },
    async close() {
      const p = ctxPromise;
      ctxPromise = null;
      if (p) {
        try {
          await (await p).close();
        } catch {
          /* never started */
        }
      }
      if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      userDataDir = null;
    },
  };
}

/** Electron's PrintToPDFOptions as the report uses them (margins in inches; A4; outline and tags). */
export interface ElectronPrintToPdfOptions {
  pageSize: 'A4';
  margins: { top: number; bottom: number; left: number; right: number };
  displayHeaderFooter: true;
  headerTemplate: string;
  footerTemplate: string;
  printBackground: boolean;
  preferCSSPageSize: false;
  generateTaggedPDF: boolean;
  generateDocumentOutline: boolean;
}

export function electronPrintOptions(o: PdfPrintOptions): ElectronPrintToPdfOptions {
  const inch = (mm: number) => mm / 25.4;
  return {
    pageSize: o.format,
    margins: { top: inch(o.marginMm.top), bottom: inch(o.marginMm.bottom), left: inch(o.marginMm.left), right: inch(o.marginMm.right) },
    displayHeaderFooter: true,
    headerTemplate: o.headerTemplate,
    footerTemplate: o.footerTemplate,
    printBackground: o.printBackground,
    preferCSSPageSize: false,
    generateTaggedPDF: o.tagged,
    generateDocumentOutline: o.outline,
  };
}

/** A page holding the report HTML that can print itself (in Electron: a hidden window's webContents). */
export interface PrintToPdfTarget {
  printToPDF(options: ElectronPrintToPdfOptions): Promise<Uint8Array>;
  close(): void | Promise<void>;
}

/**
 * The printer for the Electron shell. `open` loads the HTML into a hidden,
 * sandboxed window with JavaScript off and no network (e.g. write it to a
 * temporary file and loadFile: large reports exceed what a data: URL carries)
 * and returns its webContents' printToPDF with a close.
 */
export function printToPdfPrinter(open: (html: string) => Promise<PrintToPdfTarget>, name = 'Electron printToPDF'): PdfPrinter {
  return {
    name,
    async print(html, o) {
      const target = await open(html);
      try {
        return await target.printToPDF(electronPrintOptions(o));
      } finally {
        await target.close();
      }
    },
  };
}

let defaultPrinter: PdfPrinter | null = null;
/** The Electron shell installs its printToPDF printer here; elsewhere reports use chromiumPrinter(). */
export function setDefaultPdfPrinter(p: PdfPrinter | null): void {
  defaultPrinter = p;
}
export function getDefaultPdfPrinter(): PdfPrinter | null {
  return defaultPrinter;
}

// ---- PDF post-processing ----

/** PDF date string (D:YYYYMMDDHHmmSS) of an ISO time, UTC. */
function pdfDigits(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${iso}`);
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * Rewrite every /CreationDate and /ModDate to `iso` (UTC) in place. The new
 * value keeps the original's length and time-zone layout ("+HH'mm'", "Z", ...),
 * written as UTC, so no byte offset in the file moves. Throws when the file
 * has a date this does not understand, rather than leave a wall-clock time in.
 */
export function fixPdfDates(pdf: Uint8Array, iso: string): Buffer {
  const out = Buffer.from(pdf);
  const text = out.toString('latin1');
  const digits = pdfDigits(iso);
  const re = /\/(CreationDate|ModDate)\s*\(D:(\d{4,14})([^)]*)\)/g;
  let n = 0;
  for (const m of text.matchAll(re)) {
    const [whole, , d, tz] = m;
    let newTz: string;
    if (tz === '') newTz = '';
    else if (/^Z(00'?(00'?)?)?$/.test(tz) || /^[+-]\d\d('?\d\d'?)?$/.test(tz)) {
      // Same shape, UTC: digits to zero, sign to '+', 'Z' kept.
      newTz = tz.replace(/\d/g, '0').replace('-', '+');
    } else throw new Error(`PDF date with an unrecognised time zone: ${whole}`);
    const value = `D:${digits.slice(0, d.length)}${newTz}`;
    const start = m.index! + whole.indexOf('(') + 1;
    const old = text.slice(start, start + 2 + d.length + tz.length);
    if (value.length !== old.length) throw new Error(`PDF date rewrite would change the length: ${old} -> ${value}`);
    out.write(value, start, 'latin1');
    n++;
  }
  if (/\/ID\s*\[/.test(text)) {
    // Skia writes no /ID for printToPDF; if a printer adds one it is random: fail loudly, never ship it.
    throw new Error('the PDF carries a document /ID, which would make report.pdf differ between runs');
  }
  void n;
  return out;
}

/** Wall-clock dates still in a PDF (for tests and for the report's own self-check). */
export function pdfDates(pdf: Uint8Array): string[] {
  const text = Buffer.from(pdf).toString('latin1');
  return [...text.matchAll(/\/(?:CreationDate|ModDate)\s*\((D:[^)]*)\)/g)].map((m) => m[1]);
}

interface PdfObjects {
  get(num: number): string | undefined;
}

function indexObjects(text: string): PdfObjects {
  const starts = new Map<number, number>();
  for (const m of text.matchAll(/(?:^|[\r\n])(\d+) 0 obj\b/g)) starts.set(Number(m[1]), m.index! + m[0].length);
  return {
    get(num) {
      const s = starts.get(num);
      if (s === undefined) return undefined;
      const endObj = text.indexOf('endobj', s);
      const stream = text.indexOf('stream', s);
      const end = stream !== -1 && stream < endObj ? stream : endObj;
      return text.slice(s, end === -1 ? undefined : end);
    },
  };
}

function refOf(body: string, key: string): number | null {
  const m = new RegExp(`/${key}\\s+(\\d+)\\s+0\\s+R`).exec(body);
  return m ? Number(m[1]) : null;
}

/**
 * Page number (1-based) of every named destination in a PDF written by
 * Chromium/Skia: the catalog's /Dests dictionary maps each HTML anchor that a
 * link points to onto [pageRef /XYZ x y z]; pages are numbered by walking the
 * page tree. Empty when the file has no /Dests (the table of contents then
 * shows no page numbers rather than wrong ones).
 */
export function pdfDestinationPages(pdf: Uint8Array): Map<string, number> {
  const text = Buffer.from(pdf).toString('latin1');
  const objs = indexObjects(text);
  const result = new Map<string, number>();
  const rootRef = /\/Root\s+(\d+)\s+0\s+R/.exec(text.slice(text.lastIndexOf('trailer')))?.[1];
  const catalog = rootRef ? objs.get(Number(rootRef)) : undefined;
  if (!catalog) return result;
  const pagesRef = refOf(catalog, 'Pages');
  const pageIndex = new Map<number, number>();
  const walk = (ref: number, depth: number) => {
    if (depth > 64) return;
    const o = objs.get(ref);
    if (!o) return;
    if (/\/Type\s*\/Pages\b/.test(o)) {
      const kids = /\/Kids\s*\[([^\]]*)\]/.exec(o)?.[1] ?? '';
      for (const k of kids.matchAll(/(\d+)\s+0\s+R/g)) walk(Number(k[1]), depth + 1);
    } else if (/\/Type\s*\/Page\b/.test(o)) pageIndex.set(ref, pageIndex.size + 1);
  };
  if (pagesRef !== null) walk(pagesRef, 0);
  let dests: string | undefined;
  const destsRef = refOf(catalog, 'Dests');
  if (destsRef !== null) dests = objs.get(destsRef);
  else dests = /\/Dests\s*(<<[\s\S]*?>>)/.exec(catalog)?.[1];
  if (!dests) return result;
  for (const m of dests.matchAll(/\/([^\s/\[\]<>()]+)\s*\[\s*(\d+)\s+0\s+R/g)) {
    const name = m[1].replace(/#([0-9a-fA-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    const page = pageIndex.get(Number(m[2]));
    if (page !== undefined) result.set(name, page);
  }
  return result;
}

export const REPORT_PRINT_OPTIONS: Omit<PdfPrintOptions, 'footerTemplate'> = {
  format: 'A4',
  marginMm: { top: 16, bottom: 20, left: 14, right: 14 },
  headerTemplate: '<span></span>',
  printBackground: true,
  outline: true,
  tagged: true,
};

export interface RenderPdfOptions {
  /** Defaults to the printer installed with setDefaultPdfPrinter, else a one-off chromiumPrinter(). */
  printer?: PdfPrinter;
  footerTemplate?: string;
  /** Written into /CreationDate and /ModDate (ISO-8601); the checkpoint time for reports. */
  pdfTime: string;
}

/**
 * Print a report to PDF. `html` is either the finished document or a function
 * from table-of-contents page numbers (anchor id -> page) to the document: it is
 * printed once to learn where each anchor landed, then again with the numbers
 * filled in (a third time only if the numbers moved the layout).
 */
export async function renderReportPdf(
  html: string | ((tocPages: Map<string, number>) => string),
  opts: RenderPdfOptions,
): Promise<{ pdf: Buffer; printer: string; tocPages: Map<string, number> }> {
  const own = !opts.printer && !defaultPrinter;
  const printer = opts.printer ?? defaultPrinter ?? chromiumPrinter();
  const options: PdfPrintOptions = { ...REPORT_PRINT_OPTIONS, footerTemplate: opts.footerTemplate ?? '<span></span>' };
  try {
    let pages = new Map<string, number>();
    let pdf: Uint8Array;
    if (typeof html === 'string') pdf = await printer.print(html, options);
    else {
      pdf = await printer.print(html(pages), options);
      for (let pass = 0; pass < 2; pass++) {
        const found = pdfDestinationPages(pdf);
        if (sameMap(found, pages)) break;
        pages = found;
        pdf = await printer.print(html(pages), options);
      }
    }
    return { pdf: fixPdfDates(pdf, opts.pdfTime), printer: printer.name, tocPages: pages };
  } finally {
    if (own) await printer.close?.();
  }
}

function sameMap(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
