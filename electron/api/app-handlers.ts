// App-only methods (shared/api/app.ts) outside Electron. The desktop shell
// answers these in its main process (electron/main/app-controller.ts) and never
// forwards them here; every other transport (the loopback browser host, the
// CLI) reaches this table and gets one clear error instead of a silent no-op.
import { appApi, type AppApi } from '../../shared/api/app.ts';
import { UserError } from '../errors.ts';
import type { HandlerTable } from './handlers.ts';

export class NotAvailableInHost extends UserError {
  constructor(readonly method: string) {
    super(`${method} is only available in the TrailCase desktop app (not available in the browser host)`);
    this.name = 'NotAvailableInHost';
  }
}

export const appHandlers = Object.fromEntries(
  Object.keys(appApi).map((m) => [
    m,
    () => {
      throw new NotAvailableInHost(m);
    },
  ]),
) as unknown as HandlerTable<AppApi>;
