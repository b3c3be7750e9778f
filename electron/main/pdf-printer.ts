// report.pdf in the desktop app (docs/verification.md for the report, docs/packaging.md for the shell): the report
// is built in the case process, which has no Chromium; it asks the main
// process (rpc 'printPdf') to print the HTML with webContents.printToPDF.
// The print window is hidden, sandboxed, JavaScript off, in its own in-memory
// session whose only content is this one document (served at
// trailcase://print/report.html with a no-script CSP) and which refuses every
// other request - the report carries attacker-controlled CloudTrail values
// (escaped by the report code; this is the second wall).
import type { BrowserWindow as BrowserWindowT, PrintToPDFOptions, Session, Shell, WebContents } from 'electron';
import { electronPrintOptions, type PdfPrintOptions } from '../report/pdf.ts';
import { APP_SCHEME, applySessionPolicy, applyWebContentsPolicy } from './security.ts';

export const PRINT_PARTITION = 'trailcase-print';
export const PRINT_HOST = 'print';
export const PRINT_URL = `${APP_SCHEME}://${PRINT_HOST}/report.html`;
export const PRINT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:";

/** Requests the print session allows: the one document, and data: URLs inside it. */
export function isAllowedPrintRequest(url: string): boolean {
  return url === PRINT_URL || url.startsWith('data:');
}

export interface PrinterDeps {
  BrowserWindow: typeof BrowserWindowT;
  session: { fromPartition(p: string, o?: { cache: boolean }): Session };
  shell: Pick<Shell, 'openExternal'>;
}

/** Serialise prints: one document is served at a time. */
export function electronPdfPrinter(deps: PrinterDeps) {
  let ses: Session | null = null;
  let currentHtml: string | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const setup = (): Session => {
    if (ses) return ses;
    ses = deps.session.fromPartition(PRINT_PARTITION, { cache: false });
    applySessionPolicy(ses, isAllowedPrintRequest);
    ses.protocol.handle(APP_SCHEME, (req) => {
      if (req.url !== PRINT_URL || currentHtml === null) return new Response('not found', { status: 404 });
      return new Response(currentHtml, {
        headers: { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PRINT_CSP, 'X-Content-Type-Options': 'nosniff' },
      });
    });
    return ses;
  };
  const printOnce = async (html: string, options: PdfPrintOptions): Promise<Uint8Array> => {
    const s = setup();
    const win = new deps.BrowserWindow({
      show: false,
      width: 1024,
      height: 1400,
      webPreferences: {
        session: s,
        javascript: false,
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
        images: true,
        spellcheck: false,
        devTools: false,
      },
    });
    applyWebContentsPolicy(win.webContents as WebContents, deps.shell);
    try {
      currentHtml = html;
      await win.loadURL(PRINT_URL);
      const pdf = await win.webContents.printToPDF(electronPrintOptions(options) as PrintToPDFOptions);
      return new Uint8Array(pdf.buffer, pdf.byteOffset, pdf.byteLength);
    } finally {
      currentHtml = null;
      win.destroy();
    }
  };
  return {
    name: `Electron ${process.versions.electron ?? '?'} printToPDF (Chromium ${process.versions.chrome ?? '?'})`,
    print(html: string, options: PdfPrintOptions): Promise<Uint8Array> {
      const next = chain.then(() => printOnce(html, options));
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
