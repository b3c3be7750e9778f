// `trailcase serve CASE`: the workstation UI in a local browser (docs/architecture.md, "The renderer"),
// through the loopback host (electron/host/server.ts): 127.0.0.1 only, a fresh
// secret token per run in the printed URL, the same API handlers as the CLI.
import { spawn } from 'node:child_process';
import { UserError } from '../../errors.ts';
import { registerCommand } from '../registry.ts';
import { needCase } from './foundation.ts';

/** Open a URL in the desktop's browser; false when no opener could be started. */
export function openInBrowser(url: string): Promise<boolean> {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

registerCommand({
  name: 'serve',
  summary: 'open a case in the workstation UI in a local browser (loopback only, per-run token)',
  usage: 'trailcase serve CASE [--port N] [--open]',
  options: { port: { type: 'string' }, open: { type: 'boolean' } },
  async run({ positionals, values, io }) {
    const path = needCase(positionals);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UserError(`--port ${values.port} is not a port number (1-65535)`);
    }
    const { startHost } = await import('../../host/server.ts');
    const host = await startHost({ casePath: path, port, log: (s) => io.err(s) });
    io.result({ url: host.url, port: host.port, case: path }, () => `TrailCase is serving ${path}\nOpen ${host.url}`);
    io.err('Loopback only (127.0.0.1); the token in the URL is new for every run. Ctrl-C to stop.');
    if (values.open && !(await openInBrowser(host.url))) io.err('Could not start a browser (xdg-open/open/start); open the URL yourself.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.err('Stopping…');
    await host.close();
    return 0;
  },
});
