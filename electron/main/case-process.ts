// Entry of the case process: an Electron utilityProcess in the app
// (process.parentPort), or a worker thread in tests (worker_threads.parentPort).
// Both carry the same messages; case-service.ts does the work.
import { parentPort as workerPort } from 'node:worker_threads';
import { setDefaultPdfPrinter } from '../report/pdf.ts';
import { serveCaseRequests, type ServicePort } from './case-service.ts';

interface ElectronParentPort {
  on(ev: 'message', fn: (e: { data: unknown }) => void): void;
  postMessage(msg: unknown): void;
}

function port(): ServicePort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort) {
    return { onMessage: (fn) => electronPort.on('message', (e) => fn(e.data)), post: (m) => electronPort.postMessage(m) };
  }
  if (workerPort) {
    const p = workerPort;
    return { onMessage: (fn) => p.on('message', fn), post: (m) => p.postMessage(m) };
  }
  throw new Error('case-process: started neither as an Electron utility process nor as a worker thread');
}

const { rpc } = serveCaseRequests(port());

// Reports print their PDF through the main process, which owns Chromium
// (webContents.printToPDF); this process has no windows (electron/report/pdf.ts).
setDefaultPdfPrinter({
  name: process.env.TRAILCASE_PDF_PRINTER_NAME || 'Electron printToPDF',
  async print(html, options) {
    const bytes = await rpc('printPdf', { html, options });
    if (!(bytes instanceof Uint8Array)) throw new Error('the main process returned no PDF bytes');
    return bytes;
  },
});
